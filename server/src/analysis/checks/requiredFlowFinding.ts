import type { Finding } from '../findings';
import type { AnalysisContext } from '../context';
import type { RequiredFlowCheck } from '../required';
import type { Decision } from '../evaluate';
import { decidingRuleInWords } from '../describe';
import { ruleFile } from '../link';

/**
 * Where a finding about a required flow goes: the written rule that decided
 * it, or else the rule set's declaration (a default policy, a built-in rule).
 */
export function anchorFor(context: AnalysisContext, check: RequiredFlowCheck, decision: Decision | undefined): Pick<Finding, 'uri' | 'span' | 'decidingRule'> {
  const file = check.bound.file;
  const rule = decision?.rule;
  if (rule && !rule.implicit && decision.ruleSet && file.ruleSets.includes(decision.ruleSet)) {
    const written = ruleFile(rule, file, context.allFiles ?? context.files);
    return { uri: written.uri, span: rule.span, decidingRule: { uri: written.uri, span: rule.span, ruleId: rule.id } };
  }
  const ruleSet = decision?.ruleSet ?? check.bound.ruleSet;
  const span = ruleSet.nameSpan ?? ruleSet.span;
  return { uri: file.uri, span: { start: span.start, end: Math.min(span.end, span.start + 200) } };
}

/** "Denied by …" words for a decision, with the line in the file the rule is written in. */
export function decidingWords(context: AnalysisContext, check: RequiredFlowCheck, decision: Decision): string {
  const file = decision.rule ? ruleFile(decision.rule, check.bound.file, context.allFiles ?? context.files) : check.bound.file;
  return decidingRuleInWords(file, decision.ruleSet, decision.rule);
}

/** The fields every required-flow finding carries for code actions and the flow map. */
export function flowData(check: RequiredFlowCheck): Record<string, unknown> {
  return {
    flowId: check.flow.id,
    role: check.role,
    peerRole: check.peerRole,
    direction: check.direction,
    ruleSetId: check.bound.ruleSet.id,
    protocols: check.protocols,
  };
}

export function roleRelated(context: AnalysisContext, check: RequiredFlowCheck): NonNullable<Finding['related']> {
  const declared = context.topology.roles.get(check.role)?.declaredAt ?? check.bound.declaredAt;
  return declared ? [{ uri: declared.uri, span: declared.span, message: `${check.role} declared here` }] : [];
}
