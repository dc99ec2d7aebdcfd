import { parseCondition, type Catalog, type CatalogFlow, type CatalogProtocol } from '../../catalog';
import { Ports, formatPortSet, type PortSet } from '../../net';
import type { Topology } from '../../topology/types';
import { applicability } from '../conditions';
import { roleName, shortPurpose } from '../describe';
import type { CheckDefinition } from './types';
import { GENERAL_SERVICE_PORTS, PROTOCOL_NUMBER, admitsStatelessReplies, citrixPorts, crossesNetwork, fileOf, sentence, allRuleLists, portSpan, ruleLabel } from './ruleFacts';


/** Flows whose source is "any Citrix component" (license checkout) apply to every role. */
const ANY_COMPONENT = 'any-citrix-component';

/**
 * Whether the roles are at this end of the flow: named there, a license
 * checkout every component makes, or a relay that receives it in place of
 * the flow's destination (an ADM agent takes what managed instances send to
 * ADM: `relays` in catalog/roles.yaml).
 */
function atRoleEnd(catalog: Catalog, flow: CatalogFlow, roles: readonly string[], side: 'inbound' | 'outbound'): boolean {
  const end = side === 'inbound' ? flow.destination : flow.source;
  if (roles.includes(end) || end === ANY_COMPONENT) return true;
  return side === 'inbound' && roles.some((id) => relaysFor(catalog, id, flow));
}

function relaysFor(catalog: Catalog, roleId: string, flow: CatalogFlow): boolean {
  const relays = catalog.roles.find((r) => r.id === roleId)?.relays;
  return relays !== undefined && relays.for === flow.destination && relays.from.includes(flow.source);
}

/** The ports the roles need on one protocol and side, under the site's features and versions. */
function neededPorts(catalog: Catalog, topology: Topology, roles: readonly string[], side: 'inbound' | 'outbound', protocol: CatalogProtocol): PortSet {
  let needed = Ports.none();
  for (const flow of catalog.flows) {
    if (!atRoleEnd(catalog, flow, roles, side) || !flow.protocols.includes(protocol)) continue;
    const why = applicability(flow, catalog, topology);
    if (why.applies && why.protocols.includes(protocol)) needed = needed.union(Ports.of(flow.ports));
  }
  return needed;
}

const roleKeys = new WeakMap<readonly string[], string>();
/** The sorted role list as a cache key, made once per bound rule set rather than once per rule. */
function rolesKey(roles: readonly string[]): string {
  let key = roleKeys.get(roles);
  if (key === undefined) roleKeys.set(roles, (key = [...roles].sort().join(',')));
  return key;
}


type PortCaches<T = PortSet> = WeakMap<Catalog, WeakMap<Topology, Map<string, T>>>;
const neededCaches: PortCaches = new WeakMap();
const reportableCaches: PortCaches = new WeakMap();

/** What a rule's ports open that its roles do not need, per protocol, and the words that explain each piece. */
interface PortJudgement {
  readonly unneededByProtocol: readonly { readonly protocol: CatalogProtocol; readonly ports: PortSet }[];
  readonly explained: readonly string[];
}
// The judgement depends only on the roles, the side, the protocols and the ports, not on the rule: rules share port
// sets, and every edit re-checks the whole file, so each distinct set is judged once per topology, not once per rule.
const judgementCaches: PortCaches<PortJudgement> = new WeakMap();
/** A bound on one topology's judgements: an editing session makes a new port set per keystroke. */
const MAX_JUDGEMENTS = 50_000;

const portedFlowCaches = new WeakMap<Catalog, Map<CatalogProtocol, readonly { flow: CatalogFlow; ports: PortSet }[]>>();

/** The catalog's flows across a network on `protocol` that name ports, each with its port set built once. */
function portedFlows(catalog: Catalog, protocol: CatalogProtocol): readonly { flow: CatalogFlow; ports: PortSet }[] {
  let byProtocol = portedFlowCaches.get(catalog);
  if (!byProtocol) portedFlowCaches.set(catalog, (byProtocol = new Map()));
  let list = byProtocol.get(protocol);
  if (!list) {
    list = catalog.flows.filter((flow) => crossesNetwork(flow) && flow.protocols.includes(protocol) && flow.ports.length > 0).map((flow) => ({ flow, ports: Ports.of(flow.ports) }));
    byProtocol.set(protocol, list);
  }
  return list;
}

