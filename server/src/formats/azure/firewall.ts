import { AddressSet, ICMP, Ports, Protocols, TCP, UDP, parsePortRange, type PortSet, type ProtocolSet } from '../../net';
import {
  ALL_DIRECTIONS,
  makeRule,
  type Field,
  type FormatId,
  type MatchCondition,
  type ParseProblem,
  type Rule,
  type RuleSet,
  type RuleTarget,
  type Span,
  type Unresolved,
} from '../../model';
import { parseAzureAddress, uniqueRuleId } from './nsg';
import { prop, type Val } from './value';

/**
 * Azure Firewall semantics shared by the Terraform, Bicep and ARM readers
 * (docs/azure-firewall.md has the sources). Every rule the firewall applies is
 * one priority-first-match list: DNAT rules before network rules before
 * application rules whatever their groups' priorities, then rule collection
 * groups by priority, then collections by priority within a group; rules are
 * terminating and what matches nothing is denied. Inputs use the ARM property
 * names (`sourceAddresses`, `ipProtocols`, `targetFqdns`, …); the Terraform
 * reader maps its snake_case attributes onto them.
 */

export type FirewallCollectionKind = 'nat' | 'network' | 'application';

const KIND_RANK: Readonly<Record<FirewallCollectionKind, number>> = { nat: 0, network: 1, application: 2 };
const KIND_NAME: Readonly<Record<FirewallCollectionKind, string>> = { nat: 'DNAT', network: 'network', application: 'application' };

// Group and collection priorities are 100–65000, so one number orders (kind, group, collection) exactly.
const GROUP_SCALE = 100_000;
const KIND_SCALE = GROUP_SCALE * GROUP_SCALE;

/** The number a collection's rules sort by: kind (DNAT, network, application), then group priority, then its own. */
export function firewallOrdering(kind: FirewallCollectionKind, groupPriority: number, priority: number): number {
  return KIND_RANK[kind] * KIND_SCALE + groupPriority * GROUP_SCALE + priority;
}

/** Sources a packet from outside Azure's private address space cannot have; only they are sure to reach a DNAT rule's translated address through the DNAT alone. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];
let privateSet: AddressSet | undefined;
function privateAddresses(): AddressSet {
  if (!privateSet) {
    const parsed = AddressSet.parseList(PRIVATE_RANGES);
    privateSet = parsed.ok ? parsed.value : AddressSet.none();
  }
  return privateSet;
}

export interface FirewallRuleInput {
  /** The rule's properties, ARM names. */
  readonly properties: Val | undefined;
  readonly span: Span;
  readonly meta?: Readonly<Record<string, string>>;
  readonly unresolved?: readonly Unresolved[];
  readonly conditions?: readonly MatchCondition[];
}

