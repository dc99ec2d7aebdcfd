import type { Span } from '../../model';
import { unknownVal, type Val } from '../azure';
import { evaluateArmString, type ArmContext } from './expression';
import { member, type JsonNode } from './json';

/**
 * Where an ARM expression is evaluated: one template's parameters and
 * variables, and the copy loops around the expression. Copy loops are
 * expanded here, not by rewriting text, so `copyIndex()` means what ARM
 * means by it wherever it is written.
 */

/** ARM rejects a copy whose count is above 800; such a template never deploys, so its copies are not guessed at. */
export const ARM_MAX_COPY_COUNT = 800;
/**
 * Copy instances one file may expand in all. A property copy inside a
 * resource copy multiplies (800 × 800 rules from a few lines), so past this
 * a loop is read once, as when its count is not known.
 */
export const COPY_INSTANCE_BUDGET = 4000;

export interface CopyLoop {
  readonly name: string | undefined;
  /** `copyIndex()` without a name is the resource's loop; a property or variable loop is only reached by name. */
  readonly kind: 'resource' | 'property' | 'variable';
  /** Undefined when the count, and so the index, is not known before deployment. */
  readonly index: number | undefined;
  readonly unknownReason?: string;
}

export type CopyCount = { readonly kind: 'known'; readonly count: number } | { readonly kind: 'unknown'; readonly text: string; readonly reason: string; readonly span: Span };

/** Shared by every template of one file (nested deployments included). */
export class CopyBudget {
  private left = COPY_INSTANCE_BUDGET;

  take(n: number): boolean {
    if (n > this.left) return false;
    this.left -= n;
    return true;
  }
}

/**
 * In a name key, a parameter without default and a copyIndex() not bound to
 * an index stand for themselves: `\u0000parameters('vm')\u0000-nsg`. Two
 * names with the same key are the same name at deployment.
 */
export const KEY_MARK = '\u0000';
export const COPY_INDEX_KEY = `${KEY_MARK}copyIndex()${KEY_MARK}`;

export interface ArmScope extends ArmContext {
  readonly budget: CopyBudget;
  toVal(node: JsonNode): Val;
  /** The same scope, but for name keys (see KEY_MARK). */
  keyScope(): ArmScope;
  withLoop(loop: CopyLoop): ArmScope;
  /** The count of a `copy` block, checked against ARM's limit and this file's budget. */
  copyCount(copy: JsonNode): CopyCount;
}

abstract class ScopeBase implements ArmScope {
  abstract readonly budget: CopyBudget;
  /** The file's text, to quote a count as it is written. */
  abstract readonly fileText: string;
  abstract parameter(name: string, span: Span): Val;
  abstract variable(name: string, span: Span): Val;
  abstract copyIndex(loopName: string | undefined, span: Span): Val;

  toVal(node: JsonNode): Val {
    return armValue(node, this, true);
  }

  withLoop(loop: CopyLoop): ArmScope {
    return new LoopScope(this, loop);
  }

  abstract keyScope(): ScopeBase;

  copyCount(copy: JsonNode): CopyCount {
    const countNode = member(copy, 'count');
    if (!countNode) return { kind: 'unknown', text: '(no count)', reason: 'the copy has no count', span: copy.span };
    const written = countNode.type === 'string' ? countNode.value : this.fileText.slice(countNode.span.start, countNode.span.end);
    const v = this.toVal(countNode);
    const unknown = (reason: string): CopyCount => ({ kind: 'unknown', text: written, reason, span: countNode.span });
    if (v.kind === 'unknown') return unknown(v.reason);
    const n = v.kind === 'number' ? v.value : v.kind === 'string' && /^\d+$/.test(v.value) ? Number(v.value) : NaN;
    if (!Number.isInteger(n) || n < 0) return unknown('not a whole number');
    if (n > ARM_MAX_COPY_COUNT) return unknown(`${n} copies: ARM allows at most ${ARM_MAX_COPY_COUNT}, so this template does not deploy`);
    if (!this.budget.take(n)) return unknown(`expanding ${n} more copies would pass this file's limit of ${COPY_INSTANCE_BUDGET} copy instances`);
    return { kind: 'known', count: n };
  }
}

