import { AddressSet, Ports, Protocols, parseProtocol, ICMP, ICMPV6, type PortSet, type ProtocolSet } from '../../net';
import { oneLine } from '../emitSupport';
import { makeRule, type FormatId, type Rule, type RuleSet, type Span } from '../../model';

/**
 * AWS security group semantics shared by every reader of them (Terraform,
 * CloudFormation): what a protocol and a port pair mean, and the rule set a
 * group becomes. A group is a union of allows; nothing matches by default.
 */

/** `-1`, `all`, a name or an IANA number; `-1` opens every protocol and every port. */
export function awsProtocol(text: string): { ok: true; value: ProtocolSet; any: boolean } | { ok: false; error: string } {
  const p = parseProtocol(text);
  if (!p.ok) return { ok: false, error: p.error };
  return { ok: true, value: p.value, any: p.value.isFull };
}

/** Ports mean something only for TCP and UDP (and protocols AWS lets carry them); ICMP's from/to are type and code. */
export function awsCarriesPorts(protocols: ProtocolSet): boolean {
  return !protocols.isFull && !protocols.equals(Protocols.of(ICMP)) && !protocols.equals(Protocols.of(ICMPV6));
}

/**
 * From/to port as AWS reads them: -1 on either side is every port; from
 * above to is rejected by AWS, so the rule opens nothing.
 */
export function awsPortRange(from: number, to: number): { value: PortSet; problem?: string } {
  if (from === -1 || to === -1) return { value: Ports.any() };
  if (from > to) return { value: Ports.none(), problem: `from port ${from} is above to port ${to}; AWS rejects the rule` };
  return { value: Ports.range(from, to) };
}

export function isAwsPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= -1 && n <= 65535;
}

export interface AwsGroupInput {
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: readonly Rule[];
  /** Declared elsewhere: only the directions its rules here use are known. */
  readonly external: boolean;
  readonly meta: Record<string, string>;
  readonly styles: readonly string[];
}

export function awsSecurityGroupRuleSet(g: AwsGroupInput): RuleSet {
  const directions = g.external
    ? (['inbound', 'outbound'] as const).filter((d) => g.rules.some((r) => r.direction === d))
    : (['inbound', 'outbound'] as const);
  const styles = [...g.styles];
  return {
    id: g.id,
    name: g.name,
    format: g.format,
    kind: 'aws-security-group',
    semantics: 'union-of-allows',
    directions,
    rules: g.rules,
    defaults: Object.fromEntries(directions.map((d) => [d, { value: 'deny' as const, span: g.span }])),
    span: g.span,
    nameSpan: g.nameSpan,
    meta: { ...g.meta, ruleStyle: styles.length === 0 ? 'none' : styles.length === 1 ? styles[0] : styles.sort().join('+') },
  };
}

/**
 * The egress rule AWS adds to every VPC security group it creates, which
 * CloudFormation removes only when the template lists egress rules inline
 * (separate AWS::EC2::SecurityGroupEgress resources keep it). Terraform
 * removes it always.
 */
const IPV4_ANYWHERE = ((): AddressSet => {
  const p = AddressSet.parse('0.0.0.0/0');
  if (!p.ok) throw new Error('0.0.0.0/0 does not parse');
  return p.value;
})();

export function awsDefaultEgressRule(groupId: string, span: Span, order: number): Rule {
  return makeRule({
    id: 'default egress',
    name: 'AWS default egress (all traffic to 0.0.0.0/0)',
    target: { kind: 'allow' },
    direction: 'outbound',
    protocols: { value: Protocols.any() },
    source: { value: AddressSet.any() },
    destination: { value: IPV4_ANYWHERE },
    destinationPorts: { value: Ports.any() },
    order,
    span,
    raw: '',
    implicit: true,
    comment: 'AWS adds this rule to a group created without SecurityGroupEgress',
    meta: { style: 'aws-default', block: 'egress', groupAddress: groupId },
  });
}

/** AWS accepts only a-z A-Z 0-9 space and ._-:/()#,@[]+=&;{}!$* in descriptions. */
export function awsDescription(comment: string): string {
  return oneLine(comment)
    .replace(/→/g, 'to')
    .replace(/[–—]/g, '-')
    .replace(/[^A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
}
