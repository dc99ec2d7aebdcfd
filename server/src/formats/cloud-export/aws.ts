import { AddressSet, Ports, Protocols, type PortSet, type ProtocolSet } from '../../net';
import { makeRule, type Field, type ParseProblem, type Rule, type RuleSet, type Span } from '../../model';
import { awsNaclRule, awsNetworkAclRuleSet, AWS_NACL_MAX_RULE } from '../aws/networkAcl';
import { awsCarriesPorts, awsPortRange, awsProtocol, awsSecurityGroupRuleSet } from '../aws/securityGroup';
import { member, type JsonNode } from '../arm/json';
import { cover, itemsOf, stringOf } from './json';

/**
 * `aws ec2 describe-security-groups` (groups with IpPermissions and
 * IpPermissionsEgress) and `aws ec2 describe-security-group-rules` (one
 * rule per entry, IsEgress). Live state lists every rule the group has,
 * AWS's default egress rule included where it was never removed, so
 * nothing is added to it. `aws ec2 describe-network-acls` (NetworkAcls with
 * Entries and Associations) reads with the network ACL semantics of
 * aws/networkAcl.ts.
 */
export function awsExportRuleSets(root: JsonNode, text: string, problems: ParseProblem[]): RuleSet[] {
  const acls = member(root, 'NetworkAcls');
  if (acls) return itemsOf(acls).map((a) => networkAclRuleSet(a, text, problems));
  const groups = member(root, 'SecurityGroups');
  if (groups) return itemsOf(groups).map((g) => groupRuleSet(g, text, problems));
  return ruleListRuleSets(itemsOf(member(root, 'SecurityGroupRules')), text, problems);
}

interface Permission {
  readonly node: JsonNode;
  readonly direction: 'inbound' | 'outbound';
  readonly label: string;
}

function groupRuleSet(g: JsonNode, text: string, problems: ParseProblem[]): RuleSet {
  const groupId = stringOf(member(g, 'GroupId')) ?? stringOf(member(g, 'GroupName')) ?? 'security group';
  const groupName = stringOf(member(g, 'GroupName'));
  const rules: Rule[] = [];
  const permissions: Permission[] = [
    ...itemsOf(member(g, 'IpPermissions')).map((node, i) => ({ node, direction: 'inbound' as const, label: `ingress[${i}]` })),
    ...itemsOf(member(g, 'IpPermissionsEgress')).map((node, i) => ({ node, direction: 'outbound' as const, label: `egress[${i}]` })),
  ];
  for (const p of permissions) rules.push(...permissionRules(groupId, p, text, problems, rules.length));
  const meta: Record<string, string> = { exportedFrom: 'aws', resourceType: 'aws_security_group' };
  if (groupName) meta.groupName = groupName;
  const vpc = stringOf(member(g, 'VpcId'));
  if (vpc) meta.vpcId = vpc;
  return awsSecurityGroupRuleSet({ id: groupId, name: groupName ? `${groupName} (${groupId})` : groupId, format: 'cloud-export', span: g.span, nameSpan: member(g, 'GroupId')?.span, rules, external: false, meta, styles: [] });
}

/** One IpPermission: a protocol and port range with a list of peers of each kind; each peer is one rule, as the console shows them. */
function permissionRules(groupId: string, p: Permission, text: string, problems: ParseProblem[], firstOrder: number): Rule[] {
  const where = `${groupId} ${p.label}`;
  const traffic = protocolAndPorts(p.node, where, problems);
  const peers: { set: AddressSet; span: Span; description?: string }[] = [];
  const addCidr = (list: string, key: string): void => {
    for (const r of itemsOf(member(p.node, list))) {
      const v = member(r, key);
      const cidr = stringOf(v);
      if (!cidr) continue;
      const parsed = AddressSet.parse(cidr);
      if (!parsed.ok) {
        problems.push({ code: 'unparsed-rule', severity: 'error', span: v!.span, message: `${where}: ${key} "${cidr}" is not a CIDR block` });
        continue;
      }
      peers.push({ set: parsed.value, span: r.span, description: stringOf(member(r, 'Description')) });
    }
  };
  addCidr('IpRanges', 'CidrIp');
  addCidr('Ipv6Ranges', 'CidrIpv6');
  for (const r of itemsOf(member(p.node, 'UserIdGroupPairs'))) {
    const peerId = stringOf(member(r, 'GroupId')) ?? stringOf(member(r, 'GroupName'));
    if (!peerId) continue;
    peers.push({ set: peerId === groupId ? AddressSet.symbol('self', groupId) : AddressSet.symbol('security-group', peerId), span: r.span, description: stringOf(member(r, 'Description')) });
  }
  for (const r of itemsOf(member(p.node, 'PrefixListIds'))) {
    const list = stringOf(member(r, 'PrefixListId'));
    if (list) peers.push({ set: AddressSet.symbol('prefix-list', list), span: r.span, description: stringOf(member(r, 'Description')) });
  }
  if (peers.length === 0) {
    problems.push({ code: 'unparsed-rule', severity: 'info', span: p.node.span, message: `${where}: no peer (IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds); it opens nothing` });
    return [];
  }
  return peers.map((peer, i) =>
    permissionRule(groupId, p.direction, traffic, peer, `${where}${peers.length > 1 ? ` peer[${i}]` : ''}`, p.node.span, text, firstOrder + i),
  );
}

