import type { Catalog, CatalogFlow, CatalogProtocol } from '../catalog';
import { neededNames } from './hostNames';
import { throughRoute, type Direction, type RuleSet, type WindowsProfile } from '../model';
import { AddressSet, type AddressSymbol, Ports, Protocols, TCP, UDP, ICMP } from '../net';
import type { BoundRuleSet, Topology } from '../topology/types';
import { topologyResolver as declaredNetworks } from '../topology/citrixFlows';
import { CITRIX_COMPONENTS, type AssumedPeer } from '../topology/infer';
import { applicability } from './conditions';
import { evaluate, type EvaluationResult, type FlowQuery } from './evaluate';
import { judgeFlow, type Judgement } from './judge';

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
  /** False when nobody declared the peer's addresses (also when "anywhere" stood in for them). */
  readonly peerDeclared: boolean;
  /** The flow judged piece by piece (each protocol and port range); `result.verdict` is its verdict. */
  readonly judgement: Judgement;
  /** The peer is not declared but every site has one, so the flow was checked against "some address". */
  readonly assumedPeer?: AssumedPeer;
  /**
   * Set when the rule set is bound to neither end's role but sits on the way between
   * them (an ASA, a router, an unbound subnet NSG): the whole path, and this hop of it.
   */
  readonly onPath?: import('./pathFlows').OnPath;
}

/** The seed's "any Citrix component": every Citrix component present is that source, without declaring it. */
export const ANY_CITRIX_COMPONENT = 'any-citrix-component';

const PROTOCOL_NUMBER: Record<CatalogProtocol, number> = { tcp: TCP, udp: UDP, icmp: ICMP };

/**
 * Azure's Internet tag and Windows' Internet keyword mean public address
 * space; that is general knowledge, so it resolves without a declaration.
 * Private ranges (RFC 1918, shared, link-local, loopback, ULA) are excluded.
 */
function publicAddressSpace(): AddressSet {
  let privateSpace = AddressSet.none();
  for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128']) {
    const r = AddressSet.parse(cidr);
    if (r.ok) privateSpace = privateSpace.union(r.value);
  }
  return AddressSet.any().difference(privateSpace);
}
export const PUBLIC_ADDRESSES = publicAddressSpace();

/** Azure documents AzureLoadBalancer as the host's virtual IP, where health probes come from. */
export const AZURE_LOAD_BALANCER = (AddressSet.parse('168.63.129.16') as { ok: true; value: AddressSet }).value;

/** `networks:` in citrix-flows.yaml first; then what names like Azure's `Internet` and `AzureLoadBalancer` mean everywhere. */
/**
 * Host firewalls whose forward chain (iptables and nftables FORWARD, ufw's
 * routed rules) carries other machines' traffic, not the host's. ufw's three
 * rule sets stand for one host and share its annotation, so its routed rules
 * never protect the host's role, even when the annotation names them.
 */
const HOST_FIREWALL_FORMATS: ReadonlySet<string> = new Set(['iptables', 'nftables', 'ufw']);

export function topologyResolver(topology: Topology): (symbol: AddressSymbol) => AddressSet | undefined {
  let resolver = resolvers.get(topology);
  if (!resolver) resolvers.set(topology, (resolver = makeResolver(topology)));
  return resolver;
}

const resolvers = new WeakMap<Topology, (symbol: AddressSymbol) => AddressSet | undefined>();

function makeResolver(topology: Topology): (symbol: AddressSymbol) => AddressSet | undefined {
  const declared = declaredNetworks(topology);
  return (symbol) => {
    const known = declared(symbol);
    if (known) return known;
    if ((symbol.kind === 'service-tag' || symbol.kind === 'keyword') && symbol.name.toLowerCase() === 'internet') return PUBLIC_ADDRESSES;
    if (symbol.kind === 'service-tag' && symbol.name.toLowerCase() === 'azureloadbalancer') return AZURE_LOAD_BALANCER;
    return undefined;
  };
}

/** The Windows Firewall profile declared for the hosts of these roles (the first that declares one). */
export function windowsProfileOf(topology: Topology, roles: readonly string[]): WindowsProfile | undefined {
  for (const r of roles) {
    const p = topology.roles.get(r)?.windowsProfile;
    if (p) return p;
  }
  return undefined;
}

