import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import {
  LineIndex,
  RULE_DEFAULTS,
  shiftConditions,
  shiftField,
  shiftProblems,
  shiftSpan,
  shiftUnresolved,
  type Action,
  type Comment,
  type Direction,
  type Field,
  type MatchCondition,
  type ParsedFile,
  type ParseOptions,
  type ParseProblem,
  type ParseReuse,
  type Rule,
  type RuleSet,
  type RuleTarget,
  type Span,
  type Unresolved,
} from '../../model';
import { commandName, readShell, type ShellCommand } from '../shell';
import { tokenize, type SpanMapper, type Token } from './tokens';
import { firstPacketEffect, tcpFlagBits } from '../tcpFlags';

/**
 * `nft list ruleset` output, `.nft` files and shell scripts of `nft …`
 * commands. Each filter base chain on the input, output or forward hook is
 * a RuleSet; base chains on one hook are stages (an accept in one does not
 * stop the next, a drop is final). Other chain types and hooks are read,
 * kept with no direction, and a note says they are not evaluated.
 */

type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/**
 * The hooks a packet crosses (netfilter's order): to this host prerouting
 * then input; from it output then postrouting; through it prerouting,
 * forward, postrouting. A filter chain on any of them can drop it. The first
 * direction is the one the chain's rules are written for.
 */
const HOOK_DIRECTIONS: Readonly<Record<string, readonly Direction[]>> = {
  prerouting: ['inbound', 'forward'],
  input: ['inbound'],
  forward: ['forward'],
  output: ['outbound'],
  postrouting: ['outbound', 'forward'],
};
const HOOK_RANK: Readonly<Record<string, number>> = { prerouting: 0, input: 1, forward: 1, output: 1, postrouting: 2 };
const NAMED_PRIORITY: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100, out: 100 };

/** Service names nft reads from /etc/services that Citrix-relevant rules use. */
const SERVICES: Readonly<Record<string, number>> = {
  ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, kerberos: 88, ntp: 123, 'netbios-ns': 137, 'netbios-dgm': 138,
  'netbios-ssn': 139, ldap: 389, https: 443, 'microsoft-ds': 445, ldaps: 636, 'ms-sql-s': 1433, 'ms-wbt-server': 3389,
  radius: 1812, snmp: 161, syslog: 514, imap: 143, pop3: 110, ftp: 21, tftp: 69, bootps: 67, bootpc: 68, rdp: 3389,
  'citrix-ica': 1494, http_alt: 8080, 'http-alt': 8080, 'kerberos-adm': 749, kpasswd: 464, 'ms-sql-m': 1434,
};

interface Table {
  readonly family: Family;
  readonly name: string;
  readonly chains: Map<string, Chain>;
  readonly sets: Map<string, NamedSet>;
}

interface Chain {
  readonly table: Table;
  readonly name: string;
  span: Span;
  nameSpan: Span;
  base?: { type: string; hook: string; priority: number; priorityText: string; span: Span };
  policy?: Field<Action>;
  rules: PendingRule[];
}

interface NamedSet {
  readonly name: string;
  type: string;
  /** Filled at run time (`flags dynamic`, `timeout`): what it holds cannot be known from the file. */
  dynamic: boolean;
  /** A map (`map NAME { type … : verdict; … }`): each element is `key : value`. */
  isMap: boolean;
  elements: Token[][];
  readonly span: Span;
}

interface PendingRule {
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
interface LineEntry {
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

interface NftCache {
  readonly lines: Map<string, LineEntry>;
  generation: number;
}

interface Context {
  readonly text: string;
  readonly lines: LineIndex;
  readonly problems: ParseProblem[];
  readonly tables: Map<string, Table>;
  readonly defines: Map<string, Token[]>;
  readonly tableOrder: Table[];
  readonly cache?: NftCache;
}

function problem(ctx: Context, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
  ctx.problems.push({ code, message, span, severity });
}

const join = (a: Span, b: Span): Span => ({ start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });

function tableOf(ctx: Context, family: Family, name: string): Table {
  const key = `${family} ${name}`;
  let t = ctx.tables.get(key);
  if (!t) {
    t = { family, name, chains: new Map(), sets: new Map() };
    ctx.tables.set(key, t);
    ctx.tableOrder.push(t);
  }
  return t;
}

function chainOf(table: Table, name: string, span: Span, nameSpan: Span): Chain {
  let c = table.chains.get(name);
  if (!c) {
    c = { table, name, span, nameSpan, rules: [] };
    table.chains.set(name, c);
  }
  return c;
}

/** A cursor over tokens with the few look-ahead helpers the grammar needs. */
class Cursor {
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

export function parseNftables(text: string, uri: string, options?: ParseOptions): ParsedFile {
  const shellScript = isShellScript(text);
  const cache = shellScript ? undefined : cacheOf(options?.reuse);
  const ctx: Context = { text, lines: new LineIndex(text), problems: [], tables: new Map(), defines: new Map(), tableOrder: [], cache };
  const comments: Comment[] = [];
  const shell = shellScript;
  const cr = text.indexOf('\r\n');
  if (!shell && cr >= 0) problem(ctx, 'syntax-error', 'nft rejects Windows (CRLF) line endings ("unexpected junk"); save the file with LF endings', { start: cr, end: cr + 2 }, 'warning');
  if (shell) {
    const script = readShell(text);
    ctx.problems.push(...script.problems);
    comments.push(...script.comments);
    for (const s of script.sourced) problem(ctx, 'unresolved-value', `"${s.path}" is sourced but not read: variables it sets stay unknown`, s.span, 'info');
    for (const cmd of script.commands) if (commandName(cmd.words[0]) === 'nft') runShellCommand(ctx, cmd, comments);
  } else {
    const tokens = cache ? tokenizeReusing(text, cache, comments) : tokenize(text, undefined, comments);
    readTop(ctx, new Cursor(tokens), undefined);
  }
  const ruleSets = buildRuleSets(ctx);
  if (cache && cache.lines.size > 2 * ctx.lines.lineCount + 1000) {
    // Lines no recent version had: an edit leaves one behind per keystroke.
    for (const [key, e] of cache.lines) if (cache.generation - e.used > 2) cache.lines.delete(key);
  }
  return { uri, format: 'nftables', text, ruleSets, problems: ctx.problems, comments };
}

function cacheOf(reuse: ParseReuse | undefined): NftCache | undefined {
  if (!reuse) return undefined;
  let cache = reuse.nftables as NftCache | undefined;
  if (!cache) reuse.nftables = cache = { lines: new Map(), generation: 0 };
  cache.generation++;
  return cache;
}

function endsWithBackslash(text: string, start: number, end: number): boolean {
  let k = end;
  if (k > start && text.charCodeAt(k - 1) === 13) k--;
  return k > start && text.charCodeAt(k - 1) === 92;
}

/**
 * Tokens of the whole file, except that a line which was one rule in a chain
 * body in an earlier version becomes a single `cached` token: the chain body
 * takes it as that rule without reading it, any other reader expands it.
 */
function tokenizeReusing(text: string, cache: NftCache, comments: Comment[]): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let runStart = 0;
  let i = 0;
  let prevContinues = false;
  while (i < n) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd < 0) lineEnd = n;
    const entry = prevContinues ? undefined : cache.lines.get(text.slice(i, lineEnd));
    prevContinues = endsWithBackslash(text, i, lineEnd);
    if (entry) {
      if (runStart < i) tokenize(text, undefined, comments, runStart, i, out);
      entry.used = cache.generation;
      for (const c of entry.comments) comments.push({ span: shiftSpan(c.span, i), text: c.text });
      out.push({ kind: 'cached', text: text.slice(i, lineEnd), span: { start: i, end: lineEnd }, entry } as Token);
      if (lineEnd < n) out.push({ kind: 'eol', text: '\n', span: { start: lineEnd, end: lineEnd + 1 } });
      runStart = i = lineEnd + 1;
      continue;
    }
    i = lineEnd + 1;
  }
  if (runStart < n) tokenize(text, undefined, comments, runStart, n, out);
  return out;
}

