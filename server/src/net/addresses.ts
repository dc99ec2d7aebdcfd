import { RangeSet } from './rangeSet';
import {
  IPV4_DOMAIN,
  IPV6_DOMAIN,
  type Ipv4Set,
  type Ipv6Set,
  parseAddressBlock,
  rangeToCidrs4,
  rangeToCidrs6,
} from './ip';
import type { ParseResult } from './ports';

/**
 * A name that stands for addresses we cannot know from the file alone. It
 * stays symbolic until the topology resolves it: unresolved means "unknown",
 * never "any".
 */
export type SymbolKind =
  | 'service-tag' // Azure: VirtualNetwork, Internet, AzureLoadBalancer, …
  | 'security-group' // AWS security-group reference
  | 'prefix-list' // AWS managed prefix list
  | 'application-security-group' // Azure ASG
  | 'network-tag' // GCP target/source tags
  | 'service-account' // GCP
  | 'object' // ASA object / object-group not defined in the file
  | 'named-set' // nftables/ipset set not defined in the file
  | 'variable' // unresolved variable or expression
  | 'keyword' // Windows Firewall LocalSubnet, DNS, DHCP, …
  | 'fqdn'
  | 'self'; // AWS `self = true`: members of the group itself

export interface AddressSymbol {
  readonly kind: SymbolKind;
  readonly name: string;
  /** True when the symbol is excluded (`! -s $X`): the set is everything except it. */
  readonly negated?: boolean;
}

export class AddressSet {
  private constructor(
    readonly v4: Ipv4Set,
    readonly v6: Ipv6Set,
    readonly symbols: readonly AddressSymbol[],
  ) {}

  // Sets are immutable: the constant ones are built once instead of per rule.
  private static readonly ANY = new AddressSet(RangeSet.full(IPV4_DOMAIN), RangeSet.full(IPV6_DOMAIN), []);
  private static readonly ANY_V4 = new AddressSet(RangeSet.full(IPV4_DOMAIN), RangeSet.empty(IPV6_DOMAIN), []);
  private static readonly ANY_V6 = new AddressSet(RangeSet.empty(IPV4_DOMAIN), RangeSet.full(IPV6_DOMAIN), []);
  private static readonly NONE = new AddressSet(RangeSet.empty(IPV4_DOMAIN), RangeSet.empty(IPV6_DOMAIN), []);

  static any(): AddressSet {
    return AddressSet.ANY;
  }
  static anyV4(): AddressSet {
    return AddressSet.ANY_V4;
  }
  static anyV6(): AddressSet {
    return AddressSet.ANY_V6;
  }
  static none(): AddressSet {
    return AddressSet.NONE;
  }
  static symbol(kind: SymbolKind, name: string): AddressSet {
    return new AddressSet(RangeSet.empty(IPV4_DOMAIN), RangeSet.empty(IPV6_DOMAIN), [{ kind, name }]);
  }
  static of(v4: Ipv4Set, v6: Ipv6Set, symbols: readonly AddressSymbol[] = []): AddressSet {
    return new AddressSet(v4, v6, dedupeSymbols(symbols));
  }

  /** Parses one address, CIDR, range or `any`/`*`/`0.0.0.0/0`/`::/0`. */
  static parse(text: string): ParseResult<AddressSet> {
    const t = text.trim();
    const lower = t.toLowerCase();
    if (lower === 'any' || lower === '*') return { ok: true, value: AddressSet.any() };
    const block = parseAddressBlock(text);
    if (!block.ok) return block;
    const b = block.value;
    return {
      ok: true,
      value:
        b.family === 4
          ? new AddressSet(RangeSet.of(IPV4_DOMAIN, [b]), RangeSet.empty(IPV6_DOMAIN), [])
          : new AddressSet(RangeSet.empty(IPV4_DOMAIN), RangeSet.of(IPV6_DOMAIN, [b]), []),
    };
  }

  /** Parses a list; the first bad element fails the whole list with its own message. */
  static parseList(items: readonly string[]): ParseResult<AddressSet> {
    let acc = AddressSet.none();
    for (const item of items) {
      const one = AddressSet.parse(item);
      if (!one.ok) return one;
      acc = acc.union(one.value);
    }
    return { ok: true, value: acc };
  }

  get isConcrete(): boolean {
    return this.symbols.length === 0;
  }
  get isEmpty(): boolean {
    return this.v4.isEmpty && this.v6.isEmpty && this.symbols.length === 0;
  }
  get isAny(): boolean {
    return this.v4.isFull && this.v6.isFull;
  }

