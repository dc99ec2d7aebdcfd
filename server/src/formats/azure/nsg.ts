import { AddressSet, Ports, Protocols, parsePortRange, parseProtocol, type PortSet, type ProtocolSet } from '../../net';
import {
  makeRule,
  type Action,
  type Direction,
  type Field,
  type MatchCondition,
  type ParseProblem,
  type Rule,
  type RuleSet,
  type RuleTarget,
  type Span,
  type Unresolved,
  type FormatId,
} from '../../model';
import { prop, type Val } from './value';

/**
 * Azure network security group semantics shared by the Bicep, ARM and
 * Terraform readers: rule properties → Rule, the six default rules, service
 * tags. Inputs use the ARM property names (`sourceAddressPrefixes`, …); the
 * Terraform reader maps its snake_case attributes onto them.
 */

export const NSG_TYPE = 'microsoft.network/networksecuritygroups';
export const NSG_RULE_TYPE = 'microsoft.network/networksecuritygroups/securityrules';

/** Canonical spelling of the tags Azure matches case-insensitively, including the classic upper-case names. */
const KNOWN_TAGS: ReadonlyMap<string, string> = new Map([
  ['virtualnetwork', 'VirtualNetwork'],
  ['virtual_network', 'VirtualNetwork'],
  ['internet', 'Internet'],
  ['azureloadbalancer', 'AzureLoadBalancer'],
  ['azure_loadbalancer', 'AzureLoadBalancer'],
  ['azurecloud', 'AzureCloud'],
  ['azuretrafficmanager', 'AzureTrafficManager'],
  ['storage', 'Storage'],
  ['sql', 'Sql'],
  ['azuremonitor', 'AzureMonitor'],
  ['azureactivedirectory', 'AzureActiveDirectory'],
  ['gatewaymanager', 'GatewayManager'],
  ['azurebastion', 'AzureBastion'],
]);

const ALLOWED_PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', '*']);

function isTagName(text: string): boolean {
  // Letters, digits, '.', '_' and '-', starting with a letter: `Storage.WestEurope`, `AzureCloud.EastUS2`.
  if (text.length === 0) return false;
  const first = text.charCodeAt(0) | 0x20;
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 46 || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/** One address prefix as Azure reads it: `*`, an address or CIDR, or a service tag. */
export function parseAzureAddress(text: string): { ok: true; value: AddressSet } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '*' || t.toLowerCase() === 'any') return { ok: true, value: AddressSet.any() };
  const parsed = AddressSet.parse(t);
  if (parsed.ok) return parsed;
  if (isTagName(t) && !/^\d/.test(t)) {
    return { ok: true, value: AddressSet.symbol('service-tag', KNOWN_TAGS.get(t.toLowerCase()) ?? t) };
  }
  return { ok: false, error: parsed.error };
}

/** Name of an application security group from `{ id: … }`: the resource reference, or the last segment of a literal id. */
function asgName(item: Val): { name: string } | { unknown: string } {
  const id = item.kind === 'object' ? prop(item, 'id') : item;
  if (!id) return { unknown: 'an application security group entry without an id' };
  if (id.kind === 'ref') {
    if (id.name) return { name: id.name };
    return { unknown: id.text };
  }
  if (id.kind === 'string') {
    const slash = id.value.lastIndexOf('/');
    return { name: slash >= 0 ? id.value.slice(slash + 1) : id.value };
  }
  if (id.kind === 'unknown') return { unknown: id.text };
  return { unknown: 'an application security group id that is not a string' };
}

export interface AzureRuleInput {
  /** Unique in the rule set; the caller dedupes. */
  readonly id: string;
  readonly name?: string;
  /** The rule's `properties` object. */
  readonly properties: Val | undefined;
  readonly span: Span;
  readonly order: number;
  /** The document text, for `raw` and each field's `text`. */
  readonly text: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** Unknowns the caller found around the rule (an unresolved name, a loop over a parameter). */
  readonly unresolved?: readonly Unresolved[];
  readonly conditions?: readonly MatchCondition[];
}