/** A script calls `nft`; an nft file starts with `table`, `flush`, `define`, `add`, `include` or a `#!…nft` line. */
function isShellScript(text: string): boolean {
  let i = 0;
  const n = text.length;
  while (i < n) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = n;
    const line = text.slice(i, end).replace(/^[\uFEFF\s]+/, '');
    i = end + 1;
    if (line.startsWith('#!')) return !/\bnft\b/.test(line);
    if (line === '' || line.startsWith('#')) continue;
    if (/^(table|flush|define|add|create|insert|include|delete|destroy|replace|list)\b/.test(line)) return false;
    if (/(^|[\s/])nft\s/.test(line) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(line) || /^(for|set|export|if)\b/.test(line)) return true;
  }
  return false;
}

function runShellCommand(ctx: Context, cmd: ShellCommand, comments: Comment[]): void {
  const words = cmd.words.slice(1);
  let k = 0;
  while (k < words.length && words[k].value.startsWith('-') && words[k].value !== '-f' && words[k].value !== '--file') k++;
  if (words[k]?.value === '-f' || words[k]?.value === '--file') {
    const file = words[k + 1];
    if (cmd.hereDoc && (file?.value === '-' || file?.value === '/dev/stdin')) {
      const base = cmd.hereDoc.span.start;
      const tokens = tokenize(cmd.hereDoc.text, (s, e) => ({ start: base + s, end: base + e }), comments);
      readTop(ctx, new Cursor(tokens), cmd.iteration);
      return;
    }
    problem(ctx, 'unresolved-value', `nft -f ${file?.raw ?? ''}: the file is not read here, so its rules are unknown`, cmd.span, 'info');
    return;
  }
  const args = words.slice(k);
  if (args.length === 0) return;
  // Join the words into one nft command and keep a map back to where each came from.
  let joined = '';
  const segments: { from: number; to: number; start: number; end: number; exact: boolean; shift: number }[] = [];
  for (const w of args) {
    if (joined) joined += ' ';
    const from = joined.length;
    joined += w.value;
    let shift = 0;
    let exact = w.exact;
    if (!exact && w.unresolved.length === 0 && w.raw.length === w.value.length + 2 && /^(['"]).*\1$/s.test(w.raw) && w.raw.slice(1, -1) === w.value) {
      exact = true;
      shift = 1;
    }
    segments.push({ from, to: joined.length, start: w.span.start, end: w.span.end, exact, shift });
  }
  const map: SpanMapper = (s, e) => {
    const seg = segments.find((g) => s >= g.from && s <= g.to) ?? segments[segments.length - 1];
    const segEnd = segments.find((g) => e >= g.from && e <= g.to) ?? seg;
    return {
      start: seg.exact ? seg.start + seg.shift + (s - seg.from) : seg.start,
      end: segEnd.exact ? segEnd.start + segEnd.shift + (e - segEnd.from) : segEnd.end,
    };
  };
  const unresolvedWords = args.filter((w) => w.unresolved.length);
  for (const w of unresolvedWords) for (const u of w.unresolved) problem(ctx, 'unresolved-value', `${u.text}: ${u.reason}`, u.span ?? w.span, 'info');
  const tokens = tokenize(joined, map, undefined);
  readTop(ctx, new Cursor(tokens), cmd.iteration, cmd.span);
}

function readFamily(c: Cursor): Family {
  const t = c.peek();
  if (t?.kind === 'word' && FAMILIES.has(t.text) && c.peek(1)?.kind === 'word') {
    c.next();
    return t.text as Family;
  }
  return 'ip';
}

/** Top-level statements of an nft file (or one shell `nft …` command). */
function readTop(ctx: Context, c: Cursor, iteration: string | undefined, commandSpan?: Span): void {
  for (;;) {
    c.skipEols();
    if (c.done) return;
    const t = c.peek() as Token;
    const word = t.kind === 'word' ? t.text : '';
    if (word === 'define' || word === 'redefine') {
      c.next();
      const name = c.next();
      if (!c.is('=')) {
        problem(ctx, 'syntax-error', 'define NAME = value', t.span, 'error');
        c.statement();
        continue;
      }
      c.next();
      const value = c.statement();
      if (name) ctx.defines.set(name.text, value);
      continue;
    }
    if (word === 'undefine') {
      c.next();
      const name = c.next();
      if (name) ctx.defines.delete(name.text);
      c.statement();
      continue;
    }
    if (word === 'include') {
      const stmt = c.statement();
      const file = stmt.find((s) => s.kind === 'string');
      problem(ctx, 'unresolved-value', `include "${file?.text ?? ''}" is not read: rules it holds are unknown`, join(t.span, stmt[stmt.length - 1].span), 'info');
      continue;
    }
    if (word === 'flush') {
      c.next();
      const what = c.next()?.text;
      if (what === 'ruleset') {
        ctx.tables.clear();
        ctx.tableOrder.length = 0;
      } else if (what === 'table' || what === 'chain') {
        const family = readFamily(c);
        const table = ctx.tables.get(`${family} ${c.next()?.text ?? ''}`);
        const chainName = what === 'chain' ? c.next()?.text : undefined;
        for (const ch of table?.chains.values() ?? []) if (!chainName || ch.name === chainName) ch.rules = [];
      }
      c.statement();
      continue;
    }
    if (word === 'table') {
      c.next();
      readTableDecl(ctx, c, t.span);
      continue;
    }
    if (word === 'add' || word === 'create' || word === 'insert' || word === 'replace') {
      c.next();
      const what = c.next();
      if (what?.text === 'table') readTableDecl(ctx, c, t.span);
      else if (what?.text === 'chain') readChainCommand(ctx, c, t.span, commandSpan);
      else if (what?.text === 'rule') readRuleCommand(ctx, c, word, iteration, t.span, commandSpan);
      else if (what?.text === 'set' || what?.text === 'map') readSetCommand(ctx, c, what.text === 'map');
      else if (what?.text === 'element') readElementCommand(ctx, c);
      else {
        c.statement();
      }
      continue;
    }
    if (word === 'delete' || word === 'destroy' || word === 'list' || word === 'reset' || word === 'rename' || word === 'monitor' || word === 'describe' || word === 'export') {
      const stmt = c.statement();
      if (word !== 'list' && word !== 'monitor' && word !== 'describe' && word !== 'export') {
        problem(ctx, 'unparsed-rule', `"${word} …" is not applied: handles and later states are not modelled`, join(t.span, stmt[stmt.length - 1].span));
      }
      continue;
    }
    const stmt = c.statement();
    if (c.is('}')) c.next();
    const last = stmt[stmt.length - 1] ?? t;
    problem(ctx, 'syntax-error', `"${t.text}" does not start an nft statement (table, define, add, flush, include, …)`, join(t.span, last.span), 'error');
  }
}

function readTableDecl(ctx: Context, c: Cursor, startSpan: Span): void {
  const family = readFamily(c);
  const nameTok = c.next();
  if (!nameTok) return problem(ctx, 'syntax-error', 'table needs a name', startSpan, 'error');
  const table = tableOf(ctx, family, nameTok.text);
  if (!c.is('{')) return;
  c.next();
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `table ${nameTok.text} is not closed with "}"`, nameTok.span, 'error');
    if (c.is('}')) {
      c.next();
      return;
    }
    const t = c.next() as Token;
    if (t.text === 'chain') {
      const name = c.next();
      if (!name) return;
      const chain = chainOf(table, name.text, join(t.span, name.span), name.span);
      chain.span = join(t.span, name.span);
      if (c.is('{')) {
        c.next();
        readChainBody(ctx, c, chain, undefined);
      }
    } else if (t.text === 'set' || t.text === 'map') {
      const name = c.next();
      if (!name) return;
      if (c.is('{')) {
        c.next();
        readSetBody(ctx, c, table, name, t.text === 'map');
      }
    } else if (t.text === 'flags' || t.text === 'comment') {
      c.statement();
    } else if (c.is('{') || t.kind === 'word') {
      // flowtable, counter, quota, ct helper, …: objects rules may refer to but that filter nothing by themselves.
      const rest = c.statement();
      if (c.is('{')) c.skipBlock();
      else if (rest.length && rest[rest.length - 1].text === '{') c.skipBlock();
      if (!['flowtable', 'counter', 'quota', 'ct', 'limit', 'secmark', 'synproxy'].includes(t.text)) {
        problem(ctx, 'syntax-error', `"${t.text}" is not a table member`, t.span, 'error');
      }
    }
  }
}

