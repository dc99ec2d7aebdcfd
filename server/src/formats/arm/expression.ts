import type { Span } from '../../model';
import { interpolationText, prop, respan, simpleFormat, toPlain, unknownVal, type Val } from '../azure/value';

/**
 * ARM template expressions (`[concat(parameters('a'), '/rule')]`): a small
 * tokenizer and recursive-descent parser, evaluated for the few pure
 * functions whose result is known before deployment. Everything else is an
 * `unknown` Val naming the function.
 */
type Expr =
  | { readonly t: 'string'; readonly value: string }
  | { readonly t: 'number'; readonly value: number }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly t: 'member'; readonly object: Expr; readonly name: string }
  | { readonly t: 'index'; readonly object: Expr; readonly index: Expr };

export interface ArmContext {
  parameter(name: string, span: Span): Val;
  variable(name: string, span: Span): Val;
  /**
   * `copyIndex()` (the resource's copy loop) or `copyIndex('loop')` (a named
   * property, variable or resource loop around the expression); unknown
   * outside any such loop.
   */
  copyIndex(loopName: string | undefined, span: Span): Val;
}

/** True for a string ARM evaluates: `[…]` but not the `[[` escape. */
export function isExpression(s: string): boolean {
  return s.length >= 2 && s.startsWith('[') && !s.startsWith('[[') && s.trimEnd().endsWith(']');
}

export function evaluateArmString(s: string, span: Span, ctx: ArmContext): Val {
  if (!isExpression(s)) return { kind: 'string', value: s.startsWith('[[') ? s.slice(1) : s, span };
  const body = s.trimEnd().slice(1, -1);
  let parsed: Expr;
  try {
    parsed = new ExprParser(body).parseAll();
  } catch (e) {
    return unknownVal(s, `expression not understood: ${e instanceof Error ? e.message : String(e)}`, span);
  }
  return new ExprEvaluator(ctx, span, s).eval(parsed, 0);
}

class ExprParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): Expr {
    const e = this.expr();
    this.ws();
    if (this.i < this.s.length) throw new Error(`unexpected "${this.s.slice(this.i, this.i + 10)}"`);
    return e;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private expr(): Expr {
    let e = this.primary();
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === '.') {
        this.i++;
        this.ws();
        e = { t: 'member', object: e, name: this.identifier() };
      } else if (c === '[') {
        this.i++;
        const index = this.expr();
        this.ws();
        if (this.s[this.i] !== ']') throw new Error("missing ']'");
        this.i++;
        e = { t: 'index', object: e, index };
      } else return e;
    }
  }

  private identifier(): string {
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9_]/.test(this.s[this.i])) this.i++;
    if (start === this.i) throw new Error(`name expected at "${this.s.slice(this.i, this.i + 10)}"`);
    return this.s.slice(start, this.i);
  }

  private primary(): Expr {
    this.ws();
    const c = this.s[this.i];
    if (c === "'") {
      let out = '';
      this.i++;
      for (;;) {
        if (this.i >= this.s.length) throw new Error('unterminated string');
        const ch = this.s[this.i++];
        if (ch === "'") {
          if (this.s[this.i] === "'") {
            out += "'";
            this.i++;
          } else break;
        } else out += ch;
      }
      return { t: 'string', value: out };
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const start = this.i++;
      while (this.i < this.s.length && this.s[this.i] >= '0' && this.s[this.i] <= '9') this.i++;
      return { t: 'number', value: Number(this.s.slice(start, this.i)) };
    }
    const name = this.identifier();
    this.ws();
    if (this.s[this.i] !== '(') throw new Error(`'(' expected after ${name}`);
    this.i++;
    const args: Expr[] = [];
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return { t: 'call', name, args };
    }
    for (;;) {
      args.push(this.expr());
      this.ws();
      const d = this.s[this.i++];
      if (d === ')') break;
      if (d !== ',') throw new Error(`',' or ')' expected in ${name}()`);
    }
    return { t: 'call', name, args };
  }
}

const MAX_DEPTH = 64;

class ExprEvaluator {
  constructor(
    private readonly ctx: ArmContext,
    private readonly span: Span,
    private readonly text: string,
  ) {}

  private unknown(reason: string): Val {
    return unknownVal(this.text, reason, this.span);
  }

