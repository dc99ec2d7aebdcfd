import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import type { Field, MatchCondition, RuleTarget, Span, Unresolved } from '../../model';
import type { ShellWord } from '../shell';
import { maskCompareEffect, tcpFlagBits } from '../tcpFlags';
import { type Context, type Family, type PendingRule, problem, type RuleFields } from './context';

/**
 * The rule options of one `-A`/`-I` command: split into options with their
 * values and negations, then read into the fields, conditions and target of a
 * pending rule. Options whose effect on a new flow cannot be decided make the
 * rule's match unknown, with the option named.
 */

export const TERMINAL_TARGETS: ReadonlyMap<string, RuleTarget> = new Map(Object.entries({
  ACCEPT: { kind: 'allow' },
  DROP: { kind: 'deny' },
  REJECT: { kind: 'deny', reject: true },
  RETURN: { kind: 'return' },
}));

/** Targets that act on the packet and let it go on to the next rule. */
export const CONTINUE_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TCPMSS', 'TRACE', 'AUDIT', 'CT',
  'NOTRACK', 'SET', 'CHECKSUM', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'RATEEST', 'TEE', 'ECN', 'TCPOPTSTRIP',
]);

/** Terminating in the nat table, which is never evaluated; kept as notes. */
export const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'TPROXY']);

export const QUEUE_TARGETS = new Set(['QUEUE', 'NFQUEUE']);

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

export function ruleKey(words: readonly ShellWord[]): string {
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

export function readRule(
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
