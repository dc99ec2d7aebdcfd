import type { LineIndex, Span, TextEdit } from '../model';
import type { Severity } from '../analysis/findings';
import type { CodeActionResult } from './codeActions';
import type { CompletionItem, CompletionKind } from './completion';
import type { ServiceDiagnostic } from './diagnostics';
import type { RequiredFlowItem } from './requiredFlows';

/**
 * The LSP shapes the server sends, mirrored as plain interfaces so that the
 * conversion from offsets to UTF-16 line/character ranges — made only here, at
 * the edge — is testable without the protocol library.
 */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export type IndexOf = (uri: string) => LineIndex | undefined;

export function toRange(index: LineIndex | undefined, span: Span): Range {
  if (!index) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { start: index.positionAt(span.start), end: index.positionAt(span.end) };
}

export const LSP_SEVERITY: Readonly<Record<Severity, 1 | 2 | 3 | 4>> = { error: 1, warning: 2, info: 3, hint: 4 };

export interface LspDiagnostic {
  range: Range;
  severity: 1 | 2 | 3 | 4;
  code: string;
  codeDescription: { href: string };
  source: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: Range }; message: string }[];
  data: Readonly<Record<string, unknown>>;
}

export function toLspDiagnostic(d: ServiceDiagnostic, uri: string, indexOf: IndexOf): LspDiagnostic {
  const related = d.related.map((r) => ({ location: { uri: r.uri, range: toRange(indexOf(r.uri), r.span) }, message: r.message }));
  return {
    range: toRange(indexOf(uri), d.span),
    severity: LSP_SEVERITY[d.severity],
    code: d.code,
    codeDescription: { href: d.href },
    source: d.source,
    message: d.message,
    ...(related.length ? { relatedInformation: related } : {}),
    data: d.data,
  };
}

export function toWorkspaceEdit(edits: readonly TextEdit[], indexOf: IndexOf): { changes: Record<string, { range: Range; newText: string }[]> } {
  const changes: Record<string, { range: Range; newText: string }[]> = {};
  for (const e of edits) (changes[e.uri] ??= []).push({ range: toRange(indexOf(e.uri), e.span), newText: e.newText });
  return { changes };
}

export interface LspCodeAction {
  title: string;
  kind: string;
  isPreferred?: boolean;
  diagnostics?: LspDiagnostic[];
  edit?: ReturnType<typeof toWorkspaceEdit>;
  command?: { title: string; command: string; arguments: unknown[] };
}

export function toLspCodeAction(action: CodeActionResult, diagnostic: LspDiagnostic | undefined, indexOf: IndexOf): LspCodeAction {
  return {
    title: action.title,
    kind: action.kind,
    ...(action.isPreferred ? { isPreferred: true } : {}),
    ...(diagnostic ? { diagnostics: [diagnostic] } : {}),
    ...(action.edits ? { edit: toWorkspaceEdit(action.edits, indexOf) } : {}),
    ...(action.command ? { command: { ...action.command, arguments: [...action.command.arguments] } } : {}),
  };
}

/** LSP CompletionItemKind numbers. */
const COMPLETION_KIND: Readonly<Record<CompletionKind, number>> = { role: 18 /* Reference */, feature: 20 /* EnumMember */, check: 12 /* Value */, port: 12, keyword: 14, value: 12, directive: 14 };

export function toLspCompletion(item: CompletionItem, index: LineIndex | undefined): Record<string, unknown> {
  return {
    label: item.label,
    kind: COMPLETION_KIND[item.kind],
    ...(item.detail ? { detail: item.detail } : {}),
    ...(item.documentation ? { documentation: { kind: 'markdown', value: item.documentation } } : {}),
    ...(item.sortText ? { sortText: item.sortText } : {}),
    textEdit: { range: toRange(index, item.span), newText: item.insertText ?? item.label },
  };
}

export function toLspRequiredFlow(item: RequiredFlowItem, indexOf: IndexOf): Omit<RequiredFlowItem, 'span'> & { range: Range } {
  const { span, ...rest } = item;
  return { ...rest, range: toRange(indexOf(item.uri), span) };
}
