import { AddressSet, Ports, Protocols, type PortSet, type ProtocolSet } from '../../net';
import { uniqueRuleId } from '../ruleIds';
import { LineIndex, makeRule, type Comment, type Field, type MatchCondition, type NamedAddresses, type ParsedFile, type ParseOptions, type ParseProblem, type Rule, type RuleSet, type Span, type Unresolved } from '../../model';
import { concreteAddressList, MAX_NAMED_ADDRESSES } from '../namedAddresses';
import { parseJsonTolerant, type JsonNode } from '../arm/json';
import { awsNaclRule, awsNetworkAclRuleSet } from '../aws/networkAcl';
import { SubnetPlacementBuilder, withGuardedNetworks, withSubnetStages } from '../aws/subnetStages';
import { awsCarriesPorts, awsDefaultEgressRule, awsPortRange, awsProtocol, awsSecurityGroupRuleSet, isAwsPortNumber } from '../aws/securityGroup';
import { Resolver, intrinsicOf, member, reasonOf, textOf, type CfnValue, type Template } from './intrinsics';
import { parseCfnYaml } from './yaml';
import { rememberTemplateRoot } from './roots';
import { templateStyle } from './style';

/**
 * AWS CloudFormation templates (YAML with short-form intrinsics, or JSON) →
 * AWS security group rule sets: AWS::EC2::SecurityGroup with inline
 * SecurityGroupIngress/SecurityGroupEgress, and AWS::EC2::SecurityGroupIngress
 * and ::SecurityGroupEgress resources joined to their group by GroupId.
 * Parameter defaults, Mappings and Conditions are followed like Terraform
 * literals; what only a deployment knows is unknown, with the reason.
 */
export function parseCloudFormation(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const style = templateStyle(text);
  const read = style === 'json' ? parseJsonTolerant(text) : parseCfnYaml(text);
  const problems: ParseProblem[] = [...read.problems];
  try {
    const reader = read.root ? new CfnReader(text, read.root, problems) : undefined;
    const ruleSets = reader ? reader.read() : [];
    const comments = read.root ? [...read.comments, ...metadataDirectives(read.root)].sort((a, b) => a.span.start - b.span.start) : read.comments;
    const named = reader?.namedAddresses() ?? [];
    const description = read.root ? member(read.root, 'Description') : undefined;
    const parsed: ParsedFile = {
      uri,
      format: 'cloudformation',
      text,
      ruleSets,
      problems,
      comments,
      ...(named.length ? { namedAddresses: named } : {}),
      ...(description?.type === 'string' ? { description: { text: description.value, span: description.span } } : {}),
    };
    rememberTemplateRoot(parsed, read.root);
    return parsed;
  } catch (e) {
    problems.push({ code: 'syntax-error', severity: 'error', span: { start: 0, end: Math.min(1, text.length) }, message: `template could not be read: ${e instanceof Error ? e.message : String(e)}` });
    return { uri, format: 'cloudformation', text, ruleSets: [], problems, comments: read.comments };
  }
}

export { templateStyle };

/**
 * A JSON template has no comments, so a role is written where CloudFormation
 * keeps free text, in a resource's `Metadata`: any string there that holds a
 * directive (`"Metadata": { "Comment": "citrix-role: vda" }`) reads as the
 * comment `# citrix-role: vda` inside that resource, which binds its rule set.
 */
function metadataDirectives(root: JsonNode): Comment[] {
  const out: Comment[] = [];
  const resources = member(root, 'Resources');
  if (resources?.type !== 'object') return out;
  const visit = (n: JsonNode | undefined, depth: number): void => {
    if (!n || depth > 8 || out.length > 1000) return;
    if (n.type === 'string' && /citrix-(role|flow-lint)/i.test(n.value)) out.push({ span: n.span, text: n.value });
    else if (n.type === 'object') for (const p of n.props) visit(p.value, depth + 1);
    else if (n.type === 'array') for (const i of n.items) visit(i, depth + 1);
  };
  for (const r of resources.props) visit(member(r.value, 'Metadata'), 0);
  return out;
}

