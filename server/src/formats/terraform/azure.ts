import type { GuardedNetwork, MatchCondition, ModuleNetworks, ParseProblem, Rule, RuleSet, Span, Unresolved } from '../../model';
import { literalPrefixList, withKnownVirtualNetwork } from '../azure/stages';
import { AddressSet } from '../../net';
import { azureNsgRuleSet, azureRuleFromProperties, uniqueRuleId } from '../azure/nsg';
import type { Val } from '../azure/value';
import { attribute, blocksOf, bodyHasError, type HclBody, type HclExpr } from './hcl';
import { TextMemo } from './reuse';
import { scalarString, type Scope, type Value } from './resolve';
import { baseAddress, lineOf, resourceInstances, ruleBlocks, scalar, skipBroken, type Context, type Resource } from './common';

/**
 * Azure NSGs from azurerm: inline `security_rule` blocks (and `dynamic` ones)
 * and `azurerm_network_security_rule` resources joined by
 * `network_security_group_name`. The rule semantics and the six default rules
 * are shared with Bicep and ARM (../azure/nsg.ts); here the snake_case
 * attributes are mapped onto the ARM property names it reads.
 */

const PROPERTY_NAMES: readonly [string, string][] = [
  ['access', 'access'],
  ['direction', 'direction'],
  ['priority', 'priority'],
  ['protocol', 'protocol'],
  ['source_port_range', 'sourcePortRange'],
  ['source_port_ranges', 'sourcePortRanges'],
  ['destination_port_range', 'destinationPortRange'],
  ['destination_port_ranges', 'destinationPortRanges'],
  ['source_address_prefix', 'sourceAddressPrefix'],
  ['source_address_prefixes', 'sourceAddressPrefixes'],
  ['destination_address_prefix', 'destinationAddressPrefix'],
  ['destination_address_prefixes', 'destinationAddressPrefixes'],
  ['source_application_security_group_ids', 'sourceApplicationSecurityGroups'],
  ['destination_application_security_group_ids', 'destinationApplicationSecurityGroups'],
];

export function toVal(v: Value): Val {
  switch (v.kind) {
    case 'string':
      return { kind: 'string', value: v.value, span: v.span };
    case 'number':
      return { kind: 'number', value: v.value, span: v.span };
    case 'bool':
      return { kind: 'boolean', value: v.value, span: v.span };
    case 'null':
      return { kind: 'null', span: v.span };
    case 'list':
      return { kind: 'array', items: v.items.map(toVal), span: v.span };
    case 'object':
      return { kind: 'object', props: new Map([...v.entries].map(([k, x]) => [k, toVal(x)])), span: v.span };
    case 'ref':
      return { kind: 'ref', name: v.address, text: v.text, span: v.span };
    case 'unknown':
      return { kind: 'unknown', text: v.text, reason: v.reason, span: v.span };
  }
}

function properties(ctx: Context, body: HclBody, scope: Scope, span: Span): Val {
  const props = new Map<string, Val>();
  for (const [tf, arm] of PROPERTY_NAMES) {
    const a = attribute(body, tf);
    if (!a) continue;
    const v = ctx.resolver.resolve(a.expr, scope);
    // List elements keep their own spans; a list from a variable points at the reference.
    props.set(arm, toVal(v));
  }
  return { kind: 'object', props, span };
}

interface Nsg {
  readonly id: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly ids: Set<string>;
  readonly meta: Record<string, string>;
  readonly styles: Set<string>;
  readonly appliesTo: string[];
  readonly guards: GuardedNetwork[];
  /** The VNets of the subnets it is associated with, by how `virtual_network_name` names them. */
  readonly vnets: Set<string>;
  stage?: { group: string; order: number };
}

/** A value that reads the same wherever it is: no variables, iterators, references or calls. */
function selfContained(e: HclExpr): boolean {
  switch (e.kind) {
    case 'literal':
      return true;
    case 'tuple':
      return e.items.every(selfContained);
    case 'object':
      return e.entries.every((x) => selfContained(x.key) && selfContained(x.value));
    case 'template':
      return e.parts.every((p) => 'literal' in p);
    default:
      return false;
  }
}

const bodySelfContained = (body: HclBody): boolean => body.items.every((i) => i.kind === 'attribute' && selfContained(i.expr));