/**
 * A role's addresses for evaluation. `known`: they can be evaluated (declared,
 * or users assumed to be anywhere when there is no citrix-flows.yaml);
 * `declared`: somebody wrote them down, so a rule that admits only some of
 * them leaves the rest out for real.
 */
export function roleAddresses(role: string, topology: Topology): { addresses: AddressSet; known: boolean; declared: boolean } {
  const declared = topology.roles.get(role);
  if (declared && !declared.addresses.isEmpty) return { addresses: declared.addresses, known: true, declared: true };
  // With no citrix-flows.yaml, users are assumed to reach Citrix from anywhere.
  if (role === 'workspace-app' && !topology.uri) return { addresses: AddressSet.any(), known: true, declared: false };
  return { addresses: AddressSet.symbol('variable', `role:${role}`), known: false, declared: false };
}

/** The evaluation with the judged verdict, and the rules that decided that verdict. */
export function judged(evaluated: EvaluationResult, judgement: Judgement): EvaluationResult {
  if (judgement.verdict === evaluated.verdict) return evaluated;
  const outcome = judgement.verdict === 'allowed' ? 'allow' : judgement.verdict === 'unknown' ? 'unknown' : 'deny';
  const rules: EvaluationResult['decidingRules'][number][] = [];
  for (const d of evaluated.decisions) if (d.outcome === outcome && d.rule && !rules.includes(d.rule)) rules.push(d.rule);
  return { ...evaluated, verdict: judgement.verdict, decidingRules: rules };
}

/**
 * The addresses of "any Citrix component": the declared ones of every
 * component role; unknown (a placeholder) when none are declared.
 */
function componentAddresses(topology: Topology): { addresses: AddressSet; known: boolean; declared: boolean } {
  const declared = topology.roles.get(ANY_CITRIX_COMPONENT);
  if (declared && !declared.addresses.isEmpty) return { addresses: declared.addresses, known: true, declared: true };
  let all = AddressSet.none();
  for (const [role, decl] of topology.roles) if (CITRIX_COMPONENTS.has(role)) all = all.union(decl.addresses);
  return all.isEmpty ? { addresses: AddressSet.symbol('variable', `role:${ANY_CITRIX_COMPONENT}`), known: false, declared: false } : { addresses: all, known: true, declared: true };
}

/** Flows a catalog flow cannot express as a firewall rule (no port, a loopback listener). */
export function checkable(flow: CatalogFlow): boolean {
  if (flow.tags.includes('loopback') || flow.tags.includes('no-fixed-port')) return false;
  // The seed's non-secure variant (HTTP 80 beside HTTPS 443, LDAP 389 beside 636) is never required: its secure
  // variant is, and insecure-variant reports it when open.
  if (flow.tags.includes('insecure') && flow.secureAlternative) return false;
  if (flow.ports.length === 0 && !flow.protocols.includes('icmp')) return false;
  return true;
}

/**
 * The rule sets a packet crosses in this file: the bound one and its stage
 * companions (nftables base chains on one hook, subnet then NIC NSG, the hub
 * firewall a subnet's route table sends traffic to). ASA
 * ACLs are not chained here: a packet meets only the ACL of the interface it
 * enters and the one it leaves, which `interfaceSides` selects per flow.
 */
export function sameFileStages(bound: Pick<BoundRuleSet, 'ruleSet' | 'file'>): RuleSet[] {
  const group = bound.ruleSet.stage?.group;
  if (!group || bound.ruleSet.kind === 'asa-acl') return [bound.ruleSet];
  const stages = bound.file.ruleSets.filter((rs) => rs.stage?.group === group);
  // A hub firewall the group's route table sends traffic to stands in front of the group, for the peers routed there.
  const routed: RuleSet[] = [];
  for (const rs of stages) {
    for (const route of rs.routedThrough ?? []) {
      const target = bound.file.ruleSets.find((x) => x.id === route.ruleSet);
      if (target && !stages.includes(target) && !routed.some((r) => r.id === target.id)) routed.push(throughRoute(target, route, { group, order: -1 }));
    }
  }
  return [...routed, ...stages].sort((a, b) => (a.stage?.order ?? 0) - (b.stage?.order ?? 0));
}

