import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import {
  LineIndex,
  makeRule,
  type Action,
  type Comment,
  type Direction,
  type Field,
  type MatchCondition,
  type ParsedFile,
  type ParseOptions,
  type ParseProblem,
  type Rule,
  type RuleSet,
  type RuleTarget,
  type Span,
  type Unresolved,
} from '../../model';
import { commandName, readShell, type ShellCommand, type ShellWord } from '../shell';

/**
 * iptables-save / ip6tables-save output and shell scripts of iptables and
 * ip6tables commands. Only the filter table decides whether a flow passes;
 * the other tables are read and kept (with no direction, so nothing
 * evaluates them) and a note says so.
 */

type Family = 4 | 6;

const BUILTIN_DIRECTION: Readonly<Record<string, Direction>> = {
  INPUT: 'inbound',
  OUTPUT: 'outbound',
  FORWARD: 'forward',
  PREROUTING: 'inbound',
  POSTROUTING: 'outbound',
};

const TERMINAL_TARGETS: Readonly<Record<string, RuleTarget>> = {
  ACCEPT: { kind: 'allow' },
  DROP: { kind: 'deny' },
  REJECT: { kind: 'deny', reject: true },
  RETURN: { kind: 'return' },
};

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
const TARGET_OPTIONS: Readonly<Record<string, number>> = {
  '--log-prefix': 1, '--log-level': 1, '--log-tcp-sequence': 0, '--log-tcp-options': 0, '--log-ip-options': 0, '--log-uid': 0,
  '--log-macdecode': 0, '--nflog-group': 1, '--nflog-prefix': 1, '--nflog-threshold': 1, '--nflog-range': 1, '--nflog-size': 1,
  '--ulog-prefix': 1, '--ulog-nlgroup': 1, '--set-mark': 1, '--set-xmark': 1, '--and-mark': 1, '--or-mark': 1, '--xor-mark': 1,
  '--save-mark': 0, '--restore-mark': 0, '--reject-with': 1, '--to-destination': 1, '--to-source': 1, '--to-ports': 1,
  '--to': 1, '--random': 0, '--random-fully': 0, '--persistent': 0, '--queue-num': 1, '--queue-balance': 1, '--queue-bypass': 0,
  '--fail-open': 0, '--set-class': 1, '--set-dscp': 1, '--set-dscp-class': 1, '--set-tos': 1, '--clamp-mss-to-pmtu': 0,
  '--set-mss': 1, '--notrack': 0, '--zone': 1, '--helper': 1, '--add-set': 2, '--del-set': 2, '--exist': 0, '--timeout': 1,
  '--gateway': 1, '--ttl-set': 1, '--ttl-dec': 1, '--ttl-inc': 1, '--hl-set': 1, '--hl-dec': 1, '--hl-inc': 1, '--type': 1,
  '--checksum-fill': 0, '--selctx': 1, '--mode': 1,
};

/** Match options we recognise but whose effect on a new flow we cannot decide, with their value counts. */
const UNDECIDED_MATCH_OPTIONS: Readonly<Record<string, number>> = {
  '--mark': 1, '--uid-owner': 1, '--gid-owner': 1, '--socket-exists': 0, '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0,
  '--limit-iface-out': 0, '--set': 0, '--rcheck': 0, '--update': 0, '--remove': 0, '--seconds': 1, '--hitcount': 1, '--name': 1,
  '--rsource': 0, '--rdest': 0, '--reap': 0, '--rttl': 0, '--mask': 1, '--mac-source': 1, '--tcp-flags': 2, '--icmp-type': 1,
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
};

/** Options that hold for the first packet of a new connection and so are taken as matching. */
const ASSUMED_MATCH_OPTIONS: Readonly<Record<string, number>> = { '--syn': 0, '--limit': 1, '--limit-burst': 1 };

