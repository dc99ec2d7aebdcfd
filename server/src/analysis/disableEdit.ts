import { commentLeaderOf } from '../formats/emitters';
import type { CommentedFile } from '../formats/formatDescriptor';
import type { FormatId, TextEdit } from '../model';
import { LineIndex } from '../model';
import type { Finding } from './findings';

const NEXT_LINE = 'citrix-flow-lint-disable-next-line';

/**
 * The one "disable for this line" edit, for the quick fix and the editor's
 * generic action alike: `citrix-flow-lint-disable-next-line <id>` above the
 * finding's first line, in the file's comment syntax (from the format
 * registry) and indentation; when the line above already is such a comment,
 * the id is added to it instead of stacking another. Undefined where the
 * file takes no comment (a JSON CloudFormation template, an ARM template
 * without comments) or its format is unknown.
 */
export function disableForLineEdit(file: CommentedFile & { readonly format: FormatId | 'citrix-flows' | undefined }, finding: Finding): TextEdit | undefined {
  if (file.format === undefined) return undefined;
  const leader = commentLeaderOf(file.format, file);
  if (!leader) return undefined;
  const { text, uri } = file;
  const lines = LineIndex.of(text);
  // A finding on a token inside its deciding rule (the rule's name) is silenced above the rule, not inside it:
  // a comment in the middle of a block (between an ARM rule's properties) would be out of place.
  const anchor = finding.decidingRule?.uri === finding.uri ? Math.min(finding.decidingRule.span.start, finding.span.start) : finding.span.start;
  const line = lines.positionAt(anchor).line;
  if (line > 0) {
    const above = lines.lineText(line - 1);
    const at = above.indexOf(NEXT_LINE);
    if (at >= 0 && above.trimStart().startsWith(leader)) {
      if (above.slice(at + NEXT_LINE.length).split(/[\s,]+/).includes(finding.checkId)) return undefined;
      const reason = above.indexOf(' --', at + NEXT_LINE.length);
      const idsEnd = reason >= 0 ? reason : above.trimEnd().length;
      const offset = lines.lineStart(line - 1) + idsEnd;
      return { uri, span: { start: offset, end: offset }, newText: `, ${finding.checkId}` };
    }
  }
  const lineText = lines.lineText(line);
  const indent = lineText.slice(0, lineText.length - lineText.trimStart().length);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const start = lines.lineStart(line);
  return { uri, span: { start, end: start }, newText: `${indent}${leader} ${NEXT_LINE} ${finding.checkId}${eol}` };
}
