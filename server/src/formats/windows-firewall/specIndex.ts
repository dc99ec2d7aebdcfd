import type { RuleSpec } from './rules';

type Key = 'Name' | 'DisplayName' | 'Group';
const KEYS: readonly Key[] = ['Name', 'DisplayName', 'Group'];

function lowerText(spec: RuleSpec, key: Key): string | undefined {
  const v = spec.params.get(key)?.value;
  return v?.kind === 'text' ? v.text.toLowerCase() : undefined;
}

/**
 * Rules created so far, by lower-case Name, DisplayName and Group. A script that
 * creates N rules and then changes or removes each one would otherwise scan
 * every rule per change: quadratic, seconds on a 10,000-line script.
 * Specs without a text value for a key sit under `undefined`.
 */
export class SpecIndex {
  private readonly order = new Map<RuleSpec, number>();
  private readonly buckets: Record<Key, Map<string | undefined, Set<RuleSpec>>> = { Name: new Map(), DisplayName: new Map(), Group: new Map() };
  private readonly indexed = new Map<RuleSpec, Record<Key, string | undefined>>();
  /** Rules or groups the script enables or edits without creating them: the host has rules this file does not show, which may admit traffic. */
  readonly madeElsewhere: string[] = [];
  /** Changes (of any kind) to rules the script did not create. */
  changedOutside = 0;

  add(spec: RuleSpec): void {
    this.order.set(spec, this.order.size);
    this.place(spec);
  }

  /** Call after a spec's Name, DisplayName or Group may have changed. */
  update(spec: RuleSpec): void {
    const old = this.indexed.get(spec);
    if (old) for (const key of KEYS) this.buckets[key].get(old[key])?.delete(spec);
    this.place(spec);
  }

  /** Live (not removed) specs whose `key` text, lower-cased, is one of `wanted`; undefined stands for "no text value". In creation order. */
  find(key: Key, wanted: Iterable<string | undefined>): RuleSpec[] {
    const hits = new Set<RuleSpec>();
    for (const w of wanted) for (const s of this.buckets[key].get(w) ?? []) if (!s.removed) hits.add(s);
    return [...hits].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  /** Every live spec, in creation order. */
  live(): RuleSpec[] {
    return [...this.order.keys()].filter((s) => !s.removed);
  }

  private place(spec: RuleSpec): void {
    const texts = { Name: lowerText(spec, 'Name'), DisplayName: lowerText(spec, 'DisplayName'), Group: lowerText(spec, 'Group') };
    this.indexed.set(spec, texts);
    for (const key of KEYS) {
      const bucket = this.buckets[key];
      let set = bucket.get(texts[key]);
      if (!set) bucket.set(texts[key], (set = new Set()));
      set.add(spec);
    }
  }
}
