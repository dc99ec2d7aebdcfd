import { AddressSet, parseIPv4, parsePortRange, type PortSet, Ports, type ProtocolSet, Protocols } from '../../net';
import { type Field, LineIndex, makeRule, type MatchCondition, type ParseProblem, type Rule, type Span, type Unresolved, WINDOWS_PROFILES, type WindowsProfile } from '../../model';
import { items, type Value } from './values';

export interface ParamValue {
  /** As written (`LocalPort`, `–LocalPort` abbreviated, `localport` in netsh). */
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Value;
}

export interface RuleSpec {
  readonly params: Map<string, ParamValue>;
  readonly span: Span;
  readonly style: 'powershell' | 'netsh';
  /** One of Windows' own rules, added because the script switches its group on. */
  readonly builtIn?: boolean;
  removed?: boolean;
}

/**
 * Address keywords Windows Firewall resolves on the host at run time, each
 * also with the 4 or 6 suffix that narrows it to one address family
 * (`Internet4`, `DHCP6`): a public rule set uses those in dozens of rules,
 * and reading them as malformed addresses dropped those rules.
 */
const ADDRESS_KEYWORDS = new Map(
  ['LocalSubnet', 'Internet', 'Intranet', 'IntranetRemoteAccess', 'PlayToDevice', 'DNS', 'DHCP', 'WINS', 'DefaultGateway', 'CaptivePortal', 'Proximity']
    .flatMap((k) => [k, `${k}4`, `${k}6`])
    .map((k) => [k.toLowerCase(), k]),
);
/** Port keywords: dynamic RPC and friends, decided by Windows services at run time. */
const PORT_KEYWORDS = new Map(
  ['RPC', 'RPCEPMap', 'RPC-EPMap', 'IPHTTPS', 'IPHTTPSIn', 'IPHTTPSOut', 'Teredo', 'PlayToDiscovery', 'mDNS', 'DHCP'].map((k) => [k.toLowerCase(), k]),
);
/** These narrow a rule to traffic we cannot see from addresses and ports. */
const UNKNOWN_CONDITIONS = ['LocalUser', 'RemoteUser', 'RemoteMachine', 'DynamicTarget', 'RemoteDynamicKeywordAddresses'];
/** Rules are normally written for the program or service that listens, so these are assumed to match. */
const ASSUMED_CONDITIONS = ['Program', 'Service', 'Package', 'InterfaceType', 'InterfaceAlias'];

export function buildRules(specs: readonly RuleSpec[], text: string, problems: ParseProblem[]): Rule[] {
  const rules: Rule[] = [];
  const ids = new Set<string>();
  const lines = LineIndex.of(text);
  const lineOf = (offset: number): number => lines.positionAt(offset).line + 1;
  for (const spec of specs) {
    if (spec.removed) continue;
    // A direction held in a variable this file never assigns may be either: the rule is read both ways, as a
    // rule that may or may not apply, so neither direction's verdict is "allowed" on the strength of a guess.
    const variants =
      spec.params.get('Direction')?.value.kind === 'unresolved'
        ? [buildRule(spec, text, problems, rules.length, lineOf(spec.span.start), 'inbound'), buildRule(spec, text, [], rules.length + 1, lineOf(spec.span.start), 'outbound')]
        : [buildRule(spec, text, problems, rules.length, lineOf(spec.span.start))];
    for (const built of variants) {
      if (!built) continue;
      let id = variants.length > 1 && built.direction === 'outbound' ? `${built.id} [if outbound]` : built.id;
      if (ids.has(id)) id = `${id} (line ${lineOf(spec.span.start)})`;
      ids.add(id);
      rules.push({ ...built, id });
      if (built.keywordPorts) {
        // Keyword ports (RPC, …) are a separate, unknown part of the same rule.
        const kid = `${id} [${built.keywordPorts.text}]`;
        ids.add(kid);
        rules.push({
          ...built,
          id: kid,
          order: rules.length,
          destinationPorts: { value: Ports.any(), span: built.keywordPorts.span, text: built.keywordPorts.text },
          conditions: [...built.conditions, { kind: 'other', text: `port keyword ${built.keywordPorts.text}`, span: built.keywordPorts.span, effect: 'unknown' }],
          meta: { ...built.meta, keywordPorts: built.keywordPorts.text },
        });
      }
    }
  }
  return rules;
}

interface Built extends Rule {
  readonly keywordPorts?: { text: string; span: Span };
}

