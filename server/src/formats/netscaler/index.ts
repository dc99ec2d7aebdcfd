import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, type PortSet, type ProtocolSet } from '../../net';
import {
  makeRule,
  type Comment,
  type Field,
  type MatchCondition,
  type ParsedFile,
  type ParseOptions,
  type ParseProblem,
  type Rule,
  type RuleSet,
  type Span,
  type Unresolved,
} from '../../model';
import { lowerOf, MAX_ACL_PRIORITY, optionsOf, splitCommands, tokenSpan, type CommandLine, type Token } from './commands';

export { splitCommands } from './commands';

/** The NetScaler ADC's own addresses, as the configuration declares them. */
export interface AdcAddresses {
  readonly nsip: string[];
  readonly snip: string[];
  readonly vip: string[];
  /** Gateway (`vpn vserver`) addresses: the VIPs users connect to. */
  readonly gateway: string[];
  readonly gatewayNames: string[];
}

type Family = 4 | 6;

interface ExtendedAcl {
  name: string;
  readonly family: Family;
  action: 'ALLOW' | 'DENY' | 'BRIDGE';
  /** Options by lower-case name, as last set. */
  readonly options: Map<string, { nameToken: Token; values: Token[] }>;
  line: CommandLine;
  nameToken: Token;
  enabled: boolean;
  /** Priority the ADC gave it when none was written: after the highest one at the time. */
  assignedPriority: number;
  /** The written priority, else the assigned one; kept current by `set` and `unset`. */
  priority: number;
  readonly created: number;
  /** Added or changed after the last `apply ns acls` of a batch file: not in force yet. */
  pending?: CommandLine;
}

interface SimpleAcl {
  readonly name: string;
  readonly family: Family;
  readonly line: CommandLine;
  readonly nameToken: Token;
  readonly options: Map<string, { nameToken: Token; values: Token[] }>;
  readonly created: number;
}

/** Options of `add ns acl` that do not change which packets of a flow between two hosts match. */
const NEUTRAL_OPTIONS = new Set(['kernelstate', 'logstate', 'ratelimit', 'priority', 'state', 'type', 'dfdhash', 'dfdprefix', 'nodegroup', 'stateful', 'ttl', 'comment']);
/** Options that limit a rule to some packets in ways the topology does not say: flows they may decide are unknown. */
const UNKNOWN_OPTIONS: Readonly<Record<string, string>> = {
  interface: 'the interface the packet arrives on',
  vlan: 'the VLAN the packet arrives on',
  vxlan: 'the VXLAN the packet arrives on',
  srcmac: 'the sender’s MAC address',
  srcmacmask: 'the sender’s MAC address',
  icmptype: 'the ICMP type',
  icmpcode: 'the ICMP code',
  srcportdataset: 'a policy dataset of source ports defined elsewhere',
  destportdataset: 'a policy dataset of destination ports defined elsewhere',
};
const SIMPLE_OPTIONS = new Set(['srcip', 'srcipv6', 'destport', 'protocol', 'ttl', 'estsessions', 'td']);
const ADDRESS_OPTIONS: Readonly<Record<Family, { source: string; destination: string }>> = {
  4: { source: 'srcip', destination: 'destip' },
  6: { source: 'srcipv6', destination: 'destipv6' },
};

/**
 * NetScaler ADC configuration (ns.conf, or a batch file of CLI commands) →
 * one rule set of the ADC's ACLs. Per NetScaler's documentation: simple ACLs
 * (drop only) are matched first, then extended ACLs by priority, lower
 * first; the first match decides, and a packet no ACL matches is processed,
 * so the default is allow. ACLs filter the packets the ADC receives, not
 * the ones it sends, and keep no state: the replies to a connection the
 * ADC opens (from a SNIP to a VDA) must be allowed inbound like any packet,
 * which `-established` exists for. Extended ACLs a batch file adds or
 * changes are not in force until `apply ns acls`; a saved configuration is
 * applied as the ADC loads it at boot.
 */
