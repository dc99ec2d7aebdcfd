import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import {
  LineIndex,
  makeRule,
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
  type LoadedFile,
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
import { commandName, readLineCommand, readShell, type ShellCommand, type ShellWord } from '../shell';
import { maskCompareEffect, tcpFlagBits } from '../tcpFlags';

/**
 * iptables-save / ip6tables-save output and shell scripts of iptables and
 * ip6tables commands. Only the filter table decides whether a flow passes;
 * the other tables are read and kept (with no direction, so nothing
 * evaluates them) and a note says so.
 */

type Family = 4 | 6;

const BUILTIN_DIRECTION: ReadonlyMap<string, Direction> = new Map(Object.entries({
  INPUT: 'inbound',
  OUTPUT: 'outbound',
  FORWARD: 'forward',
  PREROUTING: 'inbound',
  POSTROUTING: 'outbound',
}));

const TERMINAL_TARGETS: ReadonlyMap<string, RuleTarget> = new Map(Object.entries({
  ACCEPT: { kind: 'allow' },
  DROP: { kind: 'deny' },
  REJECT: { kind: 'deny', reject: true },
  RETURN: { kind: 'return' },
}));

/** Targets that act on the packet and let it go on to the next rule. */
const CONTINUE_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TCPMSS', 'TRACE', 'AUDIT', 'CT',
  'NOTRACK', 'SET', 'CHECKSUM', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'RATEEST', 'TEE', 'ECN', 'TCPOPTSTRIP',
]);
/** Terminating in the nat table, which is never evaluated; kept as notes. */
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'TPROXY']);
const QUEUE_TARGETS = new Set(['QUEUE', 'NFQUEUE']);

/** Match modules that only load the options we read ourselves. */
const PLAIN_MODULES = new Set(['tcp', 'udp', 'multiport', 'state', 'conntrack', 'comment', 'iprange', 'set', 'icmp', 'icmp6', 'icmpv6', 'sctp']);

/** Options of targets (after `-j X`) with the number of values they take; they never change what matches. */
const TARGET_OPTIONS: ReadonlyMap<string, number> = new Map(Object.entries({
  '--log-prefix': 1, '--log-level': 1, '--log-tcp-sequence': 0, '--log-tcp-options': 0, '--log-ip-options': 0, '--log-uid': 0,
  '--log-macdecode': 0, '--nflog-group': 1, '--nflog-prefix': 1, '--nflog-threshold': 1, '--nflog-range': 1, '--nflog-size': 1,
  '--ulog-prefix': 1, '--ulog-nlgroup': 1, '--set-mark': 1, '--set-xmark': 1, '--and-mark': 1, '--or-mark': 1, '--xor-mark': 1,
  '--save-mark': 0, '--restore-mark': 0, '--reject-with': 1, '--to-destination': 1, '--to-source': 1, '--to-ports': 1,
  '--to': 1, '--random': 0, '--random-fully': 0, '--persistent': 0, '--queue-num': 1, '--queue-balance': 1, '--queue-bypass': 0,
  '--fail-open': 0, '--set-class': 1, '--set-dscp': 1, '--set-dscp-class': 1, '--set-tos': 1, '--clamp-mss-to-pmtu': 0,
  '--set-mss': 1, '--notrack': 0, '--zone': 1, '--helper': 1, '--add-set': 2, '--del-set': 2, '--exist': 0, '--timeout': 1,
  '--gateway': 1, '--ttl-set': 1, '--ttl-dec': 1, '--ttl-inc': 1, '--hl-set': 1, '--hl-dec': 1, '--hl-inc': 1, '--type': 1,
  '--checksum-fill': 0, '--selctx': 1, '--mode': 1,
}));

/** Match options we recognise but whose effect on a new flow we cannot decide, with their value counts. */
const UNDECIDED_MATCH_OPTIONS: ReadonlyMap<string, number> = new Map(Object.entries({
  '--mark': 1, '--uid-owner': 1, '--gid-owner': 1, '--socket-exists': 0, '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0,
  '--limit-iface-out': 0, '--set': 0, '--rcheck': 0, '--update': 0, '--remove': 0, '--seconds': 1, '--hitcount': 1, '--name': 1,
  '--rsource': 0, '--rdest': 0, '--reap': 0, '--rttl': 0, '--mask': 1, '--mac-source': 1, '--icmp-type': 1,
  '--icmpv6-type': 1, '--connlimit-above': 1, '--connlimit-upto': 1, '--connlimit-mask': 1, '--connlimit-saddr': 0,
  '--connlimit-daddr': 0, '--physdev-in': 1, '--physdev-out': 1, '--physdev-is-in': 0, '--physdev-is-out': 0,
  '--physdev-is-bridged': 0, '--pkt-type': 1, '--length': 1, '--ttl-eq': 1, '--ttl-gt': 1, '--ttl-lt': 1, '--hl-eq': 1,
  '--hl-gt': 1, '--hl-lt': 1, '--string': 1, '--algo': 1, '--from': 1, '--hex-string': 1, '--ctstatus': 1, '--ctproto': 1,
  '--ctorigsrc': 1, '--ctorigdst': 1, '--ctreplsrc': 1, '--ctrepldst': 1, '--ctdir': 1, '--ctorigsrcport': 1,
  '--ctorigdstport': 1, '--dscp': 1, '--dscp-class': 1, '--tos': 1, '--hashlimit': 1, '--hashlimit-upto': 1,
  '--hashlimit-above': 1, '--hashlimit-burst': 1, '--hashlimit-mode': 1, '--hashlimit-name': 1, '--hashlimit-htable-expire': 1,
  '--hashlimit-srcmask': 1, '--hashlimit-dstmask': 1, '--every': 1, '--packet': 1, '--probability': 1, '--u32': 1,
  '--time-start': 1, '--time-stop': 1, '--weekdays': 1, '--monthdays': 1, '--datestart': 1, '--datestop': 1, '--kerneltz': 0,
  '--timestart': 1, '--timestop': 1, '--helper': 1, '--realm': 1, '--cgroup': 1, '--path': 1, '--dir': 1, '--pol': 1,
  '--proto': 1, '--mode': 1, '--tunnel-src': 1, '--tunnel-dst': 1, '--next': 0, '--strict': 0, '--reqid': 1, '--spi': 1,
}));

