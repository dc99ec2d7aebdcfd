import { AddressSet } from '../../net';
import { makeRule, type Field, type FormatId, type MatchCondition, type Rule, type RuleSet, type Span } from '../../model';

/**
 * GCP VPC firewall semantics shared by every reader of them (Terraform,
 * `gcloud compute firewall-rules list` exports): one rule set per network,
 * priority first match (lower first, deny before allow at equal priority),
 * with the implied "deny all ingress" and "allow all egress" rules at 65535.
 */

export const GCP_DEFAULT_PRIORITY = 1000;
export const GCP_IMPLIED_PRIORITY = 65535;

/** A rule as its reader built it, with what GCP orders it by. */
export interface GcpPendingRule {
  readonly rule: Rule;
  readonly priority: number;
  readonly action: 'allow' | 'deny';
  /** Position in the reader's input: the tie-break GCP leaves undefined, kept stable. */
  readonly position: number;
}

export interface GcpNetworkInput {
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: readonly GcpPendingRule[];
  readonly meta: Readonly<Record<string, string>>;
}

export function gcpFirewallRuleSet(n: GcpNetworkInput): RuleSet {
  // Deny first at equal priority, as GCP evaluates them; order is then the position in this list.
  const sorted = [...n.rules].sort((a, b) => a.priority - b.priority || (a.action === b.action ? 0 : a.action === 'deny' ? -1 : 1) || a.position - b.position);
  const rules: Rule[] = sorted.map((p, i) => ({ ...p.rule, order: i }));
  rules.push(implied(n.span, 'implied-deny-ingress', 'inbound', 'deny', rules.length), implied(n.span, 'implied-allow-egress', 'outbound', 'allow', rules.length + 1));
  return {
    id: n.id,
    name: n.name,
    format: n.format,
    kind: 'gcp-firewall',
    semantics: 'priority-first-match',
    directions: ['inbound', 'outbound'],
    rules,
    defaults: { inbound: { value: 'deny', span: n.span }, outbound: { value: 'allow', span: n.span } },
    span: n.span,
    nameSpan: n.nameSpan,
    meta: n.meta,
  };
}

function implied(span: Span, id: string, direction: 'inbound' | 'outbound', action: 'allow' | 'deny', order: number): Rule {
  return makeRule({
    id,
    name: id,
    target: { kind: action },
    direction,
    priority: { value: GCP_IMPLIED_PRIORITY },
    order,
    span,
    raw: `${id}: priority ${GCP_IMPLIED_PRIORITY}, ${action} all ${direction === 'inbound' ? 'ingress' : 'egress'} (GCP implied rule)`,
    implicit: true,
    meta: { impliedRule: 'true' },
  });
}

/** One address attribute of a firewall rule as read: its set, and where it was written (absent: not set). */
export interface GcpAddressPart {
  readonly set: AddressSet;
  readonly span?: Span;
}

export interface GcpEndpointsInput {
  readonly ingress: boolean;
  readonly sourceRanges: GcpAddressPart;
  readonly sourceTags: GcpAddressPart;
  readonly sourceAccounts: GcpAddressPart;
  readonly destinationRanges: GcpAddressPart;
  readonly targetTags: GcpAddressPart;
  readonly targetAccounts: GcpAddressPart;
  /** How each attribute is spelled in the reader's syntax, for messages: `source_ranges` or `sourceRanges`. */
  readonly names: { readonly sourceRanges: string; readonly destinationRanges: string; readonly sourceTagsOrAccounts: string };
  readonly textOf: (span: Span) => string;
}

/**
 * Which packets a rule's address attributes select: targets are the
 * destination of an ingress rule and the source of an egress one; no source
 * on an ingress rule (or destination on an egress one) is 0.0.0.0/0. Where
 * both targets and ranges are set, both must match: the ranges become a
 * condition assumed to hold, said on the rule.
 */
export function gcpEndpoints(input: GcpEndpointsInput): { source: Field<AddressSet>; destination: Field<AddressSet>; conditions: MatchCondition[]; warnings: { message: string; span: Span }[] } {
  const conditions: MatchCondition[] = [];
  const warnings: { message: string; span: Span }[] = [];
  const field = (parts: readonly GcpAddressPart[], fallback: AddressSet): Field<AddressSet> => {
    const present = parts.filter((p) => p.span);
    if (present.length === 0) return { value: fallback };
    const span = coverSpans(present.map((p) => p.span!));
    return { value: present.reduce((acc, p) => acc.union(p.set), AddressSet.none()), span, text: input.textOf(span) };
  };
  const hasTargets = Boolean(input.targetTags.span || input.targetAccounts.span);
  const targets = field([input.targetTags, input.targetAccounts], AddressSet.any());
  if (input.ingress) {
    let destination = targets;
    const dst = input.destinationRanges;
    if (dst.span) {
      if (hasTargets) conditions.push({ kind: 'other', text: `${input.names.destinationRanges} ${dst.set.toString()} (also required)`, span: dst.span, effect: 'assume-match' });
      else destination = field([dst], AddressSet.any());
    }
    return { source: field([input.sourceRanges, input.sourceTags, input.sourceAccounts], AddressSet.anyV4()), destination, conditions, warnings };
  }
  let source = targets;
  const src = input.sourceRanges;
  if (src.span) {
    if (hasTargets) conditions.push({ kind: 'other', text: `${input.names.sourceRanges} ${src.set.toString()} (also required)`, span: src.span, effect: 'assume-match' });
    else source = field([src], AddressSet.any());
  }
  const tagged = [input.sourceTags.span, input.sourceAccounts.span].filter((s): s is Span => Boolean(s));
  if (tagged.length) warnings.push({ message: `${input.names.sourceTagsOrAccounts} apply only to INGRESS rules`, span: coverSpans(tagged) });
  return { source, destination: field([input.destinationRanges], AddressSet.anyV4()), conditions, warnings };
}

function coverSpans(spans: readonly Span[]): Span {
  return { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
}
