/**
 * The words citrix-flows.yaml, annotations and suppressions may use. Callers
 * build it from the catalog and the check registry (`vocabularyFromCatalog`),
 * so this layer stays testable without either.
 */
export interface Vocabulary {
  readonly roles: readonly { readonly id: string; readonly aliases?: readonly string[] }[];
  readonly features: readonly { readonly id: string; readonly default: boolean }[];
  readonly checks: readonly string[];
  /** Product ids `versions:` may name; when absent any product id is accepted. */
  readonly products?: readonly string[];
}

export interface RoleLookup {
  /** Canonical id for an id or alias (case, spaces and punctuation ignored), or undefined. */
  resolve(text: string): { id: string; viaAlias: boolean } | undefined;
  /** Closest role id to a misspelling, or undefined when nothing is close. */
  suggest(text: string): string | undefined;
}

/** `Delivery Controller`, `delivery_controller` and `DELIVERY-CONTROLLER` all become `delivery-controller`. */
export function normalizeKey(text: string): string {
  let out = '';
  let pendingDash = false;
  for (const ch of text.toLowerCase()) {
    const alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch.charCodeAt(0) > 127;
    if (alnum) {
      if (pendingDash && out.length > 0) out += '-';
      pendingDash = false;
      out += ch;
    } else pendingDash = true;
  }
  return out;
}

const lookups = new WeakMap<Vocabulary, RoleLookup>();

export function roleLookup(vocabulary: Vocabulary): RoleLookup {
  const cached = lookups.get(vocabulary);
  if (cached) return cached;
  const byKey = new Map<string, { id: string; viaAlias: boolean }>();
  // Ids first, so an alias can never shadow another role's own id.
  for (const r of vocabulary.roles) byKey.set(normalizeKey(r.id), { id: r.id, viaAlias: false });
  for (const r of vocabulary.roles) {
    for (const a of r.aliases ?? []) {
      const k = normalizeKey(a);
      if (k && !byKey.has(k)) byKey.set(k, { id: r.id, viaAlias: true });
    }
  }
  const candidates = [...byKey.entries()].map(([key, v]) => ({ key, id: v.id }));
  const ids = vocabulary.roles.map((r) => r.id);
  const lookup: RoleLookup = {
    resolve(text) {
      const hit = byKey.get(normalizeKey(text));
      if (!hit) return undefined;
      // Typing the id itself in another case is not an alias worth a hint.
      return { id: hit.id, viaAlias: hit.viaAlias };
    },
    suggest(text) {
      const key = normalizeKey(text);
      const best = closest(key, candidates.map((c) => c.key));
      if (best !== undefined) return candidates.find((c) => c.key === best)?.id;
      // `vda-aws`, `storefront-eu`: a role id with a site suffix.
      const prefixed = ids.filter((id) => key.startsWith(`${id}-`)).sort((a, b) => b.length - a.length);
      return prefixed[0];
    },
  };
  lookups.set(vocabulary, lookup);
  return lookup;
}

/**
 * The candidate nearest to `word` by edit distance (adjacent transpositions
 * count once), if it is close enough to be a typo rather than another word.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (!w) return undefined;
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    if (Math.abs(lc.length - w.length) > limit) continue;
    const d = editDistance(w, lc, bestDistance);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      if (d <= limit) {
        best = c;
        bestDistance = d;
      }
    }
  }
  return best;
}

/** Optimal string alignment distance; stops early once every path exceeds `cap`. */
export function editDistance(a: string, b: string, cap = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return rowMin;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/** `"x"; did you mean "y"?` in one place, so every message reads the same. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
}