/** Reads statements up to the closing `}` of a chain. */
function readChainBody(ctx: Context, c: Cursor, chain: Chain, iteration: string | undefined): void {
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `chain ${chain.name} is not closed with "}"`, chain.nameSpan, 'error');
    const raw = c.raw();
    if (raw && raw.kind === 'cached') {
      const entry = (raw as CachedToken).entry;
      const lineStart = raw.span.start;
      chain.rules.push({ tokens: [], span: shiftSpan(entry.rel, lineStart), table: chain.table, chain: chain.name, iteration, entry, lineStart });
      c.i++;
      continue;
    }
    if (c.is('}')) {
      c.next();
      return;
    }
    const stmt = c.statement();
    if (stmt.length === 0) {
      c.next();
      continue;
    }
    const head = stmt[0].text;
    if (head === 'type' && stmt[0].kind === 'word') readBaseChain(ctx, chain, stmt);
    else if (head === 'policy' && stmt[0].kind === 'word') readPolicy(ctx, chain, stmt);
    else if (head === 'comment' && stmt.length === 2) continue;
    else if (head === 'devices' || head === 'device' || head === 'flags') continue;
    else {
      const span = join(stmt[0].span, stmt[stmt.length - 1].span);
      const line = ctx.cache && iteration === undefined ? cacheableLine(ctx, c, span) : undefined;
      chain.rules.push({ tokens: stmt, span, table: chain.table, chain: chain.name, iteration, entry: line?.entry, lineStart: line?.start });
    }
  }
}

type CachedToken = Token & { readonly entry: LineEntry };

/**
 * The line of a rule just read, with a new cache entry, when the rule is all
 * the line holds (white space and a comment aside) and the line stands alone:
 * then the same text is the same rule wherever a chain body meets it again.
 */
function cacheableLine(ctx: Context, c: Cursor, span: Span): { entry: LineEntry; start: number } | undefined {
  const cache = ctx.cache as NftCache;
  const text = ctx.text;
  const next = c.tokens[c.i];
  let lineEnd = text.indexOf('\n', span.start);
  if (lineEnd < 0) lineEnd = text.length;
  if (next ? next.kind !== 'eol' || next.span.start !== lineEnd : lineEnd !== text.length) return undefined;
  const start = text.lastIndexOf('\n', span.start - 1) + 1;
  for (let k = start; k < span.start; k++) {
    const code = text.charCodeAt(k);
    if (!(code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xfeff)) return undefined;
  }
  if (endsWithBackslash(text, start, lineEnd) || (start > 0 && endsWithBackslash(text, text.lastIndexOf('\n', start - 2) + 1, start - 1))) return undefined;
  const key = text.slice(start, lineEnd);
  if (cache.lines.has(key)) return { entry: cache.lines.get(key) as LineEntry, start };
  // The line's comment was read with the other tokens; the entry keeps it to give it back when the line is not read.
  const comments: Comment[] = [];
  const hash = text.indexOf('#', span.end);
  if (hash >= 0 && hash < lineEnd) {
    let contentEnd = lineEnd;
    if (text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
    comments.push({ span: { start: hash - start, end: contentEnd - start }, text: text.slice(hash + 1, contentEnd).trim() });
  }
  const entry: LineEntry = { rel: { start: span.start - start, end: span.end - start }, comments, built: [], used: cache.generation };
  cache.lines.set(key, entry);
  return { entry, start };
}

function readBaseChain(ctx: Context, chain: Chain, stmt: Token[]): void {
  const type = stmt[1]?.text ?? '';
  const hookAt = stmt.findIndex((t) => t.text === 'hook');
  const prioAt = stmt.findIndex((t) => t.text === 'priority');
  const hook = hookAt >= 0 ? stmt[hookAt + 1]?.text ?? '' : '';
  let priority = 0;
  let priorityText = '';
  if (prioAt >= 0) {
    const parts = stmt.slice(prioAt + 1).filter((t) => t.text !== 'device' && t.kind !== 'string');
    priorityText = parts.map((p) => p.text).join(' ');
    const value = evalPriority(ctx, parts);
    if (value === undefined) problem(ctx, 'syntax-error', `priority "${priorityText}" is not understood; taken as 0`, stmt[prioAt].span);
    priority = value ?? 0;
  } else problem(ctx, 'syntax-error', 'a base chain needs a priority', stmt[0].span, 'error');
  if (!['filter', 'nat', 'route'].includes(type)) problem(ctx, 'syntax-error', `chain type "${type}" is not filter, nat or route`, stmt[1]?.span ?? stmt[0].span, 'error');
  chain.base = { type, hook, priority, priorityText, span: join(stmt[0].span, stmt[stmt.length - 1].span) };
}

function evalPriority(ctx: Context, parts: Token[]): number | undefined {
  const expanded: Token[] = [];
  for (const p of parts) {
    if (p.kind === 'var') expanded.push(...(ctx.defines.get(p.text) ?? [p]));
    else expanded.push(p);
  }
  const words = expanded.flatMap((t) => (t.kind === 'word' ? t.text.split(/(?=[+-])|(?<=[+-])/) : [t.text])).filter((w) => w !== '');
  let value: number | undefined;
  let sign = 1;
  for (const w of words) {
    if (w === '+') sign = 1;
    else if (w === '-') sign = -1;
    else {
      const n = /^\d+$/.test(w) ? Number(w) : NAMED_PRIORITY[w];
      if (n === undefined) return undefined;
      value = (value ?? 0) + sign * n;
      sign = 1;
    }
  }
  return value;
}

function readPolicy(ctx: Context, chain: Chain, stmt: Token[]): void {
  const t = stmt[1];
  let text: string | undefined = t?.text;
  if (t?.kind === 'var') text = ctx.defines.get(t.text)?.[0]?.text;
  if (!t || (text !== 'accept' && text !== 'drop')) {
    problem(ctx, 'syntax-error', `policy is accept or drop, not "${t?.text ?? ''}"`, (t ?? stmt[0]).span, 'error');
    return;
  }
  chain.policy = { value: text === 'accept' ? 'allow' : 'deny', span: t.span, text: t.kind === 'var' ? `$${t.text}` : t.text };
}

/** `add chain [family] table chain [{ type … ; policy … ; }]` */
function readChainCommand(ctx: Context, c: Cursor, startSpan: Span, commandSpan?: Span): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return problem(ctx, 'syntax-error', 'add chain [family] TABLE CHAIN', startSpan, 'error');
  const table = tableOf(ctx, family, tableName.text);
  const chain = chainOf(table, name.text, commandSpan ?? join(startSpan, name.span), name.span);
  if (c.is('{')) {
    c.next();
    readChainBody(ctx, c, chain, undefined);
  }
}

/** `add|insert rule [family] table chain [position|index|handle N] statements…` */
function readRuleCommand(ctx: Context, c: Cursor, verb: string, iteration: string | undefined, startSpan: Span, commandSpan?: Span): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return problem(ctx, 'syntax-error', `${verb} rule [family] TABLE CHAIN …`, startSpan, 'error');
  const table = tableOf(ctx, family, tableName.text);
  const chain = chainOf(table, name.text, commandSpan ?? startSpan, name.span);
  if (c.is('position') || c.is('handle') || c.is('index')) {
    const kw = c.next() as Token;
    c.next();
    problem(ctx, 'unparsed-rule', `"${kw.text}" refers to rule handles we cannot see; the rule is placed ${verb === 'insert' ? 'first' : 'last'}`, kw.span, 'info');
  }
  const stmt = c.statement();
  if (stmt.length === 0) return problem(ctx, 'syntax-error', 'the rule is empty', startSpan, 'error');
  const rule: PendingRule = { tokens: stmt, span: commandSpan ?? join(startSpan, stmt[stmt.length - 1].span), table, chain: chain.name, iteration };
  if (verb === 'insert') chain.rules.unshift(rule);
  else chain.rules.push(rule);
}

function readSetCommand(ctx: Context, c: Cursor, isMap: boolean): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return;
  const table = tableOf(ctx, family, tableName.text);
  if (c.is('{')) {
    c.next();
    readSetBody(ctx, c, table, name, isMap);
  }
}