const GLOBAL_FLAGS: Readonly<Record<string, number>> = {
  '-w': 0, '--wait': 0, '-W': 1, '--wait-interval': 1, '-v': 0, '--verbose': 0, '-n': 0, '--numeric': 0, '-x': 0, '--exact': 0,
  '--line-numbers': 0, '-4': 0, '--ipv4': 0, '-6': 0, '--ipv6': 0, '--modprobe': 1,
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RuleFields = Mutable<Pick<Partial<Rule>, 'protocols' | 'source' | 'destination' | 'sourcePorts' | 'destinationPorts' | 'comment'>>;

interface PendingRule {
  readonly table: string;
  readonly chain: string;
  readonly family: Family;
  /** Normalised rule text, to find the rule a `-D CHAIN rule…` names. */
  readonly key: string;
  readonly span: Span;
  readonly iteration?: string;
  readonly targetName?: { readonly name: string; readonly span: Span; readonly goto: boolean; readonly unresolved: boolean };
  readonly fields: RuleFields;
  readonly conditions: MatchCondition[];
  readonly unresolved: Unresolved[];
  readonly command: string;
  /** A `--ports` rule matches either port; it is written as a destination-port rule then a source-port one. */
  readonly sourceTwin?: Field<PortSet>;
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
  readonly lines: LineIndex;
}

function chainOf(ctx: Context, table: string, name: string, span: Span, nameSpan: Span): ChainState {
  let chains = ctx.tables.get(table);
  if (!chains) ctx.tables.set(table, (chains = new Map()));
  let chain = chains.get(name);
  if (!chain) {
    chain = { name, table, builtin: name in BUILTIN_DIRECTION, rules: [], policy: {}, span, nameSpan };
    chains.set(name, chain);
  }
  return chain;
}

function problem(ctx: Context, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
  ctx.problems.push({ code, message, span, severity });
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

/** The address family a save file is for: its header, else the addresses it holds. */
function saveFileFamily(text: string, comments: readonly Comment[]): Family {
  for (const c of comments) {
    if (/ip6tables-save/.test(c.text)) return 6;
    if (/iptables-save/.test(c.text)) return 4;
  }
  const v6 = /\s-[sd]\s+!?\s*[0-9a-fA-F]*:[0-9a-fA-F:]*[/\s]/.test(text) || /icmpv6|ipv6-icmp/.test(text);
  const v4 = /\s-[sd]\s+!?\s*\d+\.\d+\.\d+\.\d+/.test(text);
  return v6 && !v4 ? 6 : 4;
}

const IPTABLES_COMMANDS: Readonly<Record<string, Family>> = {
  iptables: 4,
  'iptables-legacy': 4,
  'iptables-nft': 4,
  ip6tables: 6,
  'ip6tables-legacy': 6,
  'ip6tables-nft': 6,
};

export function parseIptables(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const save = isSaveFormat(text);
  const script = readShell(text, { expand: !save });
  const ctx: Context = { text, problems: [...script.problems], tables: new Map(), families: new Set(), lines: new LineIndex(text) };
  for (const s of script.sourced) {
    problem(ctx, 'unresolved-value', `"${s.path}" is sourced but not read: variables it sets stay unknown`, s.span, 'info');
  }
  if (save) {
    // iptables-restore reads bytes: a BOM spoils the first line and a CR ends up in table and chain names.
    if (text.charCodeAt(0) === 0xfeff) problem(ctx, 'syntax-error', 'iptables-restore rejects a file that starts with a byte-order mark; save it without one', { start: 0, end: 1 }, 'warning');
    const cr = text.indexOf('\r\n');
    if (cr >= 0) problem(ctx, 'syntax-error', 'iptables-restore does not accept Windows (CRLF) line endings; save the file with LF endings', { start: cr, end: cr + 2 }, 'warning');
    readSaveFile(ctx, script.commands, saveFileFamily(text, script.comments));
  }
  else readScript(ctx, script.commands);
  return { uri, format: 'iptables', text, ruleSets: buildRuleSets(ctx, save), problems: ctx.problems, comments: script.comments };
}

function readSaveFile(ctx: Context, commands: readonly ShellCommand[], family: Family): void {
  let table: string | undefined;
  for (const cmd of commands) {
    let words = cmd.words;
    // `iptables-save -c` puts packet counters in front of each rule.
    if (/^\[\d+:\d+\]$/.test(words[0].value) && words.length > 1) words = words.slice(1);
    const first = words[0].value;
    if (first.startsWith('*')) {
      table = first.slice(1);
      if (!table) problem(ctx, 'syntax-error', 'a table line names its table: "*filter"', cmd.span, 'error');
      continue;
    }
    if (first === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (!table) {
      problem(ctx, 'syntax-error', `"${first}" outside a table: start the table with "*filter" and end it with COMMIT`, cmd.span, 'error');
      continue;
    }
    if (first.startsWith(':')) {
      const name = first.slice(1);
      const policy = words[1]?.value ?? '-';
      const chain = chainOf(ctx, table, name, cmd.span, { start: words[0].span.start + 1, end: words[0].span.end });
      chain.span = cmd.span;
      ctx.families.add(family);
      if (policy !== '-') setPolicy(ctx, chain, family, policy, words[1].span, cmd.span);
      continue;
    }
    if (first.startsWith('-')) {
      runCommand(ctx, words, family, table, cmd);
      continue;
    }
    problem(ctx, 'syntax-error', `"${first}" is not an iptables-save line (expected *table, :CHAIN, -A, COMMIT)`, cmd.span, 'error');
  }
  if (table) problem(ctx, 'syntax-error', `table ${table} has no COMMIT: iptables-restore would not load it`, { start: ctx.text.length, end: ctx.text.length }, 'error');
}

function readScript(ctx: Context, commands: readonly ShellCommand[]): void {
  for (const cmd of commands) {
    const name = commandName(cmd.words[0]) ?? '';
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

function runCommand(ctx: Context, words: readonly ShellWord[], family: Family, saveTable: string | undefined, cmd: ShellCommand): void {
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
    if (v in GLOBAL_FLAGS) {
      i += GLOBAL_FLAGS[v];
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
      const rules = readRule(ctx, rest, table, chainName, family, span, cmd.iteration, op.word.value);
      if (op.flag === '-A') chain.rules.push(...rules);
      else {
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

function commandFlag(v: string): string | undefined {
  const long: Record<string, string> = {
    '--append': '-A', '--insert': '-I', '--delete': '-D', '--replace': '-R', '--policy': '-P', '--new-chain': '-N', '--new': '-N',
    '--flush': '-F', '--delete-chain': '-X', '--rename-chain': '-E', '--list': '-L', '--list-rules': '-S', '--zero': '-Z', '--check': '-C',
  };
  if (long[v]) return long[v];
  return /^-[AIDRPNFXELSZC]$/.test(v) ? v : undefined;
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
    if (['-p', '--protocol', '-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface', '-o', '--out-interface', '-j', '--jump', '-g', '--goto', '-m', '--match'].includes(name)) arity = 1;
    else if (name === '-c' || name === '--set-counters') arity = 2;
    else if (name === '-f' || name === '--fragment') arity = 0;
    else if (['--dport', '--destination-port', '--sport', '--source-port', '--dports', '--destination-ports', '--sports', '--source-ports', '--ports', '--ctstate', '--state', '--comment', '--src-range', '--dst-range'].includes(name)) arity = 1;
    else if (name === '--match-set') arity = 2;
    else if (afterTarget && name in TARGET_OPTIONS) arity = TARGET_OPTIONS[name];
    else if (name in UNDECIDED_MATCH_OPTIONS) arity = UNDECIDED_MATCH_OPTIONS[name];
    else if (name in ASSUMED_MATCH_OPTIONS) arity = ASSUMED_MATCH_OPTIONS[name];
    else if (name in TARGET_OPTIONS) arity = TARGET_OPTIONS[name];
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
    if (o.values.length === 0 && !['-f', '--fragment', '--syn'].includes(name) && !(name in TARGET_OPTIONS) && !(name in UNDECIDED_MATCH_OPTIONS) && !(name in ASSUMED_MATCH_OPTIONS)) {
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
      case '-f':
      case '--fragment':
        // Only non-first fragments match; the first packet of a flow is never one.
        conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: o.negated ? 'assume-match' : 'never-matches-new' });
        break;
      default:
        if (name in ASSUMED_MATCH_OPTIONS) {
          if (name !== '--limit-burst') conditions.push({ kind: 'other', text: optionText(ctx, o), span: optionSpan(o), effect: 'assume-match' });
        } else if (name in UNDECIDED_MATCH_OPTIONS && (!targetName || !(name in TARGET_OPTIONS))) {
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
        } else if (name in TARGET_OPTIONS && targetName) {
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
    iteration,
    targetName,
    fields,
    conditions,
    unresolved,
    command,
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
    const one = AddressSet.parse(item);
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
      const direction = BUILTIN_DIRECTION[chain.name];
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

function toRule(
  ctx: Context,
  p: PendingRule,
  order: number,
  direction: Direction,
  chains: ReadonlyMap<string, ChainState>,
  both: boolean,
  ids: Map<string, number>,
): Rule {
  const conditions = [...p.conditions];
  let target: RuleTarget = { kind: 'continue', note: 'no target: the rule only counts packets' };
  const t = p.targetName;
  if (t) {
    if (t.unresolved) {
      conditions.push({ kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' });
      target = { kind: 'continue', note: `target ${t.name} is not known in this file` };
    } else if (TERMINAL_TARGETS[t.name] && !t.goto) target = TERMINAL_TARGETS[t.name];
    else if (CONTINUE_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} does not end evaluation` };
    else if (NAT_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} (address translation)` };
    else if (QUEUE_TARGETS.has(t.name)) {
      conditions.push({ kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' });
      target = { kind: 'continue', note: `${t.name} hands the packet to a user-space program, which decides` };
    } else if (chains.has(t.name) && !chains.get(t.name)?.builtin) target = t.goto ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name };
    else {
      problem(ctx, 'unparsed-rule', `"${t.name}" is neither a target nor a chain of table ${p.table}`, t.span);
      conditions.push({ kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' });
      target = { kind: 'continue', note: `unknown target ${t.name}` };
    }
  }
  const line = ctx.lines.positionAt(p.span.start).line + 1;
  let id = p.iteration ? `line ${line} (${p.iteration})` : `line ${line}`;
  if (p.sourceTwin && p.fields.sourcePorts === p.sourceTwin && !p.fields.destinationPorts) id += ' (source port)';
  const seen = ids.get(id) ?? 0;
  ids.set(id, seen + 1);
  if (seen > 0) id = `${id} #${seen + 1}`;
  const restrict = (f: Field<AddressSet> | undefined): Field<AddressSet> | undefined => {
    if (!both) return f;
    const fam = p.family === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
    if (!f) return { value: fam };
    const within = f.value.intersect(fam);
    return { ...f, value: AddressSet.of(within.v4, within.v6, f.value.symbols) };
  };
  const source = restrict(p.fields.source);
  const destination = restrict(p.fields.destination);
  return makeRule({
    ...p.fields,
    ...(source ? { source } : {}),
    ...(destination ? { destination } : {}),
    id,
    target,
    direction,
    span: p.span,
    raw: ctx.text.slice(p.span.start, p.span.end),
    order,
    conditions,
    unresolved: p.unresolved,
    chain: p.chain,
    meta: { table: p.table, chain: p.chain, family: `ipv${p.family}`, command: p.command },
  });
}
