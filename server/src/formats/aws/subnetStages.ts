import type { RuleSet } from '../../model';

/** What a template says about where its groups sit: subnets' ACLs, and the groups of instances in each subnet. */
export interface SubnetPlacement {
  /** Subnet → its network ACL (null: two associations, so none is known). */
  readonly aclOfSubnet: ReadonlyMap<string, string | null>;
  /** Every (subnet, group) pair an instance or network interface puts together. */
  readonly placements: readonly { readonly subnet: string; readonly group: string }[];
}

/** Records placements while a reader walks its resources. */
export class SubnetPlacementBuilder implements SubnetPlacement {
  readonly aclOfSubnet = new Map<string, string | null>();
  readonly placements: { subnet: string; group: string }[] = [];

  associate(subnet: string | undefined, acl: string | undefined): void {
    if (!subnet || !acl) return;
    // A subnet has one ACL: two associations leave it undecided here.
    this.aclOfSubnet.set(subnet, this.aclOfSubnet.has(subnet) && this.aclOfSubnet.get(subnet) !== acl ? null : acl);
  }

  place(subnet: string | undefined, groups: readonly (string | undefined)[]): void {
    if (!subnet) return;
    for (const group of groups) if (group) this.placements.push({ subnet, group });
  }
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
