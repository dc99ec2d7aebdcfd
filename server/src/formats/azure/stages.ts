import type { RuleSet } from '../../model';

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
}

export function nsgPlacement(nsgId: string, associations: readonly NsgAssociation[]): { appliesTo?: string[]; stage?: RuleSet['stage'] } {
  const mine = associations.filter((a) => a.nsg === nsgId);
  if (mine.length === 0) return {};
  const appliesTo = [...new Set(mine.map((a) => a.label))];
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
