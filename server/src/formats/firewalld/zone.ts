import { AddressSet, parseProtocol, Ports, Protocols, type PortSet, type ProtocolSet, ICMP, ICMPV6, TCP, UDP } from '../../net';
import { LineIndex, RULE_DEFAULTS, unorderedRule, type Field, type MatchCondition, type ParseProblem, type Rule, type RuleSet, type RuleTarget, type Span } from '../../model';
import { FIREWALLD_SERVICES } from './services';

/**
 * A firewalld zone as its XML file or a script's firewall-cmd lines leave
 * it, and what it decides for new inbound connections (firewalld.zone(5),
 * firewalld.richlanguage(5)):
 * - rich rules by priority, lower first; at priority 0 (the default) the
 *   deny (reject, drop) rules come before the allow ones, and the zone's
 *   services, ports, protocols and source ports are allows at priority 0;
 *   log and audit alone decide nothing;
 * - what matches nothing meets the zone target: "default" (and the
 *   %%REJECT%% of most shipped zones) rejects, except that "default" accepts
 *   ICMP; ACCEPT accepts; DROP drops;
 * - a packet meets the zone whose <source> holds its source address first,
 *   then the zone of the interface it came in on, then the default zone.
 *   A zone with sources and no interface decides only for those sources:
 *   for the others the verdict is unknown (another zone decides).
 */

export interface Located<T = string> {
  readonly value: T;
  readonly span: Span;
}

export interface AddressMatch {
  readonly address?: Located;
  readonly ipset?: Located;
  readonly mac?: Located;
  readonly invert: boolean;
  readonly span: Span;
}

export type RichElement =
  | { readonly kind: 'service'; readonly name: Located; readonly span: Span }
  | { readonly kind: 'port' | 'source-port'; readonly port: Located; readonly protocol: Located; readonly span: Span }
  | { readonly kind: 'protocol'; readonly value: Located; readonly span: Span }
  | { readonly kind: 'icmp-block' | 'icmp-type'; readonly name: Located; readonly span: Span }
  | { readonly kind: 'masquerade' | 'forward-port' | 'tcp-mss-clamp'; readonly span: Span };

export interface RichRule {
  readonly span: Span;
  readonly raw: string;
  /** Normalised text, so `--remove-rich-rule` finds what `--add-rich-rule` added. */
  readonly key: string;
  readonly family?: Located;
  readonly priority?: Located<number>;
  readonly source?: AddressMatch;
  readonly destination?: AddressMatch;
  readonly element?: RichElement;
  readonly action?: { readonly kind: 'accept' | 'reject' | 'drop' | 'mark'; readonly span: Span; readonly limit?: string };
  /** Added by a script without --permanent: the next --reload drops it. */
  readonly runtimeOnly?: boolean;
}

export interface ZoneItem {
  readonly kind: 'service' | 'port' | 'protocol' | 'source-port';
  readonly value: Located;
  readonly protocol?: Located;
  readonly span: Span;
  /** Added by a script without --permanent: the next --reload drops it. */
  readonly runtimeOnly?: boolean;
}

export interface Zone {
  readonly name: string;
  span: Span;
  nameSpan?: Span;
  target?: Located;
  readonly sources: Located[];
  readonly interfaces: Located[];
  readonly items: ZoneItem[];
  readonly rules: RichRule[];
  /** Read from a script: the zone held more than the script says (its shipped or saved settings). */
  readonly fromScript: boolean;
  /** Where a new element or command goes, for the emitter. */
  insertAt: number;
  /** Drops everything (`firewall-cmd --panic-on` left on). */
  panic?: Span;
  /** Scripts: how the last command for this zone starts (`sudo firewall-cmd`), and whether the script writes the permanent configuration. */
  prefix?: string;
  permanent?: boolean;
  /**
   * Scripts: why the zone's default is not known — it held settings before
   * the script ran (a shipped zone's services, saved changes) unless the
   * script made it with --new-zone.
   */
  defaultUnknown?: string;
}

export function newZone(name: string, span: Span, fromScript: boolean, insertAt: number): Zone {
  return { name, span, sources: [], interfaces: [], items: [], rules: [], fromScript, insertAt };
}

const PRIORITY_MIN = -32768;
const PRIORITY_MAX = 32767;
const TCP_SET = Protocols.of(TCP);
const UDP_SET = Protocols.of(UDP);
const ICMP_SET = Protocols.of(ICMP, ICMPV6);

export function portSetOf(text: string): PortSet | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535 || to < from) return undefined;
  return Ports.range(from, to);
}

