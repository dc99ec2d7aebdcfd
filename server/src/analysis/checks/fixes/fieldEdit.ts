import type { ParsedFile, Rule, RuleSet, Span } from '../../../model';
import type { TextEdit } from '../../../model/edits';
import type { Finding } from '../../findings';

function ruleSetOf(file: ParsedFile, id: unknown): RuleSet | undefined {
  return typeof id === 'string' ? file.ruleSets.find((rs) => rs.id === id) : file.ruleSets.length === 1 ? file.ruleSets[0] : undefined;
}

/** The written rule a finding names by `data.ruleSetId` and `data.ruleId` (or its deciding rule). */
export function ruleOf(file: ParsedFile, data: Readonly<Record<string, unknown>>, finding: Finding): Rule | undefined {
  const rs = ruleSetOf(file, data.ruleSetId);
  const ruleId = typeof data.ruleId === 'string' ? data.ruleId : finding.decidingRule?.ruleId;
  const sets = rs ? [rs] : file.ruleSets;
  for (const s of sets) {
    const rule = s.rules.find((r) => r.id === ruleId) ?? Object.values(s.chains ?? {}).flat().find((r) => r.id === ruleId);
    if (rule) return rule;
  }
  return undefined;
}

/**
 * The span of a field an edit may replace, or undefined. A rule a copy loop
 * generated (meta `copyLoop`, set by the ARM reader) shares its loop body's
 * text with every other copy: a field written there, or one that reads
 * copyIndex(), is not this rule's alone. A field that lives outside the body
 * (an element of the array the loop indexes) is.
 */
export function editableFieldSpan(file: ParsedFile, rule: Rule, span: Span | undefined): Span | undefined {
  if (!span || rule.meta?.copyLoop === undefined) return span;
  const insideBody = span.start >= rule.span.start && span.end <= rule.span.end;
  return insideBody || /copyindex\s*\(/i.test(file.text.slice(span.start, span.end)) ? undefined : span;
}

/** Replaces exactly the text of one field (a port, an address list); nothing around it. */
export function replaceFieldText(uri: string, span: Span, newText: string): TextEdit {
  return { uri, span, newText };
}