  eval(e: Expr, depth: number): Val {
    if (depth > MAX_DEPTH) return this.unknown('expression nests too deeply');
    const span = this.span;
    switch (e.t) {
      case 'string':
        return { kind: 'string', value: e.value, span };
      case 'number':
        return { kind: 'number', value: e.value, span };
      case 'member': {
        const o = this.eval(e.object, depth + 1);
        if (o.kind === 'object') return respan(prop(o, e.name) ?? this.unknown(`no property '${e.name}'`), span);
        if (o.kind === 'ref' && e.name.toLowerCase() === 'id') return o;
        return o.kind === 'unknown' ? o : this.unknown(`.${e.name} of a value that is not an object`);
      }
      case 'index': {
        const o = this.eval(e.object, depth + 1);
        const i = this.eval(e.index, depth + 1);
        if (o.kind === 'array' && i.kind === 'number') return respan(o.items[i.value] ?? this.unknown(`index ${i.value} is outside the array`), span);
        if (o.kind === 'object' && i.kind === 'string') return respan(prop(o, i.value) ?? this.unknown(`no property '${i.value}'`), span);
        return o.kind === 'unknown' ? o : this.unknown('index into a value that is not known');
      }
      case 'call':
        return this.call(e.name.toLowerCase(), e.name, e.args, depth);
    }
  }

