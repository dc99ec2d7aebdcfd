import { AddressSet, type PortSet, Ports, type ProtocolSet, Protocols } from '../../net';
import {
  type Comment,
  type DeviceInterface,
  type DeviceRoute,
  makeRule,
  type MatchCondition,
  type ParsedFile,
  type ParseOptions,
  type ParseProblem,
  type Rule,
  type RuleSet,
  type Span,
  type Unresolved,
} from '../../model';
import { spanOf, splitLines, type SourceLine, type Token } from './lines';
import {
  asLineError,
  isPingType,
  LineError,
  lineSpan,
  lineText,
  lower,
  maskToPrefix,
  need,
  ObjectTable,
  parseAsaProtocol,
  parsePortOperator,
  type InterfaceInfo,
  type Service,
  tokSpan,
} from './objects';

export { ASA_PORT_NAMES, ASA_PROTOCOL_NAMES } from './names';

interface AclEntry {
  readonly line: SourceLine;
  readonly remark?: string;
  /** Normalised text after the ACL name, to match `no access-list …` against it. */
  readonly key: string;
}

interface Acl {
  readonly name: string;
  readonly firstLine: SourceLine;
  readonly nameToken: Token;
  entries: AclEntry[];
}

interface Binding {
  readonly acl: string;
  readonly direction: 'in' | 'out' | 'global';
  readonly iface?: string;
  readonly line: SourceLine;
}

const ACE_OPTIONS = new Set(['log', 'time-range', 'inactive']);
const LOG_LEVELS = new Set(['emergencies', 'alerts', 'critical', 'errors', 'warnings', 'notifications', 'informational', 'debugging', 'disable', 'default']);
const IDENTITY_PREFIXES = new Set(['user', 'user-group', 'object-group-user', 'security-group', 'object-group-security']);
const ADDRESS_STARTS = new Set(['any', 'any4', 'any6', 'host', 'object', 'object-group', 'interface', ...IDENTITY_PREFIXES]);
/** ACL types that never filter routed traffic between hosts (route maps, VPN filters, clientless VPN). */
const NON_TRAFFIC_ACL_TYPES = new Set(['standard', 'webtype', 'ethertype']);

/**
 * Cisco ASA running-config / CLI text → one first-match RuleSet per
 * extended ACL. Rules are `forward`: an ASA filters traffic passing
 * through it, and which interface faces which role is the topology's
 * business (see `appliesTo` and `stage`).
 */
export function parseAsa(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const problems: ParseProblem[] = [];
  const comments: Comment[] = [];
  try {
    return { uri, format: 'asa', text, ruleSets: parseInto(text, uri, problems, comments), problems, comments };
  } catch (e) {
    // A bug here must not take the language server down with it.
    problems.push({ code: 'syntax-error', severity: 'error', span: { start: 0, end: text.length }, message: `internal error reading the ASA configuration: ${asLineError(e).message}` });
    return { uri, format: 'asa', text, ruleSets: [], problems, comments };
  }
}