export interface FirewallCollectionInput {
  readonly kind: FirewallCollectionKind;
  readonly name?: string;
  readonly priority: Val | undefined;
  /** `Allow`, `Deny`, or `Dnat` (any spelling case) for a NAT collection. */
  readonly action: Val | undefined;
  readonly span: Span;
  /** The rule collection group (Firewall Policy); absent for classic rule collections. */
  readonly group?: { readonly name?: string; readonly priority: Val | undefined; readonly span: Span };
  readonly rules: readonly FirewallRuleInput[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly unresolved?: readonly Unresolved[];
  readonly conditions?: readonly MatchCondition[];
}

export interface UnknownRules {
  readonly text: string;
  readonly span: Span;
  readonly reason: string;
}

export interface AzureFirewallInput {
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly text: string;
  /** Firewall Policy rule collection groups, or classic rule collections on the firewall itself. */
  readonly style: 'policy' | 'classic';
  readonly collections: readonly FirewallCollectionInput[];
  /**
   * Rules the file does not show that come before all of these: a parent
   * policy's (`basePolicy`), or collections that did not parse or are not
   * literal. They may allow or deny anything.
   */
  readonly unknownRules?: readonly UnknownRules[];
  readonly appliesTo?: readonly string[];
  readonly stage?: RuleSet['stage'];
  readonly meta?: Readonly<Record<string, string>>;
  /** The CIDRs the file gives an IP group a rule names, where it gives any. */
  readonly ipGroup?: (item: Val) => { readonly name: string; readonly cidrs: readonly string[] } | undefined;
}

interface Ctx {
  readonly text: string;
  readonly ipGroup?: AzureFirewallInput['ipGroup'];
  readonly problems: ParseProblem[];
  readonly ids: Set<string>;
}

const textOf = (ctx: Ctx, span: Span): string => ctx.text.slice(span.start, span.end);

/** A priority as written: the number, or why it is not one. */
function priorityOf(ctx: Ctx, v: Val | undefined, what: string, span: Span): { value?: number; unknown?: Unresolved } {
  if (!v || v.kind === 'null') {
    ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${what} has no priority; Azure requires one` });
    return { unknown: { text: '(missing)', span, reason: `${what} priority: not set` } };
  }
  const n = v.kind === 'number' ? v.value : v.kind === 'string' && /^\s*\d+\s*$/.test(v.value) ? Number(v.value) : undefined;
  if (n === undefined) {
    const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : textOf(ctx, v.span);
    const reason = v.kind === 'unknown' ? v.reason : 'not a whole number';
    if (v.kind !== 'unknown' && v.kind !== 'ref') ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: v.span, message: `${what} priority ${text} is not a whole number` });
    return { unknown: { text, span: v.span, reason: `${what} priority: ${reason}` } };
  }
  if (!Number.isInteger(n) || n < 100 || n > 65000) {
    ctx.problems.push({ code: 'unparsed-rule', severity: 'warning', span: v.span, message: `${what} priority ${n} is outside 100–65000; Azure rejects it` });
    return { value: Math.max(0, Math.min(GROUP_SCALE - 1, Math.trunc(n))) };
  }
  return { value: n };
}

/** Strings of a scalar-or-list property; what is not a literal string is returned as unknown. */
function strings(ctx: Ctx, v: Val | undefined): { items: { value: string; span: Span }[]; unknowns: Unresolved[]; span?: Span } {
  const items: { value: string; span: Span }[] = [];
  const unknowns: Unresolved[] = [];
  const take = (x: Val): void => {
    if (x.kind === 'string') {
      if (x.value.trim() !== '') items.push({ value: x.value.trim(), span: x.span });
    } else if (x.kind === 'number') items.push({ value: String(x.value), span: x.span });
    else if (x.kind === 'array') for (const i of x.items) take(i);
    else if (x.kind === 'unknown') unknowns.push({ text: x.text, span: x.span, reason: x.reason });
    else if (x.kind === 'ref') unknowns.push({ text: x.text, span: x.span, reason: 'a resource reference, not a literal' });
    else if (x.kind !== 'null') unknowns.push({ text: textOf(ctx, x.span), span: x.span, reason: 'not a string' });
  };
  if (v) take(v);
  return { items, unknowns, span: v && v.kind !== 'null' ? v.span : undefined };
}

class FirewallRuleBuilder {
  readonly unresolved: Unresolved[] = [];
  readonly conditions: MatchCondition[] = [];
  constructor(
    private readonly ctx: Ctx,
    private readonly rule: FirewallRuleInput,
    private readonly label: string,
  ) {
    this.unresolved.push(...(rule.unresolved ?? []));
    this.conditions.push(...(rule.conditions ?? []));
  }

  problem(message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
    this.ctx.problems.push({ code: 'unparsed-rule', severity, span, message: `${this.label}: ${message}` });
  }

  /** Unknown values that are not addresses cannot stay symbols, so they become a condition the evaluator treats as unknown. */
  unknownField(u: Unresolved, what: string): void {
    this.unresolved.push({ text: u.text, span: u.span, reason: `${what}: ${u.reason}` });
    this.conditions.push({ kind: 'other', text: `${what} ${u.text}`, span: u.span, effect: 'unknown' });
  }

  prop(name: string): Val | undefined {
    return prop(this.rule.properties, name);
  }

  /** Addresses, CIDRs, ranges, `*` and service tags, as Azure reads them; unknowns stay symbols. */
  addresses(names: readonly string[], side: string): { set: AddressSet; spans: Span[]; count: number } {
    let set = AddressSet.none();
    const spans: Span[] = [];
    let count = 0;
    for (const name of names) {
      const list = strings(this.ctx, this.prop(name));
      if (list.span) spans.push(list.span);
      for (const item of list.items) {
        count++;
        const parsed = parseAzureAddress(item.value);
        if (parsed.ok) set = set.union(parsed.value);
        else {
          this.problem(`${side} address "${item.value}": ${parsed.error}`, item.span, 'error');
          this.unresolved.push({ text: item.value, span: item.span, reason: `${side} address: ${parsed.error}` });
          set = set.union(AddressSet.symbol('variable', item.value));
        }
      }
      for (const u of list.unknowns) {
        count++;
        this.unresolved.push({ text: u.text, span: u.span, reason: `${side} address: ${u.reason}` });
        set = set.union(AddressSet.symbol('variable', u.text));
      }
    }
    return { set, spans, count };
  }

  /**
   * IP groups are Azure resources of their own. Where the reader finds the
   * group's CIDRs, a flow inside them is a member; outside them it may still
   * be one (CIDRs another file adds), so the group's name stays beside them.
   */
  ipGroups(name: string, side: string): { set: AddressSet; spans: Span[]; count: number } {
    const v = this.prop(name);
    let set = AddressSet.none();
    let count = 0;
    const take = (item: Val): void => {
      if (item.kind === 'array') {
        for (const i of item.items) take(i);
        return;
      }
      if (item.kind === 'null') return;
      count++;
      const text = item.kind === 'string' ? item.value : item.kind === 'unknown' || item.kind === 'ref' ? item.text : textOf(this.ctx, item.span);
      const known = this.ctx.ipGroup?.(item);
      let cidrs = 0;
      for (const c of known?.cidrs ?? []) {
        const parsed = parseAzureAddress(c);
        if (parsed.ok) {
          set = set.union(parsed.value);
          cidrs++;
        }
      }
      const reason = cidrs
        ? `${side} IP group ${known?.name ?? text}: ${cidrs} CIDR${cidrs > 1 ? 's' : ''} read here; CIDRs added elsewhere are not known`
        : `${side} IP group: its addresses are another resource's, not read here`;
      this.unresolved.push({ text, span: item.span, reason });
      set = set.union(AddressSet.symbol('object', known?.name ?? text));
    };
    if (v) take(v);
    return { set, spans: v && v.kind !== 'null' ? [v.span] : [], count };
  }

