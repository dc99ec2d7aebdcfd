import type { Finding } from '../analysis/findings';
import type { Comment, FormatId, TextEdit } from '../model';
import { LineIndex } from '../model';
import { templateStyle } from '../formats/cloudformation';

const NEXT_LINE = 'citrix-flow-lint-disable-next-line';

/** The line-comment leader each format reads; ARM templates only take `//` where the file already has comments. */
function leaderFor(format: FormatId | 'yaml' | undefined, uri: string, comments: readonly Comment[], text: string): string | undefined {
  switch (format) {
    case 'terraform':
    case 'iptables':
    case 'nftables':
    case 'netscaler':
    case 'yaml':
      return '#';
    case 'bicep':
      return '//';
    case 'arm':
      return comments.length ? '//' : undefined;
    case 'asa':
      return '!';
    case 'cloudformation':
      // CloudFormation rejects a JSON template with comments.
      return templateStyle(text) === 'yaml' ? '#' : undefined;
    case 'windows-firewall':
      return /\.(cmd|bat)$/i.test(uri) ? 'REM' : '#';
    default:
      return undefined;
  }
}

/**
 * `citrix-flow-lint-disable-next-line <id>` above the finding's first line,
 * in the file's comment syntax and indentation; when the line above already
 * is such a comment, the id is added to it instead of stacking another.
 */
export function disableForLineEdit(text: string, uri: string, format: FormatId | 'yaml' | undefined, comments: readonly Comment[], finding: Finding): TextEdit | undefined {
  const leader = leaderFor(format, uri, comments, text);
  if (!leader) return undefined;
  const lines = new LineIndex(text);
  // A finding on a token inside its deciding rule (the rule's name) is silenced above the rule, not inside it.
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