function parseInto(text: string, uri: string, problems: ParseProblem[], comments: Comment[]): RuleSet[] {
  const lines = splitLines(text);
  const objects = new ObjectTable(text, problems);
  const commands: SourceLine[] = [];
  let hostname: string | undefined;
  let members: SourceLine[] | undefined;
  let iface: InterfaceInfo | undefined;
  const routes: DeviceRoute[] = [];
  const sameSecurity = { inter: false, intra: false };

  for (const line of lines) {
    const t = line.tokens;
    if (t.length === 0) continue;
    const first = t[0].text;
    if (first.startsWith('!') || (first.startsWith(':') && !line.indented)) {
      comments.push({ span: { start: t[0].start, end: line.end }, text: text.slice(t[0].start + 1, line.end).trim() });
      continue;
    }
    if (line.indented) {
      if (members) members.push(line);
      else if (iface) interfaceCommand(iface, t, objects);
      continue;
    }
    members = undefined;
    if (iface?.nameif) objects.interfaces.set(iface.nameif, iface);
    iface = undefined;
    const head = first.toLowerCase();
    if (head === 'hostname' && t[1]) hostname = t[1].text;
    else if (head === 'name' && t[1] && t[2]) {
      const ip = AddressSet.parse(t[1].text);
      if (ip.ok && ip.value.v4.ranges.length === 1 && ip.value.v4.ranges[0].from === ip.value.v4.ranges[0].to) {
        objects.names.set(t[2].text, ip.value.v4.ranges[0].from);
      }
    } else if (head === 'interface') iface = { addresses: AddressSet.none(), connected: [] };
    else if (head === 'route' || (head === 'ipv6' && lower(t[1]) === 'route')) {
      const route = staticRoute(line, head === 'ipv6' ? t.slice(1) : t, objects);
      if (route) routes.push(route);
    } else if (head === 'same-security-traffic' && lower(t[1]) === 'permit') {
      if (lower(t[2]) === 'inter-interface') sameSecurity.inter = true;
      if (lower(t[2]) === 'intra-interface') sameSecurity.intra = true;
    }
    else if (head === 'object' && t[2]) {
      const kind = lower(t[1]);
      if (kind === 'network' || kind === 'service') members = objects.define(`object ${kind}`, t[2].text, line).members;
      else members = [];
    } else if (head === 'object-group' && t[2]) {
      const kind = lower(t[1]);
      if (kind === 'network' || kind === 'service' || kind === 'protocol' || kind === 'icmp-type') {
        const typed = kind === 'service' ? lower(t[3]) : '';
        const portType = typed === 'tcp' || typed === 'udp' || typed === 'tcp-udp' ? typed : undefined;
        members = objects.define(`group ${kind}`, t[2].text, line, portType).members;
      } else members = []; // user / security groups: identity, not addresses
    } else if (head === 'access-list' || head === 'access-group') commands.push(line);
    else if (head === 'no' && (lower(t[1]) === 'access-list' || lower(t[1]) === 'access-group')) commands.push(line);
    else if (head === 'clear' && lower(t[1]) === 'configure' && lower(t[2]) === 'access-list') commands.push(line);
    // Everything else (nat, crypto, logging, …) does not filter traffic between hosts.
  }
  if (iface?.nameif) objects.interfaces.set(iface.nameif, iface);

  const acls = new Map<string, Acl>();
  const bindings: Binding[] = [];
  for (const line of commands) applyCommand(line, text, acls, bindings, problems, comments);
  return buildRuleSets(text, uri, hostname, acls, bindings, objects, problems, { routes, sameSecurity });
}

function interfaceCommand(iface: InterfaceInfo, t: readonly Token[], objects: ObjectTable): void {
  const head = lower(t[0]);
  if (head === 'nameif' && t[1]) iface.nameif = t[1].text;
  else if (head === 'security-level' && /^\d{1,3}$/.test(t[1]?.text ?? '')) iface.securityLevel = Math.min(100, Number(t[1].text));
  else if (head === 'ip' && lower(t[1]) === 'address' && t[2]) {
    // The interface's own address (and its failover standby), not its subnet.
    for (const k of lower(t[4]) === 'standby' ? [2, 5] : [2]) {
      const a = t[k] ? AddressSet.parse(objects.resolveName(t[k].text)) : undefined;
      if (a?.ok && !a.value.isAny) iface.addresses = iface.addresses.union(a.value);
    }
    if (t[3]) connect(iface, `${objects.resolveName(t[2].text)}`, t[3]);
  } else if (head === 'ipv6' && lower(t[1]) === 'address' && t[2]) {
    const slash = t[2].text.indexOf('/');
    const a = AddressSet.parse(slash > 0 ? t[2].text.slice(0, slash) : t[2].text);
    if (a.ok) iface.addresses = iface.addresses.union(a.value);
    const network = slash > 0 ? AddressSet.parse(t[2].text) : undefined;
    if (network?.ok) iface.connected.push({ network: network.value, prefixLength: Number(t[2].text.slice(slash + 1)), text: network.value.toString() });
  }
}

/** `ip address A MASK`: the interface is on A's network; a bad mask only loses the route, the ACLs are read anyway. */
function connect(iface: InterfaceInfo, address: string, maskToken: Token): void {
  try {
    const prefixLength = maskToPrefix(maskToken);
    const network = AddressSet.parse(`${address}/${prefixLength}`);
    if (network.ok) iface.connected.push({ network: network.value, prefixLength, text: network.value.toString() });
  } catch {
    // `ip address dhcp`, `pppoe`: the network is learnt at run time.
  }
}