/**
 * Which of the role's flows cross an ACL bound to an interface: traffic
 * enters through an `in` ACL from the role behind it (the role is the
 * source), and leaves through an `out` ACL toward it (the role is the
 * destination).
 */
function interfaceSides(bound: BoundRuleSet, role: string): Set<'inbound' | 'outbound'> {
  const sides = new Set<'inbound' | 'outbound'>();
  const mine = (bound.interfaces ?? []).filter((i) => i.roles.includes(role) && i.direction);
  if (mine.length === 0) return new Set(['inbound', 'outbound']);
  for (const i of mine) sides.add(i.direction === 'in' ? 'outbound' : 'inbound');
  return sides;
}

function nonEmptyOr(set: AddressSet, otherwise: AddressSet): AddressSet {
  return set.isEmpty ? otherwise : set;
}

/**
 * The part of the role a rule set protects: where its own rules point (the
 * destinations of its inbound rules, the sources of its outbound rules),
 * when they name part of the role. A role spread over several networks is
 * protected by a different rule set in each, and each should be judged only
 * for its own hosts. A rule to any address (the deny-all that ends most NSGs)
 * names no hosts, so it does not widen the part to the whole role.
 */
function protectedPart(role: AddressSet, ruleSet: RuleSet, side: 'inbound' | 'outbound', resolve: (s: AddressSymbol) => AddressSet | undefined): AddressSet {
  let own = AddressSet.none();
  for (const rule of ruleSet.rules) {
    if (rule.implicit || rule.direction !== side) continue;
    const field = (side === 'inbound' ? rule.destination : rule.source).value.resolve(resolve);
    if (!field.isConcrete) return role;
    if (field.isAny) continue;
    own = own.union(field);
  }
  const part = role.intersect(own);
  return part.isEmpty ? role : part;
}

/**
 * For every rule set bound to a role, the catalog flows that role needs (to or
 * from peers present at the site, under the site's features and versions),
 * evaluated with the rule set's own semantics. Computed once per analysis and
 * shared by checks, hovers, code lenses and the flow map.
 *
 * `boundElsewhere`: roles bound anywhere in the workspace, when `bound` is only
 * part of it (one file's rule sets, evaluated again only when that file changes).
 */