const SG = 'AWS::EC2::SecurityGroup';
const SG_INGRESS = 'AWS::EC2::SecurityGroupIngress';
const SG_EGRESS = 'AWS::EC2::SecurityGroupEgress';

/** Resource types that filter traffic but are not read (yet), each said once. */
const NOT_READ: Readonly<Record<string, string>> = {
  'AWS::NetworkFirewall::RuleGroup': 'AWS Network Firewall rule groups are not read',
  'AWS::NetworkFirewall::FirewallPolicy': 'AWS Network Firewall policies are not read',
  'AWS::CloudFormation::Stack': 'nested stacks: the security groups their templates declare are read only where those templates are checked themselves',
};

type Kind = 'ingress' | 'egress';

interface Group {
  readonly id: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly meta: Record<string, string>;
  readonly styles: Set<string>;
  readonly external: boolean;
  /** Deployed only under a condition known at deployment. */
  readonly condition?: MatchCondition;
}

class CfnReader {
  private readonly template: Template;
  private readonly resolver: Resolver;
  private readonly parameterKeys: { id: string; keySpan: Span }[] = [];

  /** Parameters whose Default is one or more concrete addresses (ParsedFile.namedAddresses). */
  namedAddresses(): NamedAddresses[] {
    const out: NamedAddresses[] = [];
    for (const p of this.parameterKeys.slice(0, MAX_NAMED_ADDRESSES)) {
      const v = this.resolver.parameterValue(p.id);
      const texts = v?.kind === 'string' ? [v.value] : v?.kind === 'list' ? v.items.map((i) => (i.kind === 'string' ? i.value : undefined)) : undefined;
      const addresses = texts ? concreteAddressList(texts) : undefined;
      if (addresses) out.push({ name: p.id, kind: 'parameter', addresses, span: p.keySpan });
    }
    return out;
  }
  private readonly lines: LineIndex;
  private readonly groups = new Map<string, Group>();
  private readonly order: Group[] = [];
  private readonly resourceEntries: { id: string; keySpan: Span; span: Span; node: JsonNode }[] = [];

  constructor(
    private readonly text: string,
    root: JsonNode,
    private readonly problems: ParseProblem[],
  ) {
    const entries = (key: string): Map<string, JsonNode> => {
      const m = new Map<string, JsonNode>();
      const n = member(root, key);
      if (n?.type === 'object') for (const p of n.props) if (p.value) m.set(p.key, p.value);
      return m;
    };
    const resources = member(root, 'Resources');
    if (resources?.type === 'object') for (const p of resources.props) if (p.value) this.resourceEntries.push({ id: p.key, keySpan: p.keySpan, span: p.span, node: p.value });
    const parameters = member(root, 'Parameters');
    if (parameters?.type === 'object') for (const p of parameters.props) this.parameterKeys.push({ id: p.key, keySpan: p.keySpan });
    this.template = { text, parameters: entries('Parameters'), mappings: member(root, 'Mappings'), conditions: entries('Conditions'), resources: entries('Resources') };
    this.resolver = new Resolver(this.template);
    this.lines = LineIndex.of(text);
  }

