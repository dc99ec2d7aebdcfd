import { AddressSet } from '../../net';
import type { GuardedNetwork, RuleSet, Span } from '../../model';

/** An instance or network interface: its security groups and, when the template writes them, its private addresses. */
export interface PlacedHost {
  readonly name: string;
  /** Its groups; undefined where a reference could not be read, so which groups guard it is not known. */
  readonly groups: (string | undefined)[];
  readonly addresses?: { readonly addresses: AddressSet; readonly span: Span };
}

/** What a template says about where its groups sit: subnets' ACLs, and the groups of instances in each subnet. */
export interface SubnetPlacement {
  /** Subnet → its network ACL (null: two associations, so none is known). */
  readonly aclOfSubnet: ReadonlyMap<string, string | null>;
  /** Every (subnet, group) pair an instance or network interface puts together. */
  readonly placements: readonly { readonly subnet: string; readonly group: string }[];
  /** Subnets whose CIDR the template writes literally. */
  readonly subnetAddresses: ReadonlyMap<string, { readonly addresses: AddressSet; readonly span: Span }>;
  readonly hosts: readonly PlacedHost[];
}

/** Records placements while a reader walks its resources. */
export class SubnetPlacementBuilder implements SubnetPlacement {
  readonly aclOfSubnet = new Map<string, string | null>();
  readonly placements: { subnet: string; group: string }[] = [];
  readonly subnetAddresses = new Map<string, { addresses: AddressSet; span: Span }>();
  readonly hosts: PlacedHost[] = [];
  private readonly hostByName = new Map<string, PlacedHost>();

  associate(subnet: string | undefined, acl: string | undefined): void {
    if (!subnet || !acl) return;
    // A subnet has one ACL: two associations leave it undecided here.
    this.aclOfSubnet.set(subnet, this.aclOfSubnet.has(subnet) && this.aclOfSubnet.get(subnet) !== acl ? null : acl);
  }

  place(subnet: string | undefined, groups: readonly (string | undefined)[]): void {
    if (!subnet) return;
    for (const group of groups) if (group) this.placements.push({ subnet, group });
  }

  subnet(subnet: string, addresses: { addresses: AddressSet; span: Span } | undefined): void {
    if (addresses) this.subnetAddresses.set(subnet, addresses);
  }

  /** An instance or interface with its groups; a later call for the same name (an attachment resource) adds groups. */
  host(name: string, groups: readonly (string | undefined)[], addresses?: { addresses: AddressSet; span: Span }): void {
    const known = this.hostByName.get(name);
    if (known) {
      known.groups.push(...groups);
      return;
    }
    const host: PlacedHost = { name, groups: [...groups], ...(addresses ? { addresses } : {}) };
    this.hostByName.set(name, host);
    this.hosts.push(host);
  }
}

/**
 * What each ACL and group is known to sit in front of, for the site's path:
 * an ACL guards its subnets, a group the instances and interfaces it is
 * attached to. Only where the template tells the whole story: every subnet
 * of the ACL with a literal CIDR; every host of the group with literal
 * addresses and this group as its only one (a host's several groups are one
 * union of allows, which a walk through them one after the other would turn
 * into an intersection). Otherwise nothing is claimed, and the rule set is
 * placed by its role, as before.
 */
export function withGuardedNetworks(ruleSets: readonly RuleSet[], where: SubnetPlacement): RuleSet[] {
  const guards = new Map<string, GuardedNetwork[]>();
  const ids = new Set(ruleSets.map((rs) => rs.id));
  const acls = new Set([...where.aclOfSubnet.values()].filter((a): a is string => !!a && ids.has(a)));
  for (const acl of acls) {
    const subnets = [...where.aclOfSubnet].filter(([, a]) => a === acl).map(([subnet]) => subnet);
    const known = subnets.map((subnet) => ({ subnet, at: where.subnetAddresses.get(subnet) }));
    if (known.some((k) => !k.at)) continue;
    guards.set(acl, known.map((k) => ({ name: k.subnet, kind: 'subnet', addresses: k.at!.addresses, span: k.at!.span })));
  }
  const hostsOf = new Map<string, PlacedHost[]>();
  for (const host of where.hosts) for (const g of host.groups) if (g) hostsOf.set(g, [...(hostsOf.get(g) ?? []), host]);
  for (const [group, hosts] of hostsOf) {
    if (!ids.has(group)) continue;
    const alone = hosts.every((h) => h.addresses && h.groups.length === 1 && h.groups[0] === group);
    if (!alone) continue;
    guards.set(group, hosts.map((h) => ({ name: h.name, kind: 'host', addresses: h.addresses!.addresses, span: h.addresses!.span })));
  }
  if (guards.size === 0) return [...ruleSets];
  return ruleSets.map((rs) => {
    const guarded = guards.get(rs.id);
    if (!guarded) return rs;
    const addresses = guarded.reduce((all, g) => all.union(g.addresses), AddressSet.none());
    return addresses.isEmpty ? rs : { ...rs, guardedNetworks: guarded };
  });
}

/**
 * A network ACL is associated with subnets; instances and network interfaces
 * in a subnet carry security groups. A flow to such an instance crosses the
 * subnet's ACL, then its group: two stages, each able to deny. Stages are
 * joined only where that is the whole story: the group's instances all sit
 * in subnets of one ACL, and no other group's instances share them (an
 * instance's several groups are one union, not stages, and a rule set has
 * one stage group).
 */
export function withSubnetStages(ruleSets: readonly RuleSet[], where: SubnetPlacement): RuleSet[] {
  const groupsOfSubnet = new Map<string, Set<string>>();
  const subnetsOfGroup = new Map<string, Set<string>>();
  for (const { subnet, group } of where.placements) {
    groupsOfSubnet.set(subnet, (groupsOfSubnet.get(subnet) ?? new Set()).add(group));
    subnetsOfGroup.set(group, (subnetsOfGroup.get(group) ?? new Set()).add(subnet));
  }
  const byId = new Map(ruleSets.map((rs) => [rs.id, rs]));
  const stages = new Map<string, { group: string; order: number }>();
  for (const [groupId, subnets] of subnetsOfGroup) {
    if (byId.get(groupId)?.kind !== 'aws-security-group') continue;
    const acls = new Set([...subnets].map((s) => where.aclOfSubnet.get(s)));
    const [acl] = acls;
    if (acls.size !== 1 || !acl || byId.get(acl)?.kind === 'aws-security-group' || !byId.has(acl) || stages.has(acl)) continue;
    const aclSubnets = [...where.aclOfSubnet].filter(([, a]) => a === acl).map(([s]) => s);
    if (aclSubnets.some((s) => [...(groupsOfSubnet.get(s) ?? [])].some((g) => g !== groupId))) continue;
    const group = `subnets of ${acl}`;
    stages.set(acl, { group, order: 0 });
    stages.set(groupId, { group, order: 1 });
  }
  if (stages.size === 0) return [...ruleSets];
  return ruleSets.map((rs) => {
    const stage = stages.get(rs.id);
    return stage ? { ...rs, stage } : rs;
  });
}
