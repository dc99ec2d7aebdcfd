import { LineIndex, type Action, type Comment, type Direction, type Field, type ParseProblem, type Rule, type Span } from '../../model';
import { tokenize, type Token } from './tokens';

/**
 * What the nftables readers share: tables with their chains and named sets,
 * the rules waiting to become Rules, the per-line cache of an open document,
 * and a cursor over tokens.
 */

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/**
 * The hooks a packet crosses (netfilter's order): to this host prerouting
 * then input; from it output then postrouting; through it prerouting,
 * forward, postrouting. A filter chain on any of them can drop it. The first
 * direction is the one the chain's rules are written for.
 */
export const HOOK_DIRECTIONS: Readonly<Record<string, readonly Direction[]>> = {
  prerouting: ['inbound', 'forward'],
  input: ['inbound'],
  forward: ['forward'],
  output: ['outbound'],
  postrouting: ['outbound', 'forward'],
};

export const HOOK_RANK: Readonly<Record<string, number>> = { prerouting: 0, input: 1, forward: 1, output: 1, postrouting: 2 };

export const NAMED_PRIORITY: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100, out: 100 };

export interface Table {
  readonly family: Family;
  readonly name: string;
  readonly chains: Map<string, Chain>;
  readonly sets: Map<string, NamedSet>;
}

export interface Chain {
  readonly table: Table;
  readonly name: string;
  span: Span;
  nameSpan: Span;
  base?: { type: string; hook: string; priority: number; priorityText: string; span: Span };
  policy?: Field<Action>;
  rules: PendingRule[];
}

export interface NamedSet {
  readonly name: string;
  type: string;
  /** Filled at run time (`flags dynamic`, `timeout`): what it holds cannot be known from the file. */
  dynamic: boolean;
  /** A map (`map NAME { type … : verdict; … }`): each element is `key : value`. */
  isMap: boolean;
  elements: Token[][];
  readonly span: Span;
}

export interface PendingRule {
  /** Empty for a rule taken from the cache: its line is read again only if what it was built with changed. */
  readonly tokens: Token[];
  readonly span: Span;
  readonly table: Table;
  readonly chain: string;
  readonly iteration?: string;
  /** The cache entry of the rule's line, when the rule is the whole of one line. */
  readonly entry?: LineEntry;
  /** Offset of that line's start. */
  readonly lineStart?: number;
}

/**
 * A line that held exactly one rule statement in a chain body, kept between
 * versions of a document keyed by its text. `rel` is the rule's span from the
 * line start; `built` the rules made from it, with spans at `base`.
 */
export interface LineEntry {
  readonly rel: Span;
  readonly comments: readonly Comment[];
  built: BuiltRule[];
  used: number;
}

interface BuiltRule {
  base: number;
  /** What the rule depends on besides its text: the table, its sets and chains, the defines, the hook's direction. */
  readonly env: string;
  rule: Rule;
  problems: readonly ParseProblem[];
}

export interface NftCache {
  readonly lines: Map<string, LineEntry>;
  generation: number;
}

export interface Context {
  readonly text: string;
  readonly lines: LineIndex;
  readonly problems: ParseProblem[];
  readonly tables: Map<string, Table>;
  readonly defines: Map<string, Token[]>;
  readonly tableOrder: Table[];
  readonly cache?: NftCache;
}

export function problem(ctx: Context, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
  ctx.problems.push({ code, message, span, severity });
}

export const join = (a: Span, b: Span): Span => ({ start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });

export function tableOf(ctx: Context, family: Family, name: string): Table {
  const key = `${family} ${name}`;
  let t = ctx.tables.get(key);
  if (!t) {
    t = { family, name, chains: new Map(), sets: new Map() };
    ctx.tables.set(key, t);
    ctx.tableOrder.push(t);
  }
  return t;
}

export function chainOf(table: Table, name: string, span: Span, nameSpan: Span): Chain {
  let c = table.chains.get(name);
  if (!c) {
    c = { table, name, span, nameSpan, rules: [] };
    table.chains.set(name, c);
  }
  return c;
}

/** A cursor over tokens with the few look-ahead helpers the grammar needs. */
export class Cursor {
  i = 0;
  constructor(readonly tokens: Token[]) {}
  get done(): boolean {
    return this.i >= this.tokens.length;
  }
  peek(k = 0): Token | undefined {
    const t = this.tokens[this.i + k];
    return t !== undefined && t.kind === 'cached' ? this.expand(this.i + k) : t;
  }
  next(): Token | undefined {
    const t = this.peek();
    this.i++;
    return t;
  }
  /** The token at the cursor as it is, a cached line included (only a chain body takes one whole). */
  raw(): Token | undefined {
    return this.tokens[this.i];
  }
  /** Replaces a cached line by its tokens, for a reader that meets it anywhere but at a chain-body statement. */
  private expand(at: number): Token | undefined {
    const t = this.tokens[at];
    const line = tokenize(t.text, (s, e) => ({ start: t.span.start + s, end: t.span.start + e }), undefined);
    this.tokens.splice(at, 1, ...line);
    return this.tokens[at];
  }
  is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && (t.kind === 'word' || t.kind === 'punct') && t.text === text;
  }
  skipEols(): void {
    // Looks at the tokens as they are: a cached line after the line breaks stays whole for readChainBody.
    for (let t = this.tokens[this.i]; t !== undefined && (t.kind === 'eol' || (t.kind === 'punct' && t.text === ';')); t = this.tokens[++this.i]);
  }
  /** Tokens up to the end of the statement (`;`, line end, or the closing brace of the block), braces balanced. */
  statement(): Token[] {
    const out: Token[] = [];
    let depth = 0;
    while (!this.done) {
      const t = this.peek() as Token;
      if (depth === 0 && (t.kind === 'eol' || (t.kind === 'punct' && (t.text === ';' || t.text === '}')))) break;
      if (t.kind === 'punct' && t.text === '{') depth++;
      if (t.kind === 'punct' && t.text === '}') depth--;
      // Inside braces line ends are only white space (multi-line element lists).
      if (!(depth > 0 && t.kind === 'eol')) out.push(t);
      this.i++;
    }
    return out;
  }
  /** Skips a `{ … }` block, the cursor on its `{`. */
  skipBlock(): void {
    let depth = 0;
    while (!this.done) {
      const t = this.next() as Token;
      if (t.kind === 'punct' && t.text === '{') depth++;
      else if (t.kind === 'punct' && t.text === '}' && --depth <= 0) return;
    }
  }
}
