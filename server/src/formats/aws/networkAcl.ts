import { AddressSet, Ports, Protocols, parseProtocol, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import { makeRule, type Field, type FormatId, type MatchCondition, type Rule, type RuleSet, type Span, type Unresolved } from '../../model';

/**
 * AWS network ACL semantics shared by Terraform and CloudFormation: entries
 * are evaluated in rule-number order, the first match decides, and the
 * final `*` entry denies what none matched, in both directions. The ACL is
 * stateless: replies are matched like any other packet (see
 * EPHEMERAL_PORTS).
 */

/** The reply ports AWS's documentation tells a network ACL to allow back to clients (Linux 32768-61000, Windows 49152-65535, NAT gateways 1024-65535). */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;

export const AWS_NACL_MIN_RULE = 1;
export const AWS_NACL_MAX_RULE = 32766;

export interface NaclEntryInput {
  readonly id: string;
  readonly name?: string;
  readonly egress: boolean;
  readonly ruleNumber?: Field<number>;
  readonly action?: { readonly value: string; readonly span?: Span };
  readonly protocol?: { readonly value: string; readonly span?: Span; readonly text?: string };
  readonly peer: Field<AddressSet>;
  readonly ports?: { readonly from: number; readonly to: number; readonly span?: Span; readonly text?: string };
  readonly span: Span;
  readonly raw: string;
  readonly order: number;
  readonly unresolved: Unresolved[];
  readonly conditions: MatchCondition[];
  readonly meta: Record<string, string>;
  /** Parse problems go here, with the entry's label in front. */
  readonly problem: (message: string, span: Span, severity?: 'error' | 'warning') => void;
}

/** AWS takes the protocol as a number (`6`), `-1` for all, or (Terraform) a name. */
function protocolOf(input: NaclEntryInput): Field<ProtocolSet> {
  const p = input.protocol;
  if (!p) {
    input.problem('protocol is not set; AWS rejects the entry', input.span);
    return { value: Protocols.none() };
  }
  const parsed = parseProtocol(p.value);
  if (!parsed.ok) {
    input.problem(`protocol "${p.value}": ${parsed.error}`, p.span ?? input.span);
    input.unresolved.push({ text: p.value, span: p.span, reason: `protocol: ${parsed.error}` });
    input.conditions.push({ kind: 'other', text: `protocol = ${p.value}`, span: p.span, effect: 'unknown' });
    return { value: Protocols.any() };
  }
  return { value: parsed.value, span: p.span, text: p.text };
}

export function awsNaclRule(input: NaclEntryInput): Rule {
  const protocols = protocolOf(input);
  const carriesPorts = !protocols.value.isFull && (protocols.value.equals(Protocols.of(TCP)) || protocols.value.equals(Protocols.of(UDP)));
  let ports: Field<PortSet> = { value: Ports.any() };
  if (carriesPorts) {
    if (!input.ports) {
      input.problem('no port range for TCP/UDP; AWS rejects the entry', input.span);
      ports = { value: Ports.none() };
    } else if (input.ports.from > input.ports.to) {
      input.problem(`port range ${input.ports.from}-${input.ports.to} runs backwards; AWS rejects the entry`, input.ports.span ?? input.span);
      ports = { value: Ports.none(), span: input.ports.span, text: input.ports.text };
    } else if (input.ports.from === 0 && input.ports.to === 0) ports = { value: Ports.any(), span: input.ports.span, text: input.ports.text };
    else ports = { value: Ports.range(input.ports.from, input.ports.to), span: input.ports.span, text: input.ports.text };
  }
  let action: 'allow' | 'deny' = 'deny';
  const a = input.action?.value.toLowerCase();
  if (a === 'allow' || a === 'deny') action = a;
  else {
    input.problem(input.action ? `rule action "${input.action.value}" is neither allow nor deny` : 'rule action is not set', input.action?.span ?? input.span);
    input.unresolved.push({ text: input.action?.value ?? '(missing)', span: input.action?.span, reason: 'rule action: not allow or deny' });
    input.conditions.push({ kind: 'other', text: `rule action = ${input.action?.value ?? '(missing)'}`, span: input.action?.span, effect: 'unknown' });
  }
  let priority = input.ruleNumber;
  if (!priority) {
    input.problem('rule number is not set', input.span);
    priority = { value: AWS_NACL_MIN_RULE };
    input.meta.priorityUnknown = 'true';
  } else if (!Number.isInteger(priority.value) || priority.value < AWS_NACL_MIN_RULE || priority.value > AWS_NACL_MAX_RULE) {
    input.problem(`rule number ${priority.value} is outside ${AWS_NACL_MIN_RULE}-${AWS_NACL_MAX_RULE}`, priority.span ?? input.span);
  }
  const any: Field<AddressSet> = { value: AddressSet.any() };
  return makeRule({
    id: input.id,
    name: input.name,
    target: action === 'allow' ? { kind: 'allow' } : { kind: 'deny' },
    direction: input.egress ? 'outbound' : 'inbound',
    protocols,
    source: input.egress ? any : input.peer,
    destination: input.egress ? input.peer : any,
    destinationPorts: ports,
    priority,
    order: input.order,
    conditions: input.conditions,
    unresolved: input.unresolved,
    span: input.span,
    raw: input.raw,
    meta: { ...input.meta, ruleNumber: String(priority.value), stateless: 'true' },
  });
}

export interface NaclInput {
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: readonly Rule[];
  readonly meta: Record<string, string>;
}

export function awsNetworkAclRuleSet(n: NaclInput): RuleSet {
  return {
    id: n.id,
    name: n.name,
    format: n.format,
    kind: 'aws-network-acl',
    semantics: 'priority-first-match',
    directions: ['inbound', 'outbound'],
    rules: n.rules,
    // The `*` entry every network ACL ends with.
    defaults: { inbound: { value: 'deny', span: n.span }, outbound: { value: 'deny', span: n.span } },
    span: n.span,
    nameSpan: n.nameSpan,
    meta: { ...n.meta, stateless: 'true', ephemeralPorts: `${EPHEMERAL_PORTS.from}-${EPHEMERAL_PORTS.to}` },
  };
}