function buildRule(spec: RuleSpec, text: string, problems: ParseProblem[], order: number, line: number, unknownDirectionAs?: 'inbound' | 'outbound'): Built | undefined {
  const p = spec.params;
  const unresolved: Unresolved[] = [];
  const conditions: MatchCondition[] = [];
  const problem = (span: Span, message: string, code: ParseProblem['code'] = 'unparsed-rule'): void => {
    problems.push({ code, severity: 'warning', span, message });
  };
  const scalar = (key: string): { text: string; span: Span } | undefined => {
    const v = p.get(key)?.value;
    if (!v) return undefined;
    if (v.kind === 'text') return { text: v.text, span: v.span };
    if (v.kind === 'unresolved') {
      unresolved.push({ text: v.text, span: v.span, reason: v.reason });
      problem(v.span, `${key}: ${v.reason}`, 'unresolved-value');
      return undefined;
    }
    const flat = items(v);
    if (flat.length === 1 && flat[0].kind === 'text') return { text: flat[0].text, span: v.span };
    return { text: flat.map((x) => (x.kind === 'text' ? x.text : '?')).join(','), span: v.span };
  };

  const name = scalar('Name');
  const display = scalar('DisplayName');

  // Values this file never assigns: the rule is kept, but whether it applies (or allows) is unknown, not the default.
  const unknownCondition = (key: string): void => {
    const v = p.get(key)?.value;
    if (v?.kind === 'unresolved') conditions.push({ kind: 'other', text: `${key} ${v.text}: ${v.reason}`, span: v.span, effect: 'unknown' });
  };
  const dirText = unknownDirectionAs ?? scalar('Direction')?.text.toLowerCase() ?? 'inbound';
  if (unknownDirectionAs) {
    scalar('Direction');
    unknownCondition('Direction');
  }
  let direction: 'inbound' | 'outbound';
  if (dirText === 'inbound' || dirText === 'in' || dirText === '1') direction = 'inbound';
  else if (dirText === 'outbound' || dirText === 'out' || dirText === '2') direction = 'outbound';
  else {
    problem(p.get('Direction')!.value.span, `"${dirText}" is not a direction (Inbound or Outbound); the rule is left out`);
    return undefined;
  }

  const actionField = scalar('Action');
  unknownCondition('Action');
  const actionText = actionField?.text.toLowerCase() ?? 'allow';
  let target: Rule['target'];
  if (actionText === 'allow' || actionText === 'notconfigured' || actionText === '2') target = { kind: 'allow' };
  else if (actionText === 'block' || actionText === '4') target = { kind: 'deny' };
  else if (actionText === 'bypass') {
    target = { kind: 'allow' };
    conditions.push({ kind: 'other', text: 'action=bypass (only IPsec-authenticated traffic)', span: actionField?.span, effect: 'unknown' });
  } else {
    problem(actionField!.span, `"${actionField!.text}" is not an action (Allow or Block); the rule is left out`);
    return undefined;
  }

  const protocols = protocolField(p.get('Protocol'), problem, unresolved, conditions);
  if (!protocols) return undefined;

  const local = addressField(p.get('LocalAddress'), problem, unresolved);
  const remote = addressField(p.get('RemoteAddress'), problem, unresolved);
  const localPorts = portField(p.get('LocalPort'), problem, unresolved, conditions);
  const remotePorts = portField(p.get('RemotePort'), problem, unresolved, conditions);
  if (!local || !remote || !localPorts || !remotePorts) return undefined;

  const enabledField = scalar('Enabled');
  unknownCondition('Enabled');
  const enabledText = enabledField?.text.toLowerCase() ?? 'true';
  const enabled: Field<boolean> = { value: !(enabledText === 'false' || enabledText === 'no' || enabledText === '0'), span: enabledField?.span, text: enabledField?.text };

  const profile = scalar('Profile');
  const profiles = profile ? profilesOf(profile.text) : 'any';
  const profileValue = p.get('Profile')?.value;
  if (!profile && profileValue) conditions.push({ kind: 'profile', text: 'profile (not known)', span: profileValue.span, effect: 'unknown' });
  if (profile && profiles !== 'any') {
    // A rule applies only in its profiles; the evaluator matches them against the host's active one.
    conditions.push(
      profiles === undefined
        ? { kind: 'profile', text: `profile ${profile.text}`, span: profile.span, effect: 'unknown' }
        : { kind: 'profile', text: `profile ${profile.text}`, span: profile.span, effect: 'assume-match', profiles },
    );
  }
  for (const key of ASSUMED_CONDITIONS) {
    const v = scalar(key);
    if (v && v.text.toLowerCase() !== 'any') conditions.push({ kind: key.startsWith('Interface') ? 'interface-in' : 'other', text: `${key} ${v.text}`, span: v.span, effect: 'assume-match' });
  }
  for (const key of UNKNOWN_CONDITIONS) {
    const v = scalar(key);
    if (v && v.text.toLowerCase() !== 'any') conditions.push({ kind: 'other', text: `${key} ${v.text}`, span: v.span, effect: 'unknown' });
  }
  const auth = scalar('Authentication')?.text.toLowerCase();
  if (auth && auth !== 'notrequired' && auth !== 'notconfigured') conditions.push({ kind: 'other', text: `Authentication ${auth}`, effect: 'unknown' });
  const override = scalar('OverrideBlockRules')?.text.toLowerCase();
  if (override === 'true') conditions.push({ kind: 'other', text: 'OverrideBlockRules (an allow that beats block rules)', effect: 'unknown' });
  const icmp = scalar('IcmpType');
  if (icmp && icmp.text.toLowerCase() !== 'any') {
    const ping = icmp.text.split(/[,:]/)[0].trim();
    conditions.push({ kind: 'other', text: `icmp-type ${icmp.text}`, span: icmp.span, effect: ping === '8' || ping === '128' ? 'assume-match' : 'never-matches-new' });
  }

  const inbound = direction === 'inbound';
  const dst = inbound ? localPorts : remotePorts;
  const src = inbound ? remotePorts : localPorts;
  const id = name?.text ?? display?.text ?? `line ${line}`;
  const meta: Record<string, string> = { style: spec.style };
  if (name) meta.name = name.text;
  if (display) meta.displayName = display.text;
  if (profile) meta.profile = profile.text;
  const group = scalar('Group');
  if (group) meta.group = group.text;
  const rule = makeRule({
    id,
    name: display?.text ?? name?.text,
    target,
    direction,
    protocols: protocols,
    source: inbound ? remote.field : local.field,
    destination: inbound ? local.field : remote.field,
    sourcePorts: src.field,
    destinationPorts: dst.field,
    enabled,
    conditions,
    unresolved,
    span: spec.span,
    raw: text.slice(spec.span.start, spec.span.end),
    order,
    comment: scalar('Description')?.text,
    meta,
  });
  return dst.keyword ? { ...rule, keywordPorts: dst.keyword } : rule;
}