  /** FQDNs, FQDN tags, URLs and web categories: the firewall resolves or inspects them; a flow given by addresses cannot be matched to them. */
  names(name: string, label: string, side: string): { set: AddressSet; spans: Span[]; count: number } {
    const list = strings(this.ctx, this.prop(name));
    let set = AddressSet.none();
    for (const item of list.items) set = set.union(AddressSet.symbol('fqdn', label === 'FQDN' ? item.value : `${label} ${item.value}`));
    if (list.items.length) {
      const text = list.items.map((i) => i.value).join(', ');
      const span = { start: list.items[0].span.start, end: list.items[list.items.length - 1].span.end };
      this.unresolved.push({ text, span, reason: `${side} ${label}${list.items.length > 1 ? 's' : ''}, matched by name; a flow given by addresses cannot be matched to a name` });
    }
    for (const u of list.unknowns) {
      this.unresolved.push({ text: u.text, span: u.span, reason: `${side} ${label}: ${u.reason}` });
      set = set.union(AddressSet.symbol('variable', u.text));
    }
    return { set, spans: list.span ? [list.span] : [], count: list.items.length + list.unknowns.length };
  }

  field(parts: readonly { set: AddressSet; spans: Span[]; count: number }[], side: string): Field<AddressSet> {
    let set = AddressSet.none();
    const spans: Span[] = [];
    let count = 0;
    for (const p of parts) {
      set = set.union(p.set);
      spans.push(...p.spans);
      count += p.count;
    }
    if (count === 0) {
      this.problem(`no ${side}; Azure rejects the rule`, this.rule.span, 'error');
      this.unresolved.push({ text: '(missing)', span: this.rule.span, reason: `${side}: not set` });
      set = AddressSet.symbol('variable', `(${side} not set)`);
    }
    const span = spans.length ? { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) } : undefined;
    return { value: set, span, text: span ? textOf(this.ctx, span) : undefined };
  }

  /** `ipProtocols` of network and NAT rules: TCP, UDP, ICMP, Any. */
  ipProtocols(kind: FirewallCollectionKind): Field<ProtocolSet> {
    const v = this.prop('ipProtocols');
    const list = strings(this.ctx, v);
    let set = Protocols.none();
    for (const item of list.items) {
      const p = item.value.toLowerCase();
      if (p === 'tcp') set = set.union(Protocols.of(TCP));
      else if (p === 'udp') set = set.union(Protocols.of(UDP));
      else if (p === 'icmp' && kind === 'network') set = set.union(Protocols.of(ICMP));
      else if (p === 'any' && kind === 'network') set = set.union(Protocols.of(TCP, UDP, ICMP));
      else {
        this.problem(`protocol "${item.value}" is not one a ${KIND_NAME[kind]} rule takes (${kind === 'nat' ? 'TCP, UDP' : 'TCP, UDP, ICMP, Any'})`, item.span, 'error');
        this.unknownField({ text: item.value, span: item.span, reason: 'not a protocol Azure Firewall knows' }, 'protocol');
        set = set.union(Protocols.of(TCP, UDP, ICMP));
      }
    }
    for (const u of list.unknowns) {
      this.unknownField(u, 'protocol');
      set = set.union(Protocols.of(TCP, UDP, ICMP));
    }
    if (list.items.length + list.unknowns.length === 0) {
      this.problem('no protocols; Azure rejects the rule', this.rule.span, 'error');
      this.unknownField({ text: '(missing)', span: this.rule.span, reason: 'not set' }, 'protocol');
      set = Protocols.of(TCP, UDP, ICMP);
    }
    return { value: set, span: list.span, text: list.span ? textOf(this.ctx, list.span) : undefined };
  }

  ports(name: string, required: boolean): Field<PortSet> {
    const list = strings(this.ctx, this.prop(name));
    let set = Ports.none();
    for (const item of list.items) {
      const parsed = parsePortRange(item.value, ['-']);
      if (parsed.ok) set = set.union(parsed.value);
      else {
        this.problem(`port "${item.value}": ${parsed.error}`, item.span, 'error');
        this.unknownField({ text: item.value, span: item.span, reason: parsed.error }, 'port');
        set = Ports.any();
      }
    }
    for (const u of list.unknowns) {
      this.unknownField(u, 'port');
      set = Ports.any();
    }
    if (list.items.length + list.unknowns.length === 0) {
      if (required) {
        this.problem('no destination ports; Azure rejects the rule', this.rule.span, 'error');
        this.unknownField({ text: '(missing)', span: this.rule.span, reason: 'not set' }, 'port');
      }
      set = Ports.any();
    }
    return { value: set, span: list.span, text: list.span ? textOf(this.ctx, list.span) : undefined };
  }

  /** Application rules' `protocols`: `{ protocolType: Http|Https|Mssql, port }`, all over TCP. */
  appProtocols(): { protocols: Field<ProtocolSet>; ports: Field<PortSet> } {
    const v = this.prop('protocols');
    let ports = Ports.none();
    const items = v?.kind === 'array' ? v.items : v && v.kind !== 'null' ? [v] : [];
    for (const item of items) {
      const type = prop(item, 'protocolType') ?? prop(item, 'type');
      const port = prop(item, 'port');
      const typeText = type?.kind === 'string' ? type.value.toLowerCase() : undefined;
      if (item.kind !== 'object' || (typeText !== undefined && !['http', 'https', 'mssql'].includes(typeText))) {
        const text = typeText ?? textOf(this.ctx, item.span);
        this.problem(`application protocol ${text} is not Http, Https or Mssql`, item.span, 'error');
        this.unknownField({ text, span: item.span, reason: 'not an application protocol Azure Firewall knows' }, 'protocol');
      } else if (type && type.kind !== 'string' && type.kind !== 'null') {
        this.unknownField({ text: type.kind === 'unknown' || type.kind === 'ref' ? type.text : textOf(this.ctx, type.span), span: type.span, reason: 'not a literal protocol type' }, 'protocol');
      }
      if (port?.kind === 'number' || (port?.kind === 'string' && /^\d+$/.test(port.value.trim()))) {
        const n = Number(port.value);
        if (n >= 0 && n <= 65535) ports = ports.union(Ports.single(n));
        else this.unknownField({ text: String(n), span: port.span, reason: 'not a port number' }, 'port');
      } else if (!port || port.kind === 'null') {
        // Azure's defaults when the port is left out: 80 for Http, 443 for Https, 1433 for Mssql.
        const n = typeText === 'http' ? 80 : typeText === 'https' ? 443 : typeText === 'mssql' ? 1433 : undefined;
        if (n !== undefined) ports = ports.union(Ports.single(n));
        else this.unknownField({ text: textOf(this.ctx, item.span), span: item.span, reason: 'no port and no known protocol type' }, 'port');
      } else {
        const text = port.kind === 'unknown' || port.kind === 'ref' ? port.text : textOf(this.ctx, port.span);
        this.unknownField({ text, span: port.span, reason: port.kind === 'unknown' ? port.reason : 'not a port number' }, 'port');
        ports = Ports.any();
      }
    }
    if (v?.kind === 'unknown' || v?.kind === 'ref') {
      this.unknownField({ text: v.text, span: v.span, reason: v.kind === 'unknown' ? v.reason : 'not a literal' }, 'protocols');
      ports = Ports.any();
    } else if (items.length === 0) {
      this.problem('no protocols; Azure rejects the rule', this.rule.span, 'error');
      this.unknownField({ text: '(missing)', span: this.rule.span, reason: 'not set' }, 'protocols');
      ports = Ports.any();
    }
    const span = v && v.kind !== 'null' ? v.span : undefined;
    const text = span ? textOf(this.ctx, span) : undefined;
    return { protocols: { value: Protocols.of(TCP), span, text }, ports: { value: ports, span, text } };
  }
}

