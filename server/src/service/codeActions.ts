import type { WorkspaceAnalysis } from '../analysis/analyze';
import { checkById } from '../analysis/checks';
import { checkDocsUri } from '../analysis/checks/docs';
import type { Finding } from '../analysis/findings';
import type { Span, TextEdit } from '../model';
import { overlaps } from './locate';
import type { WorkspaceState } from './state';
import { isTopologyUri } from './state';
import { disableForLineEdit } from './suppress';
import { ALLOW_MISSING_FLOWS_KIND, FIX_ALL_KIND, fixesFor, type CodeFix, type FixOptions } from '../analysis/fixes';

export { ALLOW_MISSING_FLOWS_KIND, FIX_ALL_KIND };
export const SHOW_DOCUMENTATION_COMMAND = 'citrixFlowLint.showDocumentation';

/** The fix builders' signature (`analysis/fixes.ts`, which asks each finding's check); tests may pass another. */
export type FixProvider = (finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions) => readonly Pick<CodeFix, 'title' | 'kind' | 'isPreferred' | 'edits'>[];

export interface CodeActionResult {
  readonly title: string;
  /** `quickfix`, `source.fixAll.citrix-flow-lint`, `source.citrix-flow-lint.allowMissingFlows` */
  readonly kind: string;
  readonly isPreferred?: boolean;
  readonly edits?: readonly TextEdit[];
  readonly command?: { readonly title: string; readonly command: string; readonly arguments: unknown[] };
  /** The finding the action resolves, so the server can attach its diagnostic. */
  readonly finding?: Finding;
}

export interface CodeActionOptions {
  /** The kinds the editor asked for (LSP `context.only`); all when absent. */
  readonly only?: readonly string[];
  /** The format-aware fix builders; `fixesFor` unless a test passes others. */
  readonly fixes?: FixProvider;
}

function wanted(kind: string, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/**
 * Code actions for the findings that overlap `span`: the fix builders' edits
 * first, then "Disable <check> for this line" and "Show documentation for
 * <check>" once per check. Asked for source actions, the whole file's:
 * `source.fixAll` gets one action with every harmless fix (never a rule that
 * opens a port), `source.citrix-flow-lint.allowMissingFlows` the "allow all
 * missing flows" of each role and rule set.
 */
export function doCodeActions(state: WorkspaceState, uri: string, span: Span, options: CodeActionOptions = {}): CodeActionResult[] {
  const analysis = state.analyze();
  const inFile = analysis.findingsByUri?.get(uri) ?? analysis.findings.filter((f) => f.uri === uri);
  const out: CodeActionResult[] = [];
  const fixAllOnly = options.only?.length && options.only.every((o) => o.startsWith('source'));
  const here = fixAllOnly ? inFile : inFile.filter((f) => overlaps(f.span, span));
  const seenFix = new Set<string>();
  const provider = options.fixes ?? fixesFor;
  const fixOptions: FixOptions = { all: Boolean(fixAllOnly), textOf: (u) => state.document(u)?.text };
  const disabledByProvider = new Set<string>();
  for (const finding of here) {
    for (const fix of safeFixes(provider, finding, analysis, fixOptions)) {
      if (fix.title.startsWith(`Disable ${finding.checkId}`)) disabledByProvider.add(finding.checkId);
      if (!wanted(fix.kind, options.only)) continue;
      // "Allow all missing flows for vda" comes back from every finding of that role; offer it once.
      const key = `${fix.kind}\u0000${fix.title}`;
      if (seenFix.has(key)) continue;
      seenFix.add(key);
      out.push({ title: fix.title, kind: fix.kind, isPreferred: fix.isPreferred, edits: fix.edits, finding });
    }
  }
  if (!wanted('quickfix', options.only)) return fixAllOnly ? mergeFixAll(out) : out;
  const doc = state.document(uri);
  const file = isTopologyUri(uri) ? undefined : state.parsedFile(uri);
  const seenCheck = new Set<string>();
  for (const finding of here) {
    if (seenCheck.has(finding.checkId) || finding.checkId === 'internal-error') continue;
    seenCheck.add(finding.checkId);
    const title = checkById(finding.checkId)?.title ?? finding.checkId;
    if (doc && finding.checkId !== 'unused-suppression' && !disabledByProvider.has(finding.checkId)) {
      const edit = disableForLineEdit(doc.text, uri, file?.format ?? (isTopologyUri(uri) ? 'yaml' : undefined), file?.comments ?? [], finding);
      if (edit) out.push({ title: `Disable ${finding.checkId} for this line`, kind: 'quickfix', edits: [edit], finding });
    }
    out.push({
      title: `Show documentation for ${finding.checkId}`,
      kind: 'quickfix',
      command: { title: `Documentation: ${title}`, command: SHOW_DOCUMENTATION_COMMAND, arguments: [finding.checkId, checkDocsUri(finding.checkId)] },
      finding,
    });
  }
  return out;
}

/** One fix-all action, as VS Code applies each returned action in turn: edits that overlap an earlier one are left for the next run. */
function mergeFixAll(actions: CodeActionResult[]): CodeActionResult[] {
  const fixAll = actions.filter((a) => a.kind === FIX_ALL_KIND);
  if (fixAll.length <= 1) return actions;
  const edits: TextEdit[] = [];
  for (const e of fixAll.flatMap((a) => a.edits ?? [])) {
    if (edits.some((o) => o.uri === e.uri && o.span.start < e.span.end + (e.span.start === e.span.end ? 1 : 0) && e.span.start < o.span.end + (o.span.start === o.span.end ? 1 : 0))) continue;
    edits.push(e);
  }
  const merged: CodeActionResult = { title: `Fix ${fixAll.length} harmless Citrix Flow Lint problems (role aliases, unused suppressions)`, kind: FIX_ALL_KIND, edits };
  return [merged, ...actions.filter((a) => a.kind !== FIX_ALL_KIND)];
}

function safeFixes(provider: FixProvider, finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions): ReturnType<FixProvider> {
  try {
    return provider(finding, analysis, options);
  } catch {
    // A broken fix builder must not take the other actions (disable, documentation) with it.
    return [];
  }
}