/** Options that hold for the first packet of a new connection and so are taken as matching (`--syn` and `--tcp-flags` are decided from the flags). */
const ASSUMED_MATCH_OPTIONS: ReadonlyMap<string, number> = new Map(Object.entries({ '--syn': 0, '--tcp-flags': 2, '--limit': 1, '--limit-burst': 1 }));

const GLOBAL_FLAGS: ReadonlyMap<string, number> = new Map(Object.entries({
  '-w': 0, '--wait': 0, '-W': 1, '--wait-interval': 1, '-v': 0, '--verbose': 0, '-n': 0, '--numeric': 0, '-x': 0, '--exact': 0,
  '--line-numbers': 0, '-4': 0, '--ipv4': 0, '-6': 0, '--ipv6': 0, '--modprobe': 1,
}));

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RuleFields = Mutable<Pick<Partial<Rule>, 'protocols' | 'source' | 'destination' | 'sourcePorts' | 'destinationPorts' | 'comment'>>;

interface PendingRule {
  readonly table: string;
  readonly chain: string;
  readonly family: Family;
  /** Normalised rule text, to find the rule a `-D CHAIN rule…` names. */
  readonly key: string;
  readonly span: Span;
  /** 1-based line of the rule's start, when the reader counted it (save files); else found from the span. */
  readonly line?: number;
  readonly iteration?: string;
  readonly targetName?: { readonly name: string; readonly span: Span; readonly goto: boolean; readonly unresolved: boolean };
  readonly fields: RuleFields;
  readonly conditions: MatchCondition[];
  readonly unresolved: Unresolved[];
  readonly command: string;
  /** The rule's meta, shared by every rule with the same table, chain, family and command. */
  readonly meta: Readonly<Record<string, string>>;
  /** A `--ports` rule matches either port; it is written as a destination-port rule then a source-port one. */
  readonly sourceTwin?: Field<PortSet>;
  /** What toRule made of this pending rule, per direction it was built for; reused while its inputs stay the same. */
  built?: BuiltRule[];
}

interface ChainState {
  readonly name: string;
  readonly table: string;
  readonly builtin: boolean;
  rules: PendingRule[];
  policy: Partial<Record<Family, { field: Field<Action>; text: string }>>;
  span: Span;
  nameSpan: Span;
}

interface Context {
  readonly text: string;
  readonly problems: ParseProblem[];
  readonly tables: Map<string, Map<string, ChainState>>;
  readonly families: Set<Family>;
  /** Built on first use: save files count their lines as they read them. */
  lines?: LineIndex;
}

function chainOf(ctx: Context, table: string, name: string, span: Span, nameSpan: Span): ChainState {
  let chains = ctx.tables.get(table);
  if (!chains) ctx.tables.set(table, (chains = new Map()));
  let chain = chains.get(name);
  if (!chain) {
    chain = { name, table, builtin: BUILTIN_DIRECTION.has(name), rules: [], policy: {}, span, nameSpan };
    chains.set(name, chain);
  }
  return chain;
}

function problem(ctx: Context, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): undefined {
  ctx.problems.push({ code, message, span, severity });
  return undefined;
}

const spanOf = (words: readonly ShellWord[]): Span => ({ start: words[0].span.start, end: words[words.length - 1].span.end });