class RuleBuilder {
  readonly unresolved: Unresolved[] = [];
  readonly conditions: MatchCondition[] = [];
  readonly problems: ParseProblem[] = [];
  constructor(
    private readonly input: AzureRuleInput,
  ) {
    this.unresolved.push(...(input.unresolved ?? []));
    this.conditions.push(...(input.conditions ?? []));
  }

  textOf(span: Span): string {
    return this.input.text.slice(span.start, span.end);
  }

  /** An unknown that is not an address cannot be a symbol, so it becomes a condition the evaluator treats as "unknown". */
  unknownField(what: string, text: string, reason: string, span: Span, needsCondition: boolean): void {
    this.unresolved.push({ text, reason: `${what}: ${reason}`, span });
    if (needsCondition) this.conditions.push({ kind: 'other', text: `${what} ${text}`, span, effect: 'unknown' });
  }

  problem(message: string, span: Span, severity: ParseProblem['severity'] = 'warning', code: ParseProblem['code'] = 'unparsed-rule'): void {
    this.problems.push({ code, message: `${this.input.id}: ${message}`, span, severity });
  }

  scalar(name: string): { value: string; span: Span } | undefined {
    const v = prop(this.input.properties, name);
    if (!v) return undefined;
    if (v.kind === 'string') return { value: v.value, span: v.span };
    if (v.kind === 'number' || v.kind === 'boolean') return { value: String(v.value), span: v.span };
    if (v.kind === 'null') return undefined;
    const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : this.textOf(v.span);
    const reason = v.kind === 'unknown' ? v.reason : 'not a single literal value';
    this.unknownField(name, text, reason, v.span, name !== 'sourceAddressPrefix' && name !== 'destinationAddressPrefix');
    return { value: '\u0000unknown', span: v.span };
  }

  /** The singular property and its plural beside it, as Azure merges them; an empty singular beside a plural is ignored. */
  list(singular: string, plural: string): { items: { value: string; span: Span }[]; unknowns: { text: string; span: Span; reason: string }[]; span?: Span; style: string } {
    const items: { value: string; span: Span }[] = [];
    const unknowns: { text: string; span: Span; reason: string }[] = [];
    const one = prop(this.input.properties, singular);
    const many = prop(this.input.properties, plural);
    let span: Span | undefined;
    const styles: string[] = [];
    const take = (v: Val): void => {
      if (v.kind === 'string') {
        if (v.value.trim() !== '') items.push({ value: v.value, span: v.span });
      } else if (v.kind === 'number') items.push({ value: String(v.value), span: v.span });
      else if (v.kind === 'unknown') unknowns.push({ text: v.text, span: v.span, reason: v.reason });
      else if (v.kind === 'ref') unknowns.push({ text: v.text, span: v.span, reason: 'a resource reference, not a literal' });
      else if (v.kind !== 'null') unknowns.push({ text: this.textOf(v.span), span: v.span, reason: 'not a string' });
    };
    if (one && one.kind !== 'null' && !(one.kind === 'string' && one.value.trim() === '')) {
      take(one);
      span = one.span;
      styles.push('singular');
    }
    if (many && many.kind !== 'null') {
      if (many.kind === 'array') {
        if (many.items.length) {
          for (const item of many.items) take(item);
          span ??= many.span;
          styles.push('plural');
        }
      } else {
        take(many);
        span ??= many.span;
        styles.push('plural');
      }
    }
    if (styles.length === 2) this.problem(`both ${singular} and ${plural} are set; Azure rejects a rule with both`, span ?? this.input.span);
    return { items, unknowns, span, style: styles.join('+') || 'none' };
  }