export function parseNetscaler(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const problems: ParseProblem[] = [];
  const comments: Comment[] = [];
  try {
    return { uri, format: 'netscaler', text, ruleSets: parseInto(text, problems, comments), problems, comments };
  } catch (e) {
    problems.push({ code: 'syntax-error', severity: 'error', span: { start: 0, end: text.length }, message: `internal error reading the NetScaler configuration: ${(e as Error)?.message ?? e}` });
    return { uri, format: 'netscaler', text, ruleSets: [], problems, comments };
  }
}

function parseInto(text: string, problems: ParseProblem[], comments: Comment[]): RuleSet[] {
  const lines = splitCommands(text);
  const extended = new Map<string, ExtendedAcl>();
  const simple = new Map<string, SimpleAcl>();
  const addresses: AdcAddresses = { nsip: [], snip: [], vip: [], gateway: [], gatewayNames: [] };
  const saved = lines.some((l) => l.comment !== undefined && /^NS\d+(\.\d+)* Build /i.test(l.comment));
  const datasets = new Map<string, AddressSet>();
  let created = 0;
  let aclCommands = 0;
  const applyLines = new Map<Family, CommandLine>();
  let first: CommandLine | undefined;
  // The highest priority given so far, per family: what an ACL added without one comes after.
  const highestSeen = new Map<Family, number>();
  const highest = (family: Family): number => highestSeen.get(family) ?? 0;
  const noteHighest = (a: ExtendedAcl): void => {
    highestSeen.set(a.family, Math.max(highest(a.family), a.priority));
  };
  const warn = (span: Span, message: string, code: ParseProblem['code'] = 'unparsed-rule'): void => {
    problems.push({ code, severity: 'warning', span, message });
  };

  for (const line of lines) {
    if (line.comment !== undefined) {
      comments.push({ span: { start: line.start, end: line.end }, text: line.comment.trim() });
      continue;
    }
    const t = line.tokens;
    if (t.length < 2) continue;
    if (line.unclosedQuote) warn({ start: line.start, end: line.end }, 'a double quote is not closed on this line: the command is read up to the end of the line');
    const verb = lowerOf(t[0]);
    const group = lowerOf(t[1]);
    const object = lowerOf(t[2]);
    if (group === 'ns' && (object === 'config' || object === 'ip' || object === 'ip6')) {
      readAddress(verb, object, t, addresses);
      continue;
    }
    if ((group === 'vpn' || group === 'lb' || group === 'cs') && object === 'vserver' && verb === 'add') {
      // add vpn vserver NAME SSL 203.0.113.10 443: the address users reach.
      const ip = t[5]?.text;
      if (ip && AddressSet.parse(ip).ok && ip !== '0.0.0.0') (group === 'vpn' ? addresses.gateway : addresses.vip).push(ip);
      if (group === 'vpn' && t[3]) addresses.gatewayNames.push(t[3].text);
      continue;
    }
    if (group === 'policy' && object === 'dataset') {
      readDataset(verb, t, datasets);
      continue;
    }
    if (group !== 'ns') continue;
    const family: Family = object.endsWith('6') ? 6 : 4;
    const kind = object.replace(/6$/, '');
    if (kind !== 'acl' && kind !== 'acls' && kind !== 'simpleacl') continue;
    aclCommands++;
    first ??= line;
    if (kind === 'acls') {
      if (verb === 'apply') {
        applyLines.set(family, line);
        for (const a of extended.values()) if (a.family === family) a.pending = undefined;
      } else if (verb === 'clear') {
        for (const [k, a] of extended) if (a.family === family) extended.delete(k);
      } else if (verb === 'renumber') {
        // Renumbering keeps the order; the priorities in messages may then differ from the device's.
      } else if (verb !== 'show' && verb !== 'stat') warn(spanOfLine(line), `"${t.slice(0, 3).map((x) => x.text).join(' ')}" is not a command this reader knows; the ACLs are read as if it were not there`);
      continue;
    }
    if (kind === 'simpleacl') {
      if (verb === 'add') {
        const name = t[3];
        if (!name) {
          warn(spanOfLine(line), 'add ns simpleacl without a name');
          continue;
        }
        if (lowerOf(t[4]) !== 'deny') warn(t[4] ? tokenSpan(t[4]) : spanOfLine(line), 'a simple ACL only drops packets: its action must be DENY; read as DENY');
        const options = new Map(optionsOf(t, 5).map((o) => [o.name, { nameToken: o.nameToken, values: o.values }]));
        simple.set(name.text.toLowerCase(), { name: name.text, family, line, nameToken: name, options, created: created++ });
      } else if (verb === 'rm') {
        if (!t[3] || !simple.delete(t[3].text.toLowerCase())) warn(spanOfLine(line), `no simple ACL ${t[3]?.text ?? ''} earlier in this file to remove (it may be on the device already)`);
      } else if (verb === 'clear' || verb === 'flush') {
        for (const [k, a] of simple) if (a.family === family) simple.delete(k);
      } else if (verb !== 'show' && verb !== 'stat') warn(spanOfLine(line), `"${t.slice(0, 3).map((x) => x.text).join(' ')}" is not a command this reader knows`);
      continue;
    }
    // Extended ACLs.
    const name = t[3];
    if (!name) {
      if (verb !== 'show' && verb !== 'stat') warn(spanOfLine(line), `${t.slice(0, 3).map((x) => x.text).join(' ')} without an ACL name`);
      continue;
    }
    const key = name.text.toLowerCase();
    const acl = extended.get(key);
    if (verb === 'add') {
      const action = t[4]?.text.toUpperCase();
      if (action !== 'ALLOW' && action !== 'DENY' && action !== 'BRIDGE') {
        warn(t[4] ? tokenSpan(t[4]) : spanOfLine(line), `add ns ${object} ${name.text}: the action must be ALLOW, DENY or BRIDGE, not "${t[4]?.text ?? ''}"; this ACL is not read`);
        continue;
      }
      if (acl) warn(tokenSpan(name), `an ACL named ${name.text} was already added (line ${acl.line.no}); the device rejects the second add, so the first is kept`);
      else {
        const options = new Map(optionsOf(t, 5).map((o) => [o.name, { nameToken: o.nameToken, values: o.values }]));
        const entry: ExtendedAcl = { name: name.text, family, action, options, line, nameToken: name, enabled: true, assignedPriority: Math.min(MAX_ACL_PRIORITY, highest(family) + 10), priority: 0, created: created++ };
        entry.priority = priorityOf(entry);
        noteHighest(entry);
        entry.enabled = lowerOf(options.get('state')?.values[0]) !== 'disabled';
        // `show ns runningConfig` writes whether each ACL is applied (`-kernelstate SFAPPLIED61`); without it, a batch
        // file's ACL waits for `apply ns acls` and a saved configuration's is applied as the ADC loads it.
        const kernel = options.get('kernelstate')?.values[0]?.text.toUpperCase();
        const applied = kernel === undefined ? saved : kernel.includes('APPLIED') && !kernel.includes('NOT');
        if (!applied) entry.pending = line;
        extended.set(key, entry);
      }
      continue;
    }
    if (!acl) {
      if (verb !== 'show' && verb !== 'stat') warn(tokenSpan(name), `no ACL ${name.text} earlier in this file for "${verb}" (it may be on the device already); this line is not read`);
      continue;
    }
    if (verb === 'set') {
      for (const o of optionsOf(t, 4)) acl.options.set(o.name, { nameToken: o.nameToken, values: o.values });
      acl.priority = priorityOf(acl);
      noteHighest(acl);
      if (acl.options.has('state')) acl.enabled = lowerOf(acl.options.get('state')?.values[0]) !== 'disabled';
    } else if (verb === 'unset') {
      for (const o of optionsOf(t, 4)) acl.options.delete(o.name);
      acl.priority = priorityOf(acl);
    } else if (verb === 'rm') extended.delete(key);
    else if (verb === 'enable') acl.enabled = true;
    else if (verb === 'disable') acl.enabled = false;
    else if (verb === 'rename' && t[4]) {
      extended.delete(key);
      acl.name = t[4].text;
      acl.nameToken = t[4];
      extended.set(t[4].text.toLowerCase(), acl);
    } else if (verb !== 'show' && verb !== 'stat') {
      warn(spanOfLine(line), `"${t.slice(0, 3).map((x) => x.text).join(' ')}" is not a command this reader knows; ${name.text} is read as before it`);
      continue;
    }
    if (!saved) acl.pending = line;
  }

  if (aclCommands === 0) {
    if (lines.some((l) => l.tokens.length)) {
      problems.push({
        code: 'unparsed-rule',
        severity: 'info',
        span: { start: 0, end: Math.min(text.length, lines[0]?.end ?? 0) },
        message: 'this NetScaler configuration has no ACL: the ADC itself filters nothing, and what reaches its addresses is up to the firewalls in front of it',
      });
    }
    return [];
  }
  const rules: Rule[] = [];
  const simpleList = [...simple.values()].sort((a, b) => a.created - b.created);
  for (const s of simpleList) rules.push(simpleRule(s, rules.length, problems, datasets));
  const extendedList = [...extended.values()].sort((a, b) => a.family - b.family || a.priority - b.priority || a.created - b.created);
  for (const a of extendedList) {
    rules.push(extendedRule(a, rules.length, problems, applyLines.get(a.family), datasets));
  }
  const start = first?.start ?? 0;
  const end = Math.max(...rules.map((r) => r.span.end), first?.end ?? 0);
  const meta: Record<string, string> = {
    stateless: 'true',
    replyPortsWhy: 'NetScaler ACLs keep no state, so replies to the connections the ADC opens are filtered like any incoming packet; `-established` admits them',
  };
  if (addresses.nsip.length) meta.nsip = addresses.nsip.join(',');
  if (addresses.snip.length) meta.snip = addresses.snip.join(',');
  if (addresses.vip.length) meta.vip = addresses.vip.join(',');
  if (addresses.gateway.length) meta.gateway = addresses.gateway.join(',');
  const applied = applyLines.get(4);
  if (applied) meta.applyLine = String(applied.no);
  meta.saved = String(saved);
  const list = (ips: readonly string[]): AddressSet | undefined => {
    const parsed = AddressSet.parseList(ips);
    return parsed.ok && ips.length ? parsed.value : undefined;
  };
  const roleAddresses: Record<string, AddressSet> = {};
  const nsip = list(addresses.nsip);
  const snip = list(addresses.snip);
  const gateway = list(addresses.gateway);
  // Appliance flows (HA, management, ADM) go to and from the NSIP; Gateway flows to the vserver, and on from a SNIP.
  if (nsip) Object.assign(roleAddresses, { adc: nsip, 'adc-nsip': nsip });
  if (snip) roleAddresses['gateway-snip'] = snip;
  if (gateway) roleAddresses.gateway = gateway;
  const vservers = addresses.gatewayNames;
  return [
    {
      id: 'ns-acls',
      // A vpn vserver makes the appliance a NetScaler Gateway; the name says so, and inference reads names.
      name: vservers.length ? `NetScaler Gateway ACLs (vpn vserver ${vservers.join(', ')})` : 'NetScaler ACLs',
      ...(Object.keys(roleAddresses).length ? { roleAddresses } : {}),
      format: 'netscaler',
      kind: 'netscaler-acl',
      semantics: 'first-match',
      // Rules are written inbound; outbound has none, so replies the ADC sends leave freely and the stateless
      // return path of the connections it opens is checked against the inbound rules.
      directions: ['inbound', 'outbound'],
      rules,
      defaults: { inbound: { value: 'allow' }, outbound: { value: 'allow' } },
      span: { start, end },
      appliesTo: [
        ...addresses.nsip.map((a) => `NSIP ${a}`),
        ...addresses.snip.map((a) => `SNIP ${a}`),
        ...addresses.vip.map((a) => `VIP ${a}`),
        ...addresses.gateway.map((a) => `Gateway VIP ${a}`),
      ],
      meta,
    },
  ];
}