/** True when the file looks like iptables-save output rather than a script of commands. */
function isSaveFormat(text: string): boolean {
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

const IPTABLES_COMMANDS: Readonly<Record<string, Family>> = {
  iptables: 4,
  'iptables-legacy': 4,
  'iptables-nft': 4,
  ip6tables: 6,
  'ip6tables-legacy': 6,
  'ip6tables-nft': 6,
};

export function parseIptables(text: string, uri: string, options?: ParseOptions): ParsedFile {
  if (isSaveFormat(text)) return parseSaveFile(text, uri, options?.reuse);
  const script = readShell(text, { expand: true });
  const ctx: Context = { text, problems: [...script.problems], tables: new Map(), families: new Set() };
  for (const s of script.sourced) {
    problem(ctx, 'unresolved-value', `"${s.path}" is sourced but not read: variables it sets stay unknown`, s.span, 'info');
  }
  const loads: LoadedFile[] = [];
  readScript(ctx, script.commands, loads);
  return { uri, format: 'iptables', text, ruleSets: buildRuleSets(ctx, false), problems: ctx.problems, comments: script.comments, ...(loads.length ? { loads } : {}) };
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

type SaveItem =
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
function parseSaveFile(text: string, uri: string, reuse: ParseReuse | undefined): ParsedFile {
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
function readSaveItems(ctx: Context, items: readonly SaveItem[], family: Family, bare = false): void {
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

const RESTORE_COMMANDS: Readonly<Record<string, Family>> = {
  'iptables-restore': 4,
  'iptables-legacy-restore': 4,
  'iptables-nft-restore': 4,
  'ip6tables-restore': 6,
  'ip6tables-legacy-restore': 6,
  'ip6tables-nft-restore': 6,
};

/**
 * `iptables-restore <<EOF … EOF` loads the here-document: it is read here as
 * save-file lines. `iptables-restore < FILE` (or `iptables-restore FILE`)
 * loads another file: its path is kept so the caller can read it, and a note
 * says where the rules are.
 */
function readRestore(ctx: Context, cmd: ShellCommand, family: Family, loads: LoadedFile[]): void {
  if (cmd.hereDoc) {
    const { start, end } = cmd.hereDoc.span;
    const items: SaveItem[] = [];
    let line = 1;
    for (let k = 0; k < start; k++) if (ctx.text.charCodeAt(k) === 10) line++;
    let i = start;
    while (i < end) {
      const read = readLineCommand(ctx.text, i, [], ctx.problems);
      if (read.words.length) {
        const words = read.words.filter((w) => w.span.end <= end).map((w) => (cmd.hereDoc?.expands && w.value.includes('$') ? hereDocVariable(w) : w));
        if (words.length) items.push({ kind: 'words', words, span: { start: words[0].span.start, end: words[words.length - 1].span.end }, start: i, line });
      }
      for (let k = i; k < read.next; k++) if (ctx.text.charCodeAt(k) === 10) line++;
      i = read.next;
    }
    readSaveItems(ctx, items, family);
    return;
  }
  const args = cmd.words.slice(1).filter((w) => !w.value.startsWith('-'));
  const file = cmd.input ?? args[args.length - 1];
  if (!file) {
    problem(ctx, 'unresolved-value', `${cmd.words[0].value} reads its rules from standard input, which is not in this file; they are not read`, cmd.span, 'info');
    return;
  }
  if (file.unresolved.length) {
    problem(ctx, 'unresolved-value', `${cmd.words[0].value} loads ${file.raw}, a path not known in this file; its rules are not read here`, cmd.span, 'info');
    return;
  }
  loads.push({ path: file.value, span: file.span, format: 'iptables' });
  problem(ctx, 'unresolved-value', `${cmd.words[0].value} loads its rules from ${file.value}; they are checked as that file, not as part of this script`, cmd.span, 'info');
}

/** A word of an unquoted here-document that the shell would expand: its value is not known here. */
function hereDocVariable(w: ShellWord): ShellWord {
  return { ...w, exact: false, unresolved: [{ text: w.raw, span: w.span, reason: 'the shell expands it in the here-document; its value is not known in this file' }] };
}

function readScript(ctx: Context, commands: readonly ShellCommand[], loads: LoadedFile[] = []): void {
  for (const cmd of commands) {
    const name = commandName(cmd.words[0]) ?? '';
    const restore = RESTORE_COMMANDS[name];
    if (restore !== undefined) {
      readRestore(ctx, cmd, restore, loads);
      continue;
    }
    let family = IPTABLES_COMMANDS[name];
    if (family === undefined) {
      // `$IPT -A INPUT …` with IPT set outside the file: read it as iptables, and say so.
      const unknownCommand = cmd.words[0].unresolved.length > 0;
      const looksLikeRule = cmd.words.slice(1).some((w) => /^(-[AIPNDRFX]|--append|--insert|--policy)$/.test(w.value));
      if (!unknownCommand || !looksLikeRule) continue;
      problem(ctx, 'unresolved-value', `${cmd.words[0].raw} is not set in this file; read as iptables (IPv4)`, cmd.words[0].span, 'info');
      family = 4;
    }
    runCommand(ctx, cmd.words.slice(1), family, undefined, cmd);
  }
}

function setPolicy(ctx: Context, chain: ChainState, family: Family, target: string, targetSpan: Span, span: Span): void {
  const action: Action | undefined = target === 'ACCEPT' ? 'allow' : target === 'DROP' ? 'deny' : undefined;
  if (!action) {
    problem(ctx, 'syntax-error', `a chain policy is ACCEPT or DROP, not "${target}"`, targetSpan, 'error');
    return;
  }
  if (!chain.builtin) {
    problem(ctx, 'syntax-error', `only built-in chains have a policy; ${chain.name} is a user chain`, span, 'error');
    return;
  }
  chain.policy[family] = { field: { value: action, span: targetSpan, text: target }, text: ctx.text.slice(span.start, span.end) };
}

/** Runs one iptables command (words after the program name, or one save-file line). */
/**
 * Index in `rules` of the `pos`-th (1-based) rule of `family`, or -1. Scans
 * only up to it: `-I CHAIN 1` in a long script must not copy the chain each time.
 */
function nthOfFamily(rules: readonly { family: Family }[], family: Family, pos: number): number {
  let seen = 0;
  for (let k = 0; k < rules.length; k++) {
    if (rules[k].family === family && ++seen === pos) return k;
  }
  return -1;
}

/** Runs one iptables command; for `-A` it returns what it appended, so a save file can keep it for the next version. */
function runCommand(
  ctx: Context,
  words: readonly ShellWord[],
  family: Family,
  saveTable: string | undefined,
  cmd: ShellCommand,
  line?: number,
): { chain: ChainState; nameSpan: Span; rules: PendingRule[] } | undefined {
  let table = saveTable ?? 'filter';
  const rest: ShellWord[] = [];
  let op: { flag: string; word: ShellWord; args: ShellWord[] } | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const v = w.value;
    if ((v === '-t' || v === '--table') && !saveTable) {
      table = words[++i]?.value ?? 'filter';
      continue;
    }
    const skip = v.charCodeAt(0) === 45 ? GLOBAL_FLAGS.get(v) : undefined;
    if (skip !== undefined) {
      i += skip;
      // `-w` / `--wait` take an optional number of seconds (`iptables -w 5 -A …`).
      if ((v === '-w' || v === '--wait') && /^\d+(?:\.\d+)?$/.test(words[i + 1]?.value ?? '')) i++;
      continue;
    }
    const opFlag = commandFlag(v);
    if (opFlag && !op) {
      const args: ShellWord[] = [];
      const arity = opFlag === '-E' ? 2 : opFlag === '-P' ? 2 : 1;
      for (let k = 0; k < arity && i + 1 < words.length && !words[i + 1].value.startsWith('-'); k++) args.push(words[++i]);
      // -I, -D and -R take an optional (for -R required) rule number next.
      if ((opFlag === '-I' || opFlag === '-D' || opFlag === '-R') && /^\d+$/.test(words[i + 1]?.value ?? '')) args.push(words[++i]);
      op = { flag: opFlag, word: w, args };
      continue;
    }
    rest.push(w);
  }
  if (!op) {
    if (words.length) problem(ctx, 'syntax-error', 'no command (-A, -I, -P, -N, …) in this iptables line', spanOf(words), 'error');
    return;
  }
  const chainWord = op.args[0];
  if (chainWord && chainWord.unresolved.length) {
    problem(ctx, 'unresolved-value', `chain ${chainWord.raw} is not known in this file; the command is not read`, chainWord.span);
    return;
  }
  const chainName = chainWord?.value;
  const span = cmd.span;
  ctx.families.add(family);
  switch (op.flag) {
    case '-A':
    case '-I':
    case '-R':
    case '-D': {
      if (!chainName) return problem(ctx, 'syntax-error', `${op.word.value} needs a chain name`, op.word.span, 'error');
      const chain = chainOf(ctx, table, chainName, span, chainWord.span);
      const num = op.args[1] ? Number(op.args[1].value) : undefined;
      if (op.flag === '-D') {
        if (num !== undefined) chain.rules = chain.rules.filter((r) => r.family !== family).concat(chain.rules.filter((r) => r.family === family).filter((_, k) => k !== num - 1));
        else {
          const key = ruleKey(rest);
          const at = chain.rules.findIndex((r) => r.family === family && r.key === key);
          if (at >= 0) chain.rules.splice(at, 1);
          else problem(ctx, 'syntax-error', `-D: no earlier rule in ${chainName} matches this one`, span, 'warning');
        }
        return;
      }
      const rules = readRule(ctx, rest, table, chainName, family, span, cmd.iteration, op.word.value, line);
      if (op.flag === '-A') {
        for (const r of rules) chain.rules.push(r);
        return { chain, nameSpan: chainWord.span, rules };
      } else {
        const pos = Math.max(1, num ?? 1);
        const at = nthOfFamily(chain.rules, family, pos);
        if (op.flag === '-R') {
          if (at < 0) problem(ctx, 'syntax-error', `-R: ${chainName} has no rule ${pos}`, span, 'warning');
          else chain.rules.splice(at, 1, ...rules);
        } else {
          chain.rules.splice(at >= 0 ? at : chain.rules.length, 0, ...rules);
        }
      }
      return;
    }
    case '-P': {
      if (!chainName) return problem(ctx, 'syntax-error', '-P needs a chain and a policy', op.word.span, 'error');
      const target = op.args[1];
      if (!target) return problem(ctx, 'syntax-error', `-P ${chainName} needs a policy (ACCEPT or DROP)`, span, 'error');
      if (target.unresolved.length) {
        problem(ctx, 'unresolved-value', `policy ${target.raw} is not known in this file; the policy is taken as ACCEPT, the default`, target.span);
        return;
      }
      const chain = chainOf(ctx, table, chainName, span, chainWord.span);
      setPolicy(ctx, chain, family, target.value, target.span, span);
      return;
    }
    case '-N':
      if (!chainName) return problem(ctx, 'syntax-error', '-N needs a chain name', op.word.span, 'error');
      chainOf(ctx, table, chainName, span, chainWord.span);
      return;
    case '-F': {
      const chains = ctx.tables.get(table);
      for (const c of chains?.values() ?? []) if (!chainName || c.name === chainName) c.rules = c.rules.filter((r) => r.family !== family);
      return;
    }
    case '-X': {
      const chains = ctx.tables.get(table);
      for (const c of [...(chains?.values() ?? [])]) if (!c.builtin && (!chainName || c.name === chainName)) chains?.delete(c.name);
      return;
    }
    case '-E': {
      const chains = ctx.tables.get(table);
      const c = chainName ? chains?.get(chainName) : undefined;
      const to = op.args[1]?.value;
      if (c && to && chains) {
        chains.delete(c.name);
        chains.set(to, { ...c, name: to });
      }
      return;
    }
    default:
      return; // -L, -S, -Z, -C: they change no rule.
  }
}

const COMMAND_FLAGS: ReadonlyMap<string, string> = new Map([
  ...['-A', '-I', '-D', '-R', '-P', '-N', '-F', '-X', '-E', '-L', '-S', '-Z', '-C'].map((f) => [f, f] as const),
  ...Object.entries({
    '--append': '-A', '--insert': '-I', '--delete': '-D', '--replace': '-R', '--policy': '-P', '--new-chain': '-N', '--new': '-N',
    '--flush': '-F', '--delete-chain': '-X', '--rename-chain': '-E', '--list': '-L', '--list-rules': '-S', '--zero': '-Z', '--check': '-C',
  }),
]);

function commandFlag(v: string): string | undefined {
  // Only options are looked up: hashing every address and port string would cost more than the rest of the line.
  return v.charCodeAt(0) === 45 ? COMMAND_FLAGS.get(v) : undefined;
}

function ruleKey(words: readonly ShellWord[]): string {
  return words.map((w) => w.value).join(' ');
}

interface Option {
  readonly name: string;
  readonly word: ShellWord;
  readonly values: ShellWord[];
  readonly negated: boolean;
  readonly module?: string;
}

/** Options whose value count does not depend on where they stand. */
const FIXED_ARITY: ReadonlyMap<string, number> = new Map([
  ...[
    '-p', '--protocol', '-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface', '-o', '--out-interface', '-j', '--jump', '-g',
    '--goto', '-m', '--match', '--dport', '--destination-port', '--sport', '--source-port', '--dports', '--destination-ports', '--sports',
    '--source-ports', '--ports', '--ctstate', '--state', '--comment', '--src-range', '--dst-range',
  ].map((o) => [o, 1] as const),
  ['-c', 2],
  ['--set-counters', 2],
  ['-f', 0],
  ['--fragment', 0],
  ['--match-set', 2],
]);

/** Splits a rule spec into options with their values and `!` negations (before or, in old style, after the option). */
function splitOptions(words: readonly ShellWord[]): Option[] {
  const out: Option[] = [];
  let negate = false;
  let module: string | undefined;
  let afterTarget = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.value === '!') {
      negate = true;
      continue;
    }
    if (!w.value.startsWith('-') || w.value === '-') {
      // A stray value; keep it as an unknown option so its span is reported.
      out.push({ name: w.value, word: w, values: [], negated: negate, module });
      negate = false;
      continue;
    }
    const name = w.value;
    const values: ShellWord[] = [];
    let negated = negate;
    negate = false;
    let arity: number;
    const fixed = FIXED_ARITY.get(name);
    if (fixed !== undefined) arity = fixed;
    else if (afterTarget && TARGET_OPTIONS.has(name)) arity = (TARGET_OPTIONS.get(name) as number);
    else if (UNDECIDED_MATCH_OPTIONS.has(name)) arity = (UNDECIDED_MATCH_OPTIONS.get(name) as number);
    else if (ASSUMED_MATCH_OPTIONS.has(name)) arity = (ASSUMED_MATCH_OPTIONS.get(name) as number);
    else if (TARGET_OPTIONS.has(name)) arity = (TARGET_OPTIONS.get(name) as number);
    else arity = -1;
    if (arity < 0) {
      // Unknown: take following words up to the next option as its values.
      while (i + 1 < words.length && !words[i + 1].value.startsWith('-') && words[i + 1].value !== '!') values.push(words[++i]);
    } else {
      for (let k = 0; k < arity && i + 1 < words.length; k++) {
        if (k === 0 && words[i + 1].value === '!' && arity > 0 && i + 2 < words.length) {
          negated = !negated;
          i++;
        }
        values.push(words[++i]);
      }
    }
    if (name === '-m' || name === '--match') module = values[0]?.value;
    if (name === '-j' || name === '--jump' || name === '-g' || name === '--goto') afterTarget = true;
    out.push({ name, word: w, values, negated, module: name === '-m' || name === '--match' ? undefined : module });
  }
  return out;
}

const valueSpan = (o: Option): Span => (o.values.length ? { start: o.values[0].span.start, end: o.values[o.values.length - 1].span.end } : o.word.span);
const optionSpan = (o: Option): Span => ({ start: o.word.span.start, end: valueSpan(o).end });
const optionText = (ctx: Context, o: Option): string => `${o.negated ? '! ' : ''}${ctx.text.slice(optionSpan(o).start, optionSpan(o).end)}`;

function readRule(
  ctx: Context,
  words: readonly ShellWord[],
  table: string,
  chain: string,
  family: Family,
  span: Span,
  iteration: string | undefined,
  command: string,
  line?: number,
): PendingRule[] {
  const fields: PendingRule['fields'] = {};
  const conditions: MatchCondition[] = [];
  const unresolved: Unresolved[] = [];
  let protocols: ProtocolSet | undefined;
  let targetName: PendingRule['targetName'];
  let sourceTwin: Field<PortSet> | undefined;
  let portOptionSpan: Span | undefined;
  const moduleWords = new Map<string, Span>();
  const unknown = (o: Option, message: string): void => {
    problem(ctx, 'unparsed-rule', message, optionSpan(o));
    conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'unknown' });
  };
  const noteUnresolved = (o: Option): boolean => {
    const list = o.values.flatMap((v) => v.unresolved);
    unresolved.push(...list);
    return list.length > 0;
  };
  for (const o of splitOptions(words)) {
    const name = o.name;
    const val = o.values[0];
    if (o.values.length === 0 && !['-f', '--fragment', '--syn'].includes(name) && !(TARGET_OPTIONS.has(name)) && !(UNDECIDED_MATCH_OPTIONS.has(name)) && !(ASSUMED_MATCH_OPTIONS.has(name))) {
      unknown(o, name.startsWith('-') ? `option ${name} needs a value` : `"${name}" is not an iptables option`);
      continue;
    }
    switch (name) {
      case '-p':
      case '--protocol': {
        if (noteUnresolved(o)) {
          conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'unknown' });
          break;
        }
        const p = parseProtocol(val.value === 'ipv6-icmp' || val.value === 'icmpv6' ? 'icmpv6' : val.value);
        if (!p.ok) {
          unknown(o, p.error);
          break;
        }
        protocols = o.negated ? p.value.complement() : p.value;
        fields.protocols = { value: protocols, span: val.span, text: `${o.negated ? '! ' : ''}${val.raw}` };
        break;
      }
      case '-s':
      case '--source':
      case '--src':
      case '-d':
      case '--destination':
      case '--dst':
      case '--src-range':
      case '--dst-range': {
        const isSource = ['-s', '--source', '--src', '--src-range'].includes(name);
        const set = readAddresses(ctx, o, family, unresolved);
        if (!set) break;
        const field = { value: o.negated ? set.complement() : set, span: val.span, text: `${o.negated ? '! ' : ''}${val.raw}` };
        if (isSource) fields.source = field;
        else fields.destination = field;
        break;
      }
      case '--match-set': {
        const dir = o.values[1]?.value ?? '';
        let set = AddressSet.symbol('named-set', val.value);
        if (o.negated) set = set.complement();
        const field = { value: set, span: val.span, text: `${o.negated ? '! ' : ''}${val.raw}` };
        // ipset matches by the first flag; `src,dst` style flags on hash:ip,port sets are beyond what we model.
        if (dir.includes(',')) unknown(o, `--match-set with "${dir}" matches more than an address; not evaluated`);
        else if (dir === 'src') fields.source = field;
        else fields.destination = field;
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port':
      case '--dports':
      case '--destination-ports':
      case '--sports':
      case '--source-ports':
      case '--ports': {
        if (noteUnresolved(o)) {
          conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'unknown' });
          break;
        }
        const ports = readPorts(val.value);
        if (!ports.ok) {
          unknown(o, ports.error);
          break;
        }
        const field = { value: o.negated ? ports.value.complement() : ports.value, span: val.span, text: `${o.negated ? '! ' : ''}${val.raw}` };
        portOptionSpan = optionSpan(o);
        if (name === '--ports') {
          fields.destinationPorts = field;
          sourceTwin = field;
        } else if (name.includes('dport') || name.includes('destination')) fields.destinationPorts = field;
        else fields.sourcePorts = field;
        break;
      }
      case '--ctstate':
      case '--state': {
        const states = val.value.toUpperCase().split(',');
        const matchesNew = states.includes('NEW') !== o.negated;
        const known = states.every((s) => ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'].includes(s));
        conditions.push({
          kind: 'conntrack',
          text: optionText(ctx, o),
          span: optionSpan(o),
          effect: !known ? 'unknown' : matchesNew ? 'assume-match' : 'never-matches-new',
        });
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const isLo = val.value === 'lo';
        const effect: MatchCondition['effect'] = isLo ? (o.negated ? 'assume-match' : 'never-matches-new') : o.negated ? 'unknown' : 'assume-match';
        conditions.push({ kind: name.startsWith('-i') || name === '--in-interface' ? 'interface-in' : 'interface-out', text: optionText(ctx, o), span: optionSpan(o), effect });
        break;
      }
      case '--comment':
        fields.comment = val.value;
        break;
      case '-m':
      case '--match':
        moduleWords.set(val.value, o.word.span);
        if (!PLAIN_MODULES.has(val.value) && !isKnownModule(val.value)) unknown(o, `match module "${val.value}" is not known`);
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        targetName = { name: val.value, span: val.span, goto: name === '-g' || name === '--goto', unresolved: val.unresolved.length > 0 };
        unresolved.push(...val.unresolved);
        break;
      case '-c':
      case '--set-counters':
        break;
      case '--syn':
        // iptables' shorthand for --tcp-flags FIN,SYN,RST,ACK SYN: the first packet of a new connection.
        conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: maskCompareEffect(0x17, 0x02, o.negated) });
        break;
      case '--tcp-flags': {
        if (noteUnresolved(o)) {
          conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'unknown' });
          break;
        }
        const mask = tcpFlagBits(o.values[0]?.value.split(',') ?? []);
        const compare = tcpFlagBits(o.values[1]?.value.split(',') ?? []);
        if (mask === undefined || compare === undefined || o.values.length < 2) {
          unknown(o, `--tcp-flags takes two lists of flags (SYN, ACK, FIN, RST, URG, PSH, ALL, NONE), as in --tcp-flags FIN,SYN,RST,ACK SYN`);
          break;
        }
        conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: maskCompareEffect(mask, compare, o.negated) });
        break;
      }
      case '-f':
      case '--fragment':
        // Only non-first fragments match; the first packet of a flow is never one.
        conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: o.negated ? 'assume-match' : 'never-matches-new' });
        break;
      default:
        if (ASSUMED_MATCH_OPTIONS.has(name)) {
          if (name !== '--limit-burst') conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'assume-match' });
        } else if (UNDECIDED_MATCH_OPTIONS.has(name) && (!targetName || !(TARGET_OPTIONS.has(name)))) {
          // One condition per match module (`-m recent --update --seconds 60 …`), not one per option.
          const prev = conditions[conditions.length - 1];
          if (prev && prev.kind === 'other' && prev.effect === 'unknown' && prev.span && o.module && prev.text.includes(`-m ${o.module}`)) {
            const span = { start: prev.span.start, end: optionSpan(o).end };
            conditions[conditions.length - 1] = { ...prev, span, text: ctx.text.slice(span.start, span.end) };
          } else {
            const mod = o.module ? moduleWords.get(o.module) : undefined;
            const span = mod ? { start: mod.start, end: optionSpan(o).end } : optionSpan(o);
            conditions.push({ kind: 'other', text: ctx.text.slice(span.start, span.end), span, effect: 'unknown' });
          }
        } else if (TARGET_OPTIONS.has(name) && targetName) {
          // Target options change what the target does to the packet, not which packets match.
        } else unknown(o, `option ${name} is not understood; flows this rule may decide are unknown`);
    }
  }
  if ((fields.destinationPorts || fields.sourcePorts) && protocols && !protocols.intersects(Protocols.of(TCP, UDP, 132, 33, 136))) {
    problem(ctx, 'syntax-error', 'ports are only matched with -p tcp, udp, sctp, dccp or udplite', portOptionSpan ?? span, 'error');
  }
  if (!protocols && (fields.destinationPorts || fields.sourcePorts)) {
    problem(ctx, 'syntax-error', 'a port match needs -p tcp or -p udp before it; iptables rejects this rule', portOptionSpan ?? span, 'error');
  }
  const base: PendingRule = {
    table,
    chain,
    family,
    key: ruleKey(words),
    span,
    line,
    iteration,
    targetName,
    fields,
    conditions,
    unresolved,
    command,
    meta: ruleMeta(table, chain, family, command),
  };
  if (!sourceTwin) return [base];
  const twinFields: RuleFields = { ...fields, sourcePorts: sourceTwin };
  delete twinFields.destinationPorts;
  return [base, { ...base, fields: twinFields, sourceTwin }];
}