  read(): RuleSet[] {
    for (const p of this.parameterKeys) {
      const refused = this.resolver.refusedDefault(p.id);
      if (refused !== undefined) {
        this.problems.push({
          code: 'unresolved-value',
          severity: 'warning',
          span: p.keySpan,
          message: `parameter ${p.id}: its Default "${refused}" is not among its AllowedValues, so CloudFormation refuses a stack that does not pass one of them; the rules are read with the allowed values`,
        });
      }
    }
    // One problem per type not read, at its first resource: a template of 12 nested stacks says it once.
    const notRead = new Map<string, { span: Span; ids: string[] }>();
    for (const r of this.resourceEntries) {
      const type = this.str(member(r.node, 'Type'));
      if (type && NOT_READ[type]) {
        const seen = notRead.get(type);
        if (seen) seen.ids.push(r.id);
        else notRead.set(type, { span: r.keySpan, ids: [r.id] });
      }
    }
    for (const [type, { span, ids }] of notRead) {
      const list = ids.slice(0, 4).join(', ') + (ids.length > 4 ? `, … (${ids.length} in all)` : '');
      this.problems.push({ code: 'unparsed-rule', severity: 'info', span, message: `${list} (${type}): ${NOT_READ[type]}; ${ids.length === 1 ? 'its' : 'their'} effect on flows is not checked` });
    }
    for (const r of this.resourceEntries) {
      const type = this.str(member(r.node, 'Type'));
      if (type !== SG) continue;
      const deployed = this.deployed(r.node);
      if (deployed === false) continue;
      const props = member(r.node, 'Properties');
      const g = this.addGroup({
        id: r.id,
        span: r.span,
        nameSpan: r.keySpan,
        rules: [],
        meta: { resourceType: SG, logicalId: r.id, address: r.id },
        styles: new Set(),
        external: false,
        condition: deployed === undefined ? this.conditionOf(r.node) : undefined,
      });
      const groupName = this.str(member(props, 'GroupName'));
      if (groupName !== undefined) g.meta.groupName = groupName;
      for (const kind of ['ingress', 'egress'] as const) {
        const key = kind === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
        const list = member(props, key);
        if (!list) continue;
        g.styles.add('inline');
        if (kind === 'egress') g.meta.inlineEgress = 'true';
        for (const item of this.items(list, `${r.id} ${key}`)) {
          g.rules.push(this.rule(g, kind, item.node, `line ${this.lines.positionAt(item.node.span.start).line + 1}`, undefined, [...item.conditions, ...(g.condition ? [g.condition] : [])], { style: 'inline', block: kind, property: key }));
        }
      }
      // Without SecurityGroupEgress, AWS keeps the allow-all egress rule it creates with every VPC group.
      if (g.meta.inlineEgress !== 'true') {
        const vpc = member(props, 'VpcId');
        if (vpc) g.rules.push(awsDefaultEgressRule(g.id, r.keySpan, g.rules.length));
        else g.meta.noVpc = 'true';
      }
    }

    for (const r of this.resourceEntries) {
      const type = this.str(member(r.node, 'Type'));
      if (type !== SG_INGRESS && type !== SG_EGRESS) continue;
      const deployed = this.deployed(r.node);
      if (deployed === false) continue;
      const kind: Kind = type === SG_INGRESS ? 'ingress' : 'egress';
      const props = member(r.node, 'Properties');
      const conditions: MatchCondition[] = [];
      if (deployed === undefined) conditions.push(this.conditionOf(r.node));
      const group = this.findGroup(r.id, props, r.span);
      if (!group) continue;
      if (group.condition) conditions.push(group.condition);
      group.styles.add(type);
      group.rules.push(this.rule(group, kind, props ?? r.node, r.id, r.id, conditions, { style: type, block: kind, resourceType: type, ruleAddress: r.id }, r.span));
    }

    const groups = this.order.map((g) =>
      awsSecurityGroupRuleSet({ id: g.id, name: g.id, format: 'cloudformation', span: g.span, nameSpan: g.nameSpan, rules: g.rules, external: g.external, meta: g.meta, styles: [...g.styles] }),
    );
    return this.withSubnetStages([...groups, ...this.networkAcls()]);
  }