interface Ordering {
  readonly value: number;
  /** The collection's own priority is known (its group's may not be). */
  readonly known: boolean;
  readonly text: string;
  readonly span?: Span;
  readonly unknown: readonly Unresolved[];
}

/**
 * The one number a rule sorts by. A priority the file does not give (a
 * variable) could put the collection anywhere in its place, so it is sorted
 * first there and carries an unknown condition: flows it may match become
 * unknown rather than decided by the collections after it.
 */
function orderingOf(ctx: Ctx, c: FirewallCollectionInput, label: string): Ordering {
  const unknown: Unresolved[] = [];
  let group = 0;
  let groupText = '';
  if (c.group) {
    const g = priorityOf(ctx, c.group.priority, `rule collection group ${c.group.name ?? '(unnamed)'}`, c.group.span);
    if (g.unknown) unknown.push(g.unknown);
    group = g.value ?? 0;
    groupText = `group ${g.value ?? '?'}, `;
  }
  const p = priorityOf(ctx, c.priority, label, c.span);
  if (p.unknown) unknown.push(p.unknown);
  const priority = p.value ?? 0;
  return {
    value: firewallOrdering(c.kind, group, priority),
    known: p.value !== undefined,
    text: `${KIND_NAME[c.kind]}, ${groupText}collection ${p.value ?? '?'}`,
    span: c.priority && c.priority.kind !== 'null' ? c.priority.span : undefined,
    unknown,
  };
}

