import { LineIndex, type Comment, type ParsedFile, type Span } from '../model';
import { directiveEnd, linesCoveredByComments, locateInComment, nextCodeLine, reasonCut, splitItems } from '../topology/annotations';
import { closest, didYouMean } from '../topology/vocabulary';

const NEXT_LINE = 'citrix-flow-lint-disable-next-line';
const FILE = 'citrix-flow-lint-disable';

export interface Suppression {
  readonly kind: 'next-line' | 'file';
  readonly uri: string;
  /** Known check ids, each with where it is written (an unused one is reported there). */
  readonly checkIds: readonly { readonly id: string; readonly span: Span }[];
  readonly reason?: string;
  /** 0-based line the suppression covers (`next-line` only): the next line that is not blank or a comment. */
  readonly appliesToLine?: number;
  /** Offsets of that line, so findings (which carry offsets only) can be matched without the text. */
  readonly appliesTo?: Span;
  readonly comment: Comment;
  /** Span of the directive word, for diagnostics about the whole comment. */
  readonly directiveSpan: Span;
  /** Ids that are not checks, and a directive that names none; the caller makes diagnostics of them. */
  readonly problems: readonly SuppressionProblem[];
}

export interface SuppressionProblem {
  readonly code: 'unknown-check' | 'no-check-id';
  readonly message: string;
  readonly span: Span;
  readonly suggestion?: string;
}

export interface SuppressibleFinding {
  readonly checkId: string;
  readonly span: Span;
  readonly uri: string;
  /** The rule that decided the finding; a suppression above that rule covers it too. */
  readonly decidingRule?: { readonly uri: string; readonly span: Span };
}

export interface UnusedSuppression {
  readonly suppression: Suppression;
  readonly checkId: { readonly id: string; readonly span: Span };
}

/**
 * `citrix-flow-lint-disable-next-line <id>[, <id>] [-- reason]` and
 * `citrix-flow-lint-disable <id>[, <id>] [-- reason]` (whole file), in any
 * comment of the file. ESLint's shape, except that the "next line" skips
 * blank and comment-only lines, so suppressions and `citrix-role:`
 * annotations can be stacked above one rule.
 */
export function findSuppressions(file: ParsedFile, knownCheckIds: readonly string[]): Suppression[] {
  const out: Suppression[] = [];
  let lines: LineIndex | undefined;
  let commentLines: Set<number> | undefined;
  for (const comment of file.comments) {
    const located = locateInComment(file.text, comment, NEXT_LINE) ?? locateInComment(file.text, comment, FILE);
    if (!located) continue;
    const { source, base, index } = located;
    const kind = source.toLowerCase().startsWith(NEXT_LINE, index) ? 'next-line' : 'file';
    const word = kind === 'next-line' ? NEXT_LINE : FILE;
    const directiveSpan = { start: base + index, end: base + index + word.length };
    const from = index + word.length;
    const end = directiveEnd(source, from);
    const { idsEnd, reason } = reasonCut(source, from, end);
    const checkIds: { id: string; span: Span }[] = [];
    const problems: SuppressionProblem[] = [];
    for (const item of splitItems(source, from, idsEnd).flatMap(splitOnSpaces)) {
      const span = { start: base + item.start, end: base + item.end };
      if (knownCheckIds.includes(item.text)) {
        if (!checkIds.some((c) => c.id === item.text)) checkIds.push({ id: item.text, span });
        continue;
      }
      const suggestion = closest(item.text, knownCheckIds);
      problems.push({ code: 'unknown-check', span, message: `Unknown check "${item.text}" in ${word}${didYouMean(suggestion)}`, ...(suggestion ? { suggestion } : {}) });
    }
    if (checkIds.length === 0 && problems.length === 0) {
      problems.push({ code: 'no-check-id', span: directiveSpan, message: `${word} needs the id of the check it silences, e.g. "${word} missing-flow -- reason"` });
    }
    let appliesToLine: number | undefined;
    let appliesTo: Span | undefined;
    if (kind === 'next-line') {
      lines ??= LineIndex.of(file.text);
      commentLines ??= linesCoveredByComments(file, lines);
      appliesToLine = nextCodeLine(lines, lines.positionAt(comment.span.end).line, commentLines);
      if (appliesToLine !== undefined) appliesTo = { start: lines.lineStart(appliesToLine), end: lines.lineEnd(appliesToLine) };
    }
    out.push({
      kind,
      uri: file.uri,
      checkIds,
      ...(reason ? { reason: reason.text } : {}),
      ...(appliesToLine !== undefined ? { appliesToLine, appliesTo } : {}),
      comment,
      directiveSpan,
      problems,
    });
  }
  return out;
}

/**
 * Splits findings into kept and suppressed. A next-line suppression covers a
 * finding that starts on its line or spans it (a finding on a whole
 * multi-line resource), and a finding whose deciding rule does: the
 * squiggle sits on the rule's name inside the block, the suppression goes
 * above the block. Each check id of each suppression that silenced
 * nothing is returned in `unused`, to be reported like ESLint's
 * `--report-unused-disable-directives`.
 */
export function applySuppressions<F extends SuppressibleFinding>(
  findings: readonly F[],
  suppressions: readonly Suppression[],
): { kept: F[]; suppressed: { finding: F; by: Suppression }[]; unused: UnusedSuppression[] } {
  const used = new Set<string>();
  const kept: F[] = [];
  const suppressed: { finding: F; by: Suppression }[] = [];
  const byUri = new Map<string, { s: Suppression; index: number }[]>();
  suppressions.forEach((s, index) => {
    const list = byUri.get(s.uri) ?? [];
    list.push({ s, index });
    byUri.set(s.uri, list);
  });
  for (const finding of findings) {
    let by: Suppression | undefined;
    for (const { s, index } of byUri.get(finding.uri) ?? []) {
      if (!s.checkIds.some((c) => c.id === finding.checkId)) continue;
      if (s.kind === 'next-line' && !(s.appliesTo && (coversLine(finding.span, s.appliesTo) || (finding.decidingRule?.uri === finding.uri && coversLine(finding.decidingRule.span, s.appliesTo))))) continue;
      used.add(`${index}\u0000${finding.checkId}`);
      by ??= s;
    }
    if (by) suppressed.push({ finding, by });
    else kept.push(finding);
  }
  const unused: UnusedSuppression[] = [];
  suppressions.forEach((s, index) => {
    for (const c of s.checkIds) if (!used.has(`${index}\u0000${c.id}`)) unused.push({ suppression: s, checkId: c });
  });
  return { kept, suppressed, unused };
}

function coversLine(finding: Span, line: Span): boolean {
  if (finding.start > line.end) return false;
  return finding.start >= line.start || finding.end > line.start;
}

function splitOnSpaces(item: { text: string; start: number; end: number }): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let i = 0;
  while (i < item.text.length) {
    while (i < item.text.length && (item.text[i] === ' ' || item.text[i] === '\t')) i++;
    const s = i;
    while (i < item.text.length && item.text[i] !== ' ' && item.text[i] !== '\t') i++;
    if (i > s) out.push({ text: item.text.slice(s, i), start: item.start + s, end: item.start + i });
  }
  return out;
}