function protocolSetOf(text: string): ProtocolSet | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'tcp') return TCP_SET;
  if (t === 'udp') return UDP_SET;
  if (t === 'sctp' || t === 'dccp') {
    const p = parseProtocol(t === 'dccp' ? '33' : 'sctp');
    return p.ok ? p.value : undefined;
  }
  return undefined;
}

interface Builder {
  readonly text: string;
  readonly problems: ParseProblem[];
  readonly lines: LineIndex;
  readonly ids: Map<string, number>;
  readonly rules: Rule[];
}

function uniqueId(b: Builder, id: string): string {
  const seen = b.ids.get(id) ?? 0;
  b.ids.set(id, seen + 1);
  return seen ? `${id} #${seen + 1}` : id;
}

function warn(b: Builder, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
  b.problems.push({ code, message, span, severity });
}

function addressOf(b: Builder, m: AddressMatch | undefined, family: 4 | 6 | undefined, conditions: MatchCondition[]): Field<AddressSet> | undefined {
  const familySet = family === 4 ? AddressSet.anyV4() : family === 6 ? AddressSet.anyV6() : undefined;
  if (!m) return familySet ? { value: familySet } : undefined;
  let set: AddressSet | undefined;
  let text = '';
  if (m.address) {
    text = m.address.value;
    const parsed = AddressSet.parse(m.address.value);
    if (!parsed.ok) {
      warn(b, 'syntax-error', `"${m.address.value}" is not an address firewalld takes (${parsed.error})`, m.address.span, 'error');
      conditions.push({ kind: 'other', text: `address="${m.address.value}"`, span: m.address.span, effect: 'unknown' });
      return undefined;
    }
    set = parsed.value;
  } else if (m.ipset) {
    text = `ipset="${m.ipset.value}"`;
    set = AddressSet.symbol('named-set', m.ipset.value);
  } else if (m.mac) {
    conditions.push({ kind: 'other', text: `mac="${m.mac.value}"`, span: m.mac.span, effect: 'unknown' });
    return familySet ? { value: familySet } : undefined;
  }
  if (!set) return familySet ? { value: familySet } : undefined;
  if (m.invert) set = set.complement();
  if (familySet) set = set.intersect(familySet);
  return { value: set, span: m.span, text: m.invert ? `not ${text}` : text };
}

function targetOf(action: RichRule['action']): RuleTarget {
  if (!action) return { kind: 'continue', note: 'log or audit only: evaluation goes on' };
  switch (action.kind) {
    case 'accept':
      return { kind: 'allow' };
    case 'reject':
      return { kind: 'deny', reject: true };
    case 'drop':
      return { kind: 'deny' };
    case 'mark':
      return { kind: 'continue', note: 'mark sets a mark and goes on' };
  }
}

/** Ports of one rule by protocol: a service with the same ports on TCP and UDP gives one rule. */
function groups(entries: readonly { protocol: ProtocolSet; ports: PortSet }[]): { protocol: ProtocolSet; ports: PortSet }[] {
  const out: { protocol: ProtocolSet; ports: PortSet }[] = [];
  for (const e of entries) {
    const same = out.find((o) => o.protocol.equals(e.protocol));
    if (same) same.ports = same.ports.union(e.ports);
    else out.push({ protocol: e.protocol, ports: e.ports });
  }
  const merged: { protocol: ProtocolSet; ports: PortSet }[] = [];
  for (const g of out) {
    const same = merged.find((m) => m.ports.equals(g.ports));
    if (same) same.protocol = same.protocol.union(g.protocol);
    else merged.push({ ...g });
  }
  return merged;
}

interface Match {
  protocols: Field<ProtocolSet>;
  destinationPorts: Field<PortSet>;
  sourcePorts: Field<PortSet>;
  destination?: AddressSet;
  suffix: string;
  conditions: MatchCondition[];
}

