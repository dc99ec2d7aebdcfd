import type { Catalog, CatalogFlow, CatalogProtocol } from '../catalog';
import type { Direction, RuleSet } from '../model';
import { AddressSet, type AddressSymbol, Ports, Protocols, TCP, UDP, ICMP } from '../net';
import type { BoundRuleSet, Topology } from '../topology/types';
import { applicability } from './conditions';
import { evaluate, type EvaluationResult, type FlowQuery } from './evaluate';

/** One required Citrix flow, checked against the rule set(s) protecting one of its ends. */
export interface RequiredFlowCheck {
  readonly flow: CatalogFlow;
  /** The role the rule set protects. */
  readonly role: string;
  readonly peerRole: string;
  /** As the rule set sees it: inbound when the protected role is the destination. */
  readonly direction: Direction;
  readonly protocols: readonly CatalogProtocol[];
  readonly query: FlowQuery;
  readonly bound: BoundRuleSet;
  /** The rule sets a packet crosses in this file (the bound one and its stage companions). */
  readonly stages: readonly RuleSet[];
  readonly result: EvaluationResult;
  /** False when the peer's addresses were not declared, so the flow was checked against a placeholder. */
  readonly peerKnown: boolean;
}

const PROTOCOL_NUMBER: Record<CatalogProtocol, number> = { tcp: TCP, udp: UDP, icmp: ICMP };

/**
 * Azure's Internet tag and similar names mean public address space; that is
 * general knowledge, so it resolves without a declaration. Private ranges
 * (RFC 1918, shared, link-local, loopback, ULA) are excluded.
 */
function publicAddressSpace(): AddressSet {
  let privateSpace = AddressSet.none();
  for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128']) {
    const r = AddressSet.parse(cidr);
    if (r.ok) privateSpace = privateSpace.union(r.value);
  }
  return AddressSet.any().difference(privateSpace);
}
const PUBLIC = publicAddressSpace();

export function topologyResolver(topology: Topology): (symbol: AddressSymbol) => AddressSet | undefined {
  return (symbol) => {
    const declared = topology.networks.get(symbol.name);
    if (declared) return declared;
    if (symbol.kind === 'service-tag' && symbol.name.toLowerCase() === 'internet') return PUBLIC;
    if (symbol.kind === 'keyword' && symbol.name.toLowerCase() === 'internet') return PUBLIC;
    return undefined;
  };
}

export function roleAddresses(role: string, topology: Topology): { addresses: AddressSet; known: boolean } {
  const declared = topology.roles.get(role);
  if (declared && !declared.addresses.isEmpty) return { addresses: declared.addresses, known: true };
  // With no citrix-flows.yaml, users are assumed to reach Citrix from anywhere.
  if (role === 'workspace-app' && !topology.uri) return { addresses: AddressSet.any(), known: true };
  return { addresses: AddressSet.symbol('variable', `role:${role}`), known: false };
}

/** Flows a catalog flow cannot express as a firewall rule (no port, a loopback listener). */
function checkable(flow: CatalogFlow): boolean {
  if (flow.tags.includes('loopback') || flow.tags.includes('no-fixed-port')) return false;
  if (flow.ports.length === 0 && !flow.protocols.includes('icmp')) return false;
  return true;
}

function sameFileStages(bound: BoundRuleSet): RuleSet[] {
  const group = bound.ruleSet.stage?.group;
  if (!group) return [bound.ruleSet];
  return bound.file.ruleSets
    .filter((rs) => rs.stage?.group === group)
    .sort((a, b) => (a.stage?.order ?? 0) - (b.stage?.order ?? 0));
}

/**
 * For every rule set bound to a role, the catalog flows that role needs (to or
 * from peers present at the site, under the site's features and versions),
 * evaluated with the rule set's own semantics. Computed once per analysis and
 * shared by checks, hovers, code lenses and the flow map.
 */
export function evaluateRequiredFlows(bound: readonly BoundRuleSet[], topology: Topology, catalog: Catalog): RequiredFlowCheck[] {
  // A flow is required only when both ends exist at the site: the protected role is bound, and the
  // peer is declared in citrix-flows.yaml or bound somewhere. Without citrix-flows.yaml, users
  // (workspace-app) are assumed present, since every site has them.
  const present = new Set<string>([...topology.roles.keys(), ...(topology.uri ? [] : ['workspace-app'])]);
  for (const b of bound) for (const r of b.roles) present.add(r);
  const resolve = topologyResolver(topology);
  const out: RequiredFlowCheck[] = [];
  const seen = new Set<string>();
  for (const b of bound) {
    const directions = b.ruleSet.directions;
    for (const role of b.roles) {
      const own = roleAddresses(role, topology);
      // A rule set on the host itself (no declared addresses) protects whatever address the host has.
      const ownAddresses = own.known ? own.addresses : AddressSet.any();
      for (const [flowSide, flows] of [
        ['inbound', catalog.flowsForRole(role, 'inbound')],
        ['outbound', catalog.flowsForRole(role, 'outbound')],
      ] as const) {
        const direction: Direction | undefined = directions.includes(flowSide) ? flowSide : directions.includes('forward') ? 'forward' : undefined;
        if (!direction) continue;
        for (const flow of flows) {
          const peerRole = flowSide === 'inbound' ? flow.source : flow.destination;
          if (!present.has(peerRole) || !checkable(flow)) continue;
          const why = applicability(flow, catalog, topology);
          if (!why.applies) continue;
          const key = `${b.file.uri}#${b.ruleSet.id}#${role}#${flow.id}#${flowSide}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const peer = roleAddresses(peerRole, topology);
          const protocols = Protocols.of(...why.protocols.map((p) => PROTOCOL_NUMBER[p]));
          const ports = flow.ports.length ? Ports.of(flow.ports) : Ports.any();
          const query: FlowQuery = {
            direction,
            protocols,
            source: flowSide === 'inbound' ? peer.addresses : ownAddresses,
            destination: flowSide === 'inbound' ? ownAddresses : peer.addresses,
            destinationPorts: ports,
          };
          const stages = sameFileStages(b);
          out.push({
            flow,
            role,
            peerRole,
            direction,
            protocols: why.protocols,
            query,
            bound: b,
            stages,
            result: evaluate(stages, query, { resolve }),
            peerKnown: peer.known,
          });
        }
      }
    }
  }
  return out;
}
