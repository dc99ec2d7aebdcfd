import type { MatchCondition, RoutedThrough, RuleSet, Span, Unresolved } from '../../model';
import { AddressSet } from '../../net';
import { azureFirewallRuleSet, type FirewallCollectionInput, type FirewallCollectionKind, type FirewallRuleInput, type UnknownRules } from '../azure/firewall';
import type { Val } from '../azure/value';
import { toVal } from './azure';
import { attribute, bodyHasError, type HclBody } from './hcl';
import type { Scope } from './resolve';
import { baseAddress, resourceInstances, ruleBlocks, scalar, type Context } from './common';

/**
 * Azure Firewall from azurerm: `azurerm_firewall_policy_rule_collection_group`
 * (DNAT, network and application rule collections), joined into one rule set
 * per policy by `firewall_policy_id`, and the classic
 * `azurerm_firewall_{nat,network,application}_rule_collection` resources,
 * joined per firewall by `azure_firewall_name`. The ordering and matching are
 * shared with Bicep and ARM (../azure/firewall.ts); here the snake_case
 * attributes are mapped onto the ARM property names it reads.
 */

type Names = readonly (readonly [string, string])[];

const ADDRESSES: Names = [
  ['name', 'name'],
  ['source_addresses', 'sourceAddresses'],
  ['source_ip_groups', 'sourceIpGroups'],
];
// Network rules are written alike in policy rule collection groups and classic collections.
const NETWORK_RULE_NAMES: Names = [
  ...ADDRESSES,
  ['protocols', 'ipProtocols'],
  ['destination_addresses', 'destinationAddresses'],
  ['destination_ip_groups', 'destinationIpGroups'],
  ['destination_fqdns', 'destinationFqdns'],
  ['destination_ports', 'destinationPorts'],
];
const RULE_NAMES: Readonly<Record<'policy' | 'classic', Readonly<Record<FirewallCollectionKind, Names>>>> = {
  policy: {
    network: NETWORK_RULE_NAMES,
    nat: [
      ...ADDRESSES,
      ['protocols', 'ipProtocols'],
      ['destination_address', 'destinationAddress'],
      ['destination_ports', 'destinationPorts'],
      ['translated_address', 'translatedAddress'],
      ['translated_fqdn', 'translatedFqdn'],
      ['translated_port', 'translatedPort'],
    ],
    application: [
      ...ADDRESSES,
      ['destination_addresses', 'destinationAddresses'],
      ['destination_fqdns', 'targetFqdns'],
      ['destination_fqdn_tags', 'fqdnTags'],
      ['destination_urls', 'targetUrls'],
      ['web_categories', 'webCategories'],
    ],
  },
  classic: {
    network: NETWORK_RULE_NAMES,
    nat: [
      ...ADDRESSES,
      ['protocols', 'ipProtocols'],
      ['destination_addresses', 'destinationAddresses'],
      ['destination_ports', 'destinationPorts'],
      ['translated_address', 'translatedAddress'],
      ['translated_port', 'translatedPort'],
    ],
    application: [
      ...ADDRESSES,
      ['target_fqdns', 'targetFqdns'],
      ['fqdn_tags', 'fqdnTags'],
    ],
  },
};

const POLICY_BLOCKS: readonly (readonly [FirewallCollectionKind, string])[] = [
  ['nat', 'nat_rule_collection'],
  ['network', 'network_rule_collection'],
  ['application', 'application_rule_collection'],
];

const CLASSIC_TYPES: readonly (readonly [FirewallCollectionKind, string])[] = [
  ['nat', 'azurerm_firewall_nat_rule_collection'],
  ['network', 'azurerm_firewall_network_rule_collection'],
  ['application', 'azurerm_firewall_application_rule_collection'],
];

interface Firewall {
  readonly id: string;
  readonly style: 'policy' | 'classic';
  span: Span;
  nameSpan?: Span;
  readonly declared: boolean;
  readonly collections: FirewallCollectionInput[];
  readonly unknownRules: UnknownRules[];
  readonly appliesTo: string[];
  readonly meta: Record<string, string>;
}

function value(ctx: Context, body: HclBody, name: string, scope: Scope): Val | undefined {
  const a = attribute(body, name);
  return a ? toVal(ctx.resolver.resolve(a.expr, scope)) : undefined;
}