function actionOf(ctx: Ctx, c: FirewallCollectionInput, label: string): { target: RuleTarget; unknown?: Unresolved } {
  const v = c.action;
  const expected = c.kind === 'nat' ? 'Dnat' : 'Allow or Deny';
  if (!v || v.kind === 'null') {
    ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: c.span, message: `${label} has no action (${expected})` });
    return { target: { kind: 'allow' }, unknown: { text: '(missing)', span: c.span, reason: 'action: not set' } };
  }
  if (v.kind !== 'string') {
    const t = v.kind === 'unknown' || v.kind === 'ref' ? v.text : textOf(ctx, v.span);
    return { target: { kind: 'allow' }, unknown: { text: t, span: v.span, reason: `action: ${v.kind === 'unknown' ? v.reason : 'not a literal'}` } };
  }
  const text = v.value.trim().toLowerCase();
  if (c.kind === 'nat') {
    if (text === 'dnat') return { target: { kind: 'allow' } };
    if (text === 'snat') {
      // Classic NAT collections may SNAT; that rewrites the source of outbound traffic and admits nothing.
      return { target: { kind: 'allow' }, unknown: { text: v.value, span: v.span, reason: 'an SNAT collection rewrites sources and is not read' } };
    }
  } else if (text === 'allow' || text === 'deny') return { target: { kind: text } };
  ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: v.span, message: `${label} action "${v.value}" is not ${expected}` });
  return { target: { kind: 'allow' }, unknown: { text: v.value, span: v.span, reason: `action: not ${expected}` } };
}