  union(other: AddressSet): AddressSet {
    // Every instance keeps its symbols deduplicated and sorted, so a side without symbols needs no re-sorting.
    const symbols = other.symbols.length === 0 ? this.symbols : this.symbols.length === 0 ? other.symbols : dedupeSymbols([...this.symbols, ...other.symbols]);
    return new AddressSet(this.v4.union(other.v4), this.v6.union(other.v6), symbols);
  }

  /** Intersection of the concrete parts; symbols make the result uncertain, so callers check `isConcrete` first. */
  intersect(other: AddressSet): AddressSet {
    return new AddressSet(this.v4.intersect(other.v4), this.v6.intersect(other.v6), []);
  }

  difference(other: AddressSet): AddressSet {
    return new AddressSet(this.v4.difference(other.v4), this.v6.difference(other.v6), this.symbols);
  }

  /**
   * The set is a union (addresses ∪ symbols), so only two complements can be
   * written in the same shape: of plain addresses, and of one symbol alone.
   * Anything else becomes one opaque unknown, which is honest.
   */
  complement(): AddressSet {
    const none = AddressSet.none();
    if (this.symbols.length === 0) return new AddressSet(this.v4.complement(), this.v6.complement(), []);
    if (this.v4.isEmpty && this.v6.isEmpty && this.symbols.length === 1) {
      const s = this.symbols[0];
      return new AddressSet(none.v4, none.v6, [{ ...s, negated: !s.negated }]);
    }
    return new AddressSet(none.v4, none.v6, [{ kind: 'variable', name: `not (${this.toString()})` }]);
  }

  intersects(other: AddressSet): boolean {
    return this.v4.intersects(other.v4) || this.v6.intersects(other.v6);
  }

  isSubsetOf(other: AddressSet): boolean {
    return this.v4.isSubsetOf(other.v4) && this.v6.isSubsetOf(other.v6);
  }

  equals(other: AddressSet): boolean {
    return (
      this.v4.equals(other.v4) &&
      this.v6.equals(other.v6) &&
      this.symbols.length === other.symbols.length &&
      this.symbols.every((s, i) => symbolKey(s) === symbolKey(other.symbols[i]))
    );
  }

  /**
   * Replaces every symbol the resolver knows by its addresses. A negated
   * symbol becomes the complement of what it stands for. Symbols the resolver
   * does not know stay, so the caller can still say the verdict is unknown.
   */
  resolve(resolver: (symbol: AddressSymbol) => AddressSet | undefined): AddressSet {
    if (this.symbols.length === 0) return this;
    let concrete = new AddressSet(this.v4, this.v6, []);
    const left: AddressSymbol[] = [];
    for (const s of this.symbols) {
      const known = resolver({ kind: s.kind, name: s.name });
      if (known && known.isConcrete) concrete = concrete.union(s.negated ? known.complement() : known);
      else left.push(s);
    }
    return new AddressSet(concrete.v4, concrete.v6, left);
  }

  /** Minimal CIDR list (IPv4 first), then symbols by name. */
  toStrings(): string[] {
    if (this.isAny && this.symbols.length === 0) return ['any'];
    const out: string[] = [];
    for (const r of this.v4.ranges) out.push(...rangeToCidrs4(r.from, r.to).map((c) => (c.endsWith('/32') ? c.slice(0, -3) : c)));
    for (const r of this.v6.ranges) out.push(...rangeToCidrs6(r.from, r.to).map((c) => (c.endsWith('/128') ? c.slice(0, -4) : c)));
    for (const s of this.symbols) out.push(`${s.negated ? '!' : ''}${s.name}`);
    return out;
  }

  toString(): string {
    const parts = this.toStrings();
    return parts.length === 0 ? 'none' : parts.join(', ');
  }
}

function symbolKey(s: AddressSymbol): string {
  return `${s.negated ? '!' : ''}${s.kind}:${s.name}`;
}

const NO_SYMBOLS: readonly AddressSymbol[] = Object.freeze([]);

function dedupeSymbols(symbols: readonly AddressSymbol[]): readonly AddressSymbol[] {
  // Most lists come from another set's (filtered, so still in order) or hold one name: check before sorting.
  let inOrder = true;
  for (let i = 1; i < symbols.length && inOrder; i++) inOrder = symbolKey(symbols[i - 1]) < symbolKey(symbols[i]);
  if (inOrder) return symbols.length === 0 ? NO_SYMBOLS : symbols.slice();
  const seen = new Map<string, AddressSymbol>();
  for (const s of symbols) seen.set(symbolKey(s), s);
  return [...seen.values()].sort((a, b) => (symbolKey(a) < symbolKey(b) ? -1 : 1));
}