/** What a service, port, protocol or source port matches: one entry per rule to make; none when it is not understood. */
function matchesOf(b: Builder, kind: ZoneItem['kind'] | RichElement['kind'], value: Located, protocol: Located | undefined): Match[] {
  switch (kind) {
    case 'service': {
      const def = FIREWALLD_SERVICES.get(value.value);
      if (!def) {
        return [
          {
            protocols: RULE_DEFAULTS.protocols,
            destinationPorts: RULE_DEFAULTS.destinationPorts,
            sourcePorts: RULE_DEFAULTS.sourcePorts,
            suffix: '',
            conditions: [
              {
                kind: 'other',
                text: `service "${value.value}" (its ports are in /usr/lib/firewalld/services/${value.value}.xml or /etc/firewalld/services/${value.value}.xml, which this reader does not have)`,
                span: value.span,
                effect: 'unknown',
              },
            ],
          },
        ];
      }
      const gs = groups(def.ports.map((p) => ({ protocol: protocolSetOf(p.protocol) ?? TCP_SET, ports: Ports.range(p.from, p.to) })));
      let destination: AddressSet | undefined;
      if (def.destination) {
        const parts = [def.destination.ipv4, def.destination.ipv6].filter((x): x is string => !!x).map((a) => AddressSet.parse(a));
        destination = parts.reduce((acc, p) => (p.ok ? acc.union(p.value) : acc), AddressSet.none());
      }
      return gs.map((g) => ({
        protocols: { value: g.protocol, span: value.span, text: value.value },
        destinationPorts: { value: g.ports, span: value.span, text: value.value },
        sourcePorts: RULE_DEFAULTS.sourcePorts,
        destination,
        suffix: gs.length > 1 ? ` (${g.protocol.equals(TCP_SET) ? 'tcp' : g.protocol.equals(UDP_SET) ? 'udp' : 'other'})` : '',
        conditions: [],
      }));
    }
    case 'port':
    case 'source-port': {
      const ports = portSetOf(value.value);
      const proto = protocol ? protocolSetOf(protocol.value) : undefined;
      if (!ports) warn(b, 'syntax-error', `"${value.value}" is not a port or port range (1494, 16500-16509)`, value.span, 'error');
      if (!proto) warn(b, 'syntax-error', protocol ? `"${protocol.value}" is not a protocol a port takes (tcp, udp, sctp, dccp)` : 'a port needs its protocol (tcp, udp, sctp or dccp)', protocol?.span ?? value.span, 'error');
      if (!ports || !proto) return [];
      const portField = { value: ports, span: value.span, text: value.value };
      return [
        {
          protocols: { value: proto, span: protocol?.span, text: protocol?.value },
          destinationPorts: kind === 'port' ? portField : RULE_DEFAULTS.destinationPorts,
          sourcePorts: kind === 'source-port' ? portField : RULE_DEFAULTS.sourcePorts,
          suffix: '',
          conditions: [],
        },
      ];
    }
    case 'protocol': {
      const p = parseProtocol(value.value);
      if (!p.ok) {
        warn(b, 'syntax-error', `"${value.value}" is not a protocol (${p.error})`, value.span, 'error');
        return [];
      }
      return [{ protocols: { value: p.value, span: value.span, text: value.value }, destinationPorts: RULE_DEFAULTS.destinationPorts, sourcePorts: RULE_DEFAULTS.sourcePorts, suffix: '', conditions: [] }];
    }
    case 'icmp-block':
    case 'icmp-type':
      return [
        {
          protocols: { value: ICMP_SET, span: value.span, text: value.value },
          destinationPorts: RULE_DEFAULTS.destinationPorts,
          sourcePorts: RULE_DEFAULTS.sourcePorts,
          suffix: '',
          conditions: [{ kind: 'other', text: `ICMP type ${value.value}`, span: value.span, effect: 'unknown' }],
        },
      ];
    default:
      return [];
  }
}

function push(b: Builder, base: Omit<Rule, 'id' | 'order'> & { id: string }): void {
  b.rules.push({ ...base, id: uniqueId(b, base.id), order: b.rules.length });
}

function lineOf(b: Builder, offset: number): number {
  return b.lines.positionAt(offset).line + 1;
}