  /** Where the template's groups sit (AWS::EC2::SubnetNetworkAclAssociation, instances and network interfaces), as stages. */
  private withSubnetStages(ruleSets: RuleSet[]): RuleSet[] {
    const refId = (node: JsonNode | undefined): string | undefined => {
      if (!node) return undefined;
      const v = this.resolver.resolve(node);
      return v.kind === 'ref' ? v.logicalId : v.kind === 'string' ? v.value : undefined;
    };
    const idsOf = (node: JsonNode | undefined): (string | undefined)[] => {
      if (!node) return [];
      const v = this.resolver.resolve(node);
      if (v.kind === 'list') return v.items.map((i) => (i.kind === 'ref' ? i.logicalId : i.kind === 'string' ? i.value : undefined));
      return [refId(node)];
    };
    const where = new SubnetPlacementBuilder();
    for (const r of this.resourceEntries) {
      const type = this.str(member(r.node, 'Type'));
      const props = member(r.node, 'Properties');
      if (this.deployed(r.node) === false) continue;
      if (type === 'AWS::EC2::SubnetNetworkAclAssociation') where.associate(refId(member(props, 'SubnetId')), refId(member(props, 'NetworkAclId')));
      else if (type === 'AWS::EC2::Subnet') where.subnet(r.id, this.literalAddresses([member(props, 'CidrBlock')]));
      else if (type === 'AWS::EC2::Instance') {
        // Groups named in SecurityGroups (default VPC) are not read: a host with them has groups this reader does not know.
        const groups = [...idsOf(member(props, 'SecurityGroupIds')), ...(member(props, 'SecurityGroups') ? [undefined] : [])];
        where.place(refId(member(props, 'SubnetId')), groups);
        const nics = member(props, 'NetworkInterfaces');
        if (nics?.type === 'array') {
          nics.items.forEach((nic, i) => {
            const nicGroups = idsOf(member(nic, 'GroupSet'));
            where.place(refId(member(nic, 'SubnetId')), nicGroups);
            if (!refId(member(nic, 'NetworkInterfaceId'))) where.host(`${r.id} NetworkInterfaces[${i}]`, nicGroups, this.literalAddresses([member(nic, 'PrivateIpAddress')]));
          });
        } else where.host(r.id, groups, this.literalAddresses([member(props, 'PrivateIpAddress')]));
      } else if (type === 'AWS::EC2::NetworkInterface') {
        const groups = idsOf(member(props, 'GroupSet'));
        where.place(refId(member(props, 'SubnetId')), groups);
        where.host(r.id, groups, this.literalAddresses([member(props, 'PrivateIpAddress')]));
      }
    }
    return withGuardedNetworks(withSubnetStages(ruleSets, where), where);
  }

  /** Addresses the template writes as literals; undefined when any given one is not (a host is never placed at part of its addresses). */
  private literalAddresses(nodes: readonly (JsonNode | undefined)[]): { addresses: AddressSet; span: Span } | undefined {
    const present = nodes.filter((n): n is JsonNode => n !== undefined);
    if (present.length === 0) return undefined;
    const texts = present.map((n) => {
      const v = this.resolver.resolve(n);
      return v.kind === 'string' ? v.value : undefined;
    });
    const addresses = concreteAddressList(texts);
    return addresses ? { addresses, span: { start: Math.min(...present.map((n) => n.span.start)), end: Math.max(...present.map((n) => n.span.end)) } } : undefined;
  }