/** A JSON value as written, every part of it placed at `span`. */
function literalVal(node: JsonNode, span: Span, depth = 0): Val {
  if (depth > 64) return unknownVal('(value)', 'nested too deeply', span);
  switch (node.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return { kind: node.type, value: node.value, span } as Val;
    case 'null':
      return { kind: 'null', span };
    case 'array':
      return { kind: 'array', items: node.items.map((i) => literalVal(i, span, depth + 1)), span };
    case 'object':
      return { kind: 'object', props: new Map(node.props.filter((p) => p.value).map((p) => [p.key, literalVal(p.value!, span, depth + 1)])), span };
  }
}

/** Parameters and variables of one template (the file's, or a nested deployment's inline template). */
export class TemplateScope extends ScopeBase {
  private readonly cache = new Map<string, Val>();
  private readonly active = new Set<string>();
  private keys: TemplateScope | undefined;

  constructor(
    private readonly parameters: JsonNode | undefined,
    private readonly variables: JsonNode | undefined,
    readonly budget: CopyBudget,
    readonly fileText: string,
    private readonly forKeys = false,
    /** Values a parameter file beside the template gives (`parameters.<name>.value`), and the file's name. */
    private readonly supplied?: { readonly values: ReadonlyMap<string, JsonNode>; readonly file: string },
  ) {
    super();
  }

  keyScope(): TemplateScope {
    if (this.forKeys) return this;
    this.keys ??= new TemplateScope(this.parameters, this.variables, this.budget, this.fileText, true, this.supplied);
    return this.keys;
  }

  /** The parameter file a parameter's value comes from, when it has no default and the file gives one. */
  suppliedBy(name: string): string | undefined {
    return !member(member(this.parameters, name), 'defaultValue') && this.suppliedValue(name) ? this.supplied?.file : undefined;
  }

  private suppliedValue(name: string): JsonNode | undefined {
    if (!this.supplied) return undefined;
    const exact = this.supplied.values.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const [k, v] of this.supplied.values) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  parameter(name: string, span: Span): Val {
    const key = `p:${name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const decl = member(this.parameters, name);
    if (!decl) return unknownVal(name, `parameter '${name}' is not declared`, span);
    const dv = member(decl, 'defaultValue');
    const given = dv ? undefined : this.suppliedValue(name);
    if (!dv && !given && this.forKeys) return { kind: 'string', value: `${KEY_MARK}parameters('${name}')${KEY_MARK}`, span };
    // A parameter file's value is plain JSON (ARM evaluates no expression there); it is reported at the declaration.
    const v = dv ? this.guarded(key, dv, span) : given ? literalVal(given, decl.span) : unknownVal(name, `parameter '${name}' has no defaultValue${this.supplied ? ` and ${this.supplied.file} gives none` : ''}`, decl.span);
    const out = v.kind === 'unknown' && dv ? unknownVal(v.text, `parameter '${name}': ${v.reason}`, v.span) : v;
    this.cache.set(key, out);
    return out;
  }

  variable(name: string, span: Span): Val {
    const key = `v:${name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const decl = member(this.variables, name);
    const loop = decl ? undefined : this.variableCopy(name);
    if (!decl && !loop) return unknownVal(name, `variable '${name}' is not declared`, span);
    const v = decl ? this.guarded(key, decl, span) : this.guardedCopy(key, loop!, span);
    this.cache.set(key, v);
    return v;
  }

  /** Every parameter and variable declared here, with its value as far as it resolves. */
  declaredValues(limit: number): { name: string; kind: 'parameter' | 'variable'; value: Val; span: Span }[] {
    const out: { name: string; kind: 'parameter' | 'variable'; value: Val; span: Span }[] = [];
    for (const [kind, node] of [['parameter', this.parameters], ['variable', this.variables]] as const) {
      if (node?.type !== 'object') continue;
      for (const p of node.props) {
        if (out.length >= limit || p.key === 'copy') continue;
        out.push({ name: p.key, kind, value: kind === 'parameter' ? this.parameter(p.key, p.keySpan) : this.variable(p.key, p.keySpan), span: p.keySpan });
      }
    }
    return out;
  }

  copyIndex(loopName: string | undefined, span: Span): Val {
    if (this.forKeys && loopName === undefined) return { kind: 'string', value: COPY_INDEX_KEY, span };
    return unknownVal('copyIndex()', loopName === undefined ? 'copyIndex() outside a copy loop' : `copyIndex('${loopName}') outside a copy loop of that name`, span);
  }

  /** `"variables": { "copy": [ { "name": "rules", "count": …, "input": … } ] }` declares the variable `rules`. */
  private variableCopy(name: string): JsonNode | undefined {
    const copies = member(this.variables, 'copy');
    if (copies?.type !== 'array') return undefined;
    const lower = name.toLowerCase();
    return copies.items.find((c) => {
      const n = member(c, 'name');
      return n?.type === 'string' && n.value.toLowerCase() === lower;
    });
  }

  private guarded(key: string, node: JsonNode, span: Span): Val {
    if (this.active.has(key)) return unknownVal(key.slice(2), 'refers to itself', span);
    this.active.add(key);
    try {
      return armValue(node, this, false);
    } finally {
      this.active.delete(key);
    }
  }

  private guardedCopy(key: string, copy: JsonNode, span: Span): Val {
    if (this.active.has(key)) return unknownVal(key.slice(2), 'refers to itself', span);
    this.active.add(key);
    try {
      return copyItems(copy, this, 'variable');
    } finally {
      this.active.delete(key);
    }
  }
}

/** One iteration of a copy loop, inside the scope around it. */
class LoopScope extends ScopeBase {
  constructor(
    private readonly outer: ScopeBase,
    private readonly loop: CopyLoop,
  ) {
    super();
  }