function readElementCommand(ctx: Context, c: Cursor): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  const stmt = c.statement();
  const set = tableName && name ? ctx.tables.get(`${family} ${tableName.text}`)?.sets.get(name.text) : undefined;
  if (!set) {
    if (name) problem(ctx, 'syntax-error', `set ${name.text} is not declared before its elements`, name.span, 'error');
    return;
  }
  set.elements.push(...splitElements(stmt));
}

function readSetBody(ctx: Context, c: Cursor, table: Table, nameTok: Token, isMap: boolean): void {
  const set: NamedSet = table.sets.get(nameTok.text) ?? { name: nameTok.text, type: '', dynamic: false, isMap, elements: [], span: nameTok.span };
  table.sets.set(nameTok.text, set);
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `set ${nameTok.text} is not closed with "}"`, nameTok.span, 'error');
    if (c.is('}')) {
      c.next();
      return;
    }
    const stmt = c.statement();
    if (stmt.length === 0) {
      c.next();
      continue;
    }
    const head = stmt[0].text;
    if (head === 'type' || head === 'typeof') set.type = stmt.slice(1).map((t) => t.text).join(' ');
    else if (head === 'flags' && stmt.some((t) => t.text === 'dynamic' || t.text === 'timeout')) set.dynamic = true;
    else if (head === 'timeout') set.dynamic = true;
    else if (head === 'elements') set.elements.push(...splitElements(stmt.slice(2)));
  }
}

/** `{ a, b, c }` → [[a], [b], [c]]; concatenations and element options stay in their group. */
function splitElements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'eol') continue;
    if (t.kind === 'punct' && t.text === '{') {
      if (depth++ === 0) continue;
    }
    if (t.kind === 'punct' && t.text === '}') {
      if (--depth === 0) continue;
    }
    if (t.kind === 'punct' && t.text === ',' && depth === 1) {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length) out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------
// Rules