function readAddress(verb: string, object: string, t: readonly Token[], addresses: AdcAddresses): void {
  if (object === 'config' && verb === 'set') {
    const opts = optionsOf(t, 3);
    const ip = opts.find((o) => o.name === 'ipaddress')?.values[0]?.text;
    if (ip && AddressSet.parse(ip).ok) addresses.nsip.push(ip);
    return;
  }
  if (verb !== 'add' || !t[3]) return;
  const ip = object === 'ip6' ? t[3].text.split('/')[0] : t[3].text;
  if (!AddressSet.parse(ip).ok) return;
  const type = lowerOf(optionsOf(t, 4).find((o) => o.name === 'type')?.values[0]);
  if (type === 'snip' || type === 'mip') addresses.snip.push(ip);
  else if (type === 'vip') addresses.vip.push(ip);
  else if (type === 'nsip') addresses.nsip.push(ip);
  // `add ns ip` without -type adds a SNIP.
  else if (!type) addresses.snip.push(ip);
}

/**
 * `add policy dataset NAME ipv4` and `bind policy dataset NAME 10.0.0.5
 * [-endRange 10.0.0.9]`: address lists ACLs name with `-srcIPDataset`. One
 * defined here and left empty matches nothing (what `generate` writes for a
 * peer whose addresses are not declared).
 */