/** `route IF NETWORK MASK GATEWAY [DISTANCE]` and `ipv6 route IF PREFIX/LEN GATEWAY`. */
function staticRoute(line: SourceLine, t: readonly Token[], objects: ObjectTable): DeviceRoute | undefined {
  const iface = t[1]?.text;
  const target = t[2]?.text;
  if (!iface || !target) return undefined;
  try {
    const prefixLength = target.includes('/') ? Number(target.slice(target.indexOf('/') + 1)) : t[3] ? maskToPrefix(t[3]) : NaN;
    const network = AddressSet.parse(target.includes('/') ? target : `${objects.resolveName(target)}/${prefixLength}`);
    if (!network.ok || !Number.isInteger(prefixLength)) return undefined;
    return { iface, network: network.value, prefixLength, how: line.tokens.map((k) => k.text).join(' ') };
  } catch {
    return undefined;
  }
}

function applyCommand(line: SourceLine, text: string, acls: Map<string, Acl>, bindings: Binding[], problems: ParseProblem[], comments: Comment[]): void {
  const t = line.tokens;
  const head = lower(t[0]);
  if (head === 'clear') {
    const name = t[3]?.text;
    for (const acl of acls.values()) if (!name || acl.name === name) acl.entries = [];
    return;
  }
  if (head === 'access-group' || (head === 'no' && lower(t[1]) === 'access-group')) {
    const k = head === 'no' ? 1 : 0;
    const acl = t[k + 1];
    const where = lower(t[k + 2]);
    let binding: Binding | undefined;
    if (acl && where === 'global') binding = { acl: acl.text, direction: 'global', line };
    else if (acl && (where === 'in' || where === 'out') && lower(t[k + 3]) === 'interface' && t[k + 4]) {
      binding = { acl: acl.text, direction: where, iface: t[k + 4].text, line };
    }
    if (!binding) {
      problems.push({ code: 'syntax-error', severity: 'warning', span: lineSpan(line), message: 'expected "access-group NAME in|out interface IF" or "access-group NAME global"' });
      return;
    }
    if (head === 'no') {
      const at = bindings.findIndex((b) => b.acl === binding.acl && b.direction === binding.direction && b.iface === binding.iface);
      if (at >= 0) bindings.splice(at, 1);
      return;
    }
    // One ACL per interface and direction: a new access-group replaces the old binding.
    const same = bindings.findIndex((b) => b.direction === binding.direction && b.iface === binding.iface);
    if (same >= 0) bindings.splice(same, 1);
    bindings.push(binding);
    return;
  }

  const removing = head === 'no';
  const k = removing ? 1 : 0;
  const nameTok = t[k + 1];
  if (!nameTok) {
    problems.push({ code: 'unparsed-rule', severity: 'warning', span: lineSpan(line), message: 'access-list without a name' });
    return;
  }
  let i = k + 2;
  let position: number | undefined;
  if (lower(t[i]) === 'line' && t[i + 1] && /^\d{1,6}$/.test(t[i + 1].text)) {
    position = Number(t[i + 1].text);
    i += 2;
  }
  const type = lower(t[i]);
  if (NON_TRAFFIC_ACL_TYPES.has(type) || type === 'rename') return;
  const key = t
    .slice(i)
    .map((x) => x.text.toLowerCase())
    .filter((w, n) => !(n === 0 && w === 'extended'))
    .join(' ');
  let remark: string | undefined;
  if (type === 'remark') {
    const from = t[i + 1]?.start ?? t[i].end;
    remark = text.slice(from, line.end).trim();
    if (!removing) comments.push({ span: { start: from, end: line.end }, text: remark });
  }
  let acl = acls.get(nameTok.text);
  if (removing) {
    const at = acl ? acl.entries.findIndex((e) => e.key === key) : -1;
    if (acl && at >= 0) acl.entries.splice(at, 1);
    else problems.push({ code: 'syntax-error', severity: 'info', span: lineSpan(line), message: `"no access-list" removes nothing: no such entry in ${nameTok.text} earlier in this file` });
    return;
  }
  if (!acl) {
    acl = { name: nameTok.text, firstLine: line, nameToken: nameTok, entries: [] };
    acls.set(acl.name, acl);
  }
  const entry: AclEntry = { line, remark, key };
  // `line N` inserts before the Nth entry (remarks count, as on the device).
  if (position !== undefined && position >= 1 && position <= acl.entries.length) acl.entries.splice(position - 1, 0, entry);
  else acl.entries.push(entry);
}