function sharedCache<T>(caches: PortCaches<T>, catalog: Catalog, topology: Topology): Map<string, T> {
  let byTopology = caches.get(catalog);
  if (!byTopology) caches.set(catalog, (byTopology = new WeakMap()));
  let cache = byTopology.get(topology);
  if (!cache) byTopology.set(topology, (cache = new Map()));
  return cache;
}


/** The first condition of a flow that does not hold here, in words. */
function failedCondition(flow: CatalogFlow, protocol: CatalogProtocol, catalog: Catalog, topology: Topology): string {
  const holds = (conditions: string[]): boolean => applicability({ ...flow, conditions, protocolConditions: {} }, catalog, topology).applies;
  for (const text of [...flow.conditions, ...(flow.protocolConditions[protocol] ?? [])]) {
    if (holds([text])) continue;
    const c = parseCondition(text);
    if (c?.kind === 'feature') return `${catalog.featureById(c.feature)?.name ?? c.feature} is off`;
    if (c?.kind === 'optional') return 'the seed marks it optional';
    if (c?.kind === 'version') {
      const product = catalog.productById(c.product)?.name ?? c.product;
      const declared = topology.versions.get(c.product);
      return `it is for ${product} ${c.op} ${c.version}, and ${declared ? `${product} ${declared} is declared` : 'no version is declared (a current one is assumed)'}`;
    }
  }
  return 'it does not apply here';
}

/** Why a flow on this port is not needed here, in words: the failed condition, or that it is another role's flow. */
function whyNotNeeded(flow: CatalogFlow, protocol: CatalogProtocol, roles: readonly string[], side: 'inbound' | 'outbound', catalog: Catalog, topology: Topology): string {
  if (atRoleEnd(catalog, flow, roles, side)) return failedCondition(flow, protocol, catalog, topology);
  return `that flow ${side === 'inbound' ? 'goes to' : 'comes from'} ${roleName(catalog, side === 'inbound' ? flow.destination : flow.source)}`;
}

/**
 * Ports of this role's flows that a declared product version no longer uses:
 * deprecated-port reports those, with the version's own words.
 */
function versionRetired(catalog: Catalog, topology: Topology, roles: readonly string[], side: 'inbound' | 'outbound', protocol: CatalogProtocol): PortSet {
  let ports = Ports.none();
  for (const flow of catalog.flows) {
    if (!atRoleEnd(catalog, flow, roles, side) || !flow.protocols.includes(protocol)) continue;
    for (const text of flow.conditions) {
      const c = parseCondition(text);
      if (c?.kind !== 'version' || !topology.versions.has(c.product)) continue;
      if (!applicability({ ...flow, conditions: [text], protocolConditions: {} }, catalog, topology).applies) ports = ports.union(Ports.of(flow.ports));
    }
  }
  return ports;
}