function readDataset(verb: string, t: readonly Token[], datasets: Map<string, AddressSet>): void {
  const name = t[3]?.text.toLowerCase();
  if (!name) return;
  if (verb === 'add') {
    const type = lowerOf(t[4]);
    if (type === 'ipv4' || type === 'ipv6') datasets.set(name, AddressSet.none());
  } else if (verb === 'bind' && datasets.has(name) && t[4]) {
    const end = optionsOf(t, 5).find((o) => o.name === 'endrange')?.values[0]?.text;
    const value = AddressSet.parse(end ? `${t[4].text}-${end}` : t[4].text);
    if (value.ok) datasets.set(name, (datasets.get(name) as AddressSet).union(value.value));
  } else if (verb === 'rm') datasets.delete(name);
}

function priorityOf(a: ExtendedAcl): number {
  const written = a.options.get('priority')?.values[0]?.text;
  const n = written !== undefined && /^\d{1,6}$/.test(written) ? Number(written) : NaN;
  return Number.isFinite(n) ? n : a.assignedPriority;
}

function spanOfLine(line: CommandLine): Span {
  return { start: line.start, end: line.end };
}

function rawOf(line: CommandLine): string {
  const t = line.tokens;
  return t.length ? `${t.map((x) => (x.quoted ? `"${x.text}"` : x.text)).join(' ')}` : '';
}