export function azureRuleSets(ctx: Context): RuleSet[] {
  // Rules of unchanged, self-contained blocks come from the document's previous version (open documents only).
  const memo = new TextMemo<{ rule: Rule; problems: ParseProblem[] }>('terraform.azure.rules', ctx.memo);
  const nsgs = new Map<string, Nsg>();
  const order: Nsg[] = [];
  const add = (n: Nsg): Nsg => {
    nsgs.set(n.id, n);
    order.push(n);
    return n;
  };

  const pushRule = (nsg: Nsg, body: HclBody, scope: Scope, span: Span, fallbackId: string, meta: Record<string, string>, unresolved: readonly Unresolved[], conditions: readonly MatchCondition[]): void => {
    const nameAttr = scalar(ctx, body, 'name', scope);
    const name = nameAttr ? scalarString(nameAttr.value) : undefined;
    const id = uniqueRuleId(name ?? fallbackId, nsg.ids);
    const ruleMeta = { ...meta, nsgAddress: nsg.id, ...(nsg.meta.nsgName ? { nsgName: nsg.meta.nsgName } : {}) };
    const order = nsg.rules.length;
    // Everything the rule depends on besides the block's own text is in the key.
    const key =
      memo.active && unresolved.length === 0 && conditions.length === 0 && bodySelfContained(body)
        ? `${id}\u0000${order}\u0000${JSON.stringify(ruleMeta)}\u0000${ctx.text.slice(span.start, span.end)}`
        : undefined;
    const built =
      (key !== undefined ? memo.get(key, span.start) : undefined) ??
      azureRuleFromProperties({ id, name, properties: properties(ctx, body, scope, span), span, order, text: ctx.text, meta: ruleMeta, unresolved, conditions });
    if (key !== undefined) memo.set(key, span.start, built);
    nsg.rules.push(built.rule);
    ctx.problems.push(...built.problems);
  };

  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_network_security_group') continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const nsg = add({ id: inst.address, span: r.block.span, nameSpan: r.block.labels[1]?.span, rules: [], ids: new Set(), meta: { resourceType: r.type, address: inst.address }, styles: new Set(), appliesTo: [], guards: [], vnets: new Set() });
      const nameAttr = scalar(ctx, r.block.body, 'name', inst.scope);
      if (nameAttr?.value.kind === 'string') nsg.meta.nsgName = nameAttr.value.value;
      const rg = scalar(ctx, r.block.body, 'resource_group_name', inst.scope);
      if (rg?.value.kind === 'string') nsg.meta.resourceGroupName = rg.value.value;
      for (const rb of ruleBlocks(ctx, r.block.body, 'security_rule', inst.scope)) {
        nsg.styles.add('inline');
        if (skipBroken(ctx, rb.hasError, rb.span, `${inst.address} security_rule block`)) continue;
        const line = lineOf(ctx, rb.span);
        pushRule(
          nsg,
          rb.body,
          rb.scope,
          rb.span,
          rb.dynamic ? `line ${line} [${rb.dynamicKey ?? 'unknown'}]` : `line ${line}`,
          { style: 'inline', block: 'security_rule', ...(rb.dynamic ? { dynamic: 'true', dynamicKey: rb.dynamicKey ?? '' } : { blockIndex: String(rb.index) }) },
          [...inst.unresolved, ...rb.unresolved],
          [...inst.conditions, ...rb.conditions],
        );
      }
    }
  }

  for (const r of ctx.resources) {
    if (r.type !== 'azurerm_network_security_rule') continue;
    if (skipBroken(ctx, bodyHasError(r.block.body), r.block.span, r.address)) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const ref = scalar(ctx, r.block.body, 'network_security_group_name', inst.scope);
      let nsg: Nsg | undefined;
      const extra: Unresolved[] = [...inst.unresolved];
      let key = '(no network_security_group_name)';
      if (ref?.value.kind === 'ref') {
        nsg = nsgs.get(ref.value.address) ?? order.find((n) => !n.meta.declared && baseAddress(n.id) === baseAddress(ref.value.kind === 'ref' ? ref.value.address : ''));
        key = ref.value.address;
      } else if (ref?.value.kind === 'string') {
        const wanted = ref.value.value;
        nsg = order.find((n) => !n.meta.declared && n.meta.nsgName === wanted);
        key = wanted;
      } else if (ref) {
        key = ref.text;
        extra.push({ text: ref.text, span: ref.span, reason: `network_security_group_name: ${ref.value.kind === 'unknown' ? ref.value.reason : 'not a name'}` });
      }
      if (!nsg) {
        nsg = nsgs.get(key) ?? add({ id: key, span: r.block.span, rules: [], ids: new Set(), meta: { resourceType: 'azurerm_network_security_group', address: key, declared: 'elsewhere' }, styles: new Set(), appliesTo: [], guards: [], vnets: new Set() });
      }
      nsg.styles.add('resources');
      pushRule(nsg, r.block.body, inst.scope, r.block.span, inst.address, { style: 'resource', resourceType: r.type, ruleAddress: inst.address }, extra, [...inst.conditions]);
    }
  }

  attachStages(ctx, nsgs, order);
  const vnetAddresses = knownVnetAddresses(ctx);
  memo.commit();

  return order.map((n) => {
    const styles = [...n.styles].sort();
    const { ruleSet, problems } = azureNsgRuleSet({
      id: n.id,
      name: n.id,
      format: 'terraform',
      span: n.span,
      nameSpan: n.nameSpan,
      rules: n.rules,
      appliesTo: n.appliesTo.length ? n.appliesTo : undefined,
      stage: n.stage,
      meta: { ...n.meta, ruleStyle: styles.length ? styles.join('+') : 'none' },
    });
    ctx.problems.push(...problems);
    const withVnet = withKnownVirtualNetwork(ruleSet, n.vnets.size === 1 ? vnetAddresses.get([...n.vnets][0]) : undefined);
    return n.guards.length ? { ...withVnet, guardedNetworks: n.guards } : withVnet;
  });
}

