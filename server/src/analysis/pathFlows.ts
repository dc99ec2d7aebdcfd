import type { Catalog, CatalogFlow, CatalogProtocol } from '../catalog';
import { AddressSet, Ports, Protocols, TCP, UDP, ICMP } from '../net';
import type { ParsedFile } from '../model';
import type { BoundRuleSet, Topology } from '../topology';
import { CITRIX_COMPONENTS } from '../topology/infer';
import { applicability } from './conditions';
import { evaluate, type EvaluateOptions } from './evaluate';
import { judgeFlow } from './judge';
import { ANY_CITRIX_COMPONENT, checkable, judged, topologyResolver, windowsProfileOf, type RequiredFlowCheck } from './required';
import { pathHops, walkPath, type PathHop, type PathQuery, type PathWalk, type SiteRuleSets } from './sitePath';

/** The path a required flow takes between two declared roles, and which hop of it a check is about. */
export interface OnPath {
  readonly sourceRole: string;
  readonly destinationRole: string;
  readonly walk: PathWalk;
  readonly hop: PathHop;
}

const PROTOCOL_NUMBER = { tcp: TCP, udp: UDP, icmp: ICMP } as const;

/** Concrete declared addresses of a role; "any Citrix component" is every declared component. */
function declaredAddresses(role: string, topology: Topology): AddressSet | undefined {
  if (role === ANY_CITRIX_COMPONENT && !topology.roles.has(role)) {
    let all = AddressSet.none();
    for (const [id, decl] of topology.roles) if (CITRIX_COMPONENTS.has(id) && decl.addresses.isConcrete) all = all.union(decl.addresses);
    return all.isEmpty ? undefined : all;
  }
  const a = topology.roles.get(role)?.addresses;
  return a && a.isConcrete && !a.isEmpty ? a : undefined;
}

/** Whether a hop is already judged as its role's own rule set (bound to one end of the flow). */
function ownRuleSetOf(hop: PathHop, flow: CatalogFlow, sourceRole: string): boolean {
  const roles = hop.bound?.roles ?? [];
  return roles.includes(flow.destination) || roles.includes(sourceRole);
}

/** The question a catalog flow asks of the path: its two roles' declared addresses, protocols and ports; undefined when either end has none. */
function flowQuery(topology: Topology, catalog: Catalog, flow: CatalogFlow, sourceRole: string): { query: PathQuery; protocols: readonly CatalogProtocol[] } | undefined {
  const from = declaredAddresses(sourceRole, topology);
  const to = declaredAddresses(flow.destination, topology);
  if (!from || !to || !checkable(flow)) return undefined;
  const why = applicability(flow, catalog, topology);
  if (!why.applies) return undefined;
  return {
    query: {
      protocols: Protocols.of(...why.protocols.map((p) => PROTOCOL_NUMBER[p])),
      source: from,
      destination: to,
      destinationPorts: flow.ports.length ? Ports.of(flow.ports) : Ports.any(),
      roles: { source: sourceRole, destination: flow.destination },
    },
    protocols: why.protocols,
  };
}

function profileFor(topology: Topology): (hop: PathHop) => ReturnType<typeof windowsProfileOf> {
  return (hop) => windowsProfileOf(topology, hop.bound?.roles ?? []);
}

/**
 * The path of one catalog flow between its two roles' declared addresses, or
 * undefined when either end has none (the path cannot be placed then).
 */
export function flowPath(site: SiteRuleSets, catalog: Catalog, flow: CatalogFlow, sourceRole: string): { query: PathQuery; hops: readonly PathHop[]; walk: PathWalk; protocols: readonly CatalogProtocol[] } | undefined {
  const asked = flowQuery(site.topology, catalog, flow, sourceRole);
  if (!asked) return undefined;
  const { hops } = pathHops(site, asked.query);
  const walk = walkPath(hops, asked.query, { resolve: topologyResolver(site.topology) }, profileFor(site.topology));
  return { ...asked, hops, walk };
}

/** Whether anything in the workspace says where a rule set sits between hosts; without it every path is the ends' own rule sets. */
export function placeable(site: SiteRuleSets): boolean {
  return site.guarding.length > 0 || site.files.some((f) => f.ruleSets.some((rs) => rs.device || rs.guardedNetworks?.length));
}

/**
 * What one flow's path was last evaluated from: the files of its hops and
 * where each hop sits. While both are the same, so is everything the walk and
 * the hops' judgements read, and the previous checks are kept.
 */