interface Matches {
  protocols: Field<ProtocolSet>;
  source: Field<AddressSet>;
  destination: Field<AddressSet>;
  sourcePorts: Field<PortSet>;
  destinationPorts: Field<PortSet>;
  conditions: MatchCondition[];
  unresolved: Unresolved[];
}

function anyOf(family: Family): AddressSet {
  return family === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
}

/** `-srcIP = 10.0.0.1-10.0.0.9`, `-srcIP != 10.0.0.0`, `-srcIP 10.0.0.1`: the operator is optional. */
function operand(values: readonly Token[]): { negate: boolean; value?: Token } {
  const op = values[0]?.text.toUpperCase();
  if (op === '=' || op === 'EQ') return { negate: false, value: values[1] };
  if (op === '!=' || op === 'NEQ') return { negate: true, value: values[1] };
  return { negate: false, value: values[0] };
}

function readMatches(
  datasets: ReadonlyMap<string, AddressSet>,
  family: Family,
  options: ReadonlyMap<string, { nameToken: Token; values: Token[] }>,
  problems: ParseProblem[],
  known: (name: string) => boolean,
  what: string,
): Matches {
  const m: Matches = {
    protocols: { value: Protocols.any() },
    source: { value: anyOf(family) },
    destination: { value: anyOf(family) },
    sourcePorts: { value: Ports.any() },
    destinationPorts: { value: Ports.any() },
    conditions: [],
    unresolved: [],
  };
  const cannotRead = (span: Span, message: string): void => {
    problems.push({ code: 'unparsed-rule', severity: 'warning', span, message: `${what}: ${message}; flows it may decide are unknown` });
    m.conditions.push({ kind: 'other', text: message, span, effect: 'unknown' });
  };
  const names = ADDRESS_OPTIONS[family];
  for (const [name, { nameToken, values }] of options) {
    const span = { start: nameToken.start, end: values.length ? values[values.length - 1].end : nameToken.end };
    const text = `-${nameToken.text.slice(1)}${values.length ? ` ${values.map((v) => v.text).join(' ')}` : ''}`;
    if (name === names.source || name === names.destination) {
      const { negate, value } = operand(values);
      const parsed = value ? AddressSet.parse(value.text) : undefined;
      if (!parsed || !parsed.ok) {
        cannotRead(span, `"${text}" is not an IPv${family} address or range`);
        continue;
      }
      const set = negate ? anyOf(family).difference(parsed.value) : parsed.value.intersect(anyOf(family));
      const field = { value: set, span, text };
      if (name === names.source) m.source = field;
      else m.destination = field;
    } else if ((name === 'srcipdataset' || name === 'destipdataset') && values[0]) {
      // A dataset defined in this file is its addresses; one defined on the device only is unknown here.
      const set = datasets.get(values[0].text.toLowerCase()) ?? AddressSet.symbol('variable', `policy dataset ${values[0].text}`);
      const field = { value: set, span, text };
      if (name === 'srcipdataset') m.source = field;
      else m.destination = field;
      if (!datasets.has(values[0].text.toLowerCase())) m.unresolved.push({ text, span, reason: `the policy dataset ${values[0].text} is not defined in this file` });
    } else if (name === 'srcport' || name === 'destport') {
      const { negate, value } = operand(values);
      const parsed = value ? parsePortRange(value.text, ['-']) : undefined;
      if (!parsed || !parsed.ok) {
        cannotRead(span, `"${text}" is not a port or port range`);
        continue;
      }
      const set = negate ? parsed.value.complement() : parsed.value;
      if (name === 'srcport') m.sourcePorts = { value: set, span, text };
      else m.destinationPorts = { value: set, span, text };
    } else if (name === 'protocol' || name === 'protocolnumber') {
      const parsed = values[0] ? parseNetscalerProtocol(values[0].text) : undefined;
      if (!parsed || !parsed.ok) {
        cannotRead(span, `"${text}" is not a protocol this reader knows`);
        continue;
      }
      m.protocols = { value: parsed.value, span, text };
    } else if (name === 'established') {
      m.conditions.push({ kind: 'conntrack', text: '-established (only TCP packets with ACK or RST set)', span, effect: 'never-matches-new' });
    } else if (name === 'td') {
      if (values[0]?.text !== '0') m.conditions.push({ kind: 'other', text: `traffic domain ${values[0]?.text ?? ''}`, span, effect: 'unknown' });
    } else if (UNKNOWN_OPTIONS[name]) {
      m.conditions.push({ kind: name === 'interface' ? 'interface-in' : 'other', text: `${text} (${UNKNOWN_OPTIONS[name]})`, span, effect: 'unknown' });
      if (name.endsWith('dataset')) m.unresolved.push({ text, span, reason: UNKNOWN_OPTIONS[name] });
    } else if (!known(name)) {
      cannotRead(span, `the option "-${nameToken.text.slice(1)}" is not one this reader knows`);
    }
  }
  return m;
}