type Problem = (span: Span, message: string, code?: ParseProblem['code']) => void;

function splitItems(v: Value): Value[] {
  // netsh and quoted PowerShell strings may carry a comma list in one text.
  return items(v).flatMap((x) =>
    x.kind === 'text' && x.text.includes(',') ? x.text.split(',').map((t) => ({ kind: 'text' as const, text: t.trim(), span: x.span })) : [x],
  );
}

function protocolField(pv: ParamValue | undefined, problem: Problem, unresolved: Unresolved[], conditions: MatchCondition[]): Field<ProtocolSet> | undefined {
  if (!pv) return { value: Protocols.any() };
  const v = pv.value;
  if (v.kind === 'unresolved') {
    unresolved.push({ text: v.text, span: v.span, reason: v.reason });
    conditions.push({ kind: 'other', text: `protocol ${v.text}`, span: v.span, effect: 'unknown' });
    return { value: Protocols.any(), span: v.span, text: v.text };
  }
  const t = v.kind === 'text' ? v.text.toLowerCase() : '';
  // netsh writes ICMP types inline: protocol=icmpv4:8,any
  const base = t.split(':')[0];
  const known: Record<string, ProtocolSet> = {
    tcp: Protocols.of(6),
    udp: Protocols.of(17),
    icmpv4: Protocols.of(1),
    icmpv6: Protocols.of(58),
    any: Protocols.any(),
  };
  let value = known[base];
  if (!value && /^\d{1,3}$/.test(base) && Number(base) <= 255) value = Protocols.of(Number(base));
  if (!value) {
    problem(v.span, `"${v.kind === 'text' ? v.text : '…'}" is not a protocol (TCP, UDP, ICMPv4, ICMPv6, Any or a number); the rule is left out`);
    return undefined;
  }
  if (t.includes(':')) {
    const type = t.split(':')[1].split(',')[0];
    if (type !== 'any') conditions.push({ kind: 'other', text: `icmp-type ${type}`, span: v.span, effect: type === '8' || type === '128' ? 'assume-match' : 'never-matches-new' });
  }
  return { value, span: v.span, text: v.kind === 'text' ? v.text : undefined };
}