function buildRuleSets(
  text: string,
  uri: string,
  hostname: string | undefined,
  acls: Map<string, Acl>,
  bindings: Binding[],
  objects: ObjectTable,
  problems: ParseProblem[],
  device: { readonly routes: readonly DeviceRoute[]; readonly sameSecurity: { readonly inter: boolean; readonly intra: boolean } },
): RuleSet[] {
  const rulesByAcl = new Map<string, Rule[]>();
  for (const acl of acls.values()) {
    const rules: Rule[] = [];
    let remarks: string[] = [];
    acl.entries.forEach((entry, index) => {
      if (entry.remark !== undefined) {
        remarks.push(entry.remark);
        return;
      }
      try {
        const parsed = parseAce(entry.line, text, objects, acl.name, index + 1, remarks.join('\n') || undefined);
        for (const r of parsed) rules.push({ ...r, order: rules.length });
      } catch (e) {
        const err = asLineError(e);
        problems.push({
          code: 'unparsed-rule',
          severity: 'warning',
          span: lineSpan(entry.line),
          message: `access-list ${acl.name}: ${err.message}; this entry is left out of the analysis`,
        });
      }
      remarks = [];
    });
    rulesByAcl.set(acl.name, rules);
  }

  const group = `asa:${hostname ?? uri}`;
  const global = bindings.find((b) => b.direction === 'global');
  const interfaces: DeviceInterface[] = [...objects.interfaces.values()].flatMap((i) =>
    // Cisco gives `nameif inside` level 100 and every other name 0 unless `security-level` says otherwise.
    i.nameif ? [{ name: i.nameif, addresses: i.addresses, securityLevel: i.securityLevel ?? (i.nameif.toLowerCase() === 'inside' ? 100 : 0) }] : [],
  );
  const routes: DeviceRoute[] = [
    ...[...objects.interfaces.values()].flatMap((i) => (i.nameif ? i.connected.map((c) => ({ iface: i.nameif as string, network: c.network, prefixLength: c.prefixLength, how: `connected ${c.text}` })) : [])),
    ...device.routes,
  ];
  const out: RuleSet[] = [];
  for (const acl of acls.values()) {
    const mine = bindings.filter((b) => b.acl === acl.name);
    if (acl.entries.length === 0 && mine.length === 0) continue;
    let rules = rulesByAcl.get(acl.name) ?? [];
    let chains: Record<string, readonly Rule[]> | undefined;
    const boundIn = mine.some((b) => b.direction === 'in');
    const boundOut = mine.some((b) => b.direction === 'out');
    // On the device the global ACL is consulted after an interface's inbound
    // ACL finds no match, and only then the implicit deny applies.
    if (global && boundIn && !boundOut && global.acl !== acl.name && rulesByAcl.has(global.acl)) {
      const span = lineSpan(global.line);
      rules = [
        ...rules,
        makeRule({
          id: `global ${global.acl}`,
          target: { kind: 'jump', chain: global.acl },
          direction: 'forward',
          span,
          raw: lineText(text, global.line),
          order: rules.length,
          implicit: true,
          meta: { acl: acl.name, note: 'global access rules apply after the interface ACL' },
        }),
      ];
      chains = { [global.acl]: rulesByAcl.get(global.acl) ?? [] };
    }
    const spans = acl.entries.map((e) => lineSpan(e.line));
    const span: Span = spans.length
      ? { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) }
      : lineSpan(acl.firstLine);
    const appliesTo = mine.map((b) => (b.direction === 'global' ? 'global' : `${b.direction}:${b.iface}`));
    const meta: Record<string, string> = { acl: acl.name, aclStyle: 'extended' };
    if (hostname) meta.hostname = hostname;
    if (appliesTo.length) meta.bindings = appliesTo.join(',');
    out.push({
      id: acl.name,
      name: acl.name,
      format: 'asa',
      kind: 'asa-acl',
      semantics: 'first-match',
      directions: ['forward'],
      rules,
      chains,
      defaults: { forward: { value: 'deny' } },
      span,
      nameSpan: tokSpan(acl.nameToken),
      stage: mine.length ? { group, order: boundOut && !boundIn ? 1 : 0 } : undefined,
      appliesTo: appliesTo.length ? appliesTo : undefined,
      device: { device: group, interfaces, routes, sameSecurity: device.sameSecurity, bindings: mine.map((b) => ({ direction: b.direction, ...(b.iface ? { iface: b.iface } : {}) })) },
      meta,
    });
  }
  return out;
}