  build(): { rule: Rule; problems: ParseProblem[] } {
    const input = this.input;
    const meta: Record<string, string> = { ...(input.meta ?? {}) };

    const access = this.scalar('access');
    let target: RuleTarget = { kind: 'allow' };
    if (!access) {
      this.problem('access is not set (Allow or Deny)', input.span, 'error');
      this.unknownField('access', '(missing)', 'not set', input.span, true);
    } else if (access.value.toLowerCase() === 'deny') target = { kind: 'deny' };
    else if (access.value.toLowerCase() !== 'allow' && !access.value.startsWith('\u0000')) {
      this.problem(`access "${access.value}" is neither Allow nor Deny`, access.span, 'error');
      this.unknownField('access', access.value, 'neither Allow nor Deny', access.span, true);
    }

    const dir = this.scalar('direction');
    let direction: Direction = 'inbound';
    if (!dir) {
      this.problem('direction is not set (Inbound or Outbound)', input.span, 'error');
      this.unknownField('direction', '(missing)', 'not set', input.span, true);
    } else if (dir.value.toLowerCase() === 'outbound') direction = 'outbound';
    else if (dir.value.toLowerCase() !== 'inbound' && !dir.value.startsWith('\u0000')) {
      this.problem(`direction "${dir.value}" is neither Inbound nor Outbound`, dir.span, 'error');
      this.unknownField('direction', dir.value, 'neither Inbound nor Outbound', dir.span, true);
    }

    let priority: Field<number> | undefined;
    const prio = this.scalar('priority');
    // A rule whose priority is unknown may come before any other, so it is placed first (100, the
    // lowest Azure allows) with its unknown condition: flows it may match become unknown, not decided
    // by the rules after it.
    const unknownPriority = (span: Span): void => {
      priority = { value: 100, span, text: this.textOf(span) };
      meta.priorityUnknown = 'true';
    };
    if (!prio) {
      this.problem('priority is not set', input.span, 'error');
      this.unknownField('priority', '(missing)', 'not set', input.span, true);
      unknownPriority(input.span);
    } else if (prio.value.startsWith('\u0000')) {
      unknownPriority(prio.span);
    } else {
      const n = Number(prio.value);
      if (!Number.isInteger(n)) {
        this.problem(`priority "${prio.value}" is not a whole number`, prio.span, 'error');
        this.unknownField('priority', prio.value, 'not a whole number', prio.span, true);
        unknownPriority(prio.span);
      } else {
        if (n < 100 || n > 4096) this.problem(`priority ${n} is outside 100–4096; Azure rejects it`, prio.span);
        priority = { value: n, span: prio.span, text: this.textOf(prio.span) };
      }
    }

    const proto = this.scalar('protocol');
    let protocols: Field<ProtocolSet> = { value: Protocols.any() };
    if (!proto) {
      this.problem('protocol is not set', input.span, 'error');
      this.unknownField('protocol', '(missing)', 'not set', input.span, true);
    } else if (!proto.value.startsWith('\u0000')) {
      const p = parseProtocol(proto.value);
      if (!ALLOWED_PROTOCOLS.has(proto.value.trim().toLowerCase())) {
        this.problem(`protocol "${proto.value}" is not one Azure accepts (Tcp, Udp, Icmp, Esp, Ah, *)`, proto.span);
      }
      if (p.ok) protocols = { value: p.value, span: proto.span, text: this.textOf(proto.span) };
      else this.unknownField('protocol', proto.value, p.error, proto.span, true);
    } else {
      protocols = { value: Protocols.any(), span: proto.span, text: this.textOf(proto.span) };
    }

    const source = this.addresses('source');
    const destination = this.addresses('destination');
    const sourcePorts = this.ports('source');
    const destinationPorts = this.ports('destination');
    meta.addressStyle = `source:${source.style} destination:${destination.style}`;
    meta.portStyle = `source:${sourcePorts.style} destination:${destinationPorts.style}`;

    const rule = makeRule({
      id: input.id,
      name: input.name,
      target,
      direction,
      protocols,
      source: source.field,
      destination: destination.field,
      sourcePorts: sourcePorts.field,
      destinationPorts: destinationPorts.field,
      priority,
      order: input.order,
      conditions: this.conditions,
      unresolved: this.unresolved,
      span: input.span,
      raw: this.textOf(input.span),
      meta,
    });
    return { rule, problems: this.problems };
  }

