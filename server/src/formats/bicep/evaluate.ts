import type { Span } from '../../model';
import type { SyntaxNode as Node } from './tree';
import { interpolationText, prop, respan, simpleFormat, unknownVal, type Val } from '../azure/value';

/**
 * Literal evaluation of Bicep expressions over the tree-sitter tree: params
 * with defaults, vars, loop variables, interpolation, a few pure functions.
 * Anything decided at deployment stays an `unknown` Val with the reason.
 */

export interface ResourceDecl {
  readonly symbol: string;
  /** Lower-case full type without the API version (`microsoft.network/networksecuritygroups`). */
  readonly type: string;
  readonly typeText: string;
  readonly existing: boolean;
  readonly node: Node;
  readonly value: Node | undefined;
  /** The resource this one is declared inside (`resource rule 'securityRules' = …` within an NSG). */
  readonly nestedIn?: ResourceDecl;
}

export type Scope = ReadonlyMap<string, Val>;
export const EMPTY_SCOPE: Scope = new Map();

export const spanOf = (n: Node): Span => ({ start: n.startIndex, end: n.endIndex });

/** The node after `=` in a declaration (the default of a param, the value of a var or resource). */
export function declarationValue(decl: Node): Node | undefined {
  let afterEquals = false;
  for (const c of decl.children) {
    if (!c) continue;
    if (afterEquals && c.isNamed && c.type !== 'comment') return c;
    if (c.type === '=') afterEquals = true;
  }
  return undefined;
}

export function declarationName(decl: Node): Node | undefined {
  return decl.namedChildren.find((c) => c?.type === 'identifier') ?? undefined;
}

const MAX_DEPTH = 64;

export class BicepEvaluator {
  private readonly cache = new Map<string, Val>();
  private readonly active = new Set<string>();
  private depth = 0;

  constructor(
    private readonly params: ReadonlyMap<string, Node>,
    private readonly vars: ReadonlyMap<string, Node>,
    private readonly resources: ReadonlyMap<string, ResourceDecl>,
    /** Where `...` spreads were (mask.ts maskSpreads): object properties and array items at these offsets are spreads. */
    private readonly spreadAt: ReadonlySet<number> = new Set(),
  ) {}

  eval(node: Node, scope: Scope): Val {
    if (this.depth > MAX_DEPTH) return unknownVal(node.text, 'expression nests too deeply', spanOf(node));
    this.depth++;
    try {
      return this.evalInner(node, scope);
    } finally {
      this.depth--;
    }
  }

  /** An item of an array, evaluated as `eval` of the whole array evaluates it (one level deeper). */
  evalItem(node: Node, scope: Scope): Val {
    this.depth++;
    try {
      return this.eval(node, scope);
    } finally {
      this.depth--;
    }
  }

