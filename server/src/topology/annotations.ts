import { LineIndex, type Comment, type ParsedFile, type RuleSet, type Span } from '../model';
import type { MachineDeclaration, RoleAnnotation, TopologyProblem } from './types';
import { didYouMean, roleLookup, type Vocabulary } from './vocabulary';

const MARKER = 'citrix-role';

/** One `citrix-role:` directive in a comment, with document offsets for every id. */
export interface RoleDirective {
  readonly comment: Comment;
  /** The words after `citrix-role:` as written (ids or aliases), with their spans. */
  readonly items: readonly { readonly text: string; readonly span: Span }[];
  /** Span of `citrix-role` itself, for hovers. */
  readonly markerSpan: Span;
}

/**
 * Finds `citrix-role: vda[, storefront]` in the file's comments and binds each
 * to the rule set declared on the next code line (blank and comment lines
 * skipped), to the rule set the comment sits inside, or — at the top of the
 * file, before the first rule set, and either not above one or set off from
 * it by a blank line, as a file header is — to every rule set in the file.
 */
export function findRoleAnnotations(
  file: ParsedFile,
  vocabulary: Vocabulary,
  machines?: ReadonlyMap<string, MachineDeclaration>,
): { annotations: RoleAnnotation[]; problems: TopologyProblem[] } {
  const annotations: RoleAnnotation[] = [];
  const problems: TopologyProblem[] = [];
  const directives = findRoleDirectives(file);
  if (directives.length === 0) return { annotations, problems };
  const lines = LineIndex.of(file.text);
  const commentLines = linesCoveredByComments(file, lines);
  const startLine = new Map<RuleSet, number>();
  for (const rs of file.ruleSets) startLine.set(rs, lines.positionAt(rs.span.start).line);
  let firstRuleSetStart = Number.POSITIVE_INFINITY;
  for (const rs of file.ruleSets) firstRuleSetStart = Math.min(firstRuleSetStart, rs.span.start);
  const lookup = roleLookup(vocabulary);

  for (const d of directives) {
    const roles: { id: string; span: Span }[] = [];
    const named: string[] = [];
    for (const item of d.items.flatMap((it) => (lookup.resolve(it.text) || machines?.has(it.text) ? [it] : splitWords(it)))) {
      // A machine of citrix-flows.yaml: every role it plays.
      const machine = machines?.get(item.text);
      if (machine) {
        if (!named.includes(machine.name)) named.push(machine.name);
        for (const id of machine.roles) if (!roles.some((r) => r.id === id)) roles.push({ id, span: item.span });
        continue;
      }
      const hit = lookup.resolve(item.text);
      if (hit) {
        if (!roles.some((r) => r.id === hit.id)) roles.push({ id: hit.id, span: item.span });
        if (hit.viaAlias || hit.id !== item.text) {
          problems.push({ code: 'role-alias', severity: 'info', span: item.span, message: `"${item.text}" is read as role "${hit.id}"`, suggestion: hit.id });
        }
        continue;
      }
      const suggestion = lookup.suggest(item.text);
      problems.push({
        code: 'unknown-role',
        severity: 'error',
        span: item.span,
        message: `Unknown role "${item.text}" in citrix-role annotation${didYouMean(suggestion)}`,
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
    if (d.items.length === 0) {
      problems.push({ code: 'unknown-role', severity: 'error', span: d.markerSpan, message: 'citrix-role annotation names no role; write e.g. "citrix-role: vda"' });
      continue;
    }
    if (roles.length === 0) continue;

    const commentLine = lines.positionAt(d.comment.span.end).line;
    const below = nextCodeLine(lines, commentLine, commentLines);
    const atTop = file.ruleSets.length === 0 || d.comment.span.end <= firstRuleSetStart;
    // A file header (top of the file, set off by a blank line) speaks for the whole file.
    const header = atTop && below !== undefined && crossesBlankLine(lines, commentLine, below);
    const direct = below === undefined || header ? [] : file.ruleSets.filter((rs) => startLine.get(rs) === below);
    if (direct.length) {
      annotations.push({ roles, ...(named.length ? { machines: named } : {}), comment: d.comment, ruleSetId: direct[0].id, ruleSetIds: direct.map((rs) => rs.id), scope: 'rule-set' });
      continue;
    }
    // Inside a resource block, above its rules: the enclosing rule set is meant.
    const enclosing = file.ruleSets
      .filter((rs) => rs.span.start <= d.comment.span.start && d.comment.span.end <= rs.span.end)
      .sort((a, b) => a.span.end - a.span.start - (b.span.end - b.span.start));
    if (enclosing.length) {
      annotations.push({ roles, ...(named.length ? { machines: named } : {}), comment: d.comment, ruleSetId: enclosing[0].id, ruleSetIds: [enclosing[0].id], scope: 'rule-set' });
      continue;
    }
    if (atTop) {
      annotations.push({ roles, ...(named.length ? { machines: named } : {}), comment: d.comment, ruleSetIds: [], scope: 'file' });
      continue;
    }
    problems.push({
      code: 'unmatched-binding',
      severity: 'warning',
      span: d.markerSpan,
      message: 'This citrix-role annotation binds nothing: put it on the line above a rule set (resource, chain, ACL) or at the top of the file before the first one',
    });
  }
  return { annotations, problems };
}

/** Every `citrix-role:` directive in the file's comments, whether or not its ids are known. */
export function findRoleDirectives(file: ParsedFile): RoleDirective[] {
  const out: RoleDirective[] = [];
  for (const comment of file.comments) {
    const located = locateInComment(file.text, comment, MARKER);
    if (!located) continue;
    const { source, base, index } = located;
    let i = index + MARKER.length;
    while (i < source.length && (source[i] === ' ' || source[i] === '\t')) i++;
    if (source[i] !== ':') continue;
    i++;
    const end = directiveEnd(source, i);
    const items: { text: string; span: Span }[] = [];
    for (const part of splitItems(source, i, reasonCut(source, i, end).idsEnd)) {
      items.push({ text: part.text, span: { start: base + part.start, end: base + part.end } });
    }
    out.push({ comment, items, markerSpan: { start: base + index, end: base + index + MARKER.length } });
  }
  return out;
}

/**
 * Where `marker` sits, in the document text of the comment (leader and all)
 * when it can be found there, so spans are exact; else in the stripped text.
 */
export function locateInComment(text: string, comment: Comment, marker: string): { source: string; base: number; index: number } | undefined {
  const raw = text.slice(comment.span.start, comment.span.end);
  const inRaw = indexOfWord(raw, marker);
  if (inRaw >= 0) return { source: raw, base: comment.span.start, index: inRaw };
  const inText = indexOfWord(comment.text, marker);
  if (inText >= 0) return { source: comment.text, base: comment.span.start, index: inText };
  return undefined;
}

/** Case-insensitive index of `word` not glued to a longer word on its left or right. */
function indexOfWord(s: string, word: string): number {
  const lower = s.toLowerCase();
  let from = 0;
  for (;;) {
    const i = lower.indexOf(word, from);
    if (i < 0) return -1;
    const before = i === 0 ? ' ' : lower[i - 1];
    const after = lower[i + word.length] ?? ' ';
    if (!isWordChar(before) && !(isWordChar(after) || after === '-')) return i;
    from = i + 1;
  }
}

function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_' || c === '-';
}

/** A directive runs to the end of its line or to a block-comment closer. */
export function directiveEnd(source: string, from: number): number {
  let end = from;
  while (end < source.length) {
    const c = source[end];
    if (c === '\n' || c === '\r') break;
    if (source.startsWith('*/', end) || source.startsWith('-->', end) || source.startsWith('#>', end)) break;
    end++;
  }
  return end;
}

/** Comma-separated items between `from` and `end`, trimmed, with offsets into `source`. */
export function splitItems(source: string, from: number, end: number): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let i = from;
  while (i <= end) {
    let j = i;
    while (j < end && source[j] !== ',') j++;
    let s = i;
    let e = j;
    while (s < e && isSpace(source[s])) s++;
    while (e > s && isSpace(source[e - 1])) e--;
    if (e > s) out.push({ text: source.slice(s, e), start: s, end: e });
    i = j + 1;
  }
  return out;
}

/** `vda storefront` without a comma: each word is read as a role of its own. */
function splitWords(item: { text: string; span: Span }): { text: string; span: Span }[] {
  const out: { text: string; span: Span }[] = [];
  let i = 0;
  while (i < item.text.length) {
    while (i < item.text.length && isSpace(item.text[i])) i++;
    const s = i;
    while (i < item.text.length && !isSpace(item.text[i])) i++;
    if (i > s) out.push({ text: item.text.slice(s, i), span: { start: item.span.start + s, end: item.span.start + i } });
  }
  return out;
}

/** Ids end where ` -- reason` begins (ESLint's shape for directive comments). */
export function reasonCut(source: string, from: number, end: number): { idsEnd: number; reason?: { text: string; start: number; end: number } } {
  for (let i = from; i + 1 < end; i++) {
    if (source[i] === '-' && source[i + 1] === '-' && (i === from || isSpace(source[i - 1])) && (i + 2 >= end || isSpace(source[i + 2]))) {
      let s = i + 2;
      let e = end;
      while (s < e && isSpace(source[s])) s++;
      while (e > s && isSpace(source[e - 1])) e--;
      return { idsEnd: i, reason: e > s ? { text: source.slice(s, e), start: s, end: e } : undefined };
    }
  }
  return { idsEnd: end };
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** Lines that hold nothing but comment text (so annotations can stack above a rule set). */
export function linesCoveredByComments(file: ParsedFile, lines: LineIndex): Set<number> {
  const covered = new Set<number>();
  for (const c of file.comments) {
    const first = lines.positionAt(c.span.start).line;
    const last = lines.positionAt(c.span.end).line;
    for (let l = first; l <= last; l++) {
      if (l === first && !onlyCommentLeader(lines.text.slice(lines.lineStart(l), c.span.start))) continue;
      covered.add(l);
    }
  }
  return covered;
}

function crossesBlankLine(lines: LineIndex, from: number, to: number): boolean {
  for (let l = from + 1; l < to; l++) if (lines.lineText(l).trim() === '') return true;
  return false;
}

/** Spans may start after the leader (`# `, `// `); what precedes must be leader or blank. */
function onlyCommentLeader(prefix: string): boolean {
  for (const ch of prefix) if (!' \t#/*!<;-'.includes(ch)) return false;
  return true;
}

/** The first line after `line` that is neither blank nor only a comment. */
export function nextCodeLine(lines: LineIndex, line: number, commentLines: ReadonlySet<number>): number | undefined {
  for (let l = line + 1; l < lines.lineCount; l++) {
    if (commentLines.has(l)) continue;
    if (lines.lineText(l).trim() === '') continue;
    return l;
  }
  return undefined;
}