function isKnownModule(name: string): boolean {
  return [
    'limit', 'recent', 'mark', 'owner', 'addrtype', 'mac', 'connlimit', 'physdev', 'pkttype', 'length', 'ttl', 'hl', 'string',
    'dscp', 'tos', 'hashlimit', 'statistic', 'u32', 'time', 'helper', 'realm', 'cgroup', 'policy', 'connmark', 'rt', 'frag',
    'ipv6header', 'ah', 'esp', 'socket', 'quota', 'nfacct', 'devgroup', 'cpu', 'bpf', 'ecn', 'tcpmss', 'rpfilter', 'geoip',
  ].includes(name);
}

function readAddresses(ctx: Context, o: Option, family: Family, unresolved: Unresolved[]): AddressSet | undefined {
  const val = o.values[0];
  if (val.unresolved.length) {
    unresolved.push(...val.unresolved);
    return AddressSet.symbol('variable', val.raw.replace(/^"|"$/g, ''));
  }
  const items = val.value.split(',');
  if (items.length > 1 && o.negated) problem(ctx, 'syntax-error', '! cannot be used with a list of addresses', val.span, 'error');
  let acc = AddressSet.none();
  for (const item of items) {
    const one = AddressSet.parse(family === 4 ? padShortIpv4(item) : item);
    if (one.ok) {
      const isV6 = !one.value.v6.isEmpty && one.value.v4.isEmpty;
      const isV4 = !one.value.v4.isEmpty && one.value.v6.isEmpty;
      if ((family === 4 && isV6) || (family === 6 && isV4)) {
        problem(ctx, 'syntax-error', `${item} is an IPv${family === 4 ? 6 : 4} address in an ${family === 4 ? 'iptables' : 'ip6tables'} rule`, val.span, 'error');
      }
      acc = acc.union(one.value);
    } else if (/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(item) && /[A-Za-z]/.test(item)) {
      // iptables resolves host names once, when the rule is loaded; we cannot.
      acc = acc.union(AddressSet.symbol('fqdn', item));
      unresolved.push({ text: item, span: val.span, reason: 'host name resolved by iptables when the rule is loaded' });
    } else {
      problem(ctx, 'unparsed-rule', one.error, val.span);
      acc = acc.union(AddressSet.symbol('variable', item));
      unresolved.push({ text: item, span: val.span, reason: one.error });
    }
  }
  return acc;
}