function richRules(b: Builder, zone: Zone): void {
  for (const r of zone.rules) {
    // firewalld refuses these (rich.py check(): MISSING_FAMILY, INVALID_RULE), so the rule is never in force.
    if (!r.family && (r.source?.address || r.destination)) {
      warn(b, 'syntax-error', 'firewalld refuses a rich rule with an address but no family (add family="ipv4" or family="ipv6"): not in force', r.span, 'error');
      continue;
    }
    if (!r.action && (!r.element || ['service', 'port', 'source-port', 'protocol', 'icmp-type'].includes(r.element.kind))) {
      warn(b, 'syntax-error', `firewalld refuses a rich rule ${r.element ? `with a ${r.element.kind}` : 'with no element'} and no action (accept, reject, drop or mark): not in force`, r.span, 'error');
      continue;
    }
    const conditions: MatchCondition[] = [];
    const fam = r.family ? (r.family.value === 'ipv4' ? 4 : r.family.value === 'ipv6' ? 6 : undefined) : undefined;
    if (r.family && fam === undefined) warn(b, 'syntax-error', `family is ipv4 or ipv6, not "${r.family.value}"`, r.family.span, 'error');
    if (!r.family && (r.source?.address || r.destination?.address) && r.source?.address?.value.includes(':') !== r.destination?.address?.value.includes(':') && r.source?.address && r.destination?.address) {
      warn(b, 'syntax-error', 'source and destination are of different address families: firewalld rejects this rule', r.span, 'error');
    }
    const source = addressOf(b, r.source, fam, conditions);
    let destination = addressOf(b, r.destination, fam, conditions);
    const priority = r.priority?.value ?? 0;
    if (r.priority && (!Number.isInteger(priority) || priority < PRIORITY_MIN || priority > PRIORITY_MAX)) {
      warn(b, 'syntax-error', `priority is a whole number from ${PRIORITY_MIN} to ${PRIORITY_MAX}`, r.priority.span, 'error');
    }
    let target = targetOf(r.action);
    if (r.element?.kind === 'icmp-block') target = { kind: 'deny', reject: true };
    if (r.element && (r.element.kind === 'masquerade' || r.element.kind === 'forward-port' || r.element.kind === 'tcp-mss-clamp')) {
      warn(b, 'limit', `${r.element.kind} changes addresses or packets, not which new connections this host accepts: not evaluated`, r.element.span, 'info');
      continue;
    }
    if (r.action?.limit) conditions.push({ kind: 'other', text: `limit value="${r.action.limit}" (read as within the rate)`, span: r.action.span, effect: 'assume-match' });
    if (r.action?.kind === 'mark') warn(b, 'limit', 'mark only marks packets: this rule decides nothing', r.action.span, 'info');
    const line = lineOf(b, r.span.start);
    const e = r.element;
    const matches: Match[] = !e
      ? [{ protocols: RULE_DEFAULTS.protocols, destinationPorts: RULE_DEFAULTS.destinationPorts, sourcePorts: RULE_DEFAULTS.sourcePorts, suffix: '', conditions: [] }]
      : e.kind === 'port' || e.kind === 'source-port'
        ? matchesOf(b, e.kind, e.port, e.protocol)
        : e.kind === 'protocol'
          ? matchesOf(b, e.kind, e.value, undefined)
          : e.kind === 'service' || e.kind === 'icmp-block' || e.kind === 'icmp-type'
            ? matchesOf(b, e.kind, e.name, undefined)
            : [];
    for (const m of matches) {
      if (m.destination) destination = { value: (destination?.value ?? AddressSet.any()).intersect(m.destination), span: destination?.span };
      push(b, {
        id: `line ${line}${m.suffix}`,
        target,
        direction: 'inbound',
        protocols: m.protocols,
        source: source ?? RULE_DEFAULTS.source,
        destination: destination ?? RULE_DEFAULTS.destination,
        sourcePorts: m.sourcePorts,
        destinationPorts: m.destinationPorts,
        priority: { value: priority, span: r.priority?.span },
        enabled: RULE_DEFAULTS.enabled,
        conditions: [...conditions, ...m.conditions],
        unresolved: RULE_DEFAULTS.none,
        span: r.span,
        raw: r.raw,
        chain: zone.name,
        meta: { zone: zone.name, element: 'rule', ...(r.family ? { family: r.family.value } : {}) },
      });
    }
  }
}

function zoneItems(b: Builder, zone: Zone): void {
  for (const item of zone.items) {
    const label = item.kind === 'service' ? `service ${item.value.value}` : item.kind === 'protocol' ? `protocol ${item.value.value}` : `${item.kind} ${item.value.value}/${item.protocol?.value ?? '?'}`;
    for (const m of matchesOf(b, item.kind, item.value, item.protocol)) {
      push(b, {
        id: `${label}${m.suffix}`,
        target: { kind: 'allow' },
        direction: 'inbound',
        protocols: m.protocols,
        source: RULE_DEFAULTS.source,
        destination: m.destination ? { value: m.destination, text: 'the service’s destination' } : RULE_DEFAULTS.destination,
        sourcePorts: m.sourcePorts,
        destinationPorts: m.destinationPorts,
        priority: { value: 0 },
        enabled: RULE_DEFAULTS.enabled,
        conditions: m.conditions,
        unresolved: RULE_DEFAULTS.none,
        span: item.span,
        raw: b.text.slice(item.span.start, item.span.end),
        chain: zone.name,
        meta: { zone: zone.name, element: item.kind },
      });
    }
  }
}

