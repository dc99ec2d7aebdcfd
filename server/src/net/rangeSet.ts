/**
 * Sets of integers kept as sorted, disjoint, non-adjacent inclusive ranges.
 * One implementation serves ports and protocols (number) and IPv4/IPv6
 * addresses (number / bigint): the successor function is the only thing that
 * differs, so it is passed in rather than duplicating the algebra.
 */
export interface Range<T> {
  readonly from: T;
  readonly to: T;
}

export interface Domain<T extends number | bigint> {
  readonly min: T;
  readonly max: T;
  succ(value: T): T;
  pred(value: T): T;
}

export class RangeSet<T extends number | bigint> {
  private constructor(
    readonly domain: Domain<T>,
    readonly ranges: readonly Range<T>[],
  ) {}

  static empty<T extends number | bigint>(domain: Domain<T>): RangeSet<T> {
    return RangeSet.constantsOf(domain).empty;
  }

  static full<T extends number | bigint>(domain: Domain<T>): RangeSet<T> {
    return RangeSet.constantsOf(domain).full;
  }

  static of<T extends number | bigint>(domain: Domain<T>, ranges: Iterable<Range<T>>): RangeSet<T> {
    // Parsers call this once per port, protocol and address they read, so the
    // common shapes (nothing, one range, ranges already in order) skip the sort.
    const normalized: Range<T>[] = [];
    let sorted = true;
    for (const r of ranges) {
      let from = r.from <= r.to ? r.from : r.to;
      let to = r.from <= r.to ? r.to : r.from;
      if (from < domain.min) from = domain.min;
      if (to > domain.max) to = domain.max;
      if (from > to) continue;
      if (sorted && normalized.length > 0 && from < normalized[normalized.length - 1].from) sorted = false;
      normalized.push(from === r.from && to === r.to ? r : { from, to });
    }
    if (normalized.length === 0) return RangeSet.constantsOf(domain).empty;
    if (!sorted) normalized.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    return new RangeSet(domain, mergeSorted(domain, normalized));
  }

  // Sets are immutable, so "nothing" and "everything" are shared per domain rather than rebuilt for every rule.
  private static readonly constants = new WeakMap<object, { empty: RangeSet<never>; full: RangeSet<never> }>();
  private static constantsOf<T extends number | bigint>(domain: Domain<T>): { empty: RangeSet<T>; full: RangeSet<T> } {
    let c = RangeSet.constants.get(domain);
    if (!c) {
      c = { empty: new RangeSet(domain, []), full: new RangeSet(domain, [{ from: domain.min, to: domain.max }]) } as unknown as { empty: RangeSet<never>; full: RangeSet<never> };
      RangeSet.constants.set(domain, c);
    }
    return c as unknown as { empty: RangeSet<T>; full: RangeSet<T> };
  }