/**
 * iptables reads an IPv4 address of fewer than four parts with the missing
 * ones zero: `-s 0/0` is 0.0.0.0/0, `10.1/16` is 10.1.0.0/16.
 */
function padShortIpv4(item: string): string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){0,2})(\/\d{1,2})?$/.exec(item);
  if (!m) return item;
  const parts = m[1].split('.');
  while (parts.length < 4) parts.push('0');
  return `${parts.join('.')}${m[2] ?? ''}`;
}

/** `80`, `1000:2000`, `1000:`, `:1023`, and multiport's comma lists of those. */
function readPorts(text: string): { ok: true; value: PortSet } | { ok: false; error: string } {
  let acc = Ports.none();
  for (const item of text.split(',')) {
    let t = item;
    if (t.startsWith(':')) t = `0${t}`;
    if (t.endsWith(':')) t = `${t}65535`;
    const r = parsePortRange(t, [':']);
    if (!r.ok) {
      return { ok: false, error: /^[a-z][a-z0-9-]*$/i.test(item) ? `port name "${item}" is looked up in /etc/services by iptables; write the number` : r.error };
    }
    acc = acc.union(r.value);
  }
  return { ok: true, value: acc };
}

function buildRuleSets(ctx: Context, save: boolean): RuleSet[] {
  const out: RuleSet[] = [];
  const both = ctx.families.size > 1;
  const familyMeta = both ? 'ipv4+ipv6' : ctx.families.has(6) ? 'ipv6' : 'ipv4';
  for (const [table, chains] of ctx.tables) {
    const evaluated = table === 'filter';
    if (!evaluated && chains.size) {
      const first = [...chains.values()][0];
      problem(ctx, 'limit', `table ${table} is read but not evaluated: only the filter table decides whether a flow passes here`, first.span, 'info');
    }
    for (const chain of chains.values()) {
      if (!chain.builtin) continue;
      const direction = (BUILTIN_DIRECTION.get(chain.name) as Direction);
      const ids = new Map<string, number>();
      const makeRules = (list: readonly PendingRule[]): Rule[] =>
        list.map((p, order) => toRule(ctx, p, order, direction, chains, both, ids));
      const rules = makeRules(chain.rules);
      const userChains: Record<string, readonly Rule[]> = {};
      for (const c of chains.values()) if (!c.builtin) userChains[c.name] = makeRules(c.rules);
      const v4 = chain.policy[4];
      const v6 = chain.policy[6];
      const main = v4 ?? v6;
      const defaults: RuleSet['defaults'] = { [direction]: main?.field ?? { value: 'allow' } };
      if (both && (v4?.field.value ?? 'allow') !== (v6?.field.value ?? 'allow')) {
        // One default cannot say "IPv4 drops, IPv6 accepts": each family's policy becomes a last rule for its addresses.
        for (const [fam, pol] of [[4, v4], [6, v6]] as const) {
          const anyFam = fam === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
          const action = pol?.field.value ?? 'allow';
          rules.push(
            makeRule({
              id: `policy IPv${fam}`,
              target: action === 'allow' ? { kind: 'allow' } : { kind: 'deny' },
              direction,
              span: pol?.field.span ?? chain.span,
              raw: pol?.text ?? `(${fam === 4 ? 'iptables' : 'ip6tables'} default policy ACCEPT)`,
              order: rules.length,
              implicit: true,
              source: { value: anyFam },
              destination: { value: anyFam },
              chain: chain.name,
              meta: { table, chain: chain.name, family: `ipv${fam}`, policy: 'true' },
            }),
          );
        }
      }
      out.push({
        id: `${table}/${chain.name}`,
        name: chain.name,
        format: 'iptables',
        kind: 'iptables-chain',
        semantics: 'first-match',
        directions: evaluated && direction && ['INPUT', 'OUTPUT', 'FORWARD'].includes(chain.name) ? [direction] : [],
        rules,
        chains: userChains,
        defaults,
        span: chain.span,
        nameSpan: chain.nameSpan,
        appliesTo: [chain.name],
        ...(both ? {} : { families: [ctx.families.has(6) ? 6 : 4] as const }),
        meta: {
          table,
          chain: chain.name,
          family: familyMeta,
          style: save ? 'iptables-save' : 'script',
          ...(evaluated ? {} : { evaluated: 'false' }),
        },
      });
    }
  }
  return out;
}