export function evaluateRequiredFlows(
  bound: readonly BoundRuleSet[],
  topology: Topology,
  catalog: Catalog,
  boundElsewhere?: ReadonlySet<string>,
  assumed: readonly AssumedPeer[] = [],
): RequiredFlowCheck[] {
  // A flow is required only when both ends exist at the site: the protected role is bound, and the
  // peer is declared in citrix-flows.yaml or bound somewhere, or is one every site has (assumed).
  // Without citrix-flows.yaml, users (workspace-app) are assumed present, since every site has them.
  const present = new Set<string>([...topology.roles.keys(), ...(topology.uri ? [] : ['workspace-app'])]);
  for (const b of bound) for (const r of b.roles) present.add(r);
  if (boundElsewhere) for (const r of boundElsewhere) present.add(r);
  const assumedByRole = new Map(assumed.map((a) => [a.role, a]));
  for (const a of assumed) present.add(a.role);
  if ([...present].some((r) => CITRIX_COMPONENTS.has(r))) present.add(ANY_CITRIX_COMPONENT);
  const resolve = topologyResolver(topology);
  const out: RequiredFlowCheck[] = [];
  const seen = new Set<string>();
  for (const b of bound) {
    const directions = b.ruleSet.directions;
    // Bound to one machine of citrix-flows.yaml: the rule set is that host's firewall, its own addresses the protected end.
    const machine = b.machine ? topology.machines?.get(b.machine) : undefined;
    for (const role of b.roles) {
      const own = roleAddresses(role, topology);
      const sides = interfaceSides(b, role);
      // Licensing flows start at "any Citrix component": each component present is one.
      // A declared any-citrix-component says which machines those are, and wins.
      const asComponent = CITRIX_COMPONENTS.has(role) && !topology.roles.has(ANY_CITRIX_COMPONENT) ? catalog.flowsForRole(ANY_CITRIX_COMPONENT, 'outbound') : [];
      for (const [flowSide, flows] of [
        ['inbound', catalog.flowsForRole(role, 'inbound')],
        ['outbound', asComponent.length ? [...catalog.flowsForRole(role, 'outbound'), ...asComponent] : catalog.flowsForRole(role, 'outbound')],
      ] as const) {
        const forwardOnly = !directions.includes(flowSide) && directions.includes('forward');
        // A host's FORWARD chain routes other machines' traffic; it protects a role only when bound to it by name.
        const hostForward = forwardOnly && HOST_FIREWALL_FORMATS.has(b.ruleSet.format) && (b.scope !== 'rule-set' || b.ruleSet.format === 'ufw');
        const direction: Direction | undefined = directions.includes(flowSide) ? flowSide : forwardOnly && !hostForward ? 'forward' : undefined;
        if (!direction || !sides.has(flowSide)) continue;
        // A rule set on the host itself (no declared addresses) protects whatever address the host has.
        const roleOwn = own.known ? protectedPart(own.addresses, b.ruleSet, flowSide, resolve) : (b.ruleSet.roleAddresses?.[role] ?? AddressSet.any());
        const onMachine = machine?.roles.includes(role) ? machine : undefined;
        const ownAddresses = onMachine ? nonEmptyOr(roleOwn.intersect(onMachine.addresses), roleOwn) : roleOwn;
        for (const flow of flows) {
          const peerRole = flowSide === 'inbound' ? flow.source : flow.destination;
          if (!present.has(peerRole) || !checkable(flow)) continue;
          const why = applicability(flow, catalog, topology);
          if (!why.applies) continue;
          const key = `${b.file.uri}#${b.ruleSet.id}#${role}#${flow.id}#${flowSide}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const assumedPeer = assumedByRole.get(peerRole);
          const rolePeer = peerRole === ANY_CITRIX_COMPONENT ? componentAddresses(topology) : roleAddresses(peerRole, topology);
          // Where inference read a protected role's members as another rule set's peer (a referenced group), use them here only.
          const asPeer = rolePeer.known ? undefined : topology.peerAddresses?.get(peerRole);
          const declaredPeer = asPeer ? { addresses: asPeer, known: true, declared: false } : rolePeer;
          // A peer whose addresses nobody declared (one every site has, or one declared without addresses):
          // is the flow open to (from) anywhere at all? A rule open to some addresses is the least-privilege rule.
          // An assumed peer whose addresses a name gives for this file's folder is checked from those (inference).
          const someAddress = !declaredPeer.known;
          const reachable = someAddress ? { addresses: AddressSet.any(), known: false, declared: false } : declaredPeer;
          // A machine playing both ends (an ADC's NSIP heartbeat to the ADC) reaches only its peers across the network.
          const peer = onMachine && reachable.known ? { ...reachable, addresses: nonEmptyOr(reachable.addresses.difference(onMachine.addresses), reachable.addresses) } : reachable;
          const protocols = Protocols.of(...why.protocols.map((p) => PROTOCOL_NUMBER[p]));
          const ports = flow.ports.length ? Ports.of(flow.ports) : Ports.any();
          // A Citrix Cloud service the catalog names by URL is reached by name: FQDN rules can be matched against it.
          const names = flow.destinationUrls.length ? neededNames(flow.destinationUrls) : [];
          const query: FlowQuery = {
            direction,
            protocols,
            source: flowSide === 'inbound' ? peer.addresses : ownAddresses,
            destination: flowSide === 'inbound' ? ownAddresses : peer.addresses,
            destinationPorts: ports,
            ...(names.length ? { destinationNames: names } : {}),
          };
          const stages = sameFileStages(b);
          const evaluated = evaluate(stages, query, { resolve, profile: windowsProfileOf(topology, [role]) });
          const judgement = judgeFlow({ flow, query, result: evaluated, peerEnd: flowSide === 'inbound' ? 'source' : 'destination', peerDeclared: peer.declared, ownDeclared: own.declared });
          out.push({
            flow,
            role,
            peerRole,
            direction,
            protocols: why.protocols,
            query,
            bound: b,
            stages,
            result: judged(evaluated, judgement),
            peerKnown: peer.known,
            peerDeclared: peer.declared,
            judgement,
            ...(assumedPeer && someAddress ? { assumedPeer } : {}),
          });
        }
      }
    }
  }
  return out;
}