function addressField(pv: ParamValue | undefined, problem: Problem, unresolved: Unresolved[]): { field: Field<AddressSet> } | undefined {
  if (!pv) return { field: { value: AddressSet.any() } };
  let set = AddressSet.none();
  for (const item of splitItems(pv.value)) {
    if (item.kind === 'unresolved') {
      unresolved.push({ text: item.text, span: item.span, reason: item.reason });
      set = set.union(AddressSet.symbol('variable', item.text));
      continue;
    }
    if (item.kind !== 'text') continue;
    const t = item.text.trim();
    const keyword = ADDRESS_KEYWORDS.get(t.toLowerCase());
    if (t.toLowerCase() === 'any' || t === '*') {
      set = AddressSet.any();
      continue;
    }
    if (keyword) {
      set = set.union(AddressSet.symbol('keyword', keyword));
      continue;
    }
    const r = AddressSet.parse(maskToPrefix(t));
    if (!r.ok) {
      problem(item.span, `${pv.name}: ${r.error}; the rule is left out`);
      return undefined;
    }
    set = set.union(r.value);
  }
  return { field: { value: set, span: pv.value.span, text: textOf(pv.value) } };
}

/** `10.0.0.0/255.255.255.0` (accepted by both cmdlet and netsh) → `10.0.0.0/24`. */
function maskToPrefix(t: string): string {
  const slash = t.indexOf('/');
  if (slash < 0 || !t.slice(slash + 1).includes('.')) return t;
  const m = parseIPv4(t.slice(slash + 1));
  if (!m.ok) return t;
  const inv = ~m.value >>> 0;
  if ((inv & (inv + 1)) !== 0) return t;
  return `${t.slice(0, slash)}/${32 - Math.log2(inv + 1)}`;
}

function portField(
  pv: ParamValue | undefined,
  problem: Problem,
  unresolved: Unresolved[],
  conditions: MatchCondition[],
): { field: Field<PortSet>; keyword?: { text: string; span: Span } } | undefined {
  if (!pv) return { field: { value: Ports.any() } };
  let ports = Ports.none();
  const keywords: string[] = [];
  let unknown = false;
  for (const item of splitItems(pv.value)) {
    if (item.kind === 'unresolved') {
      unresolved.push({ text: item.text, span: item.span, reason: item.reason });
      unknown = true;
      continue;
    }
    if (item.kind !== 'text') continue;
    const t = item.text.trim();
    const keyword = PORT_KEYWORDS.get(t.toLowerCase());
    if (keyword) {
      keywords.push(keyword);
      continue;
    }
    const r = parsePortRange(t, ['-']);
    if (!r.ok) {
      problem(item.span, `${pv.name}: ${r.error}; the rule is left out`);
      return undefined;
    }
    ports = ports.union(r.value);
  }
  const text = textOf(pv.value);
  if (unknown) {
    conditions.push({ kind: 'other', text: `${pv.name} ${text}`, span: pv.value.span, effect: 'unknown' });
    return { field: { value: Ports.any(), span: pv.value.span, text } };
  }
  if (keywords.length && ports.isEmpty) {
    conditions.push({ kind: 'other', text: `port keyword ${keywords.join(',')}`, span: pv.value.span, effect: 'unknown' });
    return { field: { value: Ports.any(), span: pv.value.span, text } };
  }
  return { field: { value: ports, span: pv.value.span, text }, keyword: keywords.length ? { text: keywords.join(','), span: pv.value.span } : undefined };
}

function textOf(v: Value): string {
  if (v.kind === 'text') return v.text;
  if (v.kind === 'unresolved') return v.text;
  return items(v)
    .map((x) => (x.kind === 'text' || x.kind === 'unresolved' ? x.text : '?'))
    .join(',');
}

/**
 * `-Profile Domain,Private`, netsh `profile=domain,private`, `Any`, the
 * enum's numbers (1 Domain, 2 Private, 4 Public): the profiles a rule
 * applies in; 'any' for all; undefined when it cannot be read (a variable).
 */
export function profilesOf(text: string): readonly WindowsProfile[] | 'any' | undefined {
  const out = new Set<WindowsProfile>();
  const words = text.replace(/^@\(|\)$/g, '').split(/[\s,]+/).map((w) => w.replace(/^['"]|['"]$/g, '').toLowerCase()).filter((w) => w !== '');
  if (words.length === 0) return undefined;
  for (const w of words) {
    if (w === 'any' || w === 'all') return 'any';
    if (w === 'domain' || w === 'private' || w === 'public') out.add(w);
    else if (/^\d+$/.test(w)) {
      const n = Number(w);
      if (n & 1) out.add('domain');
      if (n & 2) out.add('private');
      if (n & 4) out.add('public');
      if ((n & 7) === 7) return 'any';
    } else return undefined;
  }
  return out.size === 3 ? 'any' : WINDOWS_PROFILES.filter((p) => out.has(p));
}
