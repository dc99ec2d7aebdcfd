/**
 * Results computed from one piece of source text (a rule block), kept from
 * the previous version of an open document and reused when the same text
 * comes back at any offset: spans are stored with the offset they were
 * computed at and moved by the difference. Each parse keeps only what it
 * used, so the memo holds one version's worth.
 *
 * Only for results that depend on nothing but the key: callers put every
 * other input (rule id, order, metadata) into the key and do not memoise
 * blocks whose values need variables, iterators or other blocks.
 */
export class TextMemo<T> {
  private readonly previous: Map<string, { value: T; at: number }> | undefined;
  private readonly next = new Map<string, { value: T; at: number }>();
  private readonly store: Map<string, unknown> | undefined;

  /** `store` is the open document's memo (`IncrementalTrees.memo`); without one nothing is kept. */
  constructor(
    private readonly name: string,
    store: Map<string, unknown> | undefined,
  ) {
    this.store = store;
    this.previous = this.store?.get(name) as Map<string, { value: T; at: number }> | undefined;
  }

  /** Whether results are kept at all (only while an open document is parsed). */
  get active(): boolean {
    return this.store !== undefined;
  }

  get(key: string, at: number): T | undefined {
    const hit = this.previous?.get(key) ?? this.next.get(key);
    if (!hit) return undefined;
    const value = hit.at === at ? hit.value : moveSpans(hit.value, at - hit.at);
    this.next.set(key, { value, at });
    return value;
  }

  set(key: string, at: number, value: T): void {
    if (this.store) this.next.set(key, { value, at });
  }

  /** Makes this parse's results the ones the next version reuses. */
  commit(): void {
    this.store?.set(this.name, this.next);
  }
}

/**
 * A copy with every span (a plain `{start, end}` object) moved by `delta`.
 * Plain objects and arrays are copied; class instances (address, port and
 * protocol sets) hold no offsets and are shared.
 */
export function moveSpans<T>(value: T, delta: number): T {
  if (Array.isArray(value)) return value.map((v) => moveSpans(v, delta)) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 2 && typeof o.start === 'number' && typeof o.end === 'number') return { start: o.start + delta, end: o.end + delta } as T;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = moveSpans(o[k], delta);
  return out as T;
}
