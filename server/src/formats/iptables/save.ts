import { shiftConditions, shiftField, shiftProblems, shiftSpan, shiftUnresolved, type Comment, type Field, type MatchCondition, type ParsedFile, type ParseProblem, type ParseReuse, type Span, type Unresolved } from '../../model';
import { readLineCommand, type ShellCommand, type ShellWord } from '../shell';
import { runCommand, setPolicy } from './commands';
import { chainOf, type Context, type Family, type PendingRule, problem, type RuleFields } from './context';
import { buildRuleSets } from './convert';

/**
 * iptables-save / ip6tables-save output (and the text handed to
 * iptables-restore), read line by line. An open document keeps what each
 * `-A` line came to in `ParseOptions.reuse`, so an edit re-reads only the
 * lines it touched.
 */

/** True when the file looks like iptables-save output rather than a script of commands. */
export function isSaveFormat(text: string): boolean {
  let i = 0;
  const n = text.length;
  while (i < n) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = n;
    const line = text.slice(i, end).replace(/^[\uFEFF\s]+/, '');
    i = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    return line.startsWith('*') || line.startsWith(':') || line.startsWith('-') || line.startsWith('[') || line.startsWith('COMMIT');
  }
  return false;
}

/**
 * What one `-A CHAIN …` line of a save file came to, kept between versions of
 * a document keyed by the line's text, so an edit re-reads only the lines it
 * touched. Spans are at `base`, the line's offset when it was read.
 */
interface LineEntry {
  base: number;
  line: number;
  readonly comments: readonly Comment[];
  readonly blank: boolean;
  /** Whether the line holds an IPv4 / IPv6 address after -s or -d (the family guess when the file has no header). */
  v4?: boolean;
  v6?: boolean;
  result?: {
    readonly table: string;
    readonly family: Family;
    readonly chain: string;
    nameSpan: Span;
    span: Span;
    rules: readonly PendingRule[];
    problems: readonly ParseProblem[];
  };
  /** The parse that last used the entry; entries no parse used for a while are dropped. */
  used: number;
}

interface SaveCache {
  readonly lines: Map<string, LineEntry>;
  generation: number;
}

function saveCacheOf(reuse: ParseReuse | undefined): SaveCache | undefined {
  if (!reuse) return undefined;
  let cache = reuse['iptables-save'] as SaveCache | undefined;
  if (!cache) reuse['iptables-save'] = cache = { lines: new Map(), generation: 0 };
  return cache;
}

export type SaveItem =
  | { readonly kind: 'entry'; readonly entry: LineEntry; readonly start: number; readonly line: number }
  | { readonly kind: 'words'; readonly words: ShellWord[]; readonly span: Span; readonly start: number; readonly line: number; readonly entry?: LineEntry }
  /** A line with no command (blank or a comment): kept only for the family guess. */
  | { readonly kind: 'blank'; readonly start: number; readonly entry?: LineEntry };

const V4_ADDRESS_OPTION = /\s-[sd]\s+!?\s*\d+\.\d+\.\d+\.\d+/;

const V6_ADDRESS_OPTION = /\s-[sd]\s+!?\s*[0-9a-fA-F]*:[0-9a-fA-F:]*[/\s]/;

const V6_PROTOCOL = /icmpv6|ipv6-icmp/;

/**
 * iptables-save output is one command per line with shell quoting and no
 * expansion, so it is read line by line (no shell reader, no command cap).
 */