interface AddressArg {
  readonly set: AddressSet;
  readonly span: Span;
  readonly text: string;
}

/** One `access-list NAME [line N] [extended] permit|deny …` entry → one rule, or several for a service group. */
function parseAce(line: SourceLine, text: string, objects: ObjectTable, aclName: string, aclLine: number, comment: string | undefined): Rule[] {
  const t = line.tokens;
  let i = 2;
  if (lower(t[i]) === 'line') i += 2;
  if (lower(t[i]) === 'extended') i++;
  const actionTok = need(t, i, 'permit or deny');
  const action = lower(actionTok);
  if (action !== 'permit' && action !== 'deny') throw new LineError(`expected permit or deny, found "${actionTok.text}"`, actionTok);
  i++;

  const conditions: MatchCondition[] = [];
  const unresolved: Unresolved[] = [];
  const unknownMatch = (tok: Token, what: string, reason: string): void => {
    conditions.push({ kind: 'other', text: what, span: tokSpan(tok), effect: 'unknown' });
    unresolved.push({ text: tok.text, span: tokSpan(tok), reason });
  };

  // Protocol: a literal, a service object/group (protocol and ports together) or a protocol group.
  const protoStart = i;
  let protocols: ProtocolSet = Protocols.any();
  let services: readonly Service[] | undefined;
  let icmp = false;
  const word = lower(need(t, i, 'a protocol'));
  if (word === 'object' || word === 'object-group') {
    const n = need(t, i + 1, `a name after ${word}`);
    const svc = objects.services(word, n.text, n);
    if (svc && svc.value.kind === 'services') {
      services = svc.value.services;
      unresolved.push(...svc.unresolved);
    } else if (svc) {
      throw new LineError(`object-group ${n.text} is a port group; use it after an address, with tcp or udp as the protocol`, n);
    } else if (word === 'object-group' && objects.protocols(n.text, n)) {
      const p = objects.protocols(n.text, n)!;
      protocols = p.value;
      unresolved.push(...p.unresolved);
    } else if (objects.kindOfObject(n.text) || objects.kindOfGroup(n.text)) {
      throw new LineError(`${word} ${n.text} is not a service or protocol ${word === 'object' ? 'object' : 'group'}`, n);
    } else {
      unknownMatch(n, `${word} ${n.text}`, `service ${word} ${n.text} is not defined in this file`);
    }
    i += 2;
  } else {
    protocols = parseAsaProtocol(t[i]);
    icmp = word === 'icmp' || word === 'icmp6' || word === '1' || word === '58';
    i++;
  }
  const protoSpan = spanOf(t, protoStart, i - 1);

  const source = parseAddress(t, i, text, objects, conditions, unresolved);
  i = source.next;
  let sourcePorts: { ports: PortSet; span: Span } | undefined;
  const sp = portArgument(t, i, objects, 'source', unknownMatch);
  if (sp) {
    sourcePorts = sp;
    i = sp.next;
  }
  const destination = parseAddress(t, i, text, objects, conditions, unresolved);
  i = destination.next;
  let destinationPorts: { ports: PortSet; span: Span } | undefined;
  let icmpTypes: string[] | undefined;
  if (icmp && lower(t[i]) === 'object-group' && t[i + 1] && objects.kindOfGroup(t[i + 1].text) !== 'group service') {
    const g = objects.icmpTypes(t[i + 1].text);
    if (g) {
      icmpTypes = g.value;
      unresolved.push(...g.unresolved);
    } else unknownMatch(t[i + 1], `icmp-type object-group ${t[i + 1].text}`, `icmp-type object-group ${t[i + 1].text} is not defined in this file`);
    i += 2;
  } else {
    const dp = portArgument(t, i, objects, 'destination', unknownMatch);
    if (dp) {
      destinationPorts = dp;
      i = dp.next;
    } else if (icmp && t[i] && !ACE_OPTIONS.has(lower(t[i]))) {
      icmpTypes = [lower(t[i])];
      i++;
      if (t[i] && /^\d{1,3}$/.test(t[i].text)) i++; // ICMP code
    }
  }

  let enabled: { value: boolean; span?: Span } = { value: true };
  while (i < t.length) {
    const w = lower(t[i]);
    if (w === 'log') {
      i++;
      if (t[i] && (/^[0-7]$/.test(t[i].text) || LOG_LEVELS.has(lower(t[i])))) i++;
      if (lower(t[i]) === 'interval' && t[i + 1]) i += 2;
    } else if (w === 'time-range') {
      const n = need(t, i + 1, 'a time-range name');
      conditions.push({ kind: 'other', text: `time-range ${n.text}`, span: spanOf(t, i, i + 1), effect: 'unknown' });
      i += 2;
    } else if (w === 'inactive') {
      enabled = { value: false, span: tokSpan(t[i]) };
      i++;
    } else {
      throw new LineError(`unexpected "${t[i].text}"`, t[i]);
    }
  }
  if (services && (sourcePorts || destinationPorts)) {
    throw new LineError('ports cannot follow addresses when the protocol is a service object or group', t[i - 1]);
  }

  // A flow query about ICMP means ping, so an echo entry matches it and any other type cannot.
  if (icmpTypes?.length) {
    conditions.push({ kind: 'other', text: `icmp-type ${icmpTypes.join(' ')}`, effect: isPingType(icmpTypes) ? 'assume-match' : 'never-matches-new' });
  }

  const tuples = services ? mergeServices(services) : [{ protocols, sourcePorts: sourcePorts?.ports ?? Ports.any(), destinationPorts: destinationPorts?.ports ?? Ports.any(), icmpType: undefined }];
  const raw = lineText(text, line);
  const ruleSpan = lineSpan(line);
  return tuples.map((tuple, n) => {
    const extra: MatchCondition[] = tuple.icmpType
      ? [{ kind: 'other', text: `icmp-type ${tuple.icmpType}`, effect: isPingType([tuple.icmpType]) ? 'assume-match' : 'never-matches-new' }]
      : [];
    const meta: Record<string, string> = { acl: aclName, aclLine: String(aclLine) };
    if (tuples.length > 1) meta.expandedFrom = `line ${line.no}`;
    return makeRule({
      id: n === 0 ? `line ${line.no}` : `line ${line.no}.${n + 1}`,
      target: action === 'permit' ? { kind: 'allow' } : { kind: 'deny' },
      direction: 'forward',
      protocols: { value: tuple.protocols, span: protoSpan, text: protoSpan ? text.slice(protoSpan.start, protoSpan.end) : undefined },
      source: { value: source.set, span: source.span, text: source.text },
      destination: { value: destination.set, span: destination.span, text: destination.text },
      sourcePorts: { value: tuple.sourcePorts, span: services ? protoSpan : sourcePorts?.span, text: spanText(text, services ? protoSpan : sourcePorts?.span) },
      destinationPorts: { value: tuple.destinationPorts, span: services ? protoSpan : destinationPorts?.span, text: spanText(text, services ? protoSpan : destinationPorts?.span) },
      enabled,
      conditions: [...conditions, ...extra],
      unresolved,
      span: ruleSpan,
      raw,
      order: 0,
      chain: aclName,
      comment,
      meta,
    });
  });
}