  addresses(side: 'source' | 'destination'): { field: Field<AddressSet>; style: string } {
    const prefixes = this.list(`${side}AddressPrefix`, `${side}AddressPrefixes`);
    let set = AddressSet.none();
    for (const item of prefixes.items) {
      const parsed = parseAzureAddress(item.value);
      if (parsed.ok) set = set.union(parsed.value);
      else {
        this.problem(`${side} address "${item.value}": ${parsed.error}`, item.span, 'error');
        this.unresolved.push({ text: item.value, span: item.span, reason: parsed.error });
        set = set.union(AddressSet.symbol('variable', item.value));
      }
    }
    for (const u of prefixes.unknowns) {
      this.unresolved.push({ text: u.text, span: u.span, reason: `${side} address: ${u.reason}` });
      set = set.union(AddressSet.symbol('variable', u.text));
    }
    let span = prefixes.span;
    let style = prefixes.style;
    const asgs = prop(this.input.properties, `${side}ApplicationSecurityGroups`);
    if (asgs && asgs.kind === 'array' && asgs.items.length) {
      style = style === 'none' ? 'asg' : `${style}+asg`;
      span ??= asgs.span;
      for (const item of asgs.items) {
        const n = asgName(item);
        if ('name' in n) set = set.union(AddressSet.symbol('application-security-group', n.name));
        else {
          this.unresolved.push({ text: n.unknown, span: item.span, reason: `${side} application security group not resolved` });
          set = set.union(AddressSet.symbol('variable', n.unknown));
        }
      }
    } else if (asgs && asgs.kind === 'unknown') {
      this.unresolved.push({ text: asgs.text, span: asgs.span, reason: `${side} application security groups: ${asgs.reason}` });
      set = set.union(AddressSet.symbol('variable', asgs.text));
      span ??= asgs.span;
    }
    if (style === 'none') {
      this.problem(`no ${side} address prefix or application security group; Azure rejects the rule`, this.input.span, 'error');
      this.unresolved.push({ text: '(missing)', span: this.input.span, reason: `${side} address: not set` });
      set = AddressSet.symbol('variable', `(${side} not set)`);
    }
    return { field: { value: set, span, text: span ? this.textOf(span) : undefined }, style };
  }

  ports(side: 'source' | 'destination'): { field: Field<PortSet>; style: string } {
    const ranges = this.list(`${side}PortRange`, `${side}PortRanges`);
    let set = Ports.none();
    for (const item of ranges.items) {
      const parsed = parsePortRange(item.value, ['-']);
      if (parsed.ok) set = set.union(parsed.value);
      else {
        this.problem(`${side} port "${item.value}": ${parsed.error}`, item.span, 'error');
        this.unknownField(`${side} port`, item.value, parsed.error, item.span, true);
        set = Ports.any();
      }
    }
    for (const u of ranges.unknowns) {
      this.unknownField(`${side} port`, u.text, u.reason, u.span, true);
      set = Ports.any();
    }
    if (ranges.style === 'none') {
      this.problem(`no ${side} port range; Azure rejects the rule`, this.input.span, 'error');
      this.unknownField(`${side} port`, '(missing)', 'not set', this.input.span, true);
      set = Ports.any();
    }
    return { field: { value: set, span: ranges.span, text: ranges.span ? this.textOf(ranges.span) : undefined }, style: ranges.style };
  }
}

/** Normalises one security rule's properties; never throws. */
export function azureRuleFromProperties(input: AzureRuleInput): { rule: Rule; problems: ParseProblem[] } {
  return new RuleBuilder(input).build();
}

interface DefaultRuleSpec {
  readonly name: string;
  readonly direction: Direction;
  readonly priority: number;
  readonly action: Action;
  readonly source: AddressSet;
  readonly destination: AddressSet;
}

const tag = (name: string): AddressSet => AddressSet.symbol('service-tag', name);

function defaultSpecs(): DefaultRuleSpec[] {
  return [
    { name: 'AllowVnetInBound', direction: 'inbound', priority: 65000, action: 'allow', source: tag('VirtualNetwork'), destination: tag('VirtualNetwork') },
    { name: 'AllowAzureLoadBalancerInBound', direction: 'inbound', priority: 65001, action: 'allow', source: tag('AzureLoadBalancer'), destination: AddressSet.any() },
    { name: 'DenyAllInBound', direction: 'inbound', priority: 65500, action: 'deny', source: AddressSet.any(), destination: AddressSet.any() },
    { name: 'AllowVnetOutBound', direction: 'outbound', priority: 65000, action: 'allow', source: tag('VirtualNetwork'), destination: tag('VirtualNetwork') },
    { name: 'AllowInternetOutBound', direction: 'outbound', priority: 65001, action: 'allow', source: AddressSet.any(), destination: tag('Internet') },
    { name: 'DenyAllOutBound', direction: 'outbound', priority: 65500, action: 'deny', source: AddressSet.any(), destination: AddressSet.any() },
  ];
}

