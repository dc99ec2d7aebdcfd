import rawCatalog from './catalog.generated.json';
import type {
  Catalog, CatalogData, CatalogFeature, CatalogFlow, CatalogProduct, CatalogProtocol, CatalogRole, FlowDirection,
} from './types';

export * from './types';
export { parseCondition } from './conditions';

let cached: Catalog | undefined;

/** The catalog bundled with the server, indexed once and shared. */
export function loadCatalog(): Catalog {
  cached ??= createCatalog(rawCatalog as unknown as CatalogData);
  return cached;
}

/**
 * Port lookups go through elementary intervals: the ports where some flow's
 * range starts or ends cut 0–65535 into segments, and each segment lists the
 * flows covering it, so a lookup is one binary search however wide the ranges
 * (49152–65535) are.
 */
class PortIndex {
  private readonly starts: number[];
  private readonly segments: number[][];

  constructor(flows: readonly CatalogFlow[]) {
    const cuts = new Set<number>([0]);
    for (const f of flows) for (const r of f.ports) { cuts.add(r.from); cuts.add(r.to + 1); }
    this.starts = [...cuts].filter((c) => c <= 65535).sort((a, b) => a - b);
    this.segments = this.starts.map(() => []);
    flows.forEach((f, index) => {
      for (const r of f.ports) {
        for (let s = this.segmentOf(r.from); s < this.starts.length && this.starts[s] <= r.to; s++) {
          const seg = this.segments[s];
          if (seg[seg.length - 1] !== index) seg.push(index);
        }
      }
    });
  }

  /** Indexes (into the flow list, ascending) of flows covering `port`. */
  lookup(port: number): readonly number[] {
    if (!Number.isInteger(port) || port < 0 || port > 65535) return [];
    return this.segments[this.segmentOf(port)];
  }

  private segmentOf(port: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= port) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
}

function normalizeName(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length];
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.id, i]));
}

export function createCatalog(data: CatalogData): Catalog {
  const roles = byId(data.roles);
  const features = byId<CatalogFeature>(data.features);
  const products = byId<CatalogProduct>(data.products);
  const flows = byId(data.flows);
  const names = new Map<string, CatalogRole>();
  for (const r of data.roles) for (const n of [r.id, r.name, ...r.aliases]) names.set(normalizeName(n), r);
  const inbound = new Map<string, CatalogFlow[]>();
  const outbound = new Map<string, CatalogFlow[]>();
  const anyDirection = new Map<string, CatalogFlow[]>();
  const push = (m: Map<string, CatalogFlow[]>, k: string, f: CatalogFlow) => {
    const list = m.get(k);
    if (list) { if (list[list.length - 1] !== f) list.push(f); } else m.set(k, [f]);
  };
  for (const f of data.flows) {
    push(outbound, f.source, f);
    push(inbound, f.destination, f);
    push(anyDirection, f.source, f);
    push(anyDirection, f.destination, f);
  }
  const ports = new PortIndex(data.flows);
  const byDirection: Record<FlowDirection, Map<string, CatalogFlow[]>> = { inbound, outbound, any: anyDirection };

  return {
    ...data,
    roleById: (id) => roles.get(id),
    resolveRole: (text) => names.get(normalizeName(text)),
    featureById: (id) => features.get(id),
    productById: (id) => products.get(id),
    flowById: (id) => flows.get(id),
    flowsOnPort(port: number, protocol?: CatalogProtocol) {
      const hits = ports.lookup(port).map((i) => data.flows[i]);
      return protocol ? hits.filter((f) => f.protocols.includes(protocol)) : hits;
    },
    flowsForRole: (roleId, direction) => byDirection[direction].get(roleId) ?? [],
    suggestRole(text: string) {
      const wanted = normalizeName(text);
      if (!wanted) return [];
      const best = new Map<string, number>();
      for (const [name, role] of names) {
        let d = editDistance(wanted, name);
        // Someone typing the start of an id ("deliv") means that role.
        if (wanted.length >= 3 && name.startsWith(wanted)) d = Math.min(d, 1);
        if (d < (best.get(role.id) ?? Infinity)) best.set(role.id, d);
      }
      const limit = Math.max(2, Math.floor(wanted.length / 3));
      return [...best].filter(([, d]) => d <= limit).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, 3).map(([id]) => id);
    },
  };
}