/** NetScaler spells a few protocols its own way (`IPoverIP`, `ICMPV6`); the rest are the usual names or a number. */
function parseNetscalerProtocol(text: string): ReturnType<typeof parseProtocol> {
  const t = text.toLowerCase();
  if (t === 'ipoverip') return { ok: true, value: Protocols.of(4) };
  return parseProtocol(t);
}

function simpleRule(s: SimpleAcl, order: number, problems: ParseProblem[], datasets: ReadonlyMap<string, AddressSet>): Rule {
  const m = readMatches(datasets, s.family, s.options, problems, (n) => SIMPLE_OPTIONS.has(n), `simple ACL ${s.name}`);
  if (s.options.has('estsessions')) m.conditions.push({ kind: 'other', text: '-estSessions (also drops sessions already established)', effect: 'assume-match' });
  return makeRule({
    id: `simple ${s.name}`,
    name: s.name,
    target: { kind: 'deny' },
    direction: 'inbound',
    ...m,
    order,
    span: spanOfLine(s.line),
    raw: rawOf(s.line),
    meta: { acl: s.name, simple: 'true', line: String(s.line.no) },
  });
}

function extendedRule(a: ExtendedAcl, order: number, problems: ParseProblem[], applyLine: CommandLine | undefined, datasets: ReadonlyMap<string, AddressSet>): Rule {
  const what = `ACL ${a.name}`;
  const m = readMatches(datasets, a.family, a.options, problems, (n) => NEUTRAL_OPTIONS.has(n), what);
  if (a.action === 'BRIDGE') {
    // Bridged packets pass the ADC without being processed: a flow to the ADC's own addresses is not served, one
    // through it may work. Neither "allowed" nor "denied" is sure, so what the rule decides is unknown.
    m.conditions.push({ kind: 'other', text: 'BRIDGE (the ADC forwards the packet at layer 2 without processing it; whether the flow then works depends on where it goes)', effect: 'unknown' });
  }
  if (a.pending) {
    problems.push({
      code: 'unparsed-rule',
      severity: 'warning',
      span: tokenSpan(a.nameToken),
      message: !applyLine
        ? `${what} is not in force: extended ACLs take effect only after "apply ns acls${a.family === 6 ? '6' : ''}", and this file never applies them`
        : `${what} was added or changed on line ${a.pending.no}, after the last "apply ns acls${a.family === 6 ? '6' : ''}" (line ${applyLine.no}): it is not in force until the ACLs are applied again`,
    });
  }
  const written = a.options.get('priority');
  const priority: Field<number> = written?.values[0]
    ? { value: a.priority, span: { start: written.nameToken.start, end: written.values[0].end }, text: written.values[0].text }
    : { value: a.priority, text: `${a.priority} (assigned by the ADC: none is written)` };
  const state = a.options.get('state');
  return makeRule({
    id: a.name,
    name: a.name,
    target: a.action === 'ALLOW' ? { kind: 'allow' } : { kind: 'deny' },
    direction: 'inbound',
    ...m,
    priority,
    order,
    enabled: { value: a.enabled && !a.pending, ...(state ? { span: { start: state.nameToken.start, end: state.values[0]?.end ?? state.nameToken.end } } : {}) },
    span: spanOfLine(a.line),
    raw: rawOf(a.line),
    meta: { acl: a.name, family: String(a.family), action: a.action, line: String(a.line.no), ...(written ? { writtenPriority: 'true' } : {}) },
  });
}
