import type { Comment, ParsedFile, Rule, RuleSet, Span } from '../model';

export function contains(span: Span | undefined, offset: number): boolean {
  return span !== undefined && span.start <= offset && offset <= span.end;
}

export function overlaps(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function allRules(ruleSet: RuleSet): Rule[] {
  return [...ruleSet.rules, ...Object.values(ruleSet.chains ?? {}).flat()];
}

/** The innermost written rule whose span holds the offset, with its rule set. */
export function ruleAt(file: ParsedFile, offset: number): { rule: Rule; ruleSet: RuleSet } | undefined {
  let best: { rule: Rule; ruleSet: RuleSet } | undefined;
  for (const ruleSet of file.ruleSets) {
    if (!contains(ruleSet.span, offset) && !allRules(ruleSet).some((r) => contains(r.span, offset))) continue;
    for (const rule of allRules(ruleSet)) {
      if (rule.implicit || !contains(rule.span, offset)) continue;
      if (!best || rule.span.end - rule.span.start < best.rule.span.end - best.rule.span.start) best = { rule, ruleSet };
    }
  }
  return best;
}

/** Every written rule of the file, once, with its rule set. */
export function writtenRules(file: ParsedFile): { rule: Rule; ruleSet: RuleSet }[] {
  const out: { rule: Rule; ruleSet: RuleSet }[] = [];
  const seen = new Set<Rule>();
  for (const ruleSet of file.ruleSets) {
    for (const rule of allRules(ruleSet)) {
      if (rule.implicit || seen.has(rule)) continue;
      seen.add(rule);
      out.push({ rule, ruleSet });
    }
  }
  return out;
}

export function commentAt(comments: readonly Comment[], offset: number): Comment | undefined {
  // Comments are in document order; a binary search keeps hovers cheap in long files.
  let lo = 0;
  let hi = comments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = comments[mid];
    if (offset < c.span.start) hi = mid - 1;
    else if (offset > c.span.end) lo = mid + 1;
    else return c;
  }
  return comments.find((c) => contains(c.span, offset));
}

/** The word of `[A-Za-z0-9_.-]` characters around the offset (ids of roles, features, checks). */
export function wordAt(text: string, offset: number, lo = 0, hi = text.length): { text: string; span: Span } {
  const isWord = (c: string): boolean => /[A-Za-z0-9_\-]/.test(c);
  let start = offset;
  let end = offset;
  while (start > lo && isWord(text[start - 1])) start--;
  while (end < hi && isWord(text[end])) end++;
  return { text: text.slice(start, end), span: { start, end } };
}
