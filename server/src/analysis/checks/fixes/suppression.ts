import type { Span } from '../../../model';
import { lineStartAt } from '../../../formats/emitSupport';
import { FIX_ALL_KIND, type CodeFix, type FixBuilder, type FixOptions } from '../../codeFix';
import type { Finding } from '../../findings';

/**
 * unknown-role, invalid-declaration: data `{ suggestion, problem }`. An
 * alias names the same role by another word: writing its id changes nothing
 * the analysis sees, so it is safe for fix-all. A did-you-mean is a guess,
 * so never fix-all.
 */
export const takeSuggestion: FixBuilder = (finding, { options }) => {
  const data = finding.data ?? {};
  if (typeof data.suggestion !== 'string') return [];
  const alias = data.problem === 'role-alias';
  return [{ title: `Change to "${data.suggestion}"`, kind: alias && options.all ? FIX_ALL_KIND : 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [{ uri: finding.uri, span: finding.span, newText: data.suggestion }] }];
};

/** unused-suppression, in a parsed file or in a file whose text the caller has (citrix-flows.yaml). */
export const removeUnusedSuppressionFix: FixBuilder = (finding, context) => {
  const text = context.file?.text ?? context.text;
  const fix = text === undefined ? undefined : removeUnusedSuppression(finding, text, context.options, context.isCheckId);
  return fix ? [fix] : [];
};

const isSpan = (v: unknown): v is Span => !!v && typeof v === 'object' && Number.isInteger((v as Span).start) && Number.isInteger((v as Span).end);

/**
 * unused-suppression: data `{ checkId, comment, directive, ids }` (`ids`:
 * this id and the comment's ids still in use). Removes the
 * id (and one separator next to it); when it is the comment's only id and
 * the comment holds nothing but the directive and its reason, the whole
 * comment, with its line when it stands alone. Removing a suppression that
 * suppresses nothing cannot change a finding, so it is safe for fix-all.
 */
function removeUnusedSuppression(finding: Finding, text: string, options: FixOptions, isCheckId: (id: string) => boolean): CodeFix | undefined {
  const data = finding.data ?? {};
  const comment = data.comment;
  const directive = data.directive;
  if (!isSpan(comment) || !isSpan(directive) || typeof data.ids !== 'number') return undefined;
  const id = finding.span;
  if (text.slice(id.start, id.end) !== data.checkId) return undefined;
  const kind = options.all ? FIX_ALL_KIND : 'quickfix';
  const title = `Remove the unused suppression of ${String(data.checkId)}`;
  if (data.ids > 1) {
    const after = /^\s*,\s*|^[ \t]+/.exec(text.slice(id.end, comment.end));
    if (after) return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: id.start, end: id.end + after[0].length }, newText: '' }] };
    const before = /(?:\s*,\s*|[ \t]+)$/.exec(text.slice(directive.end, id.start));
    if (!before) return undefined;
    return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: id.start - before[0].length, end: id.end }, newText: '' }] };
  }
  // Only leader characters, the directive, unused check ids and a `-- reason` may be in the comment; anything else is someone's text.
  const leader = text.slice(comment.start, directive.start).replace(/^\s*(?:#|\/\/|\/\*|!|;|REM\b|rem\b|::|<#)/, '');
  const tail = text.slice(directive.end, comment.end).replace(/(?:\*\/|#>)\s*$/, '');
  const reasonAt = tail.search(/(?:^|\s)--/);
  const ids = (reasonAt < 0 ? tail : tail.slice(0, reasonAt)).split(/[\s,]+/).filter(Boolean);
  if (/[A-Za-z0-9]/.test(leader) || !ids.includes(String(data.checkId)) || !ids.every(isCheckId)) return undefined;
  const lineStart = lineStartAt(text, comment.start);
  let lineEnd = comment.end;
  while (lineEnd < text.length && (text[lineEnd] === ' ' || text[lineEnd] === '\t')) lineEnd++;
  const alone = /^[ \t]*$/.test(text.slice(lineStart, comment.start)) && (lineEnd === text.length || text[lineEnd] === '\n' || text[lineEnd] === '\r');
  if (alone) {
    const eol = text.startsWith('\r\n', lineEnd) ? 2 : lineEnd < text.length ? 1 : 0;
    return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: lineStart, end: lineEnd + eol }, newText: '' }] };
  }
  let start = comment.start;
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start, end: comment.end }, newText: '' }] };
}