/** Rules of one collection in the model; a DNAT rule becomes the traffic it admits to its translated address and port. */
function collectionRules(ctx: Ctx, c: FirewallCollectionInput, ordering: Ordering, action: { target: RuleTarget; unknown?: Unresolved }, label: string, firstOrder: number): Rule[] {
  const out: Rule[] = [];
  c.rules.forEach((r, index) => {
    const nameVal = prop(r.properties, 'name');
    const name = nameVal?.kind === 'string' ? nameVal.value : undefined;
    const id = uniqueRuleId(name ?? `${c.name ?? label} rule ${index + 1}`, ctx.ids);
    const b = new FirewallRuleBuilder(ctx, r, id);
    for (const u of [...(c.unresolved ?? []), ...ordering.unknown, ...(action.unknown ? [action.unknown] : [])]) b.unknownField(u, 'collection');
    b.conditions.push(...(c.conditions ?? []));
    const source = b.field([b.addresses(['sourceAddresses'], 'source'), b.ipGroups('sourceIpGroups', 'source')], 'source');
    let protocols: Field<ProtocolSet>;
    let destinationPorts: Field<PortSet>;
    let destination: Field<AddressSet>;
    const meta: Record<string, string> = {
      ...(c.meta ?? {}),
      ...(r.meta ?? {}),
      firewallRuleKind: c.kind,
      collection: c.name ?? '',
      collectionPriority: ordering.text,
      ...(c.group?.name ? { ruleCollectionGroup: c.group.name } : {}),
    };
    if (c.kind === 'application') {
      const app = b.appProtocols();
      protocols = app.protocols;
      destinationPorts = app.ports;
      destination = b.field(
        [
          b.addresses(['destinationAddresses'], 'destination'),
          b.names('targetFqdns', 'FQDN', 'destination'),
          b.names('destinationFqdns', 'FQDN', 'destination'),
          b.names('fqdnTags', 'FQDN tag', 'destination'),
          b.names('targetUrls', 'URL', 'destination'),
          b.names('webCategories', 'web category', 'destination'),
        ],
        'destination',
      );
    } else if (c.kind === 'network') {
      protocols = b.ipProtocols('network');
      destinationPorts = b.ports('destinationPorts', true);
      destination = b.field(
        [b.addresses(['destinationAddresses'], 'destination'), b.ipGroups('destinationIpGroups', 'destination'), b.names('destinationFqdns', 'FQDN', 'destination')],
        'destination',
      );
    } else {
      protocols = b.ipProtocols('nat');
      // The address and ports the DNAT listens on (the firewall's own) decide nothing about the translated flow; they are kept to name it.
      const listens = [...['destinationAddresses', 'destinationAddress', 'destinationPorts'].map((n) => strings(ctx, b.prop(n)))];
      if (listens[0].span === undefined && listens[1].span === undefined) b.problem('no destination address (the firewall address the DNAT listens on); Azure rejects the rule', r.span, 'error');
      if (listens[2].span === undefined) b.problem('no destination ports; Azure rejects the rule', r.span, 'error');
      const listenText = (l: { items: { value: string }[]; unknowns: Unresolved[]; span?: Span }): string =>
        l.unknowns.length === 0 && l.items.length ? l.items.map((i) => i.value).join(', ') : l.span ? textOf(ctx, l.span) : '';
      meta.dnatDestination = listenText(listens[0]) || listenText(listens[1]) || '(not set)';
      meta.dnatPorts = listenText(listens[2]);
      destination = b.field([b.addresses(['translatedAddress'], 'translated address'), b.names('translatedFqdn', 'FQDN', 'translated address')], 'translated address');
      destinationPorts = b.ports('translatedPort', true);
    }
    const base = {
      name,
      target: action.target,
      direction: 'forward' as const,
      protocols,
      destination,
      destinationPorts,
      priority: { value: ordering.value, span: ordering.span, text: ordering.text },
      span: r.span,
      raw: textOf(ctx, r.span),
      meta,
    };
    if (c.kind === 'nat') {
      // A public source can reach the translated address only through the DNAT, which admits it. A private
      // one may also address it directly, and then the network rules decide: for it the DNAT proves nothing.
      const concrete = source.value.symbols.length === 0;
      const publicPart = concrete ? source.value.difference(privateAddresses()) : source.value;
      const privatePart = concrete ? source.value.intersect(privateAddresses()) : AddressSet.none();
      if (!publicPart.isEmpty) {
        out.push(makeRule({ ...base, id, source: { ...source, value: publicPart }, order: firstOrder + out.length, conditions: b.conditions, unresolved: b.unresolved }));
      }
      if (!privatePart.isEmpty) {
        const why: MatchCondition = { kind: 'other', text: `private source: it may address ${destination.text ?? 'the translated address'} directly, past DNAT ${meta.dnatDestination}`, span: r.span, effect: 'unknown' };
        out.push(
          makeRule({
            ...base,
            id: uniqueRuleId(`${id} (private sources)`, ctx.ids),
            source: { ...source, value: privatePart },
            order: firstOrder + out.length,
            conditions: [...b.conditions, why],
            unresolved: b.unresolved,
            meta: { ...meta, dnatPrivateSources: 'true' },
          }),
        );
      }
      return;
    }
    out.push(makeRule({ ...base, id, source, order: firstOrder + out.length, conditions: b.conditions, unresolved: b.unresolved }));
  });
  return out;
}

/** Rules the file does not show, first: one allow and one deny on an unknown condition, so no verdict rests on what follows them. */
function unknownPlaceholders(list: readonly UnknownRules[], text: string): Rule[] {
  return list.flatMap((u, n) =>
    (['deny', 'allow'] as const).map((kind, i) =>
      makeRule({
        id: `rules not known: ${kind} (${u.text})`,
        target: { kind },
        direction: 'forward',
        priority: { value: -1, span: u.span, text: 'before every collection' },
        order: 2 * n + i,
        span: u.span,
        raw: text.slice(u.span.start, u.span.end),
        conditions: [{ kind: 'other', text: u.text, span: u.span, effect: 'unknown' }],
        unresolved: [{ text: u.text, span: u.span, reason: u.reason }],
        meta: { placeholder: 'true' },
      }),
    ),
  );
}