  /** AWS::EC2::NetworkAcl with its AWS::EC2::NetworkAclEntry resources (joined by NetworkAclId). */
  private networkAcls(): RuleSet[] {
    const acls = new Map<string, { id: string; span: Span; nameSpan?: Span; rules: Rule[]; meta: Record<string, string> }>();
    const order: { id: string; span: Span; nameSpan?: Span; rules: Rule[]; meta: Record<string, string> }[] = [];
    for (const r of this.resourceEntries) {
      if (this.str(member(r.node, 'Type')) !== 'AWS::EC2::NetworkAcl' || this.deployed(r.node) === false) continue;
      const acl = { id: r.id, span: r.span, nameSpan: r.keySpan, rules: [] as Rule[], meta: { resourceType: 'AWS::EC2::NetworkAcl', logicalId: r.id, address: r.id } };
      acls.set(r.id, acl);
      order.push(acl);
    }
    for (const r of this.resourceEntries) {
      if (this.str(member(r.node, 'Type')) !== 'AWS::EC2::NetworkAclEntry') continue;
      const deployed = this.deployed(r.node);
      if (deployed === false) continue;
      const props = member(r.node, 'Properties');
      const label = r.id;
      const problem = (message: string, span: Span, severity: 'error' | 'warning' = 'error'): void => {
        this.problems.push({ code: 'unparsed-rule', severity, span, message: `${label}: ${message}` });
      };
      const aclNode = member(props, 'NetworkAclId');
      const aclRef = aclNode ? this.resolver.resolve(aclNode) : undefined;
      let acl = aclRef?.kind === 'ref' ? acls.get(aclRef.logicalId) : undefined;
      if (!acl) {
        const key = aclRef?.kind === 'string' ? aclRef.value : aclRef?.kind === 'ref' ? aclRef.logicalId : aclNode ? textOf(this.template, aclNode.span) : '(no NetworkAclId)';
        if (!aclNode) {
          problem('NetworkAclId is not set; AWS rejects the entry', r.span);
          continue;
        }
        acl = acls.get(key);
        if (!acl) {
          acl = { id: key, span: r.span, rules: [], meta: { resourceType: 'AWS::EC2::NetworkAcl', address: key, declared: 'elsewhere' } };
          acls.set(key, acl);
          order.push(acl);
        }
      }
      const unresolved: Unresolved[] = [];
      const conditions: MatchCondition[] = deployed === undefined ? [this.conditionOf(r.node)] : [];
      const scalarOf = (key: string): { value: string; span: Span; text: string } | undefined => {
        const node = member(props, key);
        if (!node) return undefined;
        const v = this.resolver.resolve(node);
        const text = textOf(this.template, node.span);
        if (v.kind === 'novalue') return undefined;
        if (v.kind !== 'string') {
          unresolved.push({ text, span: node.span, reason: `${key}: ${reasonOf(v)}` });
          conditions.push({ kind: 'other', text: `${key} = ${text}`, span: node.span, effect: 'unknown' });
          return undefined;
        }
        return { value: v.value, span: node.span, text };
      };
      const egressText = scalarOf('Egress');
      const egress = egressText?.value.toLowerCase() === 'true';
      const num = scalarOf('RuleNumber');
      const cidr4 = scalarOf('CidrBlock');
      const cidr6 = scalarOf('Ipv6CidrBlock');
      const cidr = cidr4 ?? cidr6;
      let peer: Field<AddressSet> = { value: AddressSet.none() };
      if (cidr) {
        const parsed = AddressSet.parse(cidr.value);
        if (parsed.ok) peer = { value: parsed.value, span: cidr.span, text: cidr.text };
        else {
          problem(`"${cidr.value}" is not a CIDR block`, cidr.span);
          peer = { value: AddressSet.symbol('variable', cidr.value), span: cidr.span, text: cidr.text };
          unresolved.push({ text: cidr.value, span: cidr.span, reason: 'CidrBlock: not a CIDR block' });
        }
      } else if (!unresolved.some((u) => u.reason.startsWith('CidrBlock') || u.reason.startsWith('Ipv6CidrBlock'))) problem('neither CidrBlock nor Ipv6CidrBlock is set; AWS rejects the entry', r.span);
      else {
        const u = unresolved.find((x) => x.reason.startsWith('CidrBlock') || x.reason.startsWith('Ipv6CidrBlock'))!;
        peer = { value: AddressSet.symbol('variable', u.text), span: u.span, text: u.text };
      }
      const range = member(props, 'PortRange');
      let ports: { from: number; to: number; span?: Span; text?: string } | undefined;
      if (range) {
        const from = this.resolver.resolve(member(range, 'From'));
        const to = this.resolver.resolve(member(range, 'To'));
        const f = from.kind === 'string' ? Number(from.value) : NaN;
        const t = to.kind === 'string' ? Number(to.value) : NaN;
        if (Number.isInteger(f) && Number.isInteger(t) && f >= 0 && t <= 65535) ports = { from: f, to: t, span: range.span, text: textOf(this.template, range.span) };
        else if (from.kind !== 'string' || to.kind !== 'string') {
          const text = textOf(this.template, range.span);
          unresolved.push({ text, span: range.span, reason: `PortRange: ${reasonOf(from.kind !== 'string' ? from : to)}` });
          conditions.push({ kind: 'other', text: `PortRange = ${text}`, span: range.span, effect: 'unknown' });
          ports = { from: 0, to: 65535, span: range.span, text };
        } else problem('PortRange From/To are not port numbers', range.span);
      }
      const protocol = scalarOf('Protocol');
      const action = scalarOf('RuleAction');
      acl.rules.push(
        awsNaclRule({
          id: r.id,
          name: r.id,
          egress,
          ruleNumber: num ? { value: Number(num.value), span: num.span, text: num.text } : undefined,
          action: action && { value: action.value, span: action.span },
          protocol: protocol && { value: protocol.value, span: protocol.span, text: protocol.text },
          peer,
          ports,
          span: r.span,
          raw: this.text.slice(r.span.start, r.span.end),
          order: acl.rules.length,
          unresolved,
          conditions,
          meta: { style: 'AWS::EC2::NetworkAclEntry', resourceType: 'AWS::EC2::NetworkAclEntry', ruleAddress: r.id, aclAddress: acl.id },
          problem,
        }),
      );
    }
    return order.map((a) => awsNetworkAclRuleSet({ id: a.id, name: a.id, format: 'cloudformation', span: a.span, nameSpan: a.nameSpan, rules: a.rules, meta: a.meta }));
  }