export type PathReuse = Map<string, { readonly files: readonly ParsedFile[]; readonly places: string; readonly checks: readonly RequiredFlowCheck[] }>;

function placesOf(hops: readonly PathHop[]): string {
  return hops.map((h) => `${h.place}|${h.ruleSet.id}|${h.direction}|${h.source}|${h.destination}|${h.bound?.roles.join(',') ?? ''}`).join(';');
}

function sameFiles(a: readonly ParsedFile[], b: readonly ParsedFile[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/**
 * Every required flow between two roles declared with addresses, walked
 * through the rule sets on its way across the workspace. The rule sets that
 * sit on the way without protecting either end (an ASA between networks, a
 * router's FORWARD chain, the NSG of a subnet nobody bound to a role) are
 * judged here as the hop they are, so a flow they block is reported on
 * them; rule sets bound to an end are judged by `evaluateRequiredFlows`
 * already, and the path only adds what the other hops say.
 */
export function evaluatePathFlows(site: SiteRuleSets, catalog: Catalog, previous?: PathReuse): { checks: RequiredFlowCheck[]; reuse: PathReuse } {
  const { topology } = site;
  const reuse: PathReuse = new Map();
  if (!placeable(site)) return { checks: [], reuse };
  const declared = [...topology.roles.keys()].filter((r) => declaredAddresses(r, topology));
  if (declared.length === 0) return { checks: [], reuse };
  const resolve = topologyResolver(topology);
  const out: RequiredFlowCheck[] = [];
  const seen = new Set<string>();
  const sources = new Set([...declared, ...(declared.some((r) => CITRIX_COMPONENTS.has(r)) ? [ANY_CITRIX_COMPONENT] : [])]);
  for (const sourceRole of sources) {
    if (!declaredAddresses(sourceRole, topology)) continue;
    for (const flow of catalog.flowsForRole(sourceRole, 'outbound')) {
      const asked = flowQuery(topology, catalog, flow, sourceRole);
      if (!asked) continue;
      const { query } = asked;
      const { hops } = pathHops(site, query);
      if (!hops.some((h) => !ownRuleSetOf(h, flow, sourceRole))) continue;
      const key = `${flow.id}|${sourceRole}`;
      const files = hops.map((h) => h.file);
      const places = placesOf(hops);
      const before = previous?.get(key);
      if (before && before.places === places && sameFiles(before.files, files)) {
        reuse.set(key, before);
        out.push(...before.checks);
        continue;
      }
      const profileOf = profileFor(topology);
      const walk = walkPath(hops, query, { resolve }, profileOf);
      const options: EvaluateOptions = { resolve };
      const made: RequiredFlowCheck[] = [];
      for (const hop of hops) {
        if (ownRuleSetOf(hop, flow, sourceRole)) continue;
        const key = `${hop.file.uri}#${hop.ruleSet.id}#${flow.id}#${sourceRole}#${hop.direction}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const guardsSource = hop.place === 'source-network' || hop.place === 'source-host';
        const role = guardsSource ? sourceRole : flow.destination;
        const hopQuery = { direction: hop.direction, protocols: query.protocols, source: hop.source, destination: hop.destination, destinationPorts: query.destinationPorts };
        const evaluated = evaluate(hop.ruleSets, hopQuery, { ...options, profile: profileOf(hop) });
        const judgement = judgeFlow({ flow, query: hopQuery, result: evaluated, peerEnd: guardsSource ? 'destination' : 'source', peerDeclared: true, ownDeclared: true });
        // The fix goes into the rule set that denies (an ASA's outbound ACL may be the one), when the file holds it.
        const denying = evaluated.decisions.find((d) => d.outcome === 'deny' && hop.file.ruleSets.includes(d.ruleSet))?.ruleSet ?? hop.ruleSet;
        const bound: BoundRuleSet = { file: hop.file, ruleSet: denying, roles: [role], via: 'path', scope: 'rule-set' };
        made.push({
          flow,
          role,
          peerRole: guardsSource ? flow.destination : sourceRole,
          direction: hop.direction,
          protocols: asked.protocols,
          query: hopQuery,
          bound,
          stages: hop.ruleSets,
          result: judged(evaluated, judgement),
          peerKnown: true,
          peerDeclared: true,
          judgement,
          onPath: { sourceRole, destinationRole: flow.destination, walk, hop },
        });
      }
      reuse.set(key, { files, places, checks: made });
      out.push(...made);
    }
  }
  return { checks: out, reuse };
}