function ruleProperties(ctx: Context, body: HclBody, scope: Scope, span: Span, names: Names, kind: FirewallCollectionKind): Val {
  const props = new Map<string, Val>();
  for (const [tf, arm] of names) {
    const v = value(ctx, body, tf, scope);
    if (v) props.set(arm, v);
  }
  if (kind === 'application') {
    // `protocols { type, port }` blocks in a policy, `protocol { port, type }` in classic collections.
    const items: Val[] = [];
    for (const type of ['protocols', 'protocol']) {
      for (const pb of ruleBlocks(ctx, body, type, scope)) {
        const p = new Map<string, Val>();
        const t = value(ctx, pb.body, 'type', pb.scope);
        const port = value(ctx, pb.body, 'port', pb.scope);
        if (t) p.set('protocolType', t);
        if (port) p.set('port', port);
        items.push({ kind: 'object', props: p, span: pb.span });
      }
    }
    // Both block kinds in one rule (broken, but written): the field spans all of them, whichever comes first.
    if (items.length) props.set('protocols', { kind: 'array', items, span: { start: Math.min(...items.map((i) => i.span.start)), end: Math.max(...items.map((i) => i.span.end)) } });
  }
  return { kind: 'object', props, span };
}

export function azureFirewallRuleSets(ctx: Context): RuleSet[] {
  const firewalls = new Map<string, Firewall>();
  const order: Firewall[] = [];
  const add = (f: Firewall): Firewall => {
    firewalls.set(f.id, f);
    order.push(f);
    return f;
  };
  const byAddress = (address: string, style: Firewall['style']): Firewall | undefined =>
    firewalls.get(address) ?? order.find((f) => f.style === style && f.declared && baseAddress(f.id) === baseAddress(address));

  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_firewall_policy') continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const f = add({ id: inst.address, style: 'policy', span: r.block.span, nameSpan: r.block.labels[1]?.span, declared: true, collections: [], unknownRules: [], appliesTo: [], meta: { resourceType: r.type, address: inst.address } });
      const name = scalar(ctx, r.block.body, 'name', inst.scope);
      if (name?.value.kind === 'string') f.meta.policyName = name.value.value;
      const base = scalar(ctx, r.block.body, 'base_policy_id', inst.scope);
      if (base) f.unknownRules.push({ text: `parent policy ${base.text}`, span: base.span, reason: 'a parent policy: its rule collection groups come first and are not in this file' });
    }
  }

  // Rules that cannot be read stand for themselves as rules that may allow or deny anything, placed first.
  const broken = (f: Firewall, span: Span, what: string): void => {
    ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${what} has a syntax error; its rules are not read, so verdicts through ${f.id} are unknown` });
    f.unknownRules.push({ text: `${what} (not read)`, span, reason: 'a syntax error: what it allows or denies is not known' });
  };

  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_firewall_policy_rule_collection_group') continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const ref = scalar(ctx, r.block.body, 'firewall_policy_id', inst.scope);
      const extraUnresolved: Unresolved[] = [...inst.unresolved];
      let key = '(no firewall_policy_id)';
      let f: Firewall | undefined;
      if (ref?.value.kind === 'ref') {
        key = ref.value.address;
        f = byAddress(key, 'policy');
      } else if (ref?.value.kind === 'string') {
        const id = ref.value.value;
        key = id;
        // A literal resource id names the policy by its last segment.
        const last = id.slice(id.lastIndexOf('/') + 1);
        f = order.find((x) => x.style === 'policy' && x.declared && x.meta.policyName === last);
      } else if (ref) key = ref.text;
      f ??= firewalls.get(key) ?? add({ id: key, style: 'policy', span: r.block.span, declared: false, collections: [], unknownRules: [], appliesTo: [], meta: { resourceType: 'azurerm_firewall_policy', address: key, declared: 'elsewhere' } });
      if (bodyHasError(r.block.body)) {
        broken(f, r.block.span, inst.address);
        continue;
      }
      const nameVal = scalar(ctx, r.block.body, 'name', inst.scope);
      const groupName = nameVal?.value.kind === 'string' ? nameVal.value.value : inst.address;
      const group = { name: groupName, priority: value(ctx, r.block.body, 'priority', inst.scope), span: r.block.span };
      for (const [kind, blockType] of POLICY_BLOCKS) {
        for (const cb of ruleBlocks(ctx, r.block.body, blockType, inst.scope)) {
          if (cb.hasError) {
            broken(f, cb.span, `${inst.address} ${blockType}`);
            continue;
          }
          f.collections.push(
            collection(ctx, kind, cb.body, cb.scope, cb.span, RULE_NAMES.policy[kind], group, { ruleCollectionGroupAddress: inst.address, block: blockType, ...(cb.dynamic ? { dynamic: 'true' } : { blockIndex: String(cb.index) }) }, [
              ...extraUnresolved,
              ...cb.unresolved,
            ], [...inst.conditions, ...cb.conditions]),
          );
        }
      }
    }
  }

  // Classic rule collections sit on the firewall itself.
  const declaredFirewalls = ctx.resources.filter((r) => r.type === 'azurerm_firewall');
  for (const [kind, type] of CLASSIC_TYPES) {
    for (const r of ctx.resources) {
      if (r.type !== type) continue;
      for (const inst of resourceInstances(ctx, r, new Map())) {
        const ref = scalar(ctx, r.block.body, 'azure_firewall_name', inst.scope);
        let key = '(no azure_firewall_name)';
        let declared: string | undefined;
        if (ref?.value.kind === 'ref') {
          key = ref.value.address;
          declared = declaredFirewalls.find((d) => d.address === baseAddress(key))?.address;
        } else if (ref?.value.kind === 'string') {
          const wanted = ref.value.value;
          key = wanted;
          declared = declaredFirewalls.find((d) => {
            const n = scalar(ctx, d.block.body, 'name', new Map());
            return n?.value.kind === 'string' && n.value.value === wanted;
          })?.address;
        } else if (ref) key = ref.text;
        const id = declared ?? key;
        const decl = declared ? declaredFirewalls.find((d) => d.address === declared) : undefined;
        const f =
          firewalls.get(id) ??
          add({
            id,
            style: 'classic',
            span: decl?.block.span ?? r.block.span,
            nameSpan: decl?.block.labels[1]?.span,
            declared: decl !== undefined,
            collections: [],
            unknownRules: [],
            appliesTo: [],
            meta: { resourceType: 'azurerm_firewall', address: id, ...(decl ? {} : { declared: 'elsewhere' }) },
          });
        if (bodyHasError(r.block.body)) {
          broken(f, r.block.span, inst.address);
          continue;
        }
        f.collections.push(collection(ctx, kind, r.block.body, inst.scope, r.block.span, RULE_NAMES.classic[kind], undefined, { ruleCollectionAddress: inst.address, resourceType: type }, [...inst.unresolved], [...inst.conditions]));
      }
    }
  }

  for (const r of declaredFirewalls) {
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const ref = scalar(ctx, r.block.body, 'firewall_policy_id', inst.scope);
      if (ref?.value.kind !== 'ref') continue;
      const f = byAddress(ref.value.address, 'policy');
      if (f && !f.appliesTo.includes(`firewall ${inst.address}`)) f.appliesTo.push(`firewall ${inst.address}`);
    }
  }

  const ipGroup = ipGroupsOf(ctx);
  return order.map((f) => {
    const { ruleSet, problems } = azureFirewallRuleSet({
      id: f.id,
      name: f.id,
      format: 'terraform',
      span: f.span,
      nameSpan: f.nameSpan,
      text: ctx.text,
      style: f.style,
      collections: f.collections,
      unknownRules: f.unknownRules,
      appliesTo: f.appliesTo.length ? f.appliesTo : undefined,
      meta: f.meta,
      ipGroup,
    });
    ctx.problems.push(...problems);
    return ruleSet;
  });
}

function collection(
  ctx: Context,
  kind: FirewallCollectionKind,
  body: HclBody,
  scope: Scope,
  span: Span,
  names: Names,
  group: FirewallCollectionInput['group'],
  meta: Record<string, string>,
  unresolved: Unresolved[],
  conditions: MatchCondition[],
): FirewallCollectionInput {
  const nameVal = scalar(ctx, body, 'name', scope);
  const rules: FirewallRuleInput[] = [];
  for (const rb of ruleBlocks(ctx, body, 'rule', scope)) {
    if (rb.hasError) {
      ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: rb.span, message: 'rule block has a syntax error; it is read as a rule that may match anything' });
      rules.push({ properties: { kind: 'object', props: new Map(), span: rb.span }, span: rb.span, conditions: [{ kind: 'other', text: 'a rule that did not parse', span: rb.span, effect: 'unknown' }] });
      continue;
    }
    rules.push({
      properties: ruleProperties(ctx, rb.body, rb.scope, rb.span, names, kind),
      span: rb.span,
      meta: { ...meta, ruleBlockIndex: rb.dynamic ? `dynamic ${rb.dynamicKey ?? ''}` : String(rb.index) },
      unresolved: rb.unresolved,
      conditions: rb.conditions,
    });
  }
  return {
    kind,
    name: nameVal?.value.kind === 'string' ? nameVal.value.value : undefined,
    priority: value(ctx, body, 'priority', scope),
    action: value(ctx, body, 'action', scope),
    span,
    group,
    rules,
    meta,
    unresolved,
    conditions,
  };
}

/** `azurerm_ip_group` CIDRs and the `azurerm_ip_group_cidr` resources that add to them, by group address. */
function ipGroupsOf(ctx: Context): (item: Val) => { name: string; cidrs: string[] } | undefined {
  const groups = new Map<string, string[]>();
  const literal = (v: Val | undefined): string[] => {
    if (!v) return [];
    if (v.kind === 'string') return [v.value];
    if (v.kind === 'array') return v.items.flatMap(literal);
    return [];
  };
  for (const r of ctx.resources) {
    if (r.type === 'azurerm_ip_group' && !r.block.hasError && !attribute(r.block.body, 'count') && !attribute(r.block.body, 'for_each')) {
      groups.set(r.address, [...(groups.get(r.address) ?? []), ...literal(value(ctx, r.block.body, 'cidrs', new Map()))]);
    }
  }
  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_ip_group_cidr' || r.block.hasError || attribute(r.block.body, 'count') || attribute(r.block.body, 'for_each')) continue;
    const group = scalar(ctx, r.block.body, 'ip_group_id', new Map());
    const cidr = value(ctx, r.block.body, 'cidr', new Map());
    if (group?.value.kind === 'ref' && groups.has(group.value.address)) groups.get(group.value.address)?.push(...literal(cidr));
  }
  return (item) => {
    if (item.kind !== 'ref' || !item.name) return undefined;
    const cidrs = groups.get(item.name);
    return cidrs ? { name: item.name, cidrs } : undefined;
  };
}

interface Route {
  readonly prefix: AddressSet;
  readonly length: number;
  /** Rule set id of the firewall the route sends traffic to; undefined for any other next hop. */
  readonly firewall?: string;
  /** A system route (the subnet's own VNet): a user route of the same length wins over it. */
  readonly system?: boolean;
}

function prefixOf(text: string): { prefix: AddressSet; length: number } | undefined {
  const parsed = AddressSet.parse(text);
  if (!parsed.ok || !parsed.value.isConcrete) return undefined;
  const slash = text.indexOf('/');
  const length = slash < 0 ? (text.includes(':') ? 128 : 32) : Number(text.slice(slash + 1));
  return Number.isInteger(length) ? { prefix: parsed.value, length } : undefined;
}

/**
 * A subnet whose route table sends traffic to a hub firewall (next hop
 * `VirtualAppliance` at `azurerm_firewall.x`'s address): the subnet's NSG
 * says so, with the peers whose traffic takes that route by longest prefix
 * match among the table's routes and the subnet's own VNet (which Azure's
 * system route keeps local).
 */
export function attachFirewallRoutes(ctx: Context, ruleSets: RuleSet[]): RuleSet[] {
  const empty = new Map();
  const refAt = (body: HclBody, name: string): string | undefined => {
    const v = scalar(ctx, body, name, empty);
    return v?.value.kind === 'ref' ? v.value.address : undefined;
  };
  const firewallRuleSet = new Map<string, string>();
  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_firewall') continue;
    const policy = refAt(r.block.body, 'firewall_policy_id');
    const target = policy
      ? ruleSets.find((rs) => rs.kind === 'azure-firewall' && (rs.id === policy || baseAddress(rs.id) === baseAddress(policy)))
      : ruleSets.find((rs) => rs.kind === 'azure-firewall' && rs.id === r.address);
    if (target) firewallRuleSet.set(r.address, target.id);
  }
  if (firewallRuleSet.size === 0) return ruleSets;

  // Route tables whose every route is literal; one that is not cannot say which traffic the firewall sees.
  const tables = new Map<string, Route[] | 'unknown'>();
  const addRoute = (table: string, body: HclBody, scope: Scope): void => {
    if (tables.get(table) === 'unknown') return;
    const list = (tables.get(table) as Route[] | undefined) ?? [];
    const prefix = scalar(ctx, body, 'address_prefix', scope);
    const hopType = scalar(ctx, body, 'next_hop_type', scope);
    const hop = scalar(ctx, body, 'next_hop_in_ip_address', scope);
    const p = prefix?.value.kind === 'string' ? prefixOf(prefix.value.value) : undefined;
    if (!p || hopType?.value.kind !== 'string') {
      tables.set(table, 'unknown');
      return;
    }
    const toAppliance = hopType.value.value.toLowerCase() === 'virtualappliance';
    const firewall = toAppliance && hop?.value.kind === 'ref' ? firewallRuleSet.get(baseAddress(hop.value.address)) : undefined;
    list.push({ ...p, firewall });
    tables.set(table, list);
  };
  for (const r of ctx.resources) {
    if (r.type === 'azurerm_route_table') {
      tables.set(r.address, (tables.get(r.address) as Route[] | undefined) ?? []);
      for (const rb of ruleBlocks(ctx, r.block.body, 'route', empty)) {
        if (rb.hasError || rb.dynamic) tables.set(r.address, 'unknown');
        else addRoute(r.address, rb.body, rb.scope);
      }
    } else if (r.type === 'azurerm_route') {
      const table = refAt(r.block.body, 'route_table_name');
      if (table && !attribute(r.block.body, 'count') && !attribute(r.block.body, 'for_each')) addRoute(baseAddress(table), r.block.body, empty);
    }
  }

  const resources = new Map(ctx.resources.map((r) => [r.address, r]));
  const literalPrefixes = (body: HclBody | undefined, name: string): Route[] => {
    if (!body) return [];
    const v = value(ctx, body, name, empty);
    const items = v?.kind === 'array' ? v.items : v ? [v] : [];
    const out: Route[] = [];
    for (const i of items) {
      const p = i.kind === 'string' ? prefixOf(i.value) : undefined;
      if (p) out.push({ ...p, system: true });
    }
    return out;
  };
  const routed = new Map<string, RoutedThrough[]>();
  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_subnet_route_table_association') continue;
    const subnet = refAt(r.block.body, 'subnet_id');
    const table = refAt(r.block.body, 'route_table_id');
    const routes = table ? tables.get(baseAddress(table)) : undefined;
    if (!subnet || !table || !routes || routes === 'unknown' || !routes.some((x) => x.firewall)) continue;
    const subnetBody = resources.get(baseAddress(subnet))?.block.body;
    const vnet = subnetBody ? refAt(subnetBody, 'virtual_network_name') : undefined;
    const local = [...literalPrefixes(subnetBody, 'address_prefixes'), ...literalPrefixes(vnet ? resources.get(baseAddress(vnet))?.block.body : undefined, 'address_space')];
    // Longest prefix first; at one length a user route wins over the system route.
    const all = [...routes, ...local].sort((a, b) => b.length - a.length || Number(a.system ?? false) - Number(b.system ?? false));
    let remaining = AddressSet.any();
    const peers = new Map<string, AddressSet>();
    for (const route of all) {
      if (route.firewall) peers.set(route.firewall, (peers.get(route.firewall) ?? AddressSet.none()).union(route.prefix.intersect(remaining)));
      remaining = remaining.difference(route.prefix);
    }
    for (const [firewall, set] of peers) {
      if (set.isEmpty) continue;
      routed.set(subnet, [...(routed.get(subnet) ?? []), { ruleSet: firewall, peers: set, via: `route table ${baseAddress(table)} (${r.address})` }]);
    }
  }
  if (routed.size === 0) return ruleSets;
  return ruleSets.map((rs) => {
    const routes = rs.kind === 'azure-nsg' && rs.stage?.order === 0 ? routed.get(rs.stage.group) : undefined;
    return routes ? { ...rs, routedThrough: routes } : rs;
  });
}