export function zoneRuleSet(text: string, zone: Zone, problems: ParseProblem[], lines: LineIndex, style: 'xml' | 'script'): RuleSet {
  const b: Builder = { text, problems, lines, ids: new Map(), rules: [] };
  const implicit = (id: string, target: RuleTarget, priority: number, fields: Partial<Rule>, span: Span, raw: string): void => {
    push(b, unorderedRule({ id, target, direction: 'inbound', priority: { value: priority }, span, raw, implicit: true, chain: zone.name, meta: { zone: zone.name, element: 'implicit' }, ...fields }));
  };
  if (zone.panic) implicit('panic mode', { kind: 'deny' }, PRIORITY_MIN - 2, {}, zone.panic, 'firewall-cmd --panic-on');
  // Which packets meet this zone at all (firewalld: source zones first, then the interface's zone, then the default zone).
  let sources = AddressSet.none();
  for (const s of zone.sources) {
    if (s.value.startsWith('ipset:')) sources = sources.union(AddressSet.symbol('named-set', s.value.slice(6)));
    else if (s.value.includes(':') && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s.value)) sources = sources.union(AddressSet.symbol('object', `mac ${s.value}`));
    else {
      const p = AddressSet.parse(s.value);
      if (p.ok) sources = sources.union(p.value);
      else warn(b, 'syntax-error', `"${s.value}" is not a source address firewalld takes (${p.error})`, s.span, 'error');
    }
  }
  if (zone.sources.length && zone.interfaces.length === 0) {
    implicit(
      'other sources',
      { kind: 'jump', chain: '(another zone)' },
      PRIORITY_MIN - 1,
      {
        source: { value: sources.complement(), text: `not ${zone.sources.map((s) => s.value).join(', ')}` },
        conditions: [{ kind: 'other', text: `the zone that packets from outside ${zone.name}'s sources meet (the zone of their interface, or the default zone), which is not in this file`, effect: 'unknown' }],
      },
      zone.sources[0].span,
      `zone ${zone.name}: sources ${zone.sources.map((s) => s.value).join(', ')}`,
    );
  } else if (zone.sources.length === 0 && zone.interfaces.length === 0) {
    problems.push({
      code: 'limit',
      message: `zone ${zone.name} names no <source> and no <interface>: read as the zone of the host's interface or the default zone (NetworkManager's ZONE= or firewalld.conf's DefaultZone may say otherwise)`,
      span: zone.nameSpan ?? zone.span,
      severity: 'info',
    });
  }
  richRules(b, zone);
  zoneItems(b, zone);
  const target = (zone.target?.value ?? 'default').toUpperCase();
  const known = ['DEFAULT', 'ACCEPT', 'DROP', 'REJECT', '%%REJECT%%'];
  if (!known.includes(target) && zone.target) warn(b, 'syntax-error', `target is default, ACCEPT, %%REJECT%% or DROP, not "${zone.target.value}"`, zone.target.span, 'error');
  const action = target === 'ACCEPT' ? 'allow' : 'deny';
  if (target === 'DEFAULT') {
    implicit('default target: ICMP', { kind: 'allow' }, PRIORITY_MAX + 1, { protocols: { value: ICMP_SET } }, zone.target?.span ?? zone.nameSpan ?? zone.span, 'target="default" accepts ICMP');
  }
  return {
    id: `zone ${zone.name}`,
    name: `zone ${zone.name}`,
    format: 'firewalld',
    kind: 'firewalld-zone',
    semantics: 'priority-first-match',
    directions: ['inbound'],
    rules: b.rules,
    defaults: { inbound: { value: action, span: zone.target?.span ?? zone.nameSpan ?? zone.span } },
    ...(zone.defaultUnknown ? { defaultsUnknown: { inbound: zone.defaultUnknown } } : {}),
    span: zone.span,
    nameSpan: zone.nameSpan,
    appliesTo: [
      ...zone.sources.map((s) => `source ${s.value}`),
      ...zone.interfaces.map((i) => `interface ${i.value}`),
      ...(zone.sources.length || zone.interfaces.length ? [] : ['the default zone']),
    ],
    meta: { zone: zone.name, style, target: zone.target?.value ?? 'default', insertAt: String(zone.insertAt), ...(zone.fromScript ? { script: 'true', prefix: zone.prefix ?? 'firewall-cmd', permanent: zone.permanent ? 'true' : 'false' } : {}) },
  };
}

export { TCP_SET, UDP_SET };
