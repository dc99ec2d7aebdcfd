import type { WorkspaceAnalysis } from '../analysis/analyze';
import { checkDocsUri } from '../analysis/checks/docs';
import type { Finding, Severity } from '../analysis/findings';
import type { Span } from '../model';

export const DIAGNOSTIC_SOURCE = 'citrix-flow-lint';

/** A diagnostic in offsets; the server turns spans into LSP ranges. */
export interface ServiceDiagnostic {
  readonly span: Span;
  readonly severity: Severity;
  readonly code: string;
  readonly href: string;
  readonly source: string;
  readonly message: string;
  readonly related: readonly { readonly uri: string; readonly span: Span; readonly message: string }[];
  /** The finding's data plus its check id: code actions dispatch on it. */
  readonly data: Readonly<Record<string, unknown>>;
}

export function toDiagnostic(finding: Finding): ServiceDiagnostic {
  const related: { uri: string; span: Span; message: string }[] = [];
  const d = finding.decidingRule;
  const same = (a: { uri: string; span: Span }, b: { uri: string; span: Span }): boolean => a.uri === b.uri && a.span.start === b.span.start && a.span.end === b.span.end;
  // A check that already lists the deciding rule among its related places says it in its own words; the Problems panel showed both.
  if (d && !same(d, finding) && !(finding.related ?? []).some((r) => same(r, d))) {
    related.push({ uri: d.uri, span: d.span, message: `decided by rule ${d.ruleId}` });
  }
  for (const r of finding.related ?? []) related.push({ uri: r.uri, span: r.span, message: r.message });
  return {
    span: finding.span,
    severity: finding.severity,
    code: finding.checkId,
    href: checkDocsUri(finding.checkId),
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    related,
    data: { ...(finding.data ?? {}), checkId: finding.checkId, ...(finding.flowId ? { flowId: finding.flowId } : {}) },
  };
}

/** The findings of one file as diagnostics. */
export function diagnosticsFor(analysis: WorkspaceAnalysis, uri: string): ServiceDiagnostic[] {
  return (analysis.findingsByUri?.get(uri) ?? analysis.findings.filter((f) => f.uri === uri)).map(toDiagnostic);
}

/** Findings grouped by file, for publishing every file of a workspace in one pass. */
export function diagnosticsByUri(analysis: WorkspaceAnalysis): Map<string, ServiceDiagnostic[]> {
  const out = new Map<string, ServiceDiagnostic[]>();
  for (const f of analysis.findings) {
    const list = out.get(f.uri) ?? [];
    list.push(toDiagnostic(f));
    out.set(f.uri, list);
  }
  return out;
}

export interface StatusCounts {
  errors: number;
  warnings: number;
  infos: number;
  hints: number;
}

export function countSeverities(analysis: WorkspaceAnalysis, into: StatusCounts = { errors: 0, warnings: 0, infos: 0, hints: 0 }): StatusCounts {
  for (const f of analysis.findings) {
    if (f.severity === 'error') into.errors++;
    else if (f.severity === 'warning') into.warnings++;
    else if (f.severity === 'info') into.infos++;
    else into.hints++;
  }
  return into;
}
