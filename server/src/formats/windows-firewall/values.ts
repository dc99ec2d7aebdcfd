import type { Span } from '../../model';
import { type PsToken, tokenSpan } from './lexer';

/** A literal as the script wrote it; lists keep every item's own span for hovers and edits. */
export type Value =
  | { readonly kind: 'text'; readonly text: string; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Value[]; readonly span: Span }
  | { readonly kind: 'hash'; readonly entries: ReadonlyMap<string, { key: string; keySpan: Span; value: Value }>; readonly span: Span }
  /** A variable or expression the script does not assign a literal to. */
  | { readonly kind: 'unresolved'; readonly text: string; readonly span: Span; readonly reason: string };

export type Variables = Map<string, Value>;

const MAX_NESTING = 200;

/** Reads `a`, `'a','b'`, `@('a','b')`, `@{ k = v }`, `$var`, `(expr)`; stops at the end of the value. */
export class ValueReader {
  constructor(
    private readonly tokens: readonly PsToken[],
    private readonly vars: Variables,
    private readonly source: string,
  ) {}

  /** A comma list at `i`; returns the value and the index after it. */
  read(i: number): { value: Value; next: number } {
    const first = this.primary(i);
    let next = first.next;
    if (this.tokens[next]?.kind !== 'comma') return first;
    const items: Value[] = [first.value];
    while (this.tokens[next]?.kind === 'comma') {
      const item = this.primary(next + 1);
      items.push(item.value);
      next = item.next;
    }
    return { value: { kind: 'list', items, span: { start: first.value.span.start, end: items[items.length - 1].span.end } }, next };
  }

  private depth = 0;

  private primary(i: number): { value: Value; next: number } {
    const t = this.tokens[i];
    if (!t) {
      const at = this.tokens[this.tokens.length - 1]?.end ?? 0;
      return { value: { kind: 'unresolved', text: '', span: { start: at, end: at }, reason: 'a value is missing' }, next: i };
    }
    if (t.kind === 'array-open' || t.kind === 'hash-open' || t.kind === 'lparen') {
      // Nesting is read recursively: past a depth no script uses, the group is skipped rather than overflowing the stack.
      if (this.depth >= MAX_NESTING) {
        const close = this.matching(i);
        const span = { start: t.start, end: this.tokens[close - 1]?.end ?? t.end };
        return { value: { kind: 'unresolved', text: this.source.slice(span.start, span.end), span, reason: `nested more than ${MAX_NESTING} levels deep` }, next: close };
      }
      this.depth++;
      try {
        return this.group(t, i);
      } finally {
        this.depth--;
      }
    }
    switch (t.kind) {
      case 'word':
        return { value: { kind: 'text', text: t.value, span: tokenSpan(t) }, next: i + 1 };
      case 'string':
        return { value: t.expandable ? this.expand(t) : { kind: 'text', text: t.value, span: tokenSpan(t) }, next: i + 1 };
      case 'var':
        return { value: this.variable(t), next: i + 1 };
      default:
        return {
          value: { kind: 'unresolved', text: this.source.slice(t.start, t.end), span: tokenSpan(t), reason: 'not a literal value' },
          next: i + 1,
        };
    }
  }

  private group(t: PsToken, i: number): { value: Value; next: number } {
    switch (t.kind) {
      case 'array-open':
        return this.array(i);
      case 'hash-open':
        return this.hash(i);
      default: {
        const close = this.matching(i);
        const span = { start: t.start, end: this.tokens[close - 1]?.end ?? t.end };
        if (close - i === 3) {
          // `(1494)` or `('a','b')`: plain grouping.
          const inner = this.read(i + 1);
          if (inner.next === close - 1) return { value: inner.value, next: close };
        }
        return { value: { kind: 'unresolved', text: this.source.slice(span.start, span.end), span, reason: 'a computed expression' }, next: close };
      }
    }
  }

  /** Index just after the token that closes the group opened at `i`. */
  private matching(i: number): number {
    let depth = 0;
    for (let k = i; k < this.tokens.length; k++) {
      const kind = this.tokens[k].kind;
      if (kind === 'lparen' || kind === 'array-open' || kind === 'hash-open') depth++;
      else if (kind === 'rparen' || kind === 'rbrace') {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    return this.tokens.length;
  }

  private array(i: number): { value: Value; next: number } {
    const open = this.tokens[i];
    const items: Value[] = [];
    let k = i + 1;
    while (k < this.tokens.length && this.tokens[k].kind !== 'rparen') {
      const kind = this.tokens[k].kind;
      if (kind === 'comma' || kind === 'end') {
        k++;
        continue;
      }
      const v = this.primary(k);
      k = v.next > k ? v.next : k + 1;
      if (v.value.kind === 'list') items.push(...v.value.items);
      else items.push(v.value);
    }
    const end = this.tokens[k]?.end ?? this.tokens[k - 1]?.end ?? open.end;
    return { value: { kind: 'list', items, span: { start: open.start, end } }, next: k + 1 };
  }

  private hash(i: number): { value: Value; next: number } {
    const open = this.tokens[i];
    const entries = new Map<string, { key: string; keySpan: Span; value: Value }>();
    let k = i + 1;
    while (k < this.tokens.length && this.tokens[k].kind !== 'rbrace') {
      const t = this.tokens[k];
      if (t.kind === 'end') {
        k++;
        continue;
      }
      if ((t.kind === 'word' || t.kind === 'string') && this.tokens[k + 1]?.kind === 'equals') {
        const v = this.read(k + 2);
        entries.set(t.value.toLowerCase(), { key: t.value, keySpan: tokenSpan(t), value: v.value });
        k = v.next > k + 2 ? v.next : k + 3;
        continue;
      }
      k++;
    }
    const end = this.tokens[k]?.end ?? open.end;
    return { value: { kind: 'hash', entries, span: { start: open.start, end } }, next: k + 1 };
  }

  private variable(t: PsToken): Value {
    const name = t.value.toLowerCase();
    const span = tokenSpan(t);
    if (name === 'true' || name === 'false') return { kind: 'text', text: name === 'true' ? 'True' : 'False', span };
    const known = this.vars.get(name);
    if (known) return respan(known, span);
    return { kind: 'unresolved', text: `$${t.value}`, span, reason: `$${t.value} is not assigned a literal value in this script` };
  }

  /** `"$prefix.10"`: substitutes variables assigned a single literal; anything else stays unresolved. */
  private expand(t: PsToken): Value {
    const span = tokenSpan(t);
    const s = t.value;
    if (!s.includes('$')) return { kind: 'text', text: s, span };
    let out = '';
    for (let k = 0; k < s.length; k++) {
      if (s[k] !== '$') {
        out += s[k];
        continue;
      }
      let j = k + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j])) j++;
      const name = s.slice(k + 1, j).toLowerCase();
      const v = this.vars.get(name);
      if (!name || !v || v.kind !== 'text') {
        return { kind: 'unresolved', text: this.source.slice(t.start, t.end), span, reason: `"${s}" uses a variable that is not a literal in this script` };
      }
      out += v.text;
      k = j - 1;
    }
    return { kind: 'text', text: out, span };
  }
}

/** A variable's value seen where it is used: the use site is what a hover or finding points at. */
function respan(v: Value, span: Span): Value {
  return { ...v, span } as Value;
}

/** Flattens a value into its items (a scalar is a list of one). */
export function items(v: Value): Value[] {
  if (v.kind === 'list') return v.items.flatMap(items);
  return [v];
}
