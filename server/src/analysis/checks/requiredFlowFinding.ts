import type { Finding } from '../findings';
import type { AnalysisContext } from '../context';
import type { RequiredFlowCheck } from '../required';
import type { Decision } from '../evaluate';
import type { FlowPiece } from '../judge';
import { decidingRuleInWords, ruleShort } from '../describe';
import { ruleFile } from '../link';
import { decidingToken } from './decidingToken';
import { piecesInWords } from './pieceWords';

/**
 * Where a finding about a required flow goes: the deciding token of the
 * written rule that decided it (its name, else its action), with the whole
 * rule as related information; else the rule set's declaration (a default
 * policy, a built-in rule).
 */
export function anchorFor(context: AnalysisContext, check: RequiredFlowCheck, decision: Decision | undefined): Pick<Finding, 'uri' | 'span' | 'decidingRule'> & { readonly related: NonNullable<Finding['related']> } {
  const file = check.bound.file;
  const rule = decision?.rule;
  if (rule && !rule.implicit && decision.ruleSet && file.ruleSets.includes(decision.ruleSet)) {
    const written = ruleFile(rule, file, context.allFiles ?? context.files);
    return {
      uri: written.uri,
      span: decidingToken(written, rule),
      decidingRule: { uri: written.uri, span: rule.span, ruleId: rule.id },
      related: [{ uri: written.uri, span: rule.span, message: `the deciding rule${rule.name ? ` ${rule.name}` : ''}` }],
    };
  }
  const ruleSet = decision?.ruleSet ?? check.bound.ruleSet;
  // A default policy written in the file (`:INPUT DROP`, `policy drop;`) is the token that decides.
  const policy = decision && !decision.rule ? Object.values(ruleSet.defaults).find((d) => d?.span && d.value === 'deny')?.span : undefined;
  const span = policy ?? ruleSet.nameSpan ?? ruleSet.span;
  return { uri: file.uri, span: { start: span.start, end: Math.min(span.end, span.start + 200) }, related: [] };
}

/** "Denied by …" words for a decision, with the line in the file the rule is written in. */
export function decidingWords(context: AnalysisContext, check: RequiredFlowCheck, decision: Decision): string {
  const file = decision.rule ? ruleFile(decision.rule, check.bound.file, context.allFiles ?? context.files) : check.bound.file;
  return decidingRuleInWords(file, decision.ruleSet, decision.rule);
}

/** `blocked by Deny-All (priority 4096)`, or `not allowed by any rule of aws_security_group.vda`. */
export function blockedBy(context: AnalysisContext, check: RequiredFlowCheck, decision: Decision): string {
  const file = decision.rule ? ruleFile(decision.rule, check.bound.file, context.allFiles ?? context.files) : check.bound.file;
  const short = ruleShort(file, decision.ruleSet, decision.rule);
  // A stateless filter stops the replies, not the flow: said, or the reader looks for a rule on the way out.
  const how = decision.reply ? ` on the way back (${decision.ruleSet.name} keeps no state, so the replies need their own rule)` : '';
  return short ? `blocked by ${short}${how}` : `not allowed by any rule of ${decision.ruleSet.name}${how}`;
}

/** "TCP 1494 blocked by X; UDP 1494 blocked by Y": each group of blocked pieces with the rule that blocks it. */
export function blockedGroupsInWords(context: AnalysisContext, check: RequiredFlowCheck, groups: readonly { readonly pieces: readonly FlowPiece[]; readonly decision: Decision }[]): string {
  return groups.map((g) => `${piecesInWords(context.catalog, check.flow, g.pieces)} ${blockedBy(context, check, g.decision)}`).join('; ');
}

/** The fields every required-flow finding carries for code actions and the flow map. */
export function flowData(check: RequiredFlowCheck, pieces?: readonly FlowPiece[]): Record<string, unknown> {
  const names = { 6: 'tcp', 17: 'udp', 1: 'icmp' } as Record<number, string>;
  const protocols = pieces ? [...new Set(pieces.map((p) => names[p.protocol]).filter((p): p is string => !!p))] : check.protocols;
  return {
    flowId: check.flow.id,
    role: check.role,
    peerRole: check.peerRole,
    direction: check.direction,
    ruleSetId: check.bound.ruleSet.id,
    protocols,
    ...(pieces ? { pieces: pieces.map((p) => ({ protocol: names[p.protocol] ?? String(p.protocol), ports: p.ports.isFull ? [] : p.ports.ranges.map((r) => ({ from: r.from, to: r.to })) })) } : {}),
  };
}

export function roleRelated(context: AnalysisContext, check: RequiredFlowCheck): NonNullable<Finding['related']> {
  const declared = context.topology.roles.get(check.role)?.declaredAt ?? check.bound.declaredAt;
  return declared ? [{ uri: declared.uri, span: declared.span, message: `${check.role} declared here` }] : [];
}