export function parseSaveFile(text: string, uri: string, reuse: ParseReuse | undefined): ParsedFile {
  const cache = saveCacheOf(reuse);
  const generation = cache ? ++cache.generation : 0;
  const comments: Comment[] = [];
  const problems: ParseProblem[] = [];
  const items: SaveItem[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd < 0) lineEnd = n;
    const entry = cache?.lines.get(text.slice(i, lineEnd));
    if (entry) {
      entry.used = generation;
      const delta = i - entry.base;
      for (const c of entry.comments) comments.push(delta === 0 ? c : { span: shiftSpan(c.span, delta), text: c.text });
      items.push(entry.blank ? { kind: 'blank', start: i, entry } : { kind: 'entry', entry, start: i, line });
      i = lineEnd + 1;
      line++;
      continue;
    }
    const before = comments.length;
    const problemsBefore = problems.length;
    const cmd = readLineCommand(text, i, comments, problems);
    let fresh: LineEntry | undefined;
    if (cache && cmd.simple && problems.length === problemsBefore) {
      fresh = { base: i, line, comments: comments.slice(before), blank: cmd.words.length === 0, used: generation };
      cache.lines.set(text.slice(i, lineEnd), fresh);
    }
    if (cmd.words.length) {
      const span = { start: cmd.words[0].span.start, end: cmd.words[cmd.words.length - 1].span.end };
      items.push({ kind: 'words', words: cmd.words, span, start: i, line, entry: fresh });
    } else items.push({ kind: 'blank', start: i, entry: fresh });
    if (cmd.simple) line++;
    else for (let k = i; k < cmd.next; k++) if (text.charCodeAt(k) === 10) line++;
    i = cmd.next;
  }
  const ctx: Context = { text, problems, tables: new Map(), families: new Set() };
  // iptables-restore reads bytes: a BOM spoils the first line and a CR ends up in table and chain names.
  if (text.charCodeAt(0) === 0xfeff) problem(ctx, 'syntax-error', 'iptables-restore rejects a file that starts with a byte-order mark; save it without one', { start: 0, end: 1 }, 'warning');
  const cr = text.indexOf('\r\n');
  if (cr >= 0) problem(ctx, 'syntax-error', 'iptables-restore does not accept Windows (CRLF) line endings; save the file with LF endings', { start: cr, end: cr + 2 }, 'warning');
  readSaveItems(ctx, items, saveFamily(text, comments, items), !TABLE_LINE.test(text));
  if (cache && cache.lines.size > 2 * items.length + 1000) {
    // Lines no recent version had: an edit leaves one behind per keystroke.
    for (const [key, e] of cache.lines) if (generation - e.used > 2) cache.lines.delete(key);
  }
  return { uri, format: 'iptables', text, ruleSets: buildRuleSets(ctx, true), problems: ctx.problems, comments };
}

/** The address family a save file is for: its header, else the addresses it holds. */
function saveFamily(text: string, comments: readonly Comment[], items: readonly SaveItem[]): Family {
  for (const c of comments) {
    if (c.text.includes('ip6tables-save')) return 6;
    if (c.text.includes('iptables-save')) return 4;
  }
  let v4 = false;
  let v6 = false;
  for (const item of items) {
    const e = item.entry;
    if (e && e.v4 !== undefined && e.v6 !== undefined) {
      v4 ||= e.v4;
      v6 ||= e.v6;
      continue;
    }
    // With the line breaks around it, as the patterns saw it when they ran over the whole text.
    const end = item.kind === 'words' ? item.span.end : item.start;
    let lineEnd = text.indexOf('\n', end);
    if (lineEnd < 0) lineEnd = text.length;
    const chunk = `\n${text.slice(item.start, lineEnd)}\n`;
    const a = V4_ADDRESS_OPTION.test(chunk);
    const b = V6_ADDRESS_OPTION.test(chunk) || V6_PROTOCOL.test(chunk);
    if (e) {
      e.v4 = a;
      e.v6 = b;
    }
    v4 ||= a;
    v6 ||= b;
  }
  return v6 && !v4 ? 6 : 4;
}

function lineSpan(text: string, at: number): Span {
  let start = at;
  while (start < text.length && (text[start] === ' ' || text[start] === '\t')) start++;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return { start, end };
}

/** A `*table` line anywhere: without one, the file is a bare list of rules. */
const TABLE_LINE = /^[ \t]*(?:\[\d+:\d+\][ \t]*)?\*/m;

/**
 * `bare`: the file names no table (a list of `-A INPUT …` lines, as policy
 * generators and `iptables -S` write them); its rules are read as the filter
 * table, the way iptables-restore reads them between `*filter` and COMMIT.
 */
export function readSaveItems(ctx: Context, items: readonly SaveItem[], family: Family, bare = false): void {
  let table: string | undefined = bare ? 'filter' : undefined;
  let noted = !bare;
  for (const item of items) {
    if (item.kind === 'blank') continue;
    if (!noted) {
      noted = true;
      // The line as written, found the same way whether the line was read now or reused from the last version.
      const span = lineSpan(ctx.text, item.start);
      problem(ctx, 'unresolved-value', 'no "*filter" line: these rules are read as the filter table (iptables-restore needs them between "*filter" and "COMMIT")', span, 'info');
    }
    if (item.kind === 'entry') {
      const e = item.entry;
      const r = e.result;
      if (r && table !== undefined && r.table === table && r.family === family) {
        const delta = item.start - e.base;
        if (delta !== 0 || e.line !== item.line) {
          r.rules = r.rules.map((p) => movePending(p, delta, item.line));
          r.problems = shiftProblems(r.problems, delta);
          r.nameSpan = shiftSpan(r.nameSpan, delta);
          r.span = shiftSpan(r.span, delta);
          e.base = item.start;
          e.line = item.line;
        }
        const chain = chainOf(ctx, table, r.chain, r.span, r.nameSpan);
        ctx.families.add(family);
        for (const p of r.rules) chain.rules.push(p);
        for (const p of r.problems) ctx.problems.push(p);
        continue;
      }
      // Read before, but in another table or family: read it again here.
      const words = readLineCommand(ctx.text, item.start, [], []).words;
      if (!words.length) continue;
      e.base = item.start;
      e.line = item.line;
      e.result = undefined;
      table = readSaveCommand(ctx, words, { start: words[0].span.start, end: words[words.length - 1].span.end }, item.line, table, family, e);
      continue;
    }
    table = readSaveCommand(ctx, item.words, item.span, item.line, table, family, item.entry);
  }
  if (table && !bare) problem(ctx, 'syntax-error', `table ${table} has no COMMIT: iptables-restore would not load it`, { start: ctx.text.length, end: ctx.text.length }, 'error');
}