/** The firewall's rules as one rule set: priority first match over every collection, deny when nothing matches. */
export function azureFirewallRuleSet(input: AzureFirewallInput): { ruleSet: RuleSet; problems: ParseProblem[] } {
  const ctx: Ctx = { text: input.text, ipGroup: input.ipGroup, problems: [], ids: new Set() };
  const rules: Rule[] = unknownPlaceholders(input.unknownRules ?? [], input.text);
  const seen = new Map<string, string>();
  for (const c of input.collections) {
    const label = `${KIND_NAME[c.kind]} rule collection ${c.name ?? '(unnamed)'}`;
    const ordering = orderingOf(ctx, c, label);
    if (ordering.known) {
      // Azure does not say which of two collections at one priority comes first.
      const key = `${ordering.value}|${ordering.unknown.length ? (c.group?.name ?? '') : ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.problems.push({ code: 'unparsed-rule', severity: 'warning', span: ordering.span ?? c.span, message: `${label} has the same priority as ${first} (${ordering.text}); which runs first is not defined` });
      } else seen.set(key, label);
    }
    const action = actionOf(ctx, c, label);
    if (c.rules.length === 0) ctx.problems.push({ code: 'unparsed-rule', severity: 'info', span: c.span, message: `${label} has no rules` });
    rules.push(...collectionRules(ctx, c, ordering, action, label, rules.length));
  }
  const deny = { value: 'deny' as const, span: input.span };
  const ruleSet: RuleSet = {
    id: input.id,
    name: input.name,
    format: input.format,
    kind: 'azure-firewall',
    semantics: 'priority-first-match',
    // The firewall routes traffic between networks: a flow to or from a role behind it crosses the same rules.
    directions: ALL_DIRECTIONS,
    rulesDirection: 'forward',
    rules,
    defaults: { inbound: deny, outbound: deny, forward: deny },
    span: input.span,
    nameSpan: input.nameSpan,
    appliesTo: input.appliesTo,
    stage: input.stage,
    meta: { ...(input.meta ?? {}), firewallStyle: input.style },
  };
  return { ruleSet, problems: ctx.problems };
}

export const FIREWALL_POLICY_TYPE = 'microsoft.network/firewallpolicies';
export const RULE_COLLECTION_GROUP_TYPE = 'microsoft.network/firewallpolicies/rulecollectiongroups';
export const AZURE_FIREWALL_TYPE = 'microsoft.network/azurefirewalls';

const RULE_TYPE_KIND: Readonly<Record<string, FirewallCollectionKind>> = { natrule: 'nat', networkrule: 'network', applicationrule: 'application' };

const itemsOf = (v: Val | undefined): readonly Val[] => (v?.kind === 'array' ? v.items : []);

/**
 * A rule collection group's `properties` as ARM writes them (Bicep and ARM
 * alike): `priority` and `ruleCollections`, each a NAT or filter collection
 * whose rules say their kind by `ruleType`. A filter collection holds rules of
 * one kind; one that mixes them is read as one collection per kind.
 */
export function armRuleCollections(
  properties: Val | undefined,
  group: { name?: string; span: Span },
  meta: Readonly<Record<string, string>>,
  problems: ParseProblem[],
  unknown: UnknownRules[],
  text: string,
): FirewallCollectionInput[] {
  const out: FirewallCollectionInput[] = [];
  const groupInput = { name: group.name, priority: prop(properties, 'priority'), span: group.span };
  const collections = prop(properties, 'ruleCollections');
  if (collections && collections.kind !== 'array' && collections.kind !== 'null') {
    // Collections that are not a literal list (a parameter without a default) may allow or deny anything.
    const t = collections.kind === 'unknown' || collections.kind === 'ref' ? collections.text : text.slice(collections.span.start, collections.span.end);
    const reason = collections.kind === 'unknown' ? collections.reason : 'not a list of rule collections';
    problems.push({ code: 'unresolved-value', severity: 'warning', span: collections.span, message: `rule collection group ${group.name ?? '(unnamed)'}: rule collections ${t} are not known (${reason}); verdicts through the policy are unknown` });
    unknown.push({ text: t, span: collections.span, reason: `rule collections ${reason}` });
    return out;
  }
  itemsOf(collections).forEach((c, index) => {
    const typeVal = prop(c, 'ruleCollectionType');
    const type = typeVal?.kind === 'string' ? typeVal.value.toLowerCase() : '';
    const nameVal = prop(c, 'name');
    const name = nameVal?.kind === 'string' ? nameVal.value : undefined;
    const action = prop(prop(c, 'action'), 'type') ?? prop(c, 'action');
    const rules = ruleObjects(itemsOf(prop(c, 'rules')), `rule collection ${name ?? '(unnamed)'}`, problems);
    const byKind = new Map<FirewallCollectionKind, FirewallRuleInput[]>();
    for (const r of rules) {
      const rt = prop(r, 'ruleType');
      const kind = rt?.kind === 'string' ? RULE_TYPE_KIND[rt.value.toLowerCase()] : type === 'firewallpolicynatrulecollection' ? 'nat' : undefined;
      if (!kind) {
        problems.push({ code: 'unparsed-rule', severity: 'error', span: rt?.span ?? r.span, message: `rule collection ${name ?? '(unnamed)'}: a rule without a ruleType (NatRule, NetworkRule, ApplicationRule) is not read, so verdicts it may decide are unknown` });
        const list = byKind.get('network') ?? [];
        list.push({ properties: r, span: r.span, conditions: [{ kind: 'other', text: 'a rule of unknown type', span: r.span, effect: 'unknown' }] });
        byKind.set('network', list);
        continue;
      }
      const list = byKind.get(kind) ?? [];
      list.push({ properties: r, span: r.span, meta: { ...meta, collectionIndex: String(index) } });
      byKind.set(kind, list);
    }
    if (byKind.size === 0) byKind.set(type === 'firewallpolicynatrulecollection' ? 'nat' : 'network', []);
    for (const [kind, list] of byKind) {
      out.push({ kind, name, priority: prop(c, 'priority'), action, span: c.span, group: groupInput, rules: list, meta: { ...meta, collectionIndex: String(index) } });
    }
  });
  return out;
}

/**
 * The items of a `rules` list that can be rules: objects, and expressions
 * (a parameter) the rule reader reports as unknown. A literal text, number
 * or list there is no rule: Azure rejects the template, so it opens and
 * blocks nothing, and is reported once per list rather than read as a rule
 * that matches everything (a broken file's run of quotes had become 450).
 */
function ruleObjects(items: readonly Val[], owner: string, problems: ParseProblem[] | undefined): Val[] {
  const rules: Val[] = items.filter((r) => r.kind === 'object' || r.kind === 'ref' || r.kind === 'unknown');
  if (rules.length === items.length || !problems) return rules;
  const others = items.filter((r) => !rules.includes(r));
  const one = others.length === 1;
  problems.push({
    code: 'unparsed-rule',
    severity: 'error',
    span: others[0].span,
    message: `${owner}: ${one ? 'an item' : `${others.length} items`} of its rules ${one ? 'is' : 'are'} not a rule object (${others[0].kind}); Azure rejects the template, and ${one ? 'it is' : 'they are'} left out`,
  });
  return rules;
}

/** Classic rules inline in an `azureFirewalls` resource: `natRuleCollections`, `networkRuleCollections`, `applicationRuleCollections`. */
export function armClassicCollections(properties: Val | undefined, meta: Readonly<Record<string, string>>, problems?: ParseProblem[]): FirewallCollectionInput[] {
  const out: FirewallCollectionInput[] = [];
  for (const [kind, key] of [
    ['nat', 'natRuleCollections'],
    ['network', 'networkRuleCollections'],
    ['application', 'applicationRuleCollections'],
  ] as const) {
    itemsOf(prop(properties, key)).forEach((c, index) => {
      const nameVal = prop(c, 'name');
      const p = prop(c, 'properties');
      const rules = ruleObjects(itemsOf(prop(p, 'rules')), `${key} ${nameVal?.kind === 'string' ? nameVal.value : '(unnamed)'}`, problems).map((r): FirewallRuleInput => {
        // Classic network and NAT rules call their IP protocols `protocols`.
        const renamed: Val = kind !== 'application' && r.kind === 'object' && !prop(r, 'ipProtocols') && prop(r, 'protocols') ? { ...r, props: new Map([...r.props, ['ipProtocols', prop(r, 'protocols') as Val]]) } : r;
        return { properties: renamed, span: r.span, meta: { ...meta, collectionKey: key, collectionIndex: String(index) } };
      });
      out.push({
        kind,
        name: nameVal?.kind === 'string' ? nameVal.value : undefined,
        priority: prop(p, 'priority'),
        action: prop(prop(p, 'action'), 'type') ?? prop(p, 'action'),
        span: c.span,
        rules,
        meta: { ...meta, collectionKey: key, collectionIndex: String(index) },
      });
    });
  }
  return out;
}

/** One firewall policy (or a firewall's classic collections) as a template reader collects it. */
export interface FirewallBuild {
  readonly id: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly style: 'policy' | 'classic';
  readonly collections: FirewallCollectionInput[];
  readonly unknown: UnknownRules[];
  readonly appliesTo: string[];
  readonly meta: Record<string, string>;
}

/**
 * What the Bicep and ARM readers share while collecting firewalls: builds
 * with unique ids, policies by name (case-insensitive, as Azure compares
 * them), and the rule sets they become.
 */
export class FirewallBuilds {
  readonly all: FirewallBuild[] = [];
  private readonly byName = new Map<string, FirewallBuild>();

  add(id: string, span: Span, style: FirewallBuild['style'], meta: Record<string, string>, nameSpan?: Span): FirewallBuild {
    let unique = id;
    for (let n = 2; this.all.some((b) => b.id === unique); n++) unique = `${id} (${n})`;
    const b: FirewallBuild = { id: unique, span, nameSpan, style, collections: [], unknown: [], appliesTo: [], meta };
    this.all.push(b);
    return b;
  }

  nameAs(name: string, b: FirewallBuild): void {
    this.byName.set(name.toLowerCase(), b);
  }

  named(name: string): FirewallBuild | undefined {
    return this.byName.get(name.toLowerCase());
  }

  ruleSets(format: FormatId, text: string, problems: ParseProblem[]): RuleSet[] {
    return this.all.map((b) => {
      const built = azureFirewallRuleSet({
        id: b.id,
        name: b.id,
        format,
        span: b.span,
        nameSpan: b.nameSpan,
        text,
        style: b.style,
        collections: b.collections,
        unknownRules: b.unknown,
        appliesTo: b.appliesTo.length ? b.appliesTo : undefined,
        meta: b.meta,
      });
      problems.push(...built.problems);
      return built.ruleSet;
    });
  }
}