  /** The literal `name` of a resource when its body is a plain object (no loop). */
  resourceName(r: ResourceDecl): Val | undefined {
    const key = `resource-name:${r.symbol}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (!r.value || r.value.type !== 'object') return undefined;
    const nameNode = objectProperty(r.value, 'name');
    if (!nameNode) return undefined;
    if (this.active.has(key)) return unknownVal(nameNode.text, 'the name refers to itself', spanOf(nameNode));
    this.active.add(key);
    const v = this.eval(nameNode, EMPTY_SCOPE);
    this.active.delete(key);
    this.cache.set(key, v);
    return v;
  }

  resourceRef(r: ResourceDecl, span: Span, text: string): Val {
    const name = this.resourceName(r);
    return { kind: 'ref', resourceType: r.type, symbol: r.symbol, name: name?.kind === 'string' ? name.value : undefined, text, span };
  }

  /** The value of a declared param (its default) or var, as far as it resolves. */
  valueOf(kind: 'param' | 'var', name: string): Val | undefined {
    const decl = (kind === 'param' ? this.params : this.vars).get(name);
    return decl ? this.declared(kind, name, declarationName(decl) ?? decl) : undefined;
  }

  private declared(kind: 'param' | 'var', name: string, node: Node): Val | undefined {
    const key = `${kind}:${name}`;
    const cached = this.cache.get(key);
    if (cached) return respan(cached, spanOf(node));
    const decl = (kind === 'param' ? this.params : this.vars).get(name);
    if (!decl) return undefined;
    if (this.active.has(key)) return unknownVal(node.text, `${kind} '${name}' refers to itself`, spanOf(node));
    const valueNode = declarationValue(decl);
    let v: Val;
    if (!valueNode) {
      v = unknownVal(name, kind === 'param' ? `parameter '${name}' has no default value` : `variable '${name}' has no value`, spanOf(decl));
    } else {
      this.active.add(key);
      v = this.eval(valueNode, EMPTY_SCOPE);
      this.active.delete(key);
      if (v.kind === 'unknown' && kind === 'param') v = unknownVal(name, `parameter '${name}': ${v.reason}`, v.span);
    }
    this.cache.set(key, v);
    return respan(v, spanOf(node));
  }

  private evalInner(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    switch (node.type) {
      case 'string':
        return this.evalString(node, scope);
      case 'number': {
        const n = Number(node.text);
        return Number.isFinite(n) ? { kind: 'number', value: n, span } : unknownVal(node.text, 'not a number', span);
      }
      case 'boolean':
        return { kind: 'boolean', value: node.text === 'true', span };
      case 'null':
        return { kind: 'null', span };
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
        return inner ? respan(this.eval(inner, scope), span) : unknownVal(node.text, 'empty parentheses', span);
      }
      case 'array':
        return this.evalArray(node, scope);
      case 'object':
        return this.evalObject(node, scope);
      case 'identifier': {
        const name = node.text;
        const local = scope.get(name);
        if (local) return respan(local, span);
        const v = this.declared('var', name, node) ?? this.declared('param', name, node);
        if (v) return v;
        const r = this.resources.get(name);
        if (r) return this.resourceRef(r, span, name);
        return unknownVal(name, `'${name}' is not declared in this file`, span);
      }
      case 'member_expression':
        return this.evalMember(node, scope);
      case 'subscript_expression': {
        const objNode = node.childForFieldName('object');
        const indexNode = node.childForFieldName('index');
        if (!objNode || !indexNode) return unknownVal(node.text, 'incomplete index expression', span);
        const obj = this.eval(objNode, scope);
        const index = this.eval(indexNode, scope);
        if (obj.kind === 'array' && index.kind === 'number') {
          const item = obj.items[index.value];
          return item ? respan(item, span) : unknownVal(node.text, `index ${index.value} is outside the array`, span);
        }
        if (obj.kind === 'object' && index.kind === 'string') {
          const v = prop(obj, index.value);
          return v ? respan(v, span) : unknownVal(node.text, `no property '${index.value}'`, span);
        }
        if (obj.kind === 'ref') return { ...obj, name: undefined, symbol: obj.symbol ? `${obj.symbol}[${indexNode.text}]` : undefined, text: node.text, span };
        return unknownVal(node.text, obj.kind === 'unknown' ? obj.reason : 'index into a value that is not known', span);
      }
      case 'call_expression':
        return this.evalCall(node, scope);
      case 'ternary_expression': {
        const cond = node.childForFieldName('condition');
        const yes = node.childForFieldName('consequence');
        const no = node.childForFieldName('alternative');
        if (!cond || !yes || !no) return unknownVal(node.text, 'incomplete conditional', span);
        const c = this.eval(cond, scope);
        if (c.kind === 'boolean') return respan(this.eval(c.value ? yes : no, scope), span);
        return unknownVal(node.text, `the condition ${cond.text} is not known before deployment`, span);
      }
      case 'unary_expression': {
        const op = node.childForFieldName('operator')?.text;
        const arg = node.childForFieldName('argument');
        if (!arg) return unknownVal(node.text, 'incomplete expression', span);
        const v = this.eval(arg, scope);
        if (op === '!' && v.kind === 'boolean') return { kind: 'boolean', value: !v.value, span };
        if (op === '-' && v.kind === 'number') return { kind: 'number', value: -v.value, span };
        return unknownVal(node.text, v.kind === 'unknown' ? v.reason : `cannot apply ${op ?? '?'} here`, span);
      }
      case 'binary_expression':
        return this.evalBinary(node, scope);
      case 'for_statement':
        return this.evalFor(node, scope);
      default:
        return unknownVal(node.text, `${node.type.replace(/_/g, ' ')} is not evaluated`, span);
    }
  }

  private evalString(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    const first = node.child(0);
    if (first?.type === "'''") {
      const content = node.namedChildren.filter((c) => c?.type === 'string_content').map((c) => c!.text).join('');
      return { kind: 'string', value: content, span };
    }
    let out = '';
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content') out += c.text;
      else if (c.type === 'escape_sequence') out += unescape(c.text);
      else if (c.type === 'interpolation') {
        const inner = c.namedChildren.find((x) => x && x.type !== 'comment');
        if (!inner) return unknownVal(node.text, 'empty interpolation', span);
        const v = this.eval(inner, scope);
        const t = interpolationText(v);
        if (t === undefined) {
          const why = v.kind === 'unknown' ? v.reason : `\${${inner.text}} is not a literal`;
          return unknownVal(node.text, why, span);
        }
        out += t;
      }
    }
    return { kind: 'string', value: out, span };
  }

  private evalArray(node: Node, scope: Scope): Val {
    const items: Val[] = [];
    const children = node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      const next = children[i + 1];
      // The grammar reads `string(x)` on an array line as the type keyword and a parenthesised
      // expression; written without a space between them it is a call.
      if (c.type === 'identifier' && next?.type === 'parenthesized_expression' && c.endIndex === next.startIndex) {
        const inner = next.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment');
        const span = { start: c.startIndex, end: next.endIndex };
        const called = this.callFunction(c.text, inner, scope, span, this.textBetween(c, next));
        i++;
        if (!this.spreadAt.has(c.startIndex)) items.push(called);
        else if (!this.spreadInto(items, called)) return unknownSpread(node, called);
        continue;
      }
      const v = this.eval(c, scope);
      if (!this.spreadAt.has(c.startIndex)) items.push(v);
      else if (!this.spreadInto(items, v)) return unknownSpread(node, v);
    }
    return { kind: 'array', items, span: spanOf(node) };
  }

  /** `...list` inside an array: its items in its place; false when the spread value is not a known list. */
  private spreadInto(items: Val[], v: Val): boolean {
    if (v.kind !== 'array') return false;
    items.push(...v.items);
    return true;
  }

  private textBetween(a: Node, b: Node): string {
    return `${a.text}${b.text}`;
  }

  private evalObject(node: Node, scope: Scope): Val {
    const props = new Map<string, Val>();
    for (const p of node.namedChildren) {
      if (!p || p.type !== 'object_property') continue;
      const key = propertyKey(p);
      const value = propertyValue(p);
      if (!value) continue;
      if (this.spreadAt.has(p.startIndex)) {
        // `...base` in an object: base's properties here, overridden by the ones written after it.
        const spread = this.eval(value, scope);
        if (spread.kind !== 'object') return unknownSpread(node, spread);
        for (const [k, v] of spread.props) props.set(k, v);
        continue;
      }
      if (key === undefined) continue;
      props.set(key, this.eval(value, scope));
    }
    return { kind: 'object', props, span: spanOf(node) };
  }

  private evalMember(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    const objNode = node.childForFieldName('object');
    const property = node.childForFieldName('property')?.text;
    if (!objNode || !property) return unknownVal(node.text, 'incomplete member access', span);
    const obj = this.eval(objNode, scope);
    if (obj.kind === 'object') {
      const v = prop(obj, property);
      return v ? respan(v, span) : unknownVal(node.text, `no property '${property}'`, span);
    }
    if (obj.kind === 'ref') {
      if (property === 'id') return { ...obj, text: node.text, span };
      if (property === 'name') {
        const r = obj.symbol ? this.resources.get(obj.symbol) : undefined;
        const name = r ? this.resourceName(r) : undefined;
        if (name && name.kind === 'string') return respan(name, span);
      }
      return unknownVal(node.text, `${property} of resource ${obj.symbol ?? obj.text} is known only after deployment`, span);
    }
    if (obj.kind === 'unknown') return unknownVal(node.text, obj.reason, span);
    return unknownVal(node.text, `no property '${property}'`, span);
  }

  private evalBinary(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    const l = node.childForFieldName('left');
    const r = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text;
    if (!l || !r || !op) return unknownVal(node.text, 'incomplete expression', span);
    const a = this.eval(l, scope);
    const b = this.eval(r, scope);
    if (a.kind === 'unknown') return unknownVal(node.text, a.reason, span);
    if (b.kind === 'unknown') return unknownVal(node.text, b.reason, span);
    if (a.kind === 'number' && b.kind === 'number') {
      const x = a.value;
      const y = b.value;
      const num = (value: number): Val => ({ kind: 'number', value, span });
      const bool = (value: boolean): Val => ({ kind: 'boolean', value, span });
      switch (op) {
        case '+': return num(x + y);
        case '-': return num(x - y);
        case '*': return num(x * y);
        case '/': return y === 0 ? unknownVal(node.text, 'division by zero', span) : num(Math.trunc(x / y));
        case '%': return y === 0 ? unknownVal(node.text, 'division by zero', span) : num(x % y);
        case '<': return bool(x < y);
        case '<=': return bool(x <= y);
        case '>': return bool(x > y);
        case '>=': return bool(x >= y);
      }
    }
    if (a.kind === 'boolean' && b.kind === 'boolean') {
      if (op === '&&') return { kind: 'boolean', value: a.value && b.value, span };
      if (op === '||') return { kind: 'boolean', value: a.value || b.value, span };
    }
    if (op === '??') return a.kind === 'null' ? respan(b, span) : respan(a, span);
    const sa = a.kind === 'string' || a.kind === 'number' || a.kind === 'boolean' ? a.value : undefined;
    const sb = b.kind === 'string' || b.kind === 'number' || b.kind === 'boolean' ? b.value : undefined;
    if (sa !== undefined && sb !== undefined) {
      if (op === '==') return { kind: 'boolean', value: sa === sb, span };
      if (op === '!=') return { kind: 'boolean', value: sa !== sb, span };
      if (op === '=~') return { kind: 'boolean', value: String(sa).toLowerCase() === String(sb).toLowerCase(), span };
      if (op === '!~') return { kind: 'boolean', value: String(sa).toLowerCase() !== String(sb).toLowerCase(), span };
    }
    return unknownVal(node.text, `${op} is not evaluated here`, span);
  }

  private evalCall(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    const fn = node.childForFieldName('function');
    const argsNode = node.childForFieldName('arguments');
    const name = fn?.type === 'identifier' ? fn.text : undefined;
    const argNodes = argsNode ? argsNode.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment') : [];
    if (!name) return unknownVal(node.text, 'a function call that is not evaluated', span);
    return this.callFunction(name, argNodes, scope, span, node.text);
  }

  private callFunction(name: string, argNodes: Node[], scope: Scope, span: Span, text: string): Val {
    const node = { text };
    const args = (): Val[] => argNodes.map((a) => this.eval(a, scope));
    const firstUnknown = (vals: Val[]): Val | undefined => vals.find((v) => v.kind === 'unknown');
    switch (name.toLowerCase()) {
      case 'concat': {
        const vals = args();
        const u = firstUnknown(vals);
        if (u && u.kind === 'unknown') return unknownVal(node.text, u.reason, span);
        if (vals.every((v) => v.kind === 'array')) return { kind: 'array', items: vals.flatMap((v) => (v.kind === 'array' ? v.items : [])), span };
        const texts = vals.map(interpolationText);
        if (texts.every((t) => t !== undefined)) return { kind: 'string', value: texts.join(''), span };
        return unknownVal(node.text, 'concat of values that are not literals', span);
      }
      case 'format': {
        const vals = args();
        const u = firstUnknown(vals);
        if (u && u.kind === 'unknown') return unknownVal(node.text, u.reason, span);
        const texts = vals.map(interpolationText);
        if (texts.length === 0 || texts.some((t) => t === undefined)) return unknownVal(node.text, 'format of values that are not literals', span);
        const formatted = simpleFormat(texts[0]!, texts.slice(1) as string[]);
        return formatted === undefined ? unknownVal(node.text, 'a format string with specifiers other than {N}', span) : { kind: 'string', value: formatted, span };
      }
      case 'string':
      case 'tolower':
      case 'toupper':
      case 'trim': {
        const [v] = args();
        if (!v) return unknownVal(node.text, `${name}() without an argument`, span);
        const t = interpolationText(v);
        if (t === undefined) return unknownVal(node.text, v.kind === 'unknown' ? v.reason : `${name}() of a value that is not a literal`, span);
        const lower = name.toLowerCase();
        return { kind: 'string', value: lower === 'tolower' ? t.toLowerCase() : lower === 'toupper' ? t.toUpperCase() : lower === 'trim' ? t.trim() : t, span };
      }
      case 'int': {
        const [v] = args();
        const t = v ? interpolationText(v) : undefined;
        const n = t === undefined ? NaN : Number(t);
        return Number.isInteger(n) ? { kind: 'number', value: n, span } : unknownVal(node.text, 'int() of a value that is not a literal number', span);
      }
      case 'resourceid': {
        const vals = args();
        const typeIndex = vals.findIndex((v) => v.kind === 'string' && v.value.includes('/'));
        const type = typeIndex >= 0 ? vals[typeIndex] : undefined;
        const names = typeIndex >= 0 ? vals.slice(typeIndex + 1) : [];
        const last = names[names.length - 1];
        return {
          kind: 'ref',
          resourceType: type?.kind === 'string' ? type.value.toLowerCase() : undefined,
          name: names.length && names.every((n) => n.kind === 'string') ? names.map((n) => (n.kind === 'string' ? n.value : '')).join('/') : last?.kind === 'string' ? last.value : undefined,
          text: node.text,
          span,
        };
      }
      default:
        return unknownVal(node.text, `${name}() is evaluated at deployment`, span);
    }
  }

  /** A `for` expression over a literal array: one item per element (filtered by an `if` body when its condition is literal). */
  private evalFor(node: Node, scope: Scope): Val {
    const span = spanOf(node);
    const loop = readLoop(node);
    if (!loop) return unknownVal(node.text, 'incomplete for expression', span);
    const source = this.eval(loop.source, scope);
    if (source.kind !== 'array') {
      return unknownVal(node.text, source.kind === 'unknown' ? `loop over ${loop.source.text}: ${source.reason}` : `loop over ${loop.source.text}, which is not an array`, span);
    }
    const items: Val[] = [];
    source.items.forEach((item, i) => {
      const inner = bindLoop(scope, loop, item, i);
      let body = loop.body;
      if (body.type === 'if_statement') {
        const cond = body.namedChildren.find((c) => c?.type === 'parenthesized_expression');
        const then = body.namedChildren.find((c) => c && c.type !== 'parenthesized_expression' && c.type !== 'comment');
        if (!cond || !then) return;
        const c = this.eval(cond, inner);
        if (c.kind === 'boolean' && !c.value) return;
        body = then;
      }
      items.push(this.eval(body, inner));
    });
    return { kind: 'array', items, span };
  }
}

export interface Loop {
  readonly item?: string;
  readonly index?: string;
  readonly source: Node;
  readonly body: Node;
}

export function readLoop(node: Node): Loop | undefined {
  let item: string | undefined;
  let index: string | undefined;
  let source: Node | undefined;
  let afterIn = false;
  for (const c of node.children) {
    if (!c) continue;
    if (c.type === 'in') {
      afterIn = true;
      continue;
    }
    if (!c.isNamed || c.type === 'comment') continue;
    if (afterIn && !source) source = c;
    else if (!afterIn && c.type === 'for_loop_parameters') {
      item = c.namedChildren.find((x) => x?.type === 'loop_variable')?.text;
      index = c.namedChildren.find((x) => x?.type === 'loop_enumerator')?.text;
    } else if (!afterIn && c.type === 'identifier') item = c.text;
  }
  const body = node.childForFieldName('body');
  if (!source || !body) return undefined;
  return { item, index, source, body };
}

export function bindLoop(scope: Scope, loop: Loop, item: Val, index: number): Scope {
  const next = new Map(scope);
  if (loop.item) next.set(loop.item, item);
  if (loop.index) next.set(loop.index, { kind: 'number', value: index, span: item.span });
  return next;
}

export function propertyKey(p: Node): string | undefined {
  const k = p.namedChildren.find((c) => c && c.type !== 'comment');
  if (!k) return undefined;
  if (k.type === 'identifier') return k.text;
  if (k.type === 'string') return k.namedChildren.filter((c) => c?.type === 'string_content').map((c) => c!.text).join('');
  return undefined;
}

export function propertyValue(p: Node): Node | undefined {
  let afterColon = false;
  for (const c of p.children) {
    if (!c) continue;
    if (afterColon && c.isNamed && c.type !== 'comment') return c;
    if (c.type === ':') afterColon = true;
  }
  return undefined;
}

/** An object or array whose spread value is not known is not known as a whole: what the spread adds or overrides cannot be told. */
function unknownSpread(container: Node, spread: Val): Val {
  const expected = container.type === 'object' ? 'an object' : 'a list';
  if (spread.kind === 'unknown') return unknownVal(`...${spread.text}`, spread.reason, spanOf(container));
  if (spread.kind === 'ref') return unknownVal(`...${spread.text}`, `${spread.text} is known only after deployment`, spanOf(container));
  return unknownVal('...', `the spread value is a ${spread.kind}, not ${expected}`, spanOf(container));
}

export function objectProperty(obj: Node, name: string): Node | undefined {
  const lower = name.toLowerCase();
  for (const p of obj.namedChildren) {
    if (p?.type === 'object_property' && propertyKey(p)?.toLowerCase() === lower) return propertyValue(p);
  }
  return undefined;
}

function unescape(seq: string): string {
  switch (seq[1]) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': {
      const hex = seq.slice(3, -1);
      const cp = parseInt(hex, 16);
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : seq;
    }
    default: return seq.slice(1);
  }
}