function spanText(text: string, span: Span | undefined): string | undefined {
  return span ? text.slice(span.start, span.end) : undefined;
}

/**
 * A port argument after an address: an operator, or `object-group NAME`
 * when NAME is a port group. An undefined group there is taken as a port
 * group only when an address follows it (otherwise it is the destination).
 */
function portArgument(
  t: readonly Token[],
  i: number,
  objects: ObjectTable,
  side: 'source' | 'destination',
  unknownMatch: (tok: Token, what: string, reason: string) => void,
): { ports: PortSet; span: Span; next: number } | undefined {
  const op = parsePortOperator(t, i);
  if (op) return op;
  if (lower(t[i]) !== 'object-group' || !t[i + 1]) return undefined;
  const n = t[i + 1];
  if (objects.isPortGroup(n.text)) {
    const g = objects.services('object-group', n.text, n)!;
    if (g.value.kind === 'ports') {
      for (const u of g.unresolved) unknownMatch(n, `object-group ${n.text}`, u.reason);
      return { ports: g.value.ports, span: spanOf(t, i, i + 1)!, next: i + 2 };
    }
  }
  if (objects.kindOfGroup(n.text) !== undefined) return undefined;
  // After the destination only ports (or ICMP types, handled by the caller) can follow.
  if (side === 'source' && !startsAddress(t[i + 2], objects)) return undefined;
  unknownMatch(n, `${side} port object-group ${n.text}`, `port object-group ${n.text} is not defined in this file`);
  return { ports: Ports.any(), span: spanOf(t, i, i + 1)!, next: i + 2 };
}