/**
 * The subnets with literal prefixes and the subnet–NSG associations this file
 * declares, for linking across the module's files (a subnet counted or made
 * per `for_each` has a prefix per instance and is left out).
 */
export function azureModuleNetworks(ctx: Context): ModuleNetworks | undefined {
  const subnets: ModuleNetworks['subnets'][number][] = [];
  const associations: ModuleNetworks['associations'][number][] = [];
  for (const r of ctx.resources) {
    if (r.type === 'azurerm_subnet' && !attribute(r.block.body, 'count') && !attribute(r.block.body, 'for_each')) {
      const prefixes = literalPrefixes(ctx, r.block.body, ['address_prefixes', 'address_prefix']);
      if (prefixes?.addresses) subnets.push({ address: r.address, addresses: prefixes.addresses, span: prefixes.span });
    } else if (r.type === 'azurerm_subnet_network_security_group_association' && !attribute(r.block.body, 'count') && !attribute(r.block.body, 'for_each')) {
      const nsg = scalar(ctx, r.block.body, 'network_security_group_id', new Map());
      const subnet = scalar(ctx, r.block.body, 'subnet_id', new Map());
      if (nsg?.value.kind === 'ref' && subnet?.value.kind === 'ref') associations.push({ nsg: baseAddress(nsg.value.address), subnet: baseAddress(subnet.value.address) });
    }
  }
  return subnets.length || associations.length ? { subnets, associations } : undefined;
}

/** How a subnet names its VNet: the resource it references, or the literal name in its resource group (names are unique only there). */
function vnetOf(ctx: Context, subnet: Resource | undefined): string | undefined {
  if (!subnet || subnet.type !== 'azurerm_subnet') return undefined;
  const v = scalar(ctx, subnet.block.body, 'virtual_network_name', new Map());
  if (v?.value.kind === 'ref') return baseAddress(v.value.address);
  return v?.value.kind === 'string' ? vnetName(ctx, subnet.block.body, v.value.value) : undefined;
}

function vnetName(ctx: Context, body: HclBody, name: string): string | undefined {
  const group = scalar(ctx, body, 'resource_group_name', new Map());
  if (!group) return undefined;
  return `name ${group.value.kind === 'string' ? group.value.value : group.text}/${name}`;
}

function literalPrefixes(ctx: Context, body: HclBody, names: readonly string[]) {
  for (const name of names) {
    const v = scalar(ctx, body, name, new Map());
    if (v) return literalPrefixList(toVal(v.value));
  }
  return undefined;
}

/**
 * Addresses this file proves to be inside each VNet: its literal
 * `address_space` and the literal prefixes of its subnets. Azure's
 * VirtualNetwork tag holds more (peered VNets, on-premises ranges behind a
 * gateway), which stays unknown.
 */
function knownVnetAddresses(ctx: Context): Map<string, AddressSet> {
  const out = new Map<string, AddressSet>();
  const add = (vnet: string, addresses: AddressSet | undefined) => {
    if (addresses) out.set(vnet, (out.get(vnet) ?? AddressSet.none()).union(addresses));
  };
  for (const r of ctx.resources) {
    const counted = attribute(r.block.body, 'count') || attribute(r.block.body, 'for_each');
    if (counted) continue;
    if (r.type === 'azurerm_virtual_network') {
      // Subnets name their VNet by reference or by its literal name: the address space is filed under both.
      const space = literalPrefixes(ctx, r.block.body, ['address_space'])?.addresses;
      add(r.address, space);
      const name = scalar(ctx, r.block.body, 'name', new Map());
      const byName = name?.value.kind === 'string' ? vnetName(ctx, r.block.body, name.value.value) : undefined;
      if (byName) add(byName, space);
    } else if (r.type === 'azurerm_subnet') {
      const vnet = vnetOf(ctx, r);
      if (vnet) add(vnet, literalPrefixes(ctx, r.block.body, ['address_prefixes', 'address_prefix'])?.addresses);
    }
  }
  return out;
}

/**
 * Subnet and NIC associations make stages: inbound traffic crosses the
 * subnet's NSG and then the NIC's. A NIC joins its subnet's stage group
 * when its `ip_configuration.subnet_id` names a subnet in this file.
 */