  static single<T extends number | bigint>(domain: Domain<T>, value: T): RangeSet<T> {
    return RangeSet.of(domain, [{ from: value, to: value }]);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  get isFull(): boolean {
    return this.ranges.length === 1 && this.ranges[0].from === this.domain.min && this.ranges[0].to === this.domain.max;
  }

  has(value: T): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (value < r.from) hi = mid - 1;
      else if (value > r.to) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: RangeSet<T>): RangeSet<T> {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    if (this.isFull) return this;
    if (other.isFull) return other;
    // Both lists are sorted already: merge them in one pass instead of sorting the concatenation.
    const a = this.ranges;
    const b = other.ranges;
    const both: Range<T>[] = new Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length && j < b.length) both[k++] = a[i].from <= b[j].from ? a[i++] : b[j++];
    while (i < a.length) both[k++] = a[i++];
    while (j < b.length) both[k++] = b[j++];
    return new RangeSet(this.domain, mergeSorted(this.domain, both));
  }

  intersect(other: RangeSet<T>): RangeSet<T> {
    // The evaluator splits a flow by every rule it meets, so these shapes are the common case, not an edge.
    if (this.isEmpty || other.isFull) return this;
    if (other.isEmpty || this.isFull) return other;
    const out: Range<T>[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ranges.length && j < other.ranges.length) {
      const a = this.ranges[i];
      const b = other.ranges[j];
      const from = a.from > b.from ? a.from : b.from;
      const to = a.to < b.to ? a.to : b.to;
      if (from <= to) out.push(from === a.from && to === a.to ? a : from === b.from && to === b.to ? b : { from, to });
      if (a.to < b.to) i++;
      else j++;
    }
    return out.length === 0 ? RangeSet.constantsOf(this.domain).empty : new RangeSet(this.domain, out);
  }

  /** The empty set of this set's domain. */
  none(): RangeSet<T> {
    return RangeSet.constantsOf(this.domain).empty;
  }

  complement(): RangeSet<T> {
    const out: Range<T>[] = [];
    let next: T | undefined = this.domain.min;
    for (const r of this.ranges) {
      if (next !== undefined && r.from > next) out.push({ from: next, to: this.domain.pred(r.from) });
      next = r.to < this.domain.max ? this.domain.succ(r.to) : undefined;
    }
    if (next !== undefined) out.push({ from: next, to: this.domain.max });
    return new RangeSet(this.domain, out);
  }

  /**
   * One merge pass over both lists. Through the complement it cost an
   * allocation per range and, for IPv6, BigInt arithmetic at every boundary.
   */
  difference(other: RangeSet<T>): RangeSet<T> {
    if (other.isEmpty || this.isEmpty) return this;
    if (other.isFull) return RangeSet.constantsOf(this.domain).empty;
    const b = other.ranges;
    const out: Range<T>[] = [];
    let changed = false;
    let j = 0;
    for (const a of this.ranges) {
      while (j < b.length && b[j].to < a.from) j++;
      let from = a.from;
      let covered = false;
      let k = j;
      while (k < b.length && b[k].from <= a.to) {
        changed = true;
        if (b[k].from > from) out.push({ from, to: this.domain.pred(b[k].from) });
        if (b[k].to >= a.to) {
          covered = true;
          break;
        }
        from = this.domain.succ(b[k].to);
        k++;
      }
      // A range of `other` that reaches past `a` may cut the next range too, so `j` stays on it.
      j = k;
      if (!covered) out.push(from === a.from ? a : { from, to: a.to });
    }
    if (!changed) return this;
    return out.length === 0 ? RangeSet.constantsOf(this.domain).empty : new RangeSet(this.domain, out);
  }

  intersects(other: RangeSet<T>): boolean {
    const a = this.ranges;
    const b = other.ranges;
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i].to < b[j].from) i++;
      else if (b[j].to < a[i].from) j++;
      else return true;
    }
    return false;
  }

  isSubsetOf(other: RangeSet<T>): boolean {
    // Ranges of `other` are disjoint and never adjacent, so a range inside their union is inside one of them.
    const b = other.ranges;
    let j = 0;
    for (const a of this.ranges) {
      while (j < b.length && b[j].to < a.from) j++;
      if (j === b.length || b[j].from > a.from || b[j].to < a.to) return false;
    }
    return true;
  }

  equals(other: RangeSet<T>): boolean {
    return (
      this.ranges.length === other.ranges.length &&
      this.ranges.every((r, k) => r.from === other.ranges[k].from && r.to === other.ranges[k].to)
    );
  }

  /** Every boundary where membership may change; used to split sets into cells. */
  *values(limit = Infinity): Generator<T> {
    let emitted = 0;
    for (const r of this.ranges) {
      for (let v = r.from; v <= r.to; v = this.domain.succ(v)) {
        if (emitted++ >= limit) return;
        yield v;
        if (v === this.domain.max) break;
      }
    }
  }
}

/** Joins overlapping and adjacent neighbours of a list sorted by `from`. */
function mergeSorted<T extends number | bigint>(domain: Domain<T>, sorted: Range<T>[]): Range<T>[] {
  // Most rules name one port, one protocol, one address: nothing to merge, and the list is the caller's fresh one.
  if (sorted.length < 2) return sorted;
  const merged: Range<T>[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && (r.from <= last.to || (last.to < domain.max && r.from === domain.succ(last.to)))) {
      if (r.to > last.to) merged[merged.length - 1] = { from: last.from, to: r.to };
    } else {
      merged.push(r);
    }
  }
  return merged;
}

export const numberDomain = (min: number, max: number): Domain<number> => ({
  min,
  max,
  succ: (v) => v + 1,
  pred: (v) => v - 1,
});

export const bigintDomain = (min: bigint, max: bigint): Domain<bigint> => ({
  min,
  max,
  succ: (v) => v + 1n,
  pred: (v) => v - 1n,
});
