import { parseCondition, type Catalog, type CatalogFlow, type CatalogProtocol } from '../catalog';
import type { Topology } from '../topology/types';

/** Why a catalog flow does or does not apply to this site, in words for messages. */
export interface Applicability {
  readonly applies: boolean;
  /** Protocols that apply (UDP of an ICA flow only with EDT). */
  readonly protocols: readonly CatalogProtocol[];
  readonly because: readonly string[];
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function conditionHolds(text: string, catalog: Catalog, topology: Topology): { holds: boolean; words: string } {
  const c = parseCondition(text);
  if (!c) return { holds: false, words: `unknown condition ${text}` };
  switch (c.kind) {
    case 'optional':
      return { holds: false, words: 'optional' };
    case 'feature': {
      const feature = catalog.featureById(c.feature);
      const on = topology.features.get(c.feature) ?? feature?.default ?? false;
      return { holds: on, words: `${feature?.name ?? c.feature} is ${on ? 'on' : 'off'}` };
    }
    case 'version': {
      const declared = topology.versions.get(c.product);
      // With no version declared we assume a current release: windows that end in the past do not apply.
      if (!declared) {
        const holds = c.op === '>=' || c.op === '>';
        return { holds, words: `${c.product} version not declared (assumed current)` };
      }
      const d = compareVersions(declared, c.version);
      const holds = c.op === '<=' ? d <= 0 : c.op === '>=' ? d >= 0 : c.op === '<' ? d < 0 : c.op === '>' ? d > 0 : d === 0;
      return { holds, words: `${c.product} ${declared}` };
    }
  }
}

/** Does the site need this flow, given its features and versions, and on which protocols? */
export function applicability(flow: CatalogFlow, catalog: Catalog, topology: Topology): Applicability {
  // Every bound rule set asks about the same catalog flows under the same topology: answer each once.
  let byCatalog = applicabilityCache.get(topology);
  if (!byCatalog) applicabilityCache.set(topology, (byCatalog = new WeakMap()));
  let byFlow = byCatalog.get(catalog);
  if (!byFlow) byCatalog.set(catalog, (byFlow = new WeakMap()));
  let answer = byFlow.get(flow);
  if (!answer) byFlow.set(flow, (answer = computeApplicability(flow, catalog, topology)));
  return answer;
}

const applicabilityCache = new WeakMap<Topology, WeakMap<Catalog, WeakMap<CatalogFlow, Applicability>>>();

function computeApplicability(flow: CatalogFlow, catalog: Catalog, topology: Topology): Applicability {
  const because: string[] = [];
  for (const text of flow.conditions) {
    const r = conditionHolds(text, catalog, topology);
    because.push(r.words);
    if (!r.holds) return { applies: false, protocols: [], because };
  }
  const protocols = flow.protocols.filter((p) => (flow.protocolConditions[p] ?? []).every((t) => conditionHolds(t, catalog, topology).holds));
  return { applies: protocols.length > 0, protocols, because };
}