/** What toRule made of a pending rule, reused while its inputs stay the same (the pending rule came from the cache unchanged). */
interface BuiltRule {
  readonly rule: Rule;
  readonly problems: readonly ParseProblem[];
  readonly both: boolean;
  readonly targetKey: string;
}

const LINE_IDS: string[] = [];
/** `line N`, one string per line number: the same string each version, so its hash is computed once and comparisons are by identity. */
function lineId(line: number): string {
  if (line >= 200_000) return `line ${line}`;
  return (LINE_IDS[line] ??= `line ${line}`);
}

const META = new Map<string, Readonly<Record<string, string>>>();
/** Rules of one chain share one meta object (it is read-only). */
function ruleMeta(table: string, chain: string, family: Family, command: string): Readonly<Record<string, string>> {
  const key = `${table}\u0000${chain}\u0000${family}\u0000${command}`;
  let meta = META.get(key);
  if (!meta) {
    if (META.size > 10_000) META.clear();
    META.set(key, (meta = { table, chain, family: `ipv${family}`, command }));
  }
  return meta;
}

function toRule(
  ctx: Context,
  p: PendingRule,
  order: number,
  direction: Direction,
  chains: ReadonlyMap<string, ChainState>,
  both: boolean,
  ids: Map<string, number>,
): Rule {
  let extra: MatchCondition | undefined;
  let unknownTarget: string | undefined;
  let target: RuleTarget = NO_TARGET;
  const t = p.targetName;
  if (t) {
    if (t.unresolved) {
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `target ${t.name} is not known in this file` };
    } else if (TERMINAL_TARGETS.has(t.name) && !t.goto) target = TERMINAL_TARGETS.get(t.name) as RuleTarget;
    else if (CONTINUE_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} does not end evaluation` };
    else if (NAT_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} (address translation)` };
    else if (QUEUE_TARGETS.has(t.name)) {
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `${t.name} hands the packet to a user-space program, which decides` };
    } else if (chains.has(t.name) && !chains.get(t.name)?.builtin) target = t.goto ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name };
    else {
      unknownTarget = `"${t.name}" is neither a target nor a chain of table ${p.table}`;
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `unknown target ${t.name}` };
    }
  }
  const line = p.line ?? (ctx.lines ??= new LineIndex(ctx.text)).positionAt(p.span.start).line + 1;
  let id = p.iteration ? `line ${line} (${p.iteration})` : lineId(line);
  if (p.sourceTwin && p.fields.sourcePorts === p.sourceTwin && !p.fields.destinationPorts) id += ' (source port)';
  // A save-file line holds one command, so its rules' ids cannot collide; scripts (loops, -I) can repeat a line.
  if (p.line === undefined || p.iteration !== undefined) {
    const seen = ids.get(id) ?? 0;
    ids.set(id, seen + 1);
    if (seen > 0) id = `${id} #${seen + 1}`;
  }
  const targetKey = target.kind === 'jump' || target.kind === 'goto' ? `${target.kind} ${target.chain}` : target.kind === 'continue' ? `continue ${target.note}` : target.kind;
  let variants = p.built;
  if (variants) {
    for (const built of variants) {
      if (built.rule.id === id && built.rule.order === order && built.rule.direction === direction && built.both === both && built.targetKey === targetKey) {
        for (const x of built.problems) ctx.problems.push(x);
        return built.rule;
      }
    }
  } else p.built = variants = [];
  const problemsBefore = ctx.problems.length;
  if (unknownTarget && t) problem(ctx, 'unparsed-rule', unknownTarget, t.span);
  const restrict = (f: Field<AddressSet> | undefined): Field<AddressSet> | undefined => {
    if (!both) return f;
    const fam = p.family === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
    if (!f) return { value: fam };
    const within = f.value.intersect(fam);
    return { ...f, value: AddressSet.of(within.v4, within.v6, f.value.symbols) };
  };
  const f = p.fields;
  const source = restrict(f.source) ?? RULE_DEFAULTS.source;
  const destination = restrict(f.destination) ?? RULE_DEFAULTS.destination;
  const conditions = extra ? [...p.conditions, extra] : p.conditions;
  const meta = p.meta;
  const raw = ctx.text.slice(p.span.start, p.span.end);
  // One object literal, always with `comment` (undefined when there is none): rules built by spreading
  // partial objects all differ in shape and are slow to make and read.
  const rule: Rule = {
        protocols: f.protocols ?? RULE_DEFAULTS.protocols,
        source,
        destination,
        sourcePorts: f.sourcePorts ?? RULE_DEFAULTS.sourcePorts,
        destinationPorts: f.destinationPorts ?? RULE_DEFAULTS.destinationPorts,
        enabled: RULE_DEFAULTS.enabled,
        conditions,
        unresolved: p.unresolved,
        id,
        target,
        direction,
        span: p.span,
        raw,
        order,
        chain: p.chain,
        meta,
        comment: f.comment,
  };
  if (variants.length >= 6) variants.shift();
  variants.push({ rule, problems: ctx.problems.slice(problemsBefore), both, targetKey });
  return rule;
}

const NO_TARGET: RuleTarget = { kind: 'continue', note: 'no target: the rule only counts packets' };
