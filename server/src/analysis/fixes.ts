import { loadCatalog } from '../catalog';
import type { ParsedFile, RuleSet } from '../model';
import type { TextEdit } from '../model/edits';
import { commentLeaderOf } from '../formats/emitters';
import { disableForLineEdit } from './disableEdit';
import { eolOf, indentAt, lineStartAt } from '../formats/emitSupport';
import { checkById } from './checks';
import { roleName } from './describe';
import type { CodeFix, FixContext, FixOptions } from './codeFix';
import type { Finding } from './findings';
import type { WorkspaceAnalysis } from './analyze';

export { ALLOW_MISSING_FLOWS_KIND, FIX_ALL_KIND, type CodeFix, type FixOptions } from './codeFix';

/**
 * The code actions for one finding: the fixes its check builds from the
 * finding's data (each check owns its fixes, `CheckDefinition.fixes`), then
 * the two every finding may have: declare the rule set a guessed role rests
 * on, and silence the check on that line. A fix only adds or replaces what
 * it names.
 */
export function fixesFor(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions = {}): CodeFix[] {
  const fixes: CodeFix[] = [];
  const file = analysis.files.find((f) => f.uri === finding.uri);
  const context: FixContext = {
    analysis,
    file,
    text: file ? undefined : options.textOf?.(finding.uri),
    options,
    isCheckId: (id) => checkById(id) !== undefined,
    builderOf: (f) => checkById(f.checkId)?.fixes,
  };
  try {
    fixes.push(...(checkById(finding.checkId)?.fixes?.(finding, context) ?? []));
    const declare = declareFix(finding, analysis);
    if (declare) fixes.push(declare);
  } catch {
    // A fix that cannot be built is left out; the finding itself still stands.
  }
  const disable = disableFix(finding, analysis, options);
  if (disable) fixes.push(disable);
  return fixes;
}

/** A line comment `citrix-flow-lint-disable-next-line <id>` above the finding's line, at its indentation. */
function disableFix(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions): CodeFix | undefined {
  const file = analysis.files.find((f) => f.uri === finding.uri);
  const isTopology = !file && analysis.topology.uri === finding.uri;
  const text = file?.text ?? (isTopology ? options.textOf?.(finding.uri) : undefined);
  if (text === undefined) return undefined;
  const edit = disableForLineEdit({ uri: finding.uri, text, comments: file?.comments, format: file?.format ?? 'citrix-flows' }, finding);
  if (!edit) return undefined;
  const title = checkById(finding.checkId)?.title ?? finding.checkId;
  return { title: `Disable ${finding.checkId} (${title}) for this line`, kind: 'quickfix', checkId: finding.checkId, edits: [edit] };
}

/**
 * "Declare this rule set as VDA": a finding that rests on an inferred role
 * gets the annotation that turns the assumption into a declaration, so the
 * finding stays and its "Assumed" clause goes.
 */
function declareFix(finding: Finding, analysis: WorkspaceAnalysis): CodeFix | undefined {
  const role = finding.assumptions?.find((a) => a.kind === 'role');
  if (!role?.ruleSetId) return undefined;
  const declared = declareRuleSet(analysis, finding.uri, role.ruleSetId);
  return declared ? { title: declared.title, kind: 'quickfix', checkId: finding.checkId, edits: [declared.edit] } : undefined;
}

/** The annotation that declares an inferred rule set with the roles it was assumed to protect; undefined when nothing was inferred there. */
export function declareRuleSet(analysis: WorkspaceAnalysis, uri: string, ruleSetId: string): { title: string; edit: TextEdit; roles: readonly string[] } | undefined {
  const bound = analysis.binding.bound.find((b) => b.via === 'inferred' && b.ruleSet.id === ruleSetId && (b.file.uri === uri || b.ruleSet.nameSpan !== undefined));
  if (!bound) return undefined;
  const file = analysis.files.find((f) => f.uri === bound.file.uri) ?? bound.file;
  // A file that takes no comment (a JSON template) is declared in citrix-flows.yaml instead.
  if (commentLeaderOf(file.format, file) === undefined) return undefined;
  const ruleSet = file.ruleSets.find((rs) => rs.id === ruleSetId) ?? bound.ruleSet;
  const catalog = loadCatalog();
  return {
    title: `Declare this rule set as ${bound.roles.map((r) => roleName(catalog, r)).join(' and ')}`,
    edit: addAnnotation(file, ruleSet, bound.roles.join(', ')),
    roles: bound.roles,
  };
}

/** `citrix-role: <id>` above the rule set, for a file that takes comments (`commentLeaderOf(format, file)`). */
export function addAnnotation(file: ParsedFile, ruleSet: RuleSet, roleId: string): TextEdit {
  const start = lineStartAt(file.text, ruleSet.span.start);
  const line = `${indentAt(file.text, ruleSet.span.start)}${commentLeaderOf(file.format, file) ?? commentLeaderOf(file.format)} citrix-role: ${roleId}`;
  return { uri: file.uri, span: { start, end: start }, newText: `${line}${eolOf(file.text)}` };
}