interface Value {
  /** The element groups (one token list per element). */
  readonly elements: Token[][];
  readonly setRef?: Token;
  readonly variable?: Token;
  readonly span: Span;
  readonly negated: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RuleFields = Mutable<Pick<Partial<Rule>, 'protocols' | 'source' | 'destination' | 'sourcePorts' | 'destinationPorts' | 'comment'>>;

interface RuleBuild {
  fields: RuleFields;
  conditions: MatchCondition[];
  unresolved: Unresolved[];
  target?: RuleTarget;
  l3?: 4 | 6;
  l4?: ProtocolSet;
  /**
   * A lookup in a set of concatenations or a verdict map: the rule matches
   * when the packet's key is one of the elements (each with its own verdict
   * in a map), so it becomes one rule per element. Elements of a set or map
   * never overlap, so their order does not matter.
   */
  alternatives?: Alternative[];
}

interface Alternative {
  readonly label: string;
  readonly fields: RuleFields;
  readonly l3?: 4 | 6;
  readonly l4?: ProtocolSet;
  readonly target?: RuleTarget;
}

/** A packet field a set or map lookup can key on. */
interface Selector {
  readonly field: 'source' | 'destination' | 'destinationPorts' | 'sourcePorts' | 'protocols';
  readonly l3?: 4 | 6;
  readonly l4?: ProtocolSet;
}

const PORT_PROTOCOLS = ['tcp', 'udp', 'th', 'sctp', 'dccp', 'udplite'];

function transportOf(w: string): ProtocolSet {
  if (w === 'tcp') return Protocols.of(TCP);
  if (w === 'udp') return Protocols.of(UDP);
  if (w === 'th') return Protocols.of(TCP, UDP, 132, 33, 136);
  const p = parseProtocol(w);
  return p.ok ? p.value : Protocols.any();
}

/** `ip saddr`, `ip6 daddr`, `tcp dport`, `th sport`, `meta l4proto`, `ip protocol`: the selector starting at `t` (already taken). */
function readSelector(t: Token, c: Cursor): Selector | undefined {
  const w = t.text;
  if (t.kind !== 'word') return undefined;
  if ((w === 'ip' || w === 'ip6') && (c.is('saddr') || c.is('daddr'))) {
    const f = c.next() as Token;
    return { field: f.text === 'saddr' ? 'source' : 'destination', l3: w === 'ip' ? 4 : 6 };
  }
  if ((w === 'ip' && c.is('protocol')) || (w === 'ip6' && c.is('nexthdr'))) {
    c.next();
    return { field: 'protocols', l3: w === 'ip' ? 4 : 6 };
  }
  if (w === 'meta' && c.is('l4proto')) {
    c.next();
    return { field: 'protocols' };
  }
  if (PORT_PROTOCOLS.includes(w) && (c.is('dport') || c.is('sport'))) {
    const f = c.next() as Token;
    return { field: f.text === 'dport' ? 'destinationPorts' : 'sourcePorts', l4: transportOf(w) };
  }
  return undefined;
}

const isDot = (t: Token | undefined): boolean => t !== undefined && t.kind === 'word' && t.text === '.';
const ELEMENT_OPTIONS = new Set(['timeout', 'expires', 'comment', 'counter']);

/** A map element `key : verdict` (also written `key: verdict` or `key:verdict`), split at its colon. */
function splitMapElement(el: Token[]): { key: Token[]; value: Token[] } | undefined {
  const at = el.findIndex((t) => t.kind === 'word' && t.text === ':');
  if (at >= 0) return { key: el.slice(0, at), value: el.slice(at + 1) };
  for (let i = 0; i < el.length; i++) {
    const t = el[i];
    if (t.kind !== 'word') continue;
    const m = /^(.*[^:]):([a-z]+)?$/.exec(t.text);
    if (!m || (m[2] !== undefined && !VERDICTS.has(m[2]))) continue;
    const keyTok: Token = { kind: 'word', text: m[1], span: { start: t.span.start, end: t.span.start + m[1].length } };
    const rest: Token[] = m[2] ? [{ kind: 'word', text: m[2], span: { start: t.span.end - m[2].length, end: t.span.end } }] : [];
    return { key: [...el.slice(0, i), keyTok], value: [...rest, ...el.slice(i + 1)] };
  }
  return undefined;
}

/**
 * A lookup keyed on one or more selectors joined by `.`: `ip saddr . tcp
 * dport @pairs`, `… { 10.0.0.1 . 1494 }`, `tcp dport vmap { 1494 : accept,
 * 2598 : drop }`, `… vmap @name`. The first selector is already read.
 */
function readLookup(ctx: Context, b: RuleBuild, c: Cursor, start: Token, first: Selector, rule: PendingRule, chains: ReadonlyMap<string, Chain>): void {
  const selectors = [first];
  const fail = (message: string): void => {
    const last = c.tokens[Math.max(0, c.i - 1)] ?? start;
    const span = join(start.span, last.span);
    problem(ctx, 'unparsed-rule', message, span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
  };
  while (isDot(c.peek())) {
    c.next();
    const t = c.next();
    const next = t ? readSelector(t, c) : undefined;
    if (!next) return fail(`"${t?.text ?? ''}" in a concatenation is not a field read here (ip saddr, tcp dport, meta l4proto, …); flows this rule may decide are unknown`);
    selectors.push(next);
  }
  const isMap = c.is('vmap');
  if (isMap) c.next();
  else if (c.is('map')) return fail('a data map (map …) gives a value, not a verdict; flows this rule may decide are unknown');
  const negated = !isMap && (c.is('!=') || c.is('ne'));
  if (negated || c.is('==') || c.is('eq')) c.next();
  const v = c.peek();
  let elements: Token[][];
  let what: string;
  if (v?.kind === 'setref') {
    c.next();
    const set = rule.table.sets.get(v.text);
    what = `@${v.text}`;
    if (!set || set.dynamic || set.isMap !== isMap) {
      const reason = !set ? `the ${isMap ? 'map' : 'set'} is not declared in this file` : set.dynamic ? `the ${isMap ? 'map' : 'set'} is filled at run time` : `@${v.text} is ${set.isMap ? 'a map' : 'a set'}`;
      b.unresolved.push({ text: what, span: v.span, reason });
      b.conditions.push({ kind: 'other', text: textOf(ctx, join(start.span, v.span)), span: join(start.span, v.span), effect: 'unknown' });
      return;
    }
    elements = set.elements;
  } else if (v?.kind === 'punct' && v.text === '{') {
    const from = c.i;
    c.skipBlock();
    elements = expandVars(ctx, splitElements(c.tokens.slice(from, c.i)), 0);
    what = 'the anonymous set';
  } else if (!isMap && v && v.kind === 'word') {
    // One concatenated value written inline: `ip saddr . tcp dport 10.0.0.1 . 1494`.
    const el: Token[] = [c.next() as Token];
    while (isDot(c.peek())) {
      el.push(c.next() as Token);
      const w = c.next();
      if (w) el.push(w);
    }
    elements = [el];
    what = 'the value';
  } else return fail('a set or map lookup needs @name or { … }; flows this rule may decide are unknown');
  if (negated) return fail(`"!=" on a concatenation is not modelled; flows this rule may decide are unknown`);
  const alternatives: Alternative[] = [];
  for (const raw of elements) {
    let el = raw.filter((t) => t.kind !== 'string');
    const optionAt = el.findIndex((t) => t.kind === 'word' && ELEMENT_OPTIONS.has(t.text));
    let target: RuleTarget | undefined;
    if (isMap) {
      const kv = splitMapElement(el);
      const vc = kv ? new Cursor(kv.value) : undefined;
      const vt = vc?.next();
      if (!kv || !vt || !VERDICTS.has(vt.text)) return fail(`an element of ${what} is not "key : verdict"; flows this rule may decide are unknown`);
      target = readVerdict(ctx, b, vc as Cursor, vt, chains);
      el = kv.key;
    } else if (optionAt >= 0) el = el.slice(0, optionAt);
    const parts: Token[][] = [[]];
    for (const t of el) {
      if (isDot(t)) parts.push([]);
      else parts[parts.length - 1].push(t);
    }
    if (parts.length !== selectors.length || parts.some((p) => p.length === 0)) {
      return fail(`an element of ${what} has ${parts.length} part(s) for ${selectors.length} field(s); flows this rule may decide are unknown`);
    }
    const fields: RuleFields = {};
    let l3: 4 | 6 | undefined;
    let l4: ProtocolSet | undefined;
    for (let k = 0; k < selectors.length; k++) {
      const sel = selectors[k];
      const part = parts[k];
      const span = join(part[0].span, part[part.length - 1].span);
      const value: Value = { elements: [part], span, negated: false };
      if (sel.l3) l3 = sel.l3;
      if (sel.l4) l4 = l4 ? l4.intersect(sel.l4) : sel.l4;
      const text = textOf(ctx, span);
      if (sel.field === 'source' || sel.field === 'destination') {
        fields[sel.field] = { value: addresses(ctx, value, rule.table, b.unresolved), span, text };
      } else if (sel.field === 'protocols') {
        const p = parseProtocol(part[0].text === 'ipv6-icmp' ? 'icmpv6' : part[0].text);
        if (!p.ok) return fail(`${part[0].text}: ${p.error}`);
        fields.protocols = { value: p.value, span, text };
        l4 = l4 ? l4.intersect(p.value) : p.value;
      } else {
        const ports = portsOf(ctx, value, rule.table, b);
        if (!ports) return;
        fields[sel.field] = { value: ports, span, text };
      }
    }
    alternatives.push({ label: parts.map((p) => p.map((t) => t.text).join('')).join(' . '), fields, l3, l4, target });
  }
  b.alternatives = b.alternatives ? combineAlternatives(b.alternatives, alternatives) : alternatives;
}

/** Two lookups in one rule: every pair of elements, as both must match. */
function combineAlternatives(a: readonly Alternative[], b: readonly Alternative[]): Alternative[] {
  const out: Alternative[] = [];
  for (const x of a) {
    for (const y of b) {
      out.push({ label: `${x.label}, ${y.label}`, fields: mergeFields(x.fields, y.fields), l3: y.l3 ?? x.l3, l4: x.l4 && y.l4 ? x.l4.intersect(y.l4) : (x.l4 ?? y.l4), target: y.target ?? x.target });
      if (out.length > 4096) return out;
    }
  }
  return out;
}

/** The fields of a rule's plain matches together with one lookup element's: both hold, so each field is the intersection. */
function mergeFields(base: RuleFields, extra: RuleFields): RuleFields {
  const out: RuleFields = { ...base };
  for (const k of ['protocols', 'sourcePorts', 'destinationPorts'] as const) {
    const e = extra[k];
    if (!e) continue;
    const have = out[k];
    out[k] = have ? { ...e, value: have.value.intersect(e.value) } : e;
  }
  for (const k of ['source', 'destination'] as const) {
    const e = extra[k];
    if (!e) continue;
    const have = out[k];
    if (!have) out[k] = e;
    else if (have.value.isConcrete && e.value.isConcrete) out[k] = { ...e, value: have.value.intersect(e.value) };
    // With a name on either side the intersection cannot be written: the narrower concrete one stands.
    else out[k] = e.value.isConcrete ? e : have;
  }
  return out;
}

const LOOKUP_START = new Set(['ip', 'ip6', 'meta', ...PORT_PROTOCOLS]);

const VERDICTS = new Set(['accept', 'drop', 'reject', 'jump', 'goto', 'return', 'queue', 'continue']);
/** Statements that act on the packet without deciding its fate, with the number of words their arguments take. */
const STATEMENT_WORDS = new Set(['counter', 'log', 'limit', 'notrack', 'meter', 'set', 'update', 'add', 'quota', 'dnat', 'snat', 'masquerade', 'redirect']);

/** Reads the tokens of one rule into matches and a verdict. Unknown expressions make the rule's verdict unknown, not wrong. */
function readRuleTokens(ctx: Context, rule: PendingRule, chains: ReadonlyMap<string, Chain>): RuleBuild {
  const b: RuleBuild = { fields: {}, conditions: [], unresolved: [] };
  const c = new Cursor(rule.tokens);
  const unknownExpr = (from: Token, to: Token, message: string): void => {
    const span = join(from.span, to.span);
    problem(ctx, 'unparsed-rule', message, span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
  };
  while (!c.done) {
    const t = c.next() as Token;
    const w = t.text;
    if (t.kind === 'string') continue;
    if (t.kind === 'word' && LOOKUP_START.has(w)) {
      const mark = c.i;
      const selector = readSelector(t, c);
      if (selector && (isDot(c.peek()) || c.is('vmap'))) {
        readLookup(ctx, b, c, t, selector, rule, chains);
        continue;
      }
      c.i = mark;
    }
    if (w === 'ip' || w === 'ip6') {
      const field = c.next();
      if (!field) return b;
      if (w === 'ip' && field.text === 'protocol') {
        readProtocol(ctx, b, c, t);
        b.l3 = 4;
        continue;
      }
      if (w === 'ip6' && field.text === 'nexthdr') {
        readProtocol(ctx, b, c, t);
        b.l3 = 6;
        continue;
      }
      b.l3 = w === 'ip' ? 4 : 6;
      if (field.text === 'saddr' || field.text === 'daddr') {
        const value = readValue(ctx, c);
        if (!value) return b;
        const set = addresses(ctx, value, rule.table, b.unresolved);
        const f = { value: value.negated ? set.complement() : set, span: value.span, text: textOf(ctx, value.span) };
        if (field.text === 'saddr') b.fields.source = f;
        else b.fields.destination = f;
        continue;
      }
      const value = readValue(ctx, c);
      unknownExpr(t, value ? { ...t, span: value.span } : field, `"${w} ${field.text}" is not modelled; flows this rule may decide are unknown`);
      continue;
    }
    if (w === 'tcp' && c.is('flags')) {
      c.next();
      const from = c.i;
      const test = readTcpFlagsTest(c);
      const last = c.tokens[c.i - 1] ?? t;
      b.l4 = b.l4 ? b.l4.intersect(Protocols.of(TCP)) : Protocols.of(TCP);
      if (!test) {
        c.i = Math.max(c.i, from);
        unknownExpr(t, last, `"${textOf(ctx, join(t.span, last.span))}" is not a tcp flags test read here; flows this rule may decide are unknown`);
        continue;
      }
      const span = join(t.span, last.span);
      b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: firstPacketEffect(test) });
      continue;
    }
    if (['tcp', 'udp', 'th', 'sctp', 'dccp', 'udplite'].includes(w) && (c.is('dport') || c.is('sport'))) {
      const which = (c.next() as Token).text;
      const proto = w === 'tcp' ? Protocols.of(TCP) : w === 'udp' ? Protocols.of(UDP) : w === 'th' ? Protocols.of(TCP, UDP, 132, 33, 136) : (parseProtocol(w).ok ? (parseProtocol(w) as { value: ProtocolSet }).value : Protocols.any());
      b.l4 = b.l4 ? b.l4.intersect(proto) : proto;
      const value = readValue(ctx, c);
      if (!value) return b;
      const ports = portsOf(ctx, value, rule.table, b);
      if (!ports) continue;
      const f = { value: value.negated ? ports.complement() : ports, span: value.span, text: textOf(ctx, value.span) };
      if (which === 'dport') b.fields.destinationPorts = f;
      else b.fields.sourcePorts = f;
      continue;
    }
    if (w === 'meta' && (c.is('l4proto') || c.is('protocol') || c.is('nfproto'))) {
      const key = (c.next() as Token).text;
      if (key === 'l4proto') readProtocol(ctx, b, c, t);
      else {
        const value = readValue(ctx, c);
        const v = value?.elements[0]?.[0]?.text;
        if (key === 'nfproto' && (v === 'ipv4' || v === 'ipv6') && !value?.negated) b.l3 = v === 'ipv4' ? 4 : 6;
        else if (key === 'protocol' && (v === 'ip' || v === 'ip6') && !value?.negated) b.l3 = v === 'ip' ? 4 : 6;
        else unknownExpr(t, value ? { ...t, span: value.span } : t, `"meta ${key}" with this value is not modelled`);
      }
      continue;
    }
    if (w === 'ct' && c.is('state')) {
      c.next();
      const value = readValue(ctx, c);
      if (!value) return b;
      const states = value.elements.map((e) => e[0]?.text ?? '');
      const resolved = value.setRef || value.variable ? [] : states;
      const known = resolved.length > 0 && resolved.every((s) => ['new', 'established', 'related', 'invalid', 'untracked'].includes(s));
      const matchesNew = resolved.includes('new') !== value.negated;
      const span = join(t.span, value.span);
      b.conditions.push({ kind: 'conntrack', text: textOf(ctx, span), span, effect: !known ? 'unknown' : matchesNew ? 'assume-match' : 'never-matches-new' });
      continue;
    }
    if (w === 'iifname' || w === 'oifname' || w === 'iif' || w === 'oif' || (w === 'meta' && ['iifname', 'oifname', 'iif', 'oif'].some((k) => c.is(k)))) {
      const key = w === 'meta' ? (c.next() as Token).text : w;
      const value = readValue(ctx, c);
      if (!value) return b;
      const names = value.elements.map((e) => e[0]?.text ?? '');
      const isLo = names.length === 1 && names[0] === 'lo';
      const effect: MatchCondition['effect'] = isLo ? (value.negated ? 'assume-match' : 'never-matches-new') : value.negated ? 'unknown' : 'assume-match';
      const span = join(t.span, value.span);
      b.conditions.push({ kind: key.startsWith('i') ? 'interface-in' : 'interface-out', text: textOf(ctx, span), span, effect });
      continue;
    }
    if (w === 'comment') {
      const s = c.next();
      if (s) b.fields.comment = s.text;
      continue;
    }
    if (VERDICTS.has(w) && t.kind === 'word') {
      b.target = readVerdict(ctx, b, c, t, chains);
      continue;
    }
    if (STATEMENT_WORDS.has(w) && t.kind === 'word') {
      // Statement arguments: everything up to the next verdict or statement keyword.
      while (!c.done && !(VERDICTS.has(c.peek()?.text ?? '') && c.peek()?.kind === 'word') && !(STATEMENT_WORDS.has(c.peek()?.text ?? '') && c.peek()?.kind === 'word') && !c.is('comment')) {
        if (c.is('{')) {
          c.skipBlock();
          continue;
        }
        c.next();
      }
      if (w === 'limit') b.conditions.push({ kind: 'other', text: 'limit', span: t.span, effect: 'assume-match' });
      continue;
    }
    // Something we do not model: take it and its value as one unknown match.
    let last = t;
    while (!c.done) {
      const p = c.peek() as Token;
      if (p.kind === 'word' && (VERDICTS.has(p.text) || STATEMENT_WORDS.has(p.text) || ['ip', 'ip6', 'tcp', 'udp', 'th', 'meta', 'ct', 'iifname', 'oifname', 'comment'].includes(p.text))) break;
      if (p.kind === 'punct' && p.text === '{') {
        c.skipBlock();
        last = c.tokens[c.i - 1] ?? p;
        continue;
      }
      last = c.next() as Token;
    }
    unknownExpr(t, last, `"${textOf(ctx, join(t.span, last.span))}" is not modelled; flows this rule may decide are unknown`);
  }
  return b;
}

/**
 * `tcp flags …` as a test of the flag byte, the way nft compiles it:
 * `syn` (implicit) is `flags & syn != 0`, `! syn` is `flags & syn == 0`,
 * `== syn` / `!= syn` compare the whole byte, `syn / fin,syn,rst,ack` and
 * `& (fin|syn|rst|ack) == syn` compare under a mask, `{ syn, syn|ack }` is
 * one of the values. Undefined when the expression is not one of these.
 */
function readTcpFlagsTest(c: Cursor): ((flags: number) => boolean) | undefined {
  const flagValue = (): number | undefined => {
    const names: string[] = [];
    const open = c.is('(');
    if (open) c.next();
    // Whether a flag name may come next: at the start, and after `,` or `|`.
    let want = true;
    for (;;) {
      const t = c.peek();
      if (!t) break;
      if (open && t.kind === 'punct' && t.text === ')') {
        c.next();
        break;
      }
      if (t.kind === 'punct' && t.text === ',' && !want) {
        c.next();
        want = true;
        continue;
      }
      if (t.kind !== 'word' || (!want && !t.text.startsWith('|'))) break;
      names.push(...t.text.split('|').filter((p) => p !== ''));
      want = t.text.endsWith('|');
      c.next();
    }
    return names.length ? tcpFlagBits(names) : undefined;
  };
  if (c.is('&')) {
    c.next();
    const mask = flagValue();
    const op = c.is('==') || c.is('eq') ? '==' : c.is('!=') || c.is('ne') ? '!=' : undefined;
    if (mask === undefined || !op) return undefined;
    c.next();
    const value = flagValue();
    if (value === undefined) return undefined;
    return (f) => ((f & mask) === value) !== (op === '!=');
  }
  if (c.is('{')) {
    const start = c.i;
    c.skipBlock();
    const values = new Set<number>();
    for (const el of splitElements(c.tokens.slice(start, c.i))) {
      const bits = tcpFlagBits(el.filter((t) => t.kind === 'word').flatMap((t) => t.text.split('|')));
      if (bits === undefined) return undefined;
      values.add(bits);
    }
    return (f) => values.has(f);
  }
  let op: '==' | '!=' | '!' | 'implicit' = 'implicit';
  if (c.is('==') || c.is('eq')) op = '==';
  else if (c.is('!=') || c.is('ne')) op = '!=';
  else if (c.is('!')) op = '!';
  if (op !== 'implicit') c.next();
  const value = flagValue();
  if (value === undefined) return undefined;
  if (c.is('/')) {
    c.next();
    const mask = flagValue();
    if (mask === undefined || op === '!') return undefined;
    return (f) => ((f & mask) === value) !== (op === '!=');
  }
  if (op === '==') return (f) => f === value;
  if (op === '!=') return (f) => f !== value;
  if (op === '!') return (f) => (f & value) === 0;
  return (f) => (f & value) !== 0;
}

function readVerdict(ctx: Context, b: RuleBuild, c: Cursor, t: Token, chains: ReadonlyMap<string, Chain>): RuleTarget {
  switch (t.text) {
    case 'accept':
      return { kind: 'allow' };
    case 'drop':
      return { kind: 'deny' };
    case 'reject':
      if (c.is('with')) {
        c.next();
        while (!c.done && c.peek()?.kind === 'word' && !VERDICTS.has(c.peek()?.text ?? '')) c.next();
      }
      return { kind: 'deny', reject: true };
    case 'return':
      return { kind: 'return' };
    case 'continue':
      return { kind: 'continue', note: 'continue' };
    case 'queue':
      while (!c.done && c.peek()?.kind === 'word') c.next();
      b.conditions.push({ kind: 'other', text: 'queue', span: t.span, effect: 'unknown' });
      return { kind: 'continue', note: 'queue hands the packet to a user-space program, which decides' };
    default: {
      const name = c.next();
      if (!name || name.kind === 'var') {
        b.conditions.push({ kind: 'other', text: `${t.text} ${name ? '$' + name.text : ''}`, span: t.span, effect: 'unknown' });
        return { kind: 'continue', note: `${t.text} target is not known` };
      }
      const target = chains.get(name.text);
      if (!target || target.base) {
        problem(ctx, 'unparsed-rule', `${t.text} ${name.text}: no regular chain of that name in this table`, name.span);
        b.conditions.push({ kind: 'other', text: `${t.text} ${name.text}`, span: join(t.span, name.span), effect: 'unknown' });
        return { kind: 'continue', note: `unknown chain ${name.text}` };
      }
      return t.text === 'jump' ? { kind: 'jump', chain: name.text } : { kind: 'goto', chain: name.text };
    }
  }
}

function readProtocol(ctx: Context, b: RuleBuild, c: Cursor, start: Token): void {
  const value = readValue(ctx, c);
  if (!value) return;
  let set = Protocols.none();
  let ok = true;
  for (const el of value.elements) {
    const p = parseProtocol(el[0]?.text === 'ipv6-icmp' ? 'icmpv6' : el[0]?.text ?? '');
    if (p.ok) set = set.union(p.value);
    else ok = false;
  }
  if (!ok || value.setRef || value.variable) {
    const span = join(start.span, value.span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
    return;
  }
  const proto = value.negated ? set.complement() : set;
  b.l4 = b.l4 ? b.l4.intersect(proto) : proto;
  b.fields.protocols = { value: proto, span: value.span, text: textOf(ctx, value.span) };
}

/** A match's right side: `x`, `!= x`, `{ a, b }`, `a, b`, `$define`, `@set`. */
function readValue(ctx: Context, c: Cursor, depth = 0): Value | undefined {
  let negated = false;
  if (c.is('!=') || c.is('ne')) {
    c.next();
    negated = true;
  } else if (c.is('==') || c.is('eq')) c.next();
  const t = c.next();
  if (!t) return undefined;
  if (t.kind === 'setref') return { elements: [], setRef: t, span: t.span, negated };
  if (t.kind === 'var') {
    const def = ctx.defines.get(t.text);
    if (!def || depth > 8) return { elements: [], variable: t, span: t.span, negated };
    const inner = readValue(ctx, new Cursor(def), depth + 1);
    return inner ? { ...inner, span: t.span, negated: negated !== inner.negated } : { elements: [], variable: t, span: t.span, negated };
  }
  if (t.kind === 'punct' && t.text === '{') {
    c.i--;
    const start = c.i;
    c.skipBlock();
    const toks = c.tokens.slice(start, c.i);
    const elements = expandVars(ctx, splitElements(toks), depth);
    return { elements, span: join(t.span, toks[toks.length - 1].span), negated };
  }
  const elements: Token[][] = [[t]];
  let last = t;
  // Comma lists without braces (`ct state established,related`).
  while (c.is(',') && c.peek(1) && c.peek(1)?.kind === 'word') {
    c.next();
    last = c.next() as Token;
    elements.push([last]);
  }
  return { elements, span: join(t.span, last.span), negated };
}

function expandVars(ctx: Context, elements: Token[][], depth: number): Token[][] {
  const out: Token[][] = [];
  for (const el of elements) {
    if (el.length === 1 && el[0].kind === 'var' && depth < 8) {
      const def = ctx.defines.get(el[0].text);
      if (def) {
        const inner = readValue(ctx, new Cursor(def), depth + 1);
        if (inner && !inner.setRef && !inner.variable) {
          out.push(...inner.elements);
          continue;
        }
      }
    }
    out.push(el);
  }
  return out;
}

function textOf(ctx: Context, span: Span): string {
  return ctx.text.slice(span.start, span.end);
}

function addresses(ctx: Context, value: Value, table: Table, unresolved: Unresolved[]): AddressSet {
  if (value.variable) {
    unresolved.push({ text: `$${value.variable.text}`, span: value.span, reason: `$${value.variable.text} is not defined in this file` });
    return AddressSet.symbol('variable', `$${value.variable.text}`);
  }
  let elements = value.elements;
  if (value.setRef) {
    const set = table.sets.get(value.setRef.text);
    if (!set || set.dynamic) {
      unresolved.push({ text: `@${value.setRef.text}`, span: value.span, reason: set ? 'the set is filled at run time' : 'the set is not declared in this file' });
      return AddressSet.symbol('named-set', `@${value.setRef.text}`);
    }
    elements = set.elements;
  }
  let acc = AddressSet.none();
  for (const el of elements) {
    const text = el.filter((t) => t.kind === 'word').map((t) => t.text).join('');
    const one = AddressSet.parse(text);
    if (one.ok) acc = acc.union(one.value);
    else {
      problem(ctx, 'unparsed-rule', one.error, el[0]?.span ?? value.span);
      unresolved.push({ text, span: el[0]?.span ?? value.span, reason: one.error });
      acc = acc.union(AddressSet.symbol('variable', text));
    }
  }
  return acc;
}

function portsOf(ctx: Context, value: Value, table: Table, b: RuleBuild): PortSet | undefined {
  const unknown = (text: string, reason: string): undefined => {
    b.unresolved.push({ text, span: value.span, reason });
    b.conditions.push({ kind: 'other', text: textOf(ctx, value.span), span: value.span, effect: 'unknown' });
    return undefined;
  };
  if (value.variable) return unknown(`$${value.variable.text}`, `$${value.variable.text} is not defined in this file`);
  let elements = value.elements;
  if (value.setRef) {
    const set = table.sets.get(value.setRef.text);
    if (!set || set.dynamic) return unknown(`@${value.setRef.text}`, set ? 'the set is filled at run time' : 'the set is not declared in this file');
    elements = set.elements;
  }
  let acc = Ports.none();
  for (const el of elements) {
    const text = el.filter((t) => t.kind === 'word').map((t) => t.text).join('');
    const named = SERVICES[text];
    if (named !== undefined) {
      acc = acc.union(Ports.single(named));
      continue;
    }
    const r = parsePortRange(text, ['-']);
    if (!r.ok) {
      problem(ctx, 'unparsed-rule', /^[a-z]/i.test(text) ? `service name "${text}" is not known here; write the port number` : r.error, el[0]?.span ?? value.span);
      return unknown(text, r.error);
    }
    acc = acc.union(r.value);
  }
  return acc;
}

// ---------------------------------------------------------------------------
// Rule sets

function buildRuleSets(ctx: Context): RuleSet[] {
  const out: RuleSet[] = [];
  const envs = new Map<Table, string>();
  for (const table of ctx.tableOrder) {
    for (const chain of table.chains.values()) {
      if (!chain.base) continue;
      const hookDirections = HOOK_DIRECTIONS[chain.base.hook];
      const filters = chain.base.type === 'filter' || (chain.base.type === 'route' && chain.base.hook === 'output');
      const evaluated = filters && hookDirections !== undefined && ['ip', 'ip6', 'inet'].includes(table.family);
      if (!evaluated) {
        problem(
          ctx,
          'limit',
          `chain ${chain.name} (type ${chain.base.type} hook ${chain.base.hook}, family ${table.family}) is read but not evaluated: only filter chains on the prerouting, input, forward, output and postrouting hooks decide here`,
          chain.nameSpan,
          'info',
        );
      }
      const dir: Direction = hookDirections?.[0] ?? 'inbound';
      const ids = new Map<string, number>();
      const toRules = (list: readonly PendingRule[]): Rule[] => list.flatMap((p, order) => toRule(ctx, p, order, dir, table, ids, envs));
      const rules = toRules(chain.rules);
      const userChains: Record<string, readonly Rule[]> = {};
      for (const c of table.chains.values()) if (!c.base) userChains[c.name] = toRules(c.rules);
      out.push({
        id: `${table.family} ${table.name}/${chain.name}`,
        name: chain.name,
        format: 'nftables',
        kind: 'nftables-chain',
        semantics: 'first-match',
        directions: evaluated ? hookDirections : [],
        ...(evaluated && hookDirections.length > 1 ? { rulesDirection: dir } : {}),
        rules,
        chains: userChains,
        defaults: Object.fromEntries((hookDirections ?? [dir]).map((d) => [d, chain.policy ?? { value: 'allow' }])),
        span: chain.span,
        nameSpan: chain.nameSpan,
        // Every filter base chain a packet crosses is a stage of one path, in hook order and then by priority.
        stage: { group: 'netfilter', order: (HOOK_RANK[chain.base.hook] ?? 1) * 1000 + chain.base.priority },
        // A chain of the ip (ip6) family never sees IPv6 (IPv4) packets: for them it is as if it were not there.
        ...(table.family === 'ip' ? { families: [4] as const } : table.family === 'ip6' ? { families: [6] as const } : {}),
        appliesTo: [`hook ${chain.base.hook}`],
        meta: {
          family: table.family,
          table: table.name,
          chain: chain.name,
          type: chain.base.type,
          hook: chain.base.hook,
          priority: String(chain.base.priority),
          ...(evaluated ? {} : { evaluated: 'false' }),
        },
      });
    }
  }
  return out;
}

const LINE_IDS: string[] = [];
/** `line N`, one string per line number, so ids compare and hash once. */
function lineId(line: number): string {
  if (line >= 200_000) return `line ${line}`;
  return (LINE_IDS[line] ??= `line ${line}`);
}

/** Everything besides its own text that a rule's meaning depends on in its table: family, chains, sets, defines. */
function tableEnv(ctx: Context, table: Table, memo: Map<Table, string>): string {
  let env = memo.get(table);
  if (env !== undefined) return env;
  const tok = (t: Token): string => `${t.kind}:${t.text}`;
  env = `${table.family} ${table.name}`;
  for (const c of table.chains.values()) env += `|chain ${c.base ? 'base' : 'regular'} ${c.name}`;
  for (const st of table.sets.values()) env += `|set ${st.name} ${st.dynamic} ${st.elements.map((el) => el.map(tok).join(' ')).join(',')}`;
  for (const [name, value] of ctx.defines) env += `|define ${name}=${value.map(tok).join(' ')}`;
  memo.set(table, env);
  return env;
}

function toRule(ctx: Context, p: PendingRule, order: number, direction: Direction, table: Table, ids: Map<string, number>, envs: Map<Table, string>): Rule[] {
  const line = ctx.lines.positionAt(p.span.start).line + 1;
  let id = p.iteration ? `line ${line} (${p.iteration})` : lineId(line);
  const seen = ids.get(id) ?? 0;
  ids.set(id, seen + 1);
  if (seen > 0) id = `${id} #${seen + 1}`;
  const entry = p.entry;
  const lineStart = p.lineStart ?? 0;
  const env = entry ? tableEnv(ctx, table, envs) : '';
  if (entry) {
    for (const b of entry.built) {
      if (b.env !== env || b.rule.direction !== direction || b.rule.chain !== p.chain) continue;
      const delta = lineStart - b.base;
      if (delta !== 0 || b.rule.id !== id || b.rule.order !== order) {
        b.rule = moveRule(b.rule, delta, id, order);
        b.problems = shiftProblems(b.problems, delta);
        b.base = lineStart;
      }
      for (const x of b.problems) ctx.problems.push(x);
      return [b.rule];
    }
  }
  const problemsBefore = ctx.problems.length;
  // A rule taken from the cache has no tokens: read its line again.
  const pending = p.tokens.length || !entry ? p : { ...p, tokens: tokenize(ctx.text, undefined, undefined, lineStart + entry.rel.start, lineStart + entry.rel.end) };
  const b = readRuleTokens(ctx, pending, table.chains);
  const meta = { family: table.family, table: table.name, chain: p.chain };
  const make = (fields: RuleFields, l3Match: 4 | 6 | undefined, l4: ProtocolSet | undefined, target: RuleTarget | undefined, ruleId: string): Rule => {
    const l3 = l3Match ?? (table.family === 'ip' ? 4 : table.family === 'ip6' ? 6 : undefined);
    const restrict = (f: Field<AddressSet> | undefined): Field<AddressSet> | undefined => {
      if (!l3) return f;
      const fam = l3 === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
      if (!f) return { value: fam };
      const cut = f.value.intersect(fam);
      return { ...f, value: AddressSet.of(cut.v4, cut.v6, f.value.symbols) };
    };
    let protocols = fields.protocols;
    if (l4 && !protocols) protocols = { value: l4 };
    else if (l4 && protocols) protocols = { ...protocols, value: protocols.value.intersect(l4) };
    // One object literal, always with `comment` (undefined when there is none): rules built by spreading
    // partial objects all differ in shape and are slow to make and read.
    return {
      protocols: protocols ?? RULE_DEFAULTS.protocols,
      source: restrict(fields.source) ?? RULE_DEFAULTS.source,
      destination: restrict(fields.destination) ?? RULE_DEFAULTS.destination,
      sourcePorts: fields.sourcePorts ?? RULE_DEFAULTS.sourcePorts,
      destinationPorts: fields.destinationPorts ?? RULE_DEFAULTS.destinationPorts,
      enabled: RULE_DEFAULTS.enabled,
      conditions: b.conditions,
      unresolved: b.unresolved,
      id: ruleId,
      target: target ?? NO_VERDICT,
      direction,
      span: p.span,
      raw: textOf(ctx, p.span),
      order,
      chain: p.chain,
      meta,
      comment: b.fields.comment,
    };
  };
  if (b.alternatives) {
    // One rule per element of the set or map, sharing the line's order: they never overlap.
    return b.alternatives.map((alt) =>
      make(mergeFields(b.fields, alt.fields), alt.l3 ?? b.l3, alt.l4 && b.l4 ? alt.l4.intersect(b.l4) : (alt.l4 ?? b.l4), alt.target ?? b.target, b.alternatives && b.alternatives.length > 1 ? `${id} [${alt.label}]` : id),
    );
  }
  const rule = make(b.fields, b.l3, b.l4, b.target, id);
  const problems = ctx.problems.slice(problemsBefore);
  // Only what lies on the rule's own line moves with it (a problem in a define's value stays where the define is).
  if (entry && allWithin(rule, problems)) {
    if (entry.built.length >= 6) entry.built.shift();
    entry.built.push({ base: lineStart, env, rule, problems });
  }
  return [rule];
}

function allWithin(rule: Rule, problems: readonly ParseProblem[]): boolean {
  const { start, end } = rule.span;
  const inside = (x: Span | undefined): boolean => x === undefined || (x.start >= start && x.end <= end);
  return (
    inside(rule.protocols.span) &&
    inside(rule.source.span) &&
    inside(rule.destination.span) &&
    inside(rule.sourcePorts.span) &&
    inside(rule.destinationPorts.span) &&
    rule.conditions.every((c) => inside(c.span)) &&
    rule.unresolved.every((u) => inside(u.span)) &&
    problems.every((x) => inside(x.span))
  );
}

const NO_VERDICT: RuleTarget = { kind: 'continue', note: 'no verdict: evaluation goes on' };

/** A rule built for an earlier version, moved to where its line is now. */
function moveRule(r: Rule, delta: number, id: string, order: number): Rule {
  // Written out, not spread: a spread copy of a rule is several times slower to make.
  const moved: Rule = {
    protocols: shiftField(r.protocols, delta),
    source: shiftField(r.source, delta),
    destination: shiftField(r.destination, delta),
    sourcePorts: shiftField(r.sourcePorts, delta),
    destinationPorts: shiftField(r.destinationPorts, delta),
    enabled: r.enabled,
    conditions: shiftConditions(r.conditions, delta),
    unresolved: shiftUnresolved(r.unresolved, delta),
    id,
    target: r.target,
    direction: r.direction,
    span: shiftSpan(r.span, delta),
    raw: r.raw,
    order,
    chain: r.chain,
    meta: r.meta,
  };
  return r.comment === undefined ? moved : { ...moved, comment: r.comment };
}