/** One save-file line; returns the table it leaves open. */
function readSaveCommand(ctx: Context, all: readonly ShellWord[], span: Span, line: number, table: string | undefined, family: Family, entry: LineEntry | undefined): string | undefined {
  let words = all;
  // `iptables-save -c` puts packet counters in front of each rule.
  if (words.length > 1 && isCounters(words[0].value)) words = words.slice(1);
  const first = words[0].value;
  const cmd: ShellCommand = { words, span };
  if (first.startsWith('*')) {
    const name = first.slice(1);
    if (!name) problem(ctx, 'syntax-error', 'a table line names its table: "*filter"', span, 'error');
    return name || undefined;
  }
  if (first === 'COMMIT') return undefined;
  if (!table) {
    problem(ctx, 'syntax-error', `"${first}" outside a table: start the table with "*filter" and end it with COMMIT`, span, 'error');
    return table;
  }
  if (first.startsWith(':')) {
    const name = first.slice(1);
    const policy = words[1]?.value ?? '-';
    const chain = chainOf(ctx, table, name, span, { start: words[0].span.start + 1, end: words[0].span.end });
    chain.span = span;
    ctx.families.add(family);
    if (policy !== '-') setPolicy(ctx, chain, family, policy, words[1].span, span);
    return table;
  }
  if (first.startsWith('-')) {
    const problemsBefore = ctx.problems.length;
    const appended = runCommand(ctx, words, family, table, cmd, line);
    if (entry && appended) {
      entry.result = {
        table,
        family,
        chain: appended.chain.name,
        nameSpan: appended.nameSpan,
        span,
        rules: appended.rules,
        problems: ctx.problems.slice(problemsBefore),
      };
    }
    return table;
  }
  problem(ctx, 'syntax-error', `"${first}" is not an iptables-save line (expected *table, :CHAIN, -A, COMMIT)`, span, 'error');
  return table;
}

/** `[packets:bytes]` */
function isCounters(v: string): boolean {
  const n = v.length;
  if (n < 5 || v.charCodeAt(0) !== 91 || v.charCodeAt(n - 1) !== 93) return false;
  let colon = false;
  for (let k = 1; k < n - 1; k++) {
    const c = v.charCodeAt(k);
    if (c === 58) {
      if (colon || k === 1 || k === n - 2) return false;
      colon = true;
    } else if (c < 48 || c > 57) return false;
  }
  return colon;
}

/** A rule read for an earlier version, moved to where its line is now. */
function movePending(p: PendingRule, delta: number, line: number): PendingRule {
  if (delta === 0 && p.line === line) return p;
  const twin = p.sourceTwin ? shiftField(p.sourceTwin, delta) : undefined;
  const move = <T>(f: Field<T> | undefined): Field<T> | undefined => (f === undefined ? undefined : f === p.sourceTwin ? (twin as unknown as Field<T>) : shiftField(f, delta));
  const f = p.fields;
  const fields: RuleFields = {};
  if (f.protocols) fields.protocols = move(f.protocols);
  if (f.source) fields.source = move(f.source);
  if (f.destination) fields.destination = move(f.destination);
  if (f.sourcePorts) fields.sourcePorts = move(f.sourcePorts);
  if (f.destinationPorts) fields.destinationPorts = move(f.destinationPorts);
  if (f.comment !== undefined) fields.comment = f.comment;
  return {
    table: p.table,
    chain: p.chain,
    family: p.family,
    key: p.key,
    span: shiftSpan(p.span, delta),
    line,
    iteration: p.iteration,
    targetName: p.targetName && { name: p.targetName.name, span: shiftSpan(p.targetName.span, delta), goto: p.targetName.goto, unresolved: p.targetName.unresolved },
    fields,
    conditions: shiftConditions(p.conditions, delta) as MatchCondition[],
    unresolved: shiftUnresolved(p.unresolved, delta) as Unresolved[],
    command: p.command,
    meta: p.meta,
    sourceTwin: twin,
  };
}