/** Azure's six default security rules, which every NSG has below the user's rules. */
export function azureDefaultRules(ruleSetSpan: Span, firstOrder: number): Rule[] {
  return defaultSpecs().map((d, i) =>
    makeRule({
      id: d.name,
      name: d.name,
      target: { kind: d.action },
      direction: d.direction,
      source: { value: d.source },
      destination: { value: d.destination },
      priority: { value: d.priority },
      order: firstOrder + i,
      span: ruleSetSpan,
      raw: `${d.name}: priority ${d.priority}, ${d.action} ${d.source.toString()} -> ${d.destination.toString()}`,
      implicit: true,
      meta: { defaultRule: 'true' },
    }),
  );
}

export interface AzureNsgInput {
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  readonly span: Span;
  readonly nameSpan?: Span;
  /** The user's rules, in source order. */
  readonly rules: readonly Rule[];
  readonly appliesTo?: readonly string[];
  readonly stage?: RuleSet['stage'];
  readonly meta?: Readonly<Record<string, string>>;
}

/** The NSG as a rule set: the user's rules, the six defaults, priority-first-match; warns about priority clashes. */
export function azureNsgRuleSet(input: AzureNsgInput): { ruleSet: RuleSet; problems: ParseProblem[] } {
  const problems: ParseProblem[] = [];
  const seen = new Map<string, Rule>();
  for (const r of input.rules) {
    if (!r.priority || r.meta?.priorityUnknown || r.meta?.placeholder) continue;
    const key = `${r.direction}:${r.priority.value}`;
    const first = seen.get(key);
    if (first) {
      problems.push({
        code: 'unparsed-rule',
        severity: 'warning',
        span: r.priority.span ?? r.span,
        message: `${r.id} has the same ${r.direction} priority ${r.priority.value} as ${first.id}; Azure rejects the NSG`,
      });
    } else seen.set(key, r);
  }
  const ruleSet: RuleSet = {
    id: input.id,
    name: input.name,
    format: input.format,
    kind: 'azure-nsg',
    semantics: 'priority-first-match',
    directions: ['inbound', 'outbound'],
    rules: [...input.rules, ...azureDefaultRules(input.span, input.rules.length)],
    defaults: { inbound: { value: 'deny', span: input.span }, outbound: { value: 'deny', span: input.span } },
    span: input.span,
    nameSpan: input.nameSpan,
    stage: input.stage,
    appliesTo: input.appliesTo,
    meta: input.meta,
  };
  return { ruleSet, problems };
}

/** `Rule name`, or `line N` when the name is not a literal; deduplicated within one NSG. */
export function uniqueRuleId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base} (${n})`;
  used.add(id);
  return id;
}

/**
 * Stands for security rules the file does not spell out (`securityRules:
 * rulesParam` with no default). They may allow or deny anything at any
 * priority, so one allow and one deny per direction at the first priority,
 * each depending on an unknown condition, make every verdict through this NSG
 * unknown rather than decided by the defaults.
 */
export function unknownRulesPlaceholder(text: string, span: Span, reason: string, firstOrder: number, raw: string): Rule[] {
  const out: Rule[] = [];
  for (const direction of ['inbound', 'outbound'] as const) {
    for (const kind of ['deny', 'allow'] as const) {
      out.push(
        makeRule({
          id: `unknown rules: ${direction} ${kind} (${text})`,
          target: { kind },
          direction,
          priority: { value: 100, span },
          order: firstOrder + out.length,
          span,
          raw,
          conditions: [{ kind: 'other', text: `security rules ${text}`, span, effect: 'unknown' }],
          unresolved: [{ text, span, reason }],
          meta: { placeholder: 'true' },
        }),
      );
    }
  }
  return out;
}