function permissionRule(
  groupId: string,
  direction: 'inbound' | 'outbound',
  traffic: { protocols: Field<ProtocolSet>; ports: Field<PortSet> },
  peer: { set: AddressSet; span: Span; description?: string },
  id: string,
  span: Span,
  text: string,
  order: number,
): Rule {
  const peerField: Field<AddressSet> = { value: peer.set, span: peer.span, text: text.slice(peer.span.start, peer.span.end) };
  const any: Field<AddressSet> = { value: AddressSet.any() };
  return makeRule({
    id,
    target: { kind: 'allow' },
    direction,
    protocols: traffic.protocols,
    source: direction === 'inbound' ? peerField : any,
    destination: direction === 'inbound' ? any : peerField,
    destinationPorts: traffic.ports,
    order,
    span,
    raw: text.slice(span.start, span.end),
    comment: peer.description,
    meta: { groupAddress: groupId },
  });
}

function protocolAndPorts(node: JsonNode, where: string, problems: ParseProblem[]): { protocols: Field<ProtocolSet>; ports: Field<PortSet> } {
  const protoNode = member(node, 'IpProtocol');
  const protoText = protoNode?.type === 'string' ? protoNode.value : protoNode?.type === 'number' ? String(protoNode.value) : undefined;
  if (protoText === undefined) {
    problems.push({ code: 'unparsed-rule', severity: 'error', span: protoNode?.span ?? node.span, message: `${where}: IpProtocol is not set; AWS never exports a rule without one, so this file was changed by hand` });
    return { protocols: { value: Protocols.none() }, ports: { value: Ports.none() } };
  }
  const p = awsProtocol(protoText);
  if (!p.ok) {
    problems.push({ code: 'unparsed-rule', severity: 'error', span: protoNode!.span, message: `${where}: IpProtocol "${protoText}": ${p.error}` });
    return { protocols: { value: Protocols.none() }, ports: { value: Ports.none() } };
  }
  const protocols: Field<ProtocolSet> = { value: p.value, span: protoNode!.span, text: JSON.stringify(protoText) };
  if (!awsCarriesPorts(p.value)) return { protocols, ports: { value: Ports.any() } };
  const from = member(node, 'FromPort');
  const to = member(node, 'ToPort');
  if (from?.type !== 'number' || to?.type !== 'number') {
    // The CLI leaves both out for "all ports" of a protocol given as a number it does not know ports for.
    return { protocols, ports: { value: Ports.any() } };
  }
  const range = awsPortRange(from.value, to.value);
  const span = cover([from.span, to.span])!;
  if (range.problem) problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${where}: ${range.problem.replace('from port', 'FromPort').replace('to port', 'ToPort')}` });
  return { protocols, ports: { value: range.value, span, text: from.value === to.value ? String(from.value) : `${from.value}-${to.value}` } };
}

/** describe-security-group-rules: each entry is one rule of a group, with its peer in one of four keys. */
function ruleListRuleSets(entries: readonly JsonNode[], text: string, problems: ParseProblem[]): RuleSet[] {
  const byGroup = new Map<string, { rules: Rule[]; spans: Span[] }>();
  for (const e of entries) {
    const groupId = stringOf(member(e, 'GroupId')) ?? 'security group';
    let g = byGroup.get(groupId);
    if (!g) byGroup.set(groupId, (g = { rules: [], spans: [] }));
    g.spans.push(e.span);
    const egress = member(e, 'IsEgress');
    const direction = egress?.type === 'boolean' && egress.value ? 'outbound' : 'inbound';
    const ruleId = stringOf(member(e, 'SecurityGroupRuleId')) ?? `${groupId} rule ${g.rules.length + 1}`;
    const traffic = protocolAndPorts(e, ruleId, problems);
    const peerNode = member(e, 'CidrIpv4') ?? member(e, 'CidrIpv6') ?? member(e, 'PrefixListId') ?? member(member(e, 'ReferencedGroupInfo'), 'GroupId');
    const peerText = stringOf(peerNode);
    if (!peerNode || !peerText) {
      problems.push({ code: 'unparsed-rule', severity: 'info', span: e.span, message: `${ruleId}: no peer (CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo); it opens nothing` });
      continue;
    }
    let set: AddressSet;
    if (member(e, 'CidrIpv4') === peerNode || member(e, 'CidrIpv6') === peerNode) {
      const parsed = AddressSet.parse(peerText);
      if (!parsed.ok) {
        problems.push({ code: 'unparsed-rule', severity: 'error', span: peerNode.span, message: `${ruleId}: "${peerText}" is not a CIDR block` });
        continue;
      }
      set = parsed.value;
    } else if (member(e, 'PrefixListId') === peerNode) set = AddressSet.symbol('prefix-list', peerText);
    else set = peerText === groupId ? AddressSet.symbol('self', groupId) : AddressSet.symbol('security-group', peerText);
    g.rules.push(permissionRule(groupId, direction, traffic, { set, span: peerNode.span, description: stringOf(member(e, 'Description')) }, ruleId, e.span, text, g.rules.length));
  }
  return [...byGroup].map(([groupId, g]) =>
    awsSecurityGroupRuleSet({
      id: groupId,
      name: groupId,
      format: 'cloud-export',
      span: cover(g.spans)!,
      rules: g.rules,
      // A rule list may hold only some of a group's rules: only the directions it shows are known.
      external: true,
      meta: { exportedFrom: 'aws', resourceType: 'aws_security_group', exportShape: 'rule list' },
      styles: [],
    }),
  );
}

/**
 * One network ACL of describe-network-acls. The export lists the `*` entries
 * every ACL ends with (rule number 32767, and 32768 for IPv6); the ACL
 * semantics add that final deny, so they are not read twice.
 */
function networkAclRuleSet(acl: JsonNode, text: string, problems: ParseProblem[]): RuleSet {
  const aclId = stringOf(member(acl, 'NetworkAclId')) ?? 'network ACL';
  const rules: Rule[] = [];
  for (const e of itemsOf(member(acl, 'Entries'))) {
    const numberNode = member(e, 'RuleNumber');
    if (numberNode?.type === 'number' && numberNode.value > AWS_NACL_MAX_RULE) continue;
    const egress = member(e, 'Egress')?.type === 'boolean' && (member(e, 'Egress') as { value: boolean }).value;
    const label = `${aclId} ${egress ? 'egress' : 'ingress'} ${numberNode?.type === 'number' ? numberNode.value : '?'}`;
    const cidrNode = member(e, 'CidrBlock') ?? member(e, 'Ipv6CidrBlock');
    const cidr = stringOf(cidrNode);
    const parsed = cidr ? AddressSet.parse(cidr) : undefined;
    const unresolved: { text: string; span?: Span; reason: string }[] = [];
    if (!parsed?.ok) {
      problems.push({ code: 'unparsed-rule', severity: 'error', span: cidrNode?.span ?? e.span, message: `${label}: ${cidr ? `"${cidr}" is not a CIDR block` : 'no CidrBlock or Ipv6CidrBlock'}; the entry is left out` });
      continue;
    }
    const protocolNode = member(e, 'Protocol');
    const protocol = stringOf(protocolNode) ?? (protocolNode?.type === 'number' ? String(protocolNode.value) : undefined);
    const range = member(e, 'PortRange');
    const from = member(range, 'From');
    const to = member(range, 'To');
    const actionNode = member(e, 'RuleAction');
    rules.push(
      awsNaclRule({
        id: label,
        egress,
        ruleNumber: numberNode?.type === 'number' ? { value: numberNode.value, span: numberNode.span, text: String(numberNode.value) } : undefined,
        action: stringOf(actionNode) ? { value: stringOf(actionNode)!, span: actionNode!.span } : undefined,
        protocol: protocol ? { value: protocol === '-1' ? 'all' : protocol, span: protocolNode!.span, text: protocol } : undefined,
        peer: { value: parsed.value, span: cidrNode!.span, text: cidr },
        ports: from?.type === 'number' && to?.type === 'number' ? { from: from.value, to: to.value, span: cover([from.span, to.span]), text: from.value === to.value ? String(from.value) : `${from.value}-${to.value}` } : undefined,
        span: e.span,
        raw: text.slice(e.span.start, e.span.end),
        order: rules.length,
        unresolved,
        conditions: [],
        meta: { aclAddress: aclId },
        problem: (message, span, severity = 'error') => problems.push({ code: 'unparsed-rule', severity, span, message: `${label}: ${message}` }),
      }),
    );
  }
  const subnets = itemsOf(member(acl, 'Associations'))
    .map((a) => stringOf(member(a, 'SubnetId')))
    .filter((x): x is string => x !== undefined);
  const meta: Record<string, string> = { exportedFrom: 'aws', resourceType: 'aws_network_acl' };
  const vpc = stringOf(member(acl, 'VpcId'));
  if (vpc) meta.vpcId = vpc;
  if (subnets.length) meta.subnets = subnets.join(', ');
  if (member(acl, 'IsDefault')?.type === 'boolean' && (member(acl, 'IsDefault') as { value: boolean }).value) meta.isDefault = 'true';
  return awsNetworkAclRuleSet({ id: aclId, name: aclId, format: 'cloud-export', span: acl.span, nameSpan: member(acl, 'NetworkAclId')?.span, rules, meta });
}