function attachStages(ctx: Context, nsgs: Map<string, Nsg>, order: Nsg[]): void {
  const resources = new Map(ctx.resources.map((r) => [r.address, r]));
  const nsgFor = (body: HclBody, scope: Scope): Nsg | undefined => {
    const v = scalar(ctx, body, 'network_security_group_id', scope);
    if (v?.value.kind !== 'ref') return undefined;
    const address = v.value.address;
    return nsgs.get(address) ?? order.find((n) => baseAddress(n.id) === baseAddress(address));
  };
  const refOf = (body: HclBody, attr: string, scope: Scope): string | undefined => {
    const v = scalar(ctx, body, attr, scope);
    if (!v) return undefined;
    return v.value.kind === 'ref' ? v.value.address : v.text;
  };
  const subnetOfNic = (nicAddress: string): string | undefined => {
    const nic: Resource | undefined = resources.get(baseAddress(nicAddress));
    if (!nic) return undefined;
    for (const ip of blocksOf(nic.block.body, 'ip_configuration')) {
      const s = scalar(ctx, ip.body, 'subnet_id', new Map());
      if (s?.value.kind === 'ref') return s.value.address;
    }
    return undefined;
  };
  // One subnet resource, one literal prefix list: a subnet made per `count` or `for_each` has a prefix per instance.
  const prefixesOf = (subnetAddress: string): GuardedNetwork | undefined => {
    const subnet = resources.get(baseAddress(subnetAddress));
    if (!subnet || subnet.type !== 'azurerm_subnet' || attribute(subnet.block.body, 'count') || attribute(subnet.block.body, 'for_each')) return undefined;
    const prefixes = literalPrefixes(ctx, subnet.block.body, ['address_prefixes', 'address_prefix']);
    return prefixes?.addresses ? { name: baseAddress(subnetAddress), addresses: prefixes.addresses, span: prefixes.span } : undefined;
  };
  // A NIC's addresses, when each IP configuration is static with a literal address.
  const staticAddressOf = (nicAddress: string): GuardedNetwork | undefined => {
    const nic: Resource | undefined = resources.get(baseAddress(nicAddress));
    if (!nic || attribute(nic.block.body, 'count') || attribute(nic.block.body, 'for_each')) return undefined;
    const configs = blocksOf(nic.block.body, 'ip_configuration');
    const found = configs.map((ip) => {
      const allocation = scalar(ctx, ip.body, 'private_ip_address_allocation', new Map());
      if (allocation?.value.kind !== 'string' || allocation.value.value.toLowerCase() !== 'static') return undefined;
      return literalPrefixes(ctx, ip.body, ['private_ip_address']);
    });
    if (found.length === 0 || found.some((f) => !f)) return undefined;
    let addresses = AddressSet.none();
    for (const f of found) addresses = addresses.union(f!.addresses);
    return { name: baseAddress(nicAddress), kind: 'host', addresses, span: found[0]!.span };
  };
  const nicHosts = new Map<Nsg, (GuardedNetwork | undefined)[]>();
  for (const r of ctx.resources) {
    const subnetAssoc = r.type === 'azurerm_subnet_network_security_group_association';
    const nicAssoc = r.type === 'azurerm_network_interface_security_group_association';
    if (!subnetAssoc && !nicAssoc) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const nsg = nsgFor(r.block.body, inst.scope);
      if (!nsg) continue;
      if (subnetAssoc) {
        const subnet = refOf(r.block.body, 'subnet_id', inst.scope) ?? inst.address;
        nsg.appliesTo.push(`subnet ${subnet}`);
        const guarded = prefixesOf(subnet);
        if (guarded && !nsg.guards.some((g) => g.name === guarded.name)) nsg.guards.push(guarded);
        const vnet = vnetOf(ctx, resources.get(baseAddress(subnet)));
        nsg.vnets.add(vnet ?? `unknown ${subnet}`);
        if (!nsg.stage || nsg.stage.order !== 0) nsg.stage = { group: subnet, order: 0 };
      } else {
        const nic = refOf(r.block.body, 'network_interface_id', inst.scope) ?? inst.address;
        nsg.appliesTo.push(`network-interface ${nic}`);
        nsg.stage ??= { group: subnetOfNic(nic) ?? nic, order: 1 };
        nicHosts.set(nsg, [...(nicHosts.get(nsg) ?? []), staticAddressOf(nic)]);
      }
    }
  }
  // An NSG only on NICs guards those hosts, when every one of them has a static address the file writes.
  for (const [nsg, hosts] of nicHosts) {
    if (nsg.guards.length || hosts.some((h) => !h)) continue;
    for (const h of hosts) if (h && !nsg.guards.some((g) => g.name === h.name)) nsg.guards.push(h);
  }
}
