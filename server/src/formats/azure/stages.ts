import type { GuardedNetwork, Rule, RuleSet, Span } from '../../model';
import { AddressSet } from '../../net';
import { concreteAddressList } from '../namedAddresses';
import { prop, type Val } from './value';

/**
 * Where NSGs are attached, as far as the file shows it. Azure applies a
 * subnet's NSG and then the NIC's NSG to inbound traffic (the reverse
 * outbound; both must allow), so the two share a stage group named after the
 * subnet, subnet first.
 */
export interface NsgAssociation {
  /** Rule set id of the NSG. */
  readonly nsg: string;
  readonly kind: 'subnet' | 'nic';
  /** `subnet:<vnet>/<subnet>` or `nic:<name>`. */
  readonly label: string;
  /** For a NIC: the subnet label of its IP configuration, when the file shows it. */
  readonly nicSubnet?: string;
  /** For a subnet: its prefixes, when the file writes them literally. */
  readonly network?: GuardedNetwork;
  /** For a subnet: its VNet, as the file names it. */
  readonly vnet?: string;
}

/** Addresses a file proves are inside each VNet (its address space, its subnets' prefixes), by how the file names the VNet. */
export type KnownVnetAddresses = ReadonlyMap<string, AddressSet>;

/** A literal prefix list (`address_prefixes`, `addressPrefixes`) or prefix, with where it is written; undefined when not literal. */
export function literalPrefixList(v: Val | undefined): { addresses: AddressSet; span: Span } | undefined {
  if (!v) return undefined;
  const items = v.kind === 'array' ? v.items : [v];
  const addresses = concreteAddressList(items.map((i) => (i.kind === 'string' ? i.value : undefined)));
  return addresses ? { addresses, span: v.span } : undefined;
}

/** A subnet's `properties` (Bicep, ARM): `addressPrefixes`, else `addressPrefix`. */
export function subnetPrefixes(properties: Val | undefined): { addresses: AddressSet; span: Span } | undefined {
  return literalPrefixList(prop(properties, 'addressPrefixes')) ?? literalPrefixList(prop(properties, 'addressPrefix'));
}

/** Adds what one VNet resource (Bicep, ARM) proves is inside it: its address space and its inline subnets' prefixes. */
export function addVnetAddresses(into: Map<string, AddressSet>, vnet: string, properties: Val | undefined): void {
  const add = (found: { addresses: AddressSet } | undefined) => {
    if (found) into.set(vnet, (into.get(vnet) ?? AddressSet.none()).union(found.addresses));
  };
  add(literalPrefixList(prop(prop(properties, 'addressSpace'), 'addressPrefixes')));
  const subnets = prop(properties, 'subnets');
  if (subnets?.kind === 'array') for (const s of subnets.items) add(subnetPrefixes(prop(s, 'properties')));
}

export function addSubnetAddresses(into: Map<string, AddressSet>, vnet: string | undefined, properties: Val | undefined): void {
  const found = vnet ? subnetPrefixes(properties) : undefined;
  if (vnet && found) into.set(vnet, (into.get(vnet) ?? AddressSet.none()).union(found.addresses));
}

/**
 * The NSG's VirtualNetwork tag holds at least what the file proves is in its
 * VNet, so traffic between two subnets of one VNet meets AllowVnetInBound for
 * sure rather than "may match"; the rest of the tag (peered VNets,
 * on-premises ranges behind a gateway) stays a symbol.
 */
export function withKnownVirtualNetwork(ruleSet: RuleSet, known: AddressSet | undefined): RuleSet {
  if (!known || known.isEmpty) return ruleSet;
  const widen = (field: Rule['source']): Rule['source'] => {
    const tagged = field.value.symbols.some((x) => x.kind === 'service-tag' && !x.negated && x.name.toLowerCase() === 'virtualnetwork');
    return tagged ? { ...field, value: field.value.union(known) } : field;
  };
  let changed = false;
  const rules = ruleSet.rules.map((r) => {
    const source = widen(r.source);
    const destination = widen(r.destination);
    if (source === r.source && destination === r.destination) return r;
    changed = true;
    return { ...r, source, destination };
  });
  return changed ? { ...ruleSet, rules } : ruleSet;
}

/**
 * The subnets an NSG guards (with their literal prefixes) and what is known
 * to be in its VNet, when all its subnets are in one VNet.
 */
export function nsgNetworks(nsgId: string, associations: readonly NsgAssociation[], vnets: KnownVnetAddresses): { guardedNetworks?: GuardedNetwork[]; knownVirtualNetwork?: AddressSet } {
  const subnets = associations.filter((a) => a.nsg === nsgId && a.kind === 'subnet');
  const guardedNetworks: GuardedNetwork[] = [];
  for (const a of subnets) if (a.network && !guardedNetworks.some((g) => g.name === a.network?.name)) guardedNetworks.push(a.network);
  const vnetNames = new Set(subnets.map((a) => a.vnet));
  const only = vnetNames.size === 1 ? [...vnetNames][0] : undefined;
  const knownVirtualNetwork = only !== undefined ? vnets.get(only) : undefined;
  return { ...(guardedNetworks.length ? { guardedNetworks } : {}), ...(knownVirtualNetwork ? { knownVirtualNetwork } : {}) };
}

export function nsgPlacement(nsgId: string, associations: readonly NsgAssociation[]): { appliesTo?: string[]; stage?: RuleSet['stage']; meta?: Record<string, string> } {
  const mine = associations.filter((a) => a.nsg === nsgId);
  if (mine.length === 0) return {};
  const appliesTo = [...new Set(mine.map((a) => a.label))];
  // The subnets of the NICs it is on say which side of a multi-NIC appliance it guards (`subnet-adc-frontend`).
  const nicSubnetNames = [...new Set(mine.filter((a) => a.kind === 'nic' && a.nicSubnet).map((a) => a.nicSubnet as string))];
  if (nicSubnetNames.length) return { ...placementOf(mine, appliesTo, associations), meta: { nicSubnets: nicSubnetNames.join(', ') } };
  return placementOf(mine, appliesTo, associations);
}

function placementOf(mine: readonly NsgAssociation[], appliesTo: string[], associations: readonly NsgAssociation[]): { appliesTo?: string[]; stage?: RuleSet['stage'] } {
  const subnets = [...new Set(mine.filter((a) => a.kind === 'subnet').map((a) => a.label))];
  const nics = mine.filter((a) => a.kind === 'nic');
  if (subnets.length === 1 && nics.length === 0) return { appliesTo, stage: { group: subnets[0], order: 0 } };
  if (subnets.length === 0 && nics.length > 0) {
    const nicSubnets = [...new Set(nics.map((n) => n.nicSubnet))];
    const only = nicSubnets[0];
    const subnetHasNsg = only !== undefined && associations.some((a) => a.kind === 'subnet' && a.label === only);
    if (nicSubnets.length === 1 && only !== undefined && subnetHasNsg) return { appliesTo, stage: { group: only, order: 1 } };
  }
  return { appliesTo };
}