  get budget(): CopyBudget {
    return this.outer.budget;
  }

  keyScope(): LoopScope {
    return new LoopScope(this.outer.keyScope(), this.loop);
  }

  get fileText(): string {
    return this.outer.fileText;
  }

  parameter(name: string, span: Span): Val {
    return this.outer.parameter(name, span);
  }

  variable(name: string, span: Span): Val {
    return this.outer.variable(name, span);
  }

  copyIndex(loopName: string | undefined, span: Span): Val {
    const mine = loopName === undefined ? this.loop.kind === 'resource' : this.loop.name?.toLowerCase() === loopName.toLowerCase();
    if (!mine) return this.outer.copyIndex(loopName, span);
    if (this.loop.index === undefined) return unknownVal('copyIndex()', this.loop.unknownReason ?? 'the copy count is not known before deployment', span);
    return { kind: 'number', value: this.loop.index, span };
  }
}

/**
 * A JSON node as a value, with every template expression inside evaluated.
 * In a resource body (`propertyCopies`), an object's `"copy": [ … ]` becomes
 * the properties it names, one element per index; parameters and variables
 * are plain data to ARM, so a `copy` key there stays a key.
 */
function armValue(node: JsonNode, ctx: ArmScope, propertyCopies: boolean): Val {
  switch (node.type) {
    case 'string':
      return evaluateArmString(node.value, node.span, ctx);
    case 'number':
      return { kind: 'number', value: node.value, span: node.span };
    case 'boolean':
      return { kind: 'boolean', value: node.value, span: node.span };
    case 'null':
      return { kind: 'null', span: node.span };
    case 'array':
      return { kind: 'array', items: node.items.map((i) => armValue(i, ctx, propertyCopies)), span: node.span };
    case 'object': {
      const props = new Map<string, Val>();
      for (const p of node.props) {
        if (!p.value) continue;
        if (propertyCopies && p.key.toLowerCase() === 'copy' && p.value.type === 'array') {
          for (const c of p.value.items) {
            const name = member(c, 'name');
            if (name?.type === 'string') props.set(name.value, copyItems(c, ctx, 'property'));
          }
          continue;
        }
        props.set(p.key, armValue(p.value, ctx, propertyCopies));
      }
      return { kind: 'object', props, span: node.span };
    }
  }
}

/**
 * The array one element of a property or variable `copy` stands for: its
 * `input` once per index. A count not known (or over the limits) gives an
 * unknown value naming why; readers that can do better with one instance
 * (an NSG's rules) read the copy themselves.
 */
function copyItems(copy: JsonNode, ctx: ArmScope, kind: 'property' | 'variable'): Val {
  const nameNode = member(copy, 'name');
  const name = nameNode?.type === 'string' ? nameNode.value : undefined;
  const input = member(copy, 'input');
  if (!input) return unknownVal(name ?? 'copy', 'the copy has no input', copy.span);
  const count = ctx.copyCount(copy);
  if (count.kind === 'unknown') return unknownVal(`copy ${name ?? ''}`.trim(), `its count ${count.text} is not expanded (${count.reason})`, count.span);
  const items: Val[] = [];
  for (let i = 0; i < count.count; i++) items.push(armValue(input, ctx.withLoop({ name, kind, index: i }), kind === 'property'));
  return { kind: 'array', items, span: copy.span };
}
