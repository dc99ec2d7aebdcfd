/**
 * `base`, or `base (2)`, `base (3)`… : a rule id not yet used in `rules`.
 * The ids seen are kept per list and topped up with the rules appended since
 * the last call, so a group of thousands of rules is not scanned per rule
 * (a scan per rule made 10,000-line templates quadratic). Lists are only
 * ever appended to while a reader builds them.
 */
const seen = new WeakMap<readonly { readonly id: string }[], { count: number; ids: Set<string> }>();

export function uniqueRuleId(rules: readonly { readonly id: string }[], base: string): string {
  let known = seen.get(rules);
  if (!known) {
    known = { count: 0, ids: new Set() };
    seen.set(rules, known);
  }
  for (; known.count < rules.length; known.count++) known.ids.add(rules[known.count].id);
  let id = base;
  for (let n = 2; known.ids.has(id); n++) id = `${base} (${n})`;
  // Reserved now: the caller pushes the rule next, and two calls before that push must not get one id.
  known.ids.add(id);
  return id;
}