export const unneededCitrixPort: CheckDefinition = {
  id: 'unneeded-citrix-port',
  title: 'Citrix port opened that no declared flow needs',
  summary: 'A rule opens a port the catalog knows as a Citrix port to a role, but no flow that role needs here (with the site\'s features and versions) uses it.',
  defaultSeverity: 'info',
  scope: 'file',
  needsRoles: true,
  run(context) {
    const { catalog, topology } = context;
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    // Kept per topology, not per run: the engine runs this check file by file.
    const neededCache = sharedCache(neededCaches, catalog, topology);
    const needed = (roles: readonly string[], side: 'inbound' | 'outbound', protocol: CatalogProtocol): PortSet => {
      const key = `${rolesKey(roles)}#${side}#${protocol}`;
      let set = neededCache.get(key);
      if (!set) neededCache.set(key, (set = neededPorts(catalog, topology, roles, side, protocol).union(versionRetired(catalog, topology, roles, side, protocol))));
      return set;
    };
    // Every port some catalog flow opens on a protocol, less what the roles need and general services: a rule that
    // opens none of these has nothing to report, which spares the per-flow scan for nearly every rule.
    const reportableCache = sharedCache(reportableCaches, catalog, topology);
    const reportable = (roles: readonly string[], side: 'inbound' | 'outbound', protocol: CatalogProtocol): PortSet => {
      const key = `${rolesKey(roles)}#${side}#${protocol}`;
      let set = reportableCache.get(key);
      if (!set) reportableCache.set(key, (set = citrixPorts(catalog, protocol).difference(needed(roles, side, protocol)).difference(GENERAL_SERVICE_PORTS)));
      return set;
    };
    const judgements = sharedCache(judgementCaches, catalog, topology);
    const judge = (roles: readonly string[], side: 'inbound' | 'outbound', protocols: readonly CatalogProtocol[], rulePorts: PortSet): PortJudgement => {
      const key = `${rolesKey(roles)}#${side}#${protocols.join('+')}#${rulePorts.ranges.map((r) => `${r.from}-${r.to}`).join(',')}`;
      const known = judgements.get(key);
      if (known) return known;
      const explained: string[] = [];
      const unneededByProtocol: { protocol: CatalogProtocol; ports: PortSet }[] = [];
      for (const protocol of protocols) {
        const wanted = needed(roles, side, protocol);
        let unneeded = Ports.none();
        const flowsHere: CatalogFlow[] = [];
        for (const { flow, ports } of portedFlows(catalog, protocol)) {
          if (!ports.intersects(rulePorts)) continue;
          const open = ports.intersect(rulePorts).difference(wanted).difference(GENERAL_SERVICE_PORTS);
          if (open.isEmpty) continue;
          unneeded = unneeded.union(open);
          flowsHere.push(flow);
        }
        if (unneeded.isEmpty) continue;
        unneededByProtocol.push({ protocol, ports: unneeded });
        // Name the flow that explains each port best: one of this role's own, else any.
        for (const range of unneeded.ranges.slice(0, 3)) {
          const piece = Ports.range(range.from, range.to);
          const onPiece = flowsHere.filter((f) => Ports.of(f.ports).intersects(piece));
          const best = onPiece.find((f) => atRoleEnd(catalog, f, roles, side)) ?? onPiece[0];
          if (!best) continue;
          explained.push(
            `${protocol.toUpperCase()} ${formatPortSet(piece, '–')}, the Citrix port for ${roleName(catalog, best.source)} → ${roleName(catalog, best.destination)} (${shortPurpose(best)}), but ${whyNotNeeded(best, protocol, roles, side, catalog, topology)}`,
          );
        }
      }
      if (judgements.size >= MAX_JUDGEMENTS) judgements.clear();
      const judgement = { unneededByProtocol, explained };
      judgements.set(key, judgement);
      return judgement;
    };
    for (const bound of context.bound) {
      const roles = bound.roles;
      const names = roles.map((r) => roleName(catalog, r)).join(', ');
      // The four (side, protocol) sets of this rule set's roles, looked up once rather than once per rule.
      const reportableHere: (PortSet | undefined)[] = [];
      const reportableFor = (side: 'inbound' | 'outbound', protocol: CatalogProtocol): PortSet =>
        (reportableHere[(side === 'inbound' ? 0 : 2) + (protocol === 'tcp' ? 0 : 1)] ??= reportable(roles, side, protocol));
      for (const list of allRuleLists(bound.ruleSet)) {
        for (const rule of list) {
          if (rule.implicit || !rule.enabled.value || rule.target.kind !== 'allow') continue;
          if (rule.direction !== 'inbound' && rule.direction !== 'outbound') continue;
          const side = rule.direction;
          const rulePorts = rule.destinationPorts.value;
          // A rule that opens every port is a different problem; this check is about Citrix ports by name.
          if (rulePorts.isFull) continue;
          if (admitsStatelessReplies(bound.ruleSet, rule)) continue;
          const protocols = (['tcp', 'udp'] as const).filter((protocol) => rule.protocols.value.has(PROTOCOL_NUMBER[protocol]) && reportableFor(side, protocol).intersects(rulePorts));
          if (protocols.length === 0) continue;
          const { unneededByProtocol, explained } = judge(roles, side, protocols, rulePorts);
          if (unneededByProtocol.length === 0) continue;
          findings.push({
            checkId: 'unneeded-citrix-port',
            uri: fileOf(rule, bound.file, context.allFiles ?? context.files).uri,
            span: portSpan(rule),
            message: sentence(`${ruleLabel(fileOf(rule, bound.file, context.allFiles ?? context.files), rule)} opens ${explained.join('; ')}. No flow ${side === 'inbound' ? 'to' : 'from'} ${names} needs it.`),
            data: {
              ruleSetId: bound.ruleSet.id,
              ruleId: rule.id,
              roles: [...roles],
              direction: side,
              ports: unneededByProtocol.map((u) => ({ protocol: u.protocol, ranges: u.ports.ranges.map((r) => ({ from: r.from, to: r.to })) })),
            },
          });
        }
      }
    }
    return findings;
  },
};