  private call(name: string, written: string, argExprs: readonly Expr[], depth: number): Val {
    const span = this.span;
    const args = (): Val[] => argExprs.map((a) => this.eval(a, depth + 1));
    const firstUnknown = (vals: Val[]): Val | undefined => vals.find((v) => v.kind === 'unknown');
    switch (name) {
      case 'parameters':
      case 'variables': {
        const [n] = args();
        if (!n || n.kind !== 'string') return this.unknown(`${written}() with a name that is not a literal`);
        const v = name === 'parameters' ? this.ctx.parameter(n.value, span) : this.ctx.variable(n.value, span);
        return v.kind === 'unknown' ? { ...v, text: this.text, span } : respan(v, span);
      }
      case 'concat': {
        const vals = args();
        const u = firstUnknown(vals);
        if (u) return this.unknown(u.kind === 'unknown' ? u.reason : '');
        if (vals.length && vals.every((v) => v.kind === 'array')) return { kind: 'array', items: vals.flatMap((v) => (v.kind === 'array' ? v.items : [])), span };
        const texts = vals.map(interpolationText);
        if (texts.every((t) => t !== undefined)) return { kind: 'string', value: texts.join(''), span };
        return this.unknown('concat of values that are not literals');
      }
      case 'format': {
        const vals = args();
        const u = firstUnknown(vals);
        if (u) return this.unknown(u.kind === 'unknown' ? u.reason : '');
        const texts = vals.map(interpolationText);
        if (!texts.length || texts.some((t) => t === undefined)) return this.unknown('format of values that are not literals');
        const out = simpleFormat(texts[0]!, texts.slice(1) as string[]);
        return out === undefined ? this.unknown('a format string with specifiers other than {N}') : { kind: 'string', value: out, span };
      }
      case 'string':
      case 'tolower':
      case 'toupper':
      case 'trim': {
        const [v] = args();
        const t = v ? interpolationText(v) : undefined;
        if (t === undefined) return v?.kind === 'unknown' ? this.unknown(v.reason) : this.unknown(`${written}() of a value that is not a literal`);
        return { kind: 'string', value: name === 'tolower' ? t.toLowerCase() : name === 'toupper' ? t.toUpperCase() : name === 'trim' ? t.trim() : t, span };
      }
      case 'int': {
        const [v] = args();
        const n = v ? Number(interpolationText(v)) : NaN;
        return Number.isInteger(n) ? { kind: 'number', value: n, span } : this.unknown('int() of a value that is not a literal number');
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'mod': {
        const [a, b] = args();
        if (a?.kind !== 'number' || b?.kind !== 'number') {
          const u = a && b ? firstUnknown([a, b]) : undefined;
          return this.unknown(u?.kind === 'unknown' ? u.reason : `${written}() of values that are not literal numbers`);
        }
        if ((name === 'div' || name === 'mod') && b.value === 0) return this.unknown(`${written}() by zero`);
        const value = name === 'add' ? a.value + b.value : name === 'sub' ? a.value - b.value : name === 'mul' ? a.value * b.value : name === 'div' ? Math.trunc(a.value / b.value) : a.value % b.value;
        return { kind: 'number', value, span };
      }
      case 'copyindex': {
        const vals = args();
        const u = firstUnknown(vals);
        if (u) return this.unknown(u.kind === 'unknown' ? u.reason : '');
        // copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset).
        const loopName = vals[0]?.kind === 'string' ? vals[0].value : undefined;
        const offset = vals[loopName === undefined ? 0 : 1];
        if (vals.length > (loopName === undefined ? 1 : 2) || (offset && offset.kind !== 'number')) return this.unknown(`${written}() with arguments other than a loop name and a number`);
        const index = this.ctx.copyIndex(loopName, span);
        // A name key's placeholder for an index not bound (see KEY_MARK in scope.ts).
        if (index.kind === 'string' && !offset) return index;
        if (index.kind !== 'number') return index.kind === 'unknown' ? { ...index, text: this.text, span } : this.unknown(`${written}() is not a number here`);
        return { kind: 'number', value: index.value + (offset?.kind === 'number' ? offset.value : 0), span };
      }
      case 'length': {
        const [v] = args();
        if (v?.kind === 'array') return { kind: 'number', value: v.items.length, span };
        if (v?.kind === 'string') return { kind: 'number', value: v.value.length, span };
        if (v?.kind === 'object') return { kind: 'number', value: v.props.size, span };
        return this.unknown(v?.kind === 'unknown' ? v.reason : 'length() of a value that is not an array, string or object');
      }
      case 'true':
      case 'false':
        return { kind: 'boolean', value: name === 'true', span };
      // The logical functions a resource's `condition` is written with.
      case 'equals': {
        const [a, b] = args();
        const u = a && b ? firstUnknown([a, b]) : undefined;
        const pa = a && !u ? toPlain(a) : undefined;
        const pb = b && !u ? toPlain(b) : undefined;
        if (pa === undefined || pb === undefined) return this.unknown(u?.kind === 'unknown' ? u.reason : 'equals() of values that are not literals');
        return { kind: 'boolean', value: JSON.stringify(pa) === JSON.stringify(pb), span };
      }
      case 'not': {
        const [v] = args();
        return v?.kind === 'boolean' ? { kind: 'boolean', value: !v.value, span } : this.unknown(v?.kind === 'unknown' ? v.reason : 'not() of a value that is not a literal boolean');
      }
      case 'and':
      case 'or': {
        const vals = args();
        // One operand settles it (false for and, true for or) whatever the others are.
        if (vals.some((v) => v.kind === 'boolean' && v.value === (name === 'or'))) return { kind: 'boolean', value: name === 'or', span };
        if (vals.length && vals.every((v) => v.kind === 'boolean')) return { kind: 'boolean', value: name === 'and', span };
        const u = firstUnknown(vals);
        return this.unknown(u?.kind === 'unknown' ? u.reason : `${written}() of values that are not literal booleans`);
      }
      case 'bool': {
        const [v] = args();
        if (v?.kind === 'boolean') return v;
        const t = v ? interpolationText(v)?.toLowerCase() : undefined;
        return t === 'true' || t === 'false' ? { kind: 'boolean', value: t === 'true', span } : this.unknown(v?.kind === 'unknown' ? v.reason : 'bool() of a value that is not a literal');
      }
      case 'if': {
        const [c, yes, no] = args();
        if (c?.kind === 'boolean' && yes && no) return c.value ? yes : no;
        return this.unknown(c?.kind === 'unknown' ? c.reason : 'if() with a condition that is not a literal boolean');
      }
      case 'null':
        return { kind: 'null', span };
      case 'createarray':
        return { kind: 'array', items: args(), span };
      case 'resourceid': {
        const vals = args();
        const typeIndex = vals.findIndex((v) => v.kind === 'string' && v.value.includes('/'));
        const type = typeIndex >= 0 ? vals[typeIndex] : undefined;
        const names = typeIndex >= 0 ? vals.slice(typeIndex + 1) : [];
        const allLiteral = names.length > 0 && names.every((n) => n.kind === 'string');
        return {
          kind: 'ref',
          resourceType: type?.kind === 'string' ? type.value.toLowerCase() : undefined,
          name: allLiteral ? names.map((n) => (n.kind === 'string' ? n.value : '')).join('/') : undefined,
          text: this.text,
          span,
        };
      }
      default:
        return this.unknown(`${written}() is evaluated at deployment`);
    }
  }
}