function startsAddress(tok: Token | undefined, objects: ObjectTable): boolean {
  if (!tok) return false;
  const w = tok.text.toLowerCase();
  if (ADDRESS_STARTS.has(w)) return true;
  const c = w.charCodeAt(0);
  return (c >= 48 && c <= 57) || w.includes(':') || objects.names.has(tok.text);
}

function parseAddress(
  t: readonly Token[],
  start: number,
  text: string,
  objects: ObjectTable,
  conditions: MatchCondition[],
  unresolved: Unresolved[],
): AddressArg & { next: number } {
  let i = start;
  // Identity firewall and TrustSec qualifiers narrow the match to users or tags we cannot see.
  while (IDENTITY_PREFIXES.has(lower(t[i]))) {
    const width = lower(t[i]) === 'security-group' ? 3 : 2;
    const span = spanOf(t, i, Math.min(i + width - 1, t.length - 1));
    const what = span ? text.slice(span.start, span.end) : t[i].text;
    conditions.push({ kind: 'other', text: what, span, effect: 'unknown' });
    i += width;
  }
  const first = need(t, i, 'an address');
  const w = first.text.toLowerCase();
  let set: AddressSet;
  let next = i + 1;
  switch (w) {
    case 'any':
      set = AddressSet.any();
      break;
    case 'any4':
      set = AddressSet.anyV4();
      break;
    case 'any6':
      set = AddressSet.anyV6();
      break;
    case 'host':
      set = objects.ip(t, i + 1);
      next = i + 2;
      break;
    case 'interface': {
      const n = need(t, i + 1, 'an interface name');
      const known = objects.interfaces.get(n.text);
      if (known && !known.addresses.isEmpty) set = known.addresses;
      else {
        set = AddressSet.symbol('keyword', `interface ${n.text}`);
        unresolved.push({ text: `interface ${n.text}`, span: spanOf(t, i, i + 1), reason: `the address of interface ${n.text} is not configured in this file` });
      }
      next = i + 2;
      break;
    }
    case 'object':
    case 'object-group': {
      const n = need(t, i + 1, `a name after ${w}`);
      const r = objects.address(w, n.text, n);
      set = r.value;
      unresolved.push(...r.unresolved);
      next = i + 2;
      break;
    }
    default:
      if (first.text.includes('/')) set = objects.addressWithMask(t, i);
      else {
        if (!startsAddress(first, objects)) throw new LineError(`"${first.text}" is not an address`, first);
        set = objects.addressWithMask(t, i);
        next = i + 2;
      }
  }
  const span = spanOf(t, i, next - 1)!;
  return { set, span, text: text.slice(span.start, span.end), next };
}

/**
 * Tuples with the same ports share one rule with the union of their
 * protocols, then tuples with the same protocols and source ports share one
 * with the union of their destination ports; both steps are exact, so a
 * service group becomes as few rules as its shape allows.
 */
function mergeServices(services: readonly Service[]): Service[] {
  const byPorts = new Map<string, Service>();
  for (const s of services) {
    const key = `${portKey(s.sourcePorts)}|${portKey(s.destinationPorts)}|${s.icmpType ?? ''}`;
    const seen = byPorts.get(key);
    byPorts.set(key, seen ? { ...seen, protocols: seen.protocols.union(s.protocols) } : s);
  }
  const byProtocols = new Map<string, Service>();
  for (const s of byPorts.values()) {
    const key = `${portKey(s.protocols)}|${portKey(s.sourcePorts)}|${s.icmpType ?? ''}`;
    const seen = byProtocols.get(key);
    byProtocols.set(key, seen ? { ...seen, destinationPorts: seen.destinationPorts.union(s.destinationPorts) } : s);
  }
  return [...byProtocols.values()];
}

function portKey(p: PortSet | ProtocolSet): string {
  return p.ranges.map((r) => `${r.from}-${r.to}`).join(',');
}