  private addGroup(g: Group): Group {
    this.groups.set(g.id, g);
    this.order.push(g);
    return g;
  }

  private str(node: JsonNode | undefined): string | undefined {
    if (!node) return undefined;
    const v = this.resolver.resolve(node);
    return v.kind === 'string' ? v.value : undefined;
  }

  /** A resource's `Condition`: true/false when the template decides it, undefined when the deployment does. */
  private deployed(node: JsonNode): boolean | undefined {
    const c = member(node, 'Condition');
    if (!c) return true;
    const name = this.str(c);
    return name === undefined ? undefined : this.resolver.condition(name);
  }

  private conditionOf(node: JsonNode): MatchCondition {
    const c = member(node, 'Condition')!;
    return { kind: 'other', text: `Condition: ${textOf(this.template, c.span)}`, span: c.span, effect: 'unknown' };
  }

  /**
   * The rule objects of a SecurityGroupIngress/Egress list, through Fn::If
   * (both branches, each under an unknown condition, when the template does
   * not decide it) and AWS::NoValue.
   */
  private items(list: JsonNode, what: string): { node: JsonNode; conditions: MatchCondition[] }[] {
    const out: { node: JsonNode; conditions: MatchCondition[] }[] = [];
    const visit = (n: JsonNode, conditions: MatchCondition[], depth: number): void => {
      if (depth > 16) {
        this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: n.span, message: `${what}: Fn::If nested too deeply; not read` });
        return;
      }
      const fn = intrinsicOf(n);
      if (fn?.name === 'Fn::If' && fn.arg.type === 'array' && fn.arg.items.length === 3) {
        const [cond, yes, no] = fn.arg.items;
        const name = this.str(cond);
        const holds = name === undefined ? undefined : this.resolver.condition(name);
        if (holds === true) visit(yes, conditions, depth + 1);
        else if (holds === false) visit(no, conditions, depth + 1);
        else {
          const text = `Fn::If ${textOf(this.template, cond.span)}`;
          visit(yes, [...conditions, { kind: 'other', text: `${text} (true)`, span: cond.span, effect: 'unknown' }], depth + 1);
          visit(no, [...conditions, { kind: 'other', text: `${text} (false)`, span: cond.span, effect: 'unknown' }], depth + 1);
        }
        return;
      }
      if (fn?.name === 'Ref') {
        const v = this.resolver.resolve(n);
        if (v.kind === 'novalue') return;
      }
      if (n.type === 'array') {
        for (const i of n.items) visit(i, conditions, depth + 1);
        return;
      }
      if (n.type === 'object' && !fn) {
        out.push({ node: n, conditions });
        return;
      }
      const v = this.resolver.resolve(n);
      const why = n.type === 'string' || n.type === 'number' || n.type === 'boolean' ? `${textOf(this.template, n.span)} is not a rule (a mapping of IpProtocol, ports and a peer)` : reasonOf(v);
      this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: n.span, message: `${what}: ${why}; not read` });
    };
    visit(list, [], 0);
    return out;
  }

  private findGroup(id: string, props: JsonNode | undefined, span: Span): Group | undefined {
    const gid = member(props, 'GroupId');
    const gname = member(props, 'GroupName');
    const node = gid ?? gname;
    if (!node) {
      this.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${id}: neither GroupId nor GroupName is set; AWS rejects the rule` });
      return undefined;
    }
    const v = this.resolver.resolve(node);
    if (v.kind === 'ref') {
      const g = this.groups.get(v.logicalId);
      if (g && !g.external) return g;
    }
    if (v.kind === 'string' && gname && !gid) {
      const byName = this.order.find((g) => !g.external && g.meta.groupName === v.value);
      if (byName) return byName;
    }
    const text = textOf(this.template, node.span);
    const key = v.kind === 'string' ? v.value : v.kind === 'ref' ? v.logicalId : text;
    const existing = this.groups.get(key);
    if (existing) return existing;
    const g = this.addGroup({
      id: key,
      span,
      rules: [],
      meta: { resourceType: SG, address: key, declared: 'elsewhere', ...(v.kind === 'unknown' ? { unresolved: v.reason } : {}) },
      styles: new Set(),
      external: true,
    });
    if (v.kind !== 'string' && v.kind !== 'ref') this.problems.push({ code: 'unresolved-value', severity: 'info', span: node.span, message: `${id}: the group it adds a rule to is not known (${reasonOf(v)}); its rules are checked as a group of their own` });
    return g;
  }

  private rule(group: Group, kind: Kind, props: JsonNode, id: string, name: string | undefined, baseConditions: MatchCondition[], meta: Record<string, string>, span: Span = props.span): Rule {
    const unresolved: Unresolved[] = [];
    const conditions: MatchCondition[] = [...baseConditions];
    const label = name ?? `${group.id} ${id}`;
    const unknown = (what: string, text: string, s: Span, reason: string): void => {
      unresolved.push({ text, span: s, reason: `${what}: ${reason}` });
      conditions.push({ kind: 'other', text: `${what} = ${text}`, span: s, effect: 'unknown' });
    };
    const problem = (message: string, s: Span, severity: 'error' | 'warning' = 'error'): void => {
      this.problems.push({ code: 'unparsed-rule', severity, span: s, message: `${label}: ${message}` });
    };
    const value = (key: string): { node: JsonNode; v: CfnValue; text: string } | undefined => {
      const node = member(props, key);
      if (!node) return undefined;
      const v = this.resolver.resolve(node);
      if (v.kind === 'novalue') return undefined;
      return { node, v, text: textOf(this.template, node.span) };
    };

    let protocols: Field<ProtocolSet> = { value: Protocols.any() };
    const proto = value('IpProtocol');
    // AWS rejects a rule without IpProtocol (or, for TCP and UDP, without ports): it opens nothing.
    if (!proto) {
      problem('IpProtocol is not set; AWS rejects the rule', span);
      protocols = { value: Protocols.none() };
    }
    else if (proto.v.kind !== 'string') unknown('IpProtocol', proto.text, proto.node.span, reasonOf(proto.v));
    else {
      const p = awsProtocol(proto.v.value);
      if (!p.ok) {
        problem(`IpProtocol "${proto.v.value}": ${p.error}`, proto.node.span);
        unknown('IpProtocol', proto.text, proto.node.span, p.error);
      } else protocols = { value: p.value, span: proto.node.span, text: proto.text };
    }

    let ports: Field<PortSet> = { value: Ports.any() };
    const from = value('FromPort');
    const to = value('ToPort');
    const portSpan = from && to ? { start: Math.min(from.node.span.start, to.node.span.start), end: Math.max(from.node.span.end, to.node.span.end) } : (from ?? to)?.node.span;
    if (awsCarriesPorts(protocols.value)) {
      const num = (f: typeof from, what: string): number | undefined => {
        if (!f) return undefined;
        if (f.v.kind !== 'string') {
          unknown(what, f.text, f.node.span, reasonOf(f.v));
          return undefined;
        }
        const n = Number(f.v.value);
        if (f.v.value.trim() === '' || !isAwsPortNumber(n)) {
          problem(`${what} "${f.v.value}" is not a port number`, f.node.span);
          return undefined;
        }
        return n;
      };
      const a = num(from, 'FromPort');
      const b = num(to, 'ToPort');
      if (a !== undefined && b !== undefined) {
        const range = awsPortRange(a, b);
        if (range.problem) problem(range.problem.replace('from port', 'FromPort').replace('to port', 'ToPort'), portSpan!);
        ports = { value: range.value, span: portSpan, text: portSpan && textOf(this.template, portSpan) };
      } else if (!from || !to) {
        problem(`${!from && !to ? 'FromPort and ToPort are' : from ? 'ToPort is' : 'FromPort is'} not set; AWS rejects the rule`, span);
        ports = { value: Ports.none() };
      }
    }

    const peerKeys: readonly [string, 'cidr' | 'security-group' | 'prefix-list' | 'group-name'][] =
      kind === 'ingress'
        ? [['CidrIp', 'cidr'], ['CidrIpv6', 'cidr'], ['SourceSecurityGroupId', 'security-group'], ['SourceSecurityGroupName', 'group-name'], ['SourcePrefixListId', 'prefix-list']]
        : [['CidrIp', 'cidr'], ['CidrIpv6', 'cidr'], ['DestinationSecurityGroupId', 'security-group'], ['DestinationPrefixListId', 'prefix-list']];
    let peer = AddressSet.none();
    const peerSpans: Span[] = [];
    const used: string[] = [];
    for (const [key, pk] of peerKeys) {
      const f = value(key);
      if (!f) continue;
      peerSpans.push(f.node.span);
      used.push(key);
      peer = peer.union(this.peer(group, key, pk, f.v, f.text, f.node.span, unresolved, problem));
    }
    if (peerSpans.length === 0) problem(`no ${kind === 'ingress' ? 'source' : 'destination'} (CidrIp, CidrIpv6, a security group or a prefix list)`, span, 'warning');
    else if (peerSpans.length > 1) problem(`${used.join(' and ')} are both set; AWS takes exactly one`, peerSpans[1], 'warning');
    const peerSpan = peerSpans.length ? { start: Math.min(...peerSpans.map((s) => s.start)), end: Math.max(...peerSpans.map((s) => s.end)) } : undefined;
    const peerField: Field<AddressSet> = { value: peer, span: peerSpan, text: peerSpan && textOf(this.template, peerSpan) };
    const any: Field<AddressSet> = { value: AddressSet.any() };
    const description = value('Description');

    return makeRule({
      id: uniqueId(group, id),
      name,
      target: { kind: 'allow' },
      direction: kind === 'ingress' ? 'inbound' : 'outbound',
      protocols,
      source: kind === 'ingress' ? peerField : any,
      destination: kind === 'ingress' ? any : peerField,
      destinationPorts: ports,
      order: group.rules.length,
      conditions,
      unresolved,
      span,
      raw: this.text.slice(span.start, span.end),
      comment: description?.v.kind === 'string' ? description.v.value : undefined,
      meta: { ...meta, groupAddress: group.id, peerAttributes: used.join(',') },
    });
  }

  private peer(group: Group, key: string, kind: 'cidr' | 'security-group' | 'prefix-list' | 'group-name', v: CfnValue, text: string, span: Span, unresolved: Unresolved[], problem: (m: string, s: Span) => void): AddressSet {
    if (kind === 'cidr') {
      if (v.kind === 'string') {
        const parsed = AddressSet.parse(v.value);
        if (parsed.ok && v.value.trim() !== '*' && v.value.trim().toLowerCase() !== 'any') return parsed.value;
        problem(`${key}: "${v.value}" is not a CIDR block`, span);
        unresolved.push({ text: v.value, span, reason: `${key}: not a CIDR block` });
        return AddressSet.symbol('variable', v.value);
      }
      unresolved.push({ text, span, reason: `${key}: ${reasonOf(v)}` });
      return AddressSet.symbol('variable', text);
    }
    const symbolKind = kind === 'prefix-list' ? 'prefix-list' : 'security-group';
    if (v.kind === 'ref') return v.logicalId === group.id ? AddressSet.symbol('self', group.id) : AddressSet.symbol(symbolKind, v.logicalId);
    if (v.kind === 'string') {
      if (kind === 'group-name') {
        const byName = this.order.find((g) => g.meta.groupName === v.value);
        if (byName) return byName.id === group.id ? AddressSet.symbol('self', group.id) : AddressSet.symbol('security-group', byName.id);
      }
      return AddressSet.symbol(symbolKind, v.value);
    }
    unresolved.push({ text, span, reason: `${key}: ${reasonOf(v)}` });
    return AddressSet.symbol(symbolKind, text);
  }
}

function uniqueId(g: Group, base: string): string {
  return uniqueRuleId(g.rules, base);
}
