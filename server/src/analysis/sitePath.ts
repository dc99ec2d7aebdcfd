import type { Direction, ParsedFile, RuleSet, WindowsProfile } from '../model';
import { AddressSet } from '../net';
import type { BoundRuleSet, GuardingRuleSet, Topology } from '../topology';
import { devicePaths } from './devicePath';
import { EPHEMERAL_PORTS, evaluate, type EvaluateOptions, type EvaluationResult, type FlowPart, type FlowQuery, type Verdict } from './evaluate';

/**
 * Where a firewall sits on the way of a packet from one host to another:
 * the sender's own firewall, the filter in front of the sender's network,
 * devices between networks, the filter in front of the receiver's network,
 * the receiver's own firewall. A packet meets them in that order.
 */
export type HopPlace = 'source-host' | 'source-network' | 'between' | 'destination-network' | 'destination-host';

const PLACE_ORDER: Readonly<Record<HopPlace, number>> = { 'source-host': 0, 'source-network': 1, between: 2, 'destination-network': 3, 'destination-host': 4 };

/**
 * Formats that filter one machine's own traffic. NetScaler ACLs filter what
 * reaches the appliance, so on a path they are the ADC's own firewall.
 */
const HOST_FORMATS: ReadonlySet<string> = new Set(['iptables', 'nftables', 'ufw', 'firewalld', 'windows-firewall', 'netscaler']);

export interface PathHop {
  readonly place: HopPlace;
  readonly file: ParsedFile;
  /** One rule set, or the stages of a device between two of its interfaces. */
  readonly ruleSets: readonly RuleSet[];
  /** The rule set the hop is known by: the bound one, or the ACL a device applies first. */
  readonly ruleSet: RuleSet;
  readonly direction: Direction;
  /** The part of the flow's ends this hop sees: a host firewall sees only its host's traffic. */
  readonly source: AddressSet;
  readonly destination: AddressSet;
  /** Why the packet meets this hop, for the explanation: "bound to vda (annotation)", "guards 10.0.2.0/24". */
  readonly why: string;
  /** How a message names the hop: the rule set's name, or a device and the interfaces it is crossed between. */
  readonly label: string;
  /** The role binding that placed it, when one did. */
  readonly bound?: BoundRuleSet;
  /**
   * For a hop between networks: whether it is connected to the sender's and
   * the receiver's network. Of several devices on the way, the one next to the
   * sender comes first.
   */
  readonly adjacent?: { readonly source: boolean; readonly destination: boolean };
}

export interface PathQuery {
  readonly protocols: FlowQuery['protocols'];
  readonly source: AddressSet;
  readonly destination: AddressSet;
  readonly destinationPorts: FlowQuery['destinationPorts'];
  readonly sourcePorts?: FlowQuery['sourcePorts'];
  readonly destinationNames?: FlowQuery['destinationNames'];
  /** The roles at the two ends, when the flow is one of the catalog's: host firewalls are placed only for their own roles. */
  readonly roles?: { readonly source?: string; readonly destination?: string };
}

export interface SiteRuleSets {
  readonly files: readonly ParsedFile[];
  readonly bound: readonly BoundRuleSet[];
  readonly guarding: readonly GuardingRuleSet[];
  readonly topology: Topology;
}

/** A rule set the flow does not cross, and why, so the answer can say what was looked at. */
export interface NotOnPath {
  readonly file: ParsedFile;
  readonly ruleSet: RuleSet;
  readonly why: string;
}

/** The addresses a binding's roles were declared with (its machine's, when it names one); empty when none were. */
function boundAddresses(b: BoundRuleSet, topology: Topology): AddressSet {
  const machine = b.machine ? topology.machines?.get(b.machine) : undefined;
  if (machine && !machine.addresses.isEmpty) return machine.addresses;
  let all = AddressSet.none();
  for (const r of b.roles) {
    const declared = topology.roles.get(r)?.addresses;
    if (declared?.isConcrete) all = all.union(declared);
  }
  return all;
}

function placeWords(b: BoundRuleSet): string {
  const how = b.via === 'inferred' ? 'inferred' : b.via;
  return `bound to ${b.roles.join(', ')} (${how})`;
}

/**
 * The hops of a rule set that sits in front of `guarded` and filters traffic in
 * each direction it has: traffic to the network meets its inbound rules, from
 * it its outbound rules, and a forward-only filter (a router) sees traffic that
 * crosses the network's edge.
 */
function guardHops(file: ParsedFile, ruleSet: RuleSet, guarded: AddressSet, query: PathQuery, why: string, host: boolean, bound?: BoundRuleSet): PathHop[] {
  const hops: PathHop[] = [];
  const common = { file, ruleSets: [ruleSet], ruleSet, label: ruleSet.name, ...(bound ? { bound } : {}) };
  const toIt = query.destination.intersect(guarded);
  const fromIt = query.source.intersect(guarded);
  const inboundToo = ruleSet.directions.includes('inbound');
  const outboundToo = ruleSet.directions.includes('outbound');
  if (outboundToo && !fromIt.isEmpty) hops.push({ ...common, place: host ? 'source-host' : 'source-network', direction: 'outbound', source: fromIt, destination: query.destination, why });
  if (inboundToo && !toIt.isEmpty) hops.push({ ...common, place: host ? 'destination-host' : 'destination-network', direction: 'inbound', source: query.source, destination: toIt, why });
  if (!inboundToo && !outboundToo && ruleSet.directions.includes('forward')) {
    // Traffic that stays inside the guarded network, or never touches it, does not cross its edge.
    const into = query.source.difference(guarded);
    const outOf = query.destination.difference(guarded);
    if (!toIt.isEmpty && !into.isEmpty) hops.push({ ...common, place: 'between', direction: 'forward', source: into, destination: toIt, why, adjacent: { source: false, destination: true } });
    else if (!fromIt.isEmpty && !outOf.isEmpty) hops.push({ ...common, place: 'between', direction: 'forward', source: fromIt, destination: outOf, why, adjacent: { source: true, destination: false } });
  }
  return hops;
}

/** A filter declared between two networks: traffic from either side to the other crosses it, forward. */
function betweenHops(file: ParsedFile, ruleSet: RuleSet, sides: readonly [AddressSet, AddressSet], query: PathQuery, bound?: BoundRuleSet): PathHop[] {
  const hops: PathHop[] = [];
  for (const [near, far] of [sides, [sides[1], sides[0]]] as const) {
    const source = query.source.intersect(near);
    const destination = query.destination.intersect(far);
    if (source.isEmpty || destination.isEmpty) continue;
    hops.push({
      place: 'between',
      file,
      ruleSets: [ruleSet],
      ruleSet,
      label: ruleSet.name,
      direction: 'forward',
      source,
      destination,
      why: `between ${near} and ${far} (citrix-flows.yaml)`,
      adjacent: { source: true, destination: true },
      ...(bound ? { bound } : {}),
    });
  }
  return hops;
}

/**
 * The hops of a routing device (an ASA) the flow crosses: the device must be
 * connected to the network of one end or hold a route to it other than the
 * default one (else nothing says the packet comes its way), and its routes
 * must take the packet out of another interface than the one it came in on.
 */
function deviceHops(file: ParsedFile, deviceRuleSets: readonly RuleSet[], query: PathQuery, notOnPath: NotOnPath[], boundOf: ReadonlyMap<RuleSet, BoundRuleSet>): PathHop[] {
  const placement = deviceRuleSets[0].device;
  if (!placement) return [];
  const connected = placement.routes.filter((r) => r.how.startsWith('connected')).reduce((all, r) => all.union(r.network), AddressSet.none());
  // A default route says only where everything else goes; a connected network or a narrower route says the device knows the end.
  const known = placement.routes.filter((r) => r.prefixLength > 0).reduce((all, r) => all.union(r.network), AddressSet.none());
  if (query.source.intersect(known).isEmpty && query.destination.intersect(known).isEmpty) {
    notOnPath.push({ file, ruleSet: deviceRuleSets[0], why: `${placement.device.replace(/^asa:/, '')} has no network or route (other than a default one) to either end (${known.isEmpty ? 'none is read' : known.toString()})` });
    return [];
  }
  const hops: PathHop[] = [];
  const { paths } = devicePaths(deviceRuleSets, { direction: 'forward', ...query });
  for (const p of paths) {
    const through = p.ingress !== '-' && p.ingress !== '?' && p.egress !== '?' && p.ingress !== p.egress && !p.alternative;
    if (!through) {
      notOnPath.push({ file, ruleSet: deviceRuleSets[0], why: `${p.source} → ${p.destination}: ${p.why.join(', ')}` });
      continue;
    }
    if (p.stages.length === 0) continue;
    const near = (addresses: AddressSet): boolean => !addresses.intersect(connected).isEmpty;
    // The device's own address on the way out is in the receiver's network (it is often their gateway): the ACL is
    // asked about the whole network, so a fix writes the subnet rather than every block around that one address.
    const own = placement.interfaces.reduce((all, i) => all.union(i.addresses), AddressSet.none());
    const outNetworks = placement.routes.filter((r) => r.iface === p.egress).reduce((all, r) => all.union(r.network), AddressSet.none());
    const destination = p.destination.union(query.destination.intersect(own).intersect(outNetworks));
    // An ACL bound to a role (an annotation on dmz_in) makes the device that role's own firewall for the flows it judges.
    const bound = p.stages.map((rs) => boundOf.get(rs)).find((b) => b !== undefined);
    hops.push({
      place: 'between',
      file,
      ...(bound ? { bound } : {}),
      adjacent: { source: near(p.source), destination: near(p.destination) },
      ruleSets: p.stages,
      ruleSet: p.stages.find((rs) => rs.rules.length > 0) ?? p.stages[0],
      direction: 'forward',
      source: p.source,
      destination,
      why: p.why.join(', '),
      label: `${placement.device.replace(/^asa:/, '')} (${p.ingress} → ${p.egress})`,
    });
  }
  return hops;
}

function placeInSentence(place: HopPlace): string {
  return place === 'source-host' || place === 'destination-host' ? `as the ${place === 'source-host' ? "sender's" : "receiver's"} own firewall` : `in front of the ${place === 'source-network' ? "sender's" : "receiver's"} network`;
}

/**
 * Rule sets placed by a role alone know only that they protect some host of
 * that role. Several of them in different files at the same place (the
 * iptables of the Linux VDAs, the security group of the AWS pool, the NSG of
 * an Azure pool, all bound to `vda`) are the firewalls of different hosts
 * side by side, not one after the other: walking them in series would let
 * one pool's deny stop the flow to every pool. Which host each protects is
 * not known, so such hops leave the walk (each is still judged alone, as its
 * role's own rule set); one file per place keeps its hops.
 */
function inSeries(byRoleOnly: readonly PathHop[], notOnPath: NotOnPath[]): PathHop[] {
  const groups = new Map<string, PathHop[]>();
  for (const h of byRoleOnly) {
    // Hops placed by role are placed only for their own role's flows, so one place holds one end's role.
    groups.set(h.place, [...(groups.get(h.place) ?? []), h]);
  }
  const kept: PathHop[] = [];
  for (const group of groups.values()) {
    const files = [...new Set(group.map((h) => h.file))];
    if (files.length === 1) {
      kept.push(...group);
      continue;
    }
    const names = files.map((f) => f.uri.slice(f.uri.lastIndexOf('/') + 1));
    for (const h of group) {
      if (notOnPath.some((n) => n.ruleSet === h.ruleSet)) continue;
      notOnPath.push({
        file: h.file,
        ruleSet: h.ruleSet,
        why: `one of ${files.length} files placed ${placeInSentence(h.place)} by their role alone, with no address of their own (${names.join(', ')}): they protect different hosts of the role, side by side, and which host each protects is not known, so each is judged alone, not walked in series`,
      });
    }
  }
  return kept;
}

/**
 * Every hop a flow between the query's addresses meets across the workspace,
 * in the order a packet meets them. A rule set is placed by what says where it
 * sits: a role binding (with the role's declared addresses), the subnets an
 * NSG is associated with, `guards:` in citrix-flows.yaml, or a device's
 * interfaces and routes. A rule set nothing places is not on the path, and
 * `unplaced` says so for the ones bound to roles without addresses.
 */
export function pathHops(site: SiteRuleSets, query: PathQuery): { readonly hops: readonly PathHop[]; readonly notOnPath: readonly NotOnPath[] } {
  const hops: PathHop[] = [];
  const notOnPath: NotOnPath[] = [];
  const placed = new Set<RuleSet>();
  const guardsOf = new Map<RuleSet, GuardingRuleSet>();
  for (const g of site.guarding) guardsOf.set(g.ruleSet, g);
  const boundOf = new Map<RuleSet, BoundRuleSet>();
  for (const b of site.bound) if (!boundOf.has(b.ruleSet)) boundOf.set(b.ruleSet, b);
  const byRoleOnly: PathHop[] = [];
  for (const file of site.files) {
    const devices = new Map<string, RuleSet[]>();
    for (const rs of file.ruleSets) {
      if (placed.has(rs)) continue;
      const bound = boundOf.get(rs);
      const guarding = guardsOf.get(rs);
      const host = HOST_FORMATS.has(rs.format);
      if (guarding) {
        placed.add(rs);
        // A host's INPUT and OUTPUT chains filter the host's own traffic, never a network's: only its forward chain can guard one.
        if (host && !rs.directions.includes('forward')) {
          notOnPath.push({ file, ruleSet: rs, why: `citrix-flows.yaml places it in front of a network, but it filters only its own host's traffic (${rs.directions.join(', ')})` });
          continue;
        }
        if (guarding.between) hops.push(...betweenHops(file, rs, guarding.between, query, bound));
        else if (guarding.guards) hops.push(...guardHops(file, rs, guarding.guards, query, `guards ${guarding.guards} (citrix-flows.yaml)`, false, bound));
        continue;
      }
      if (rs.device && rs.device.bindings.length > 0) {
        const list = devices.get(rs.device.device);
        if (list) list.push(rs);
        else devices.set(rs.device.device, [rs]);
        continue;
      }
      const subnets = rs.guardedNetworks?.reduce((all, n) => all.union(n.addresses), AddressSet.none());
      if (subnets && !subnets.isEmpty && subnets.isConcrete) {
        placed.add(rs);
        const names = rs.guardedNetworks?.map((n) => n.name).join(', ');
        const how = rs.guardedNetworks?.every((n) => n.kind === 'host') ? 'attached to' : 'associated with';
        hops.push(...guardHops(file, rs, subnets, query, `${how} ${names} (${subnets})`, false, bound));
        continue;
      }
      if (bound) {
        // A rule set placed by its role alone is known to guard that role's hosts, not every host of another role
        // whose addresses overlap (a Linux VDA's iptables is no WEM agent's firewall): it is placed only for its roles.
        // (One placed by the subnets it is associated with guards every address in them, whatever role they play.)
        // A host's FORWARD chain carries other machines' traffic: a file-wide role binding does not make it a hop.
        if (host && bound.scope !== 'rule-set' && rs.directions.every((d) => d === 'forward')) continue;
        const forSource = !query.roles?.source || bound.roles.includes(query.roles.source);
        const forDestination = !query.roles?.destination || bound.roles.includes(query.roles.destination);
        const addresses = boundAddresses(bound, site.topology);
        if (addresses.isEmpty) {
          notOnPath.push({ file, ruleSet: rs, why: `${placeWords(bound)}, but no address is declared for ${bound.roles.length === 1 ? 'it' : 'them'} in citrix-flows.yaml` });
          continue;
        }
        placed.add(rs);
        const placedHops = guardHops(file, rs, addresses, query, `${placeWords(bound)}, at ${addresses}`, host, bound);
        const mine = placedHops.filter((h) => (h.direction === 'outbound' ? forSource : h.direction === 'inbound' ? forDestination : forSource || forDestination));
        if (bound.machine && site.topology.machines?.get(bound.machine)?.addresses.isEmpty === false) hops.push(...mine);
        else byRoleOnly.push(...mine);
      }
    }
    for (const list of devices.values()) {
      for (const rs of list) placed.add(rs);
      hops.push(...deviceHops(file, list, query, notOnPath, boundOf));
    }
  }
  hops.push(...inSeries(byRoleOnly, notOnPath));
  // Outbound, a NIC's NSG comes before its subnet's; inbound, the subnet's first (stage order is the inbound one).
  const stageOrder = (h: PathHop): number => (h.ruleSet.stage?.order ?? 0) * (h.place === 'source-network' ? -1 : 1);
  const nearness = (h: PathHop): number => (h.adjacent ? (h.adjacent.source ? 0 : 2) + (h.adjacent.destination ? 1 : 0) : 0);
  hops.sort((a, b) => PLACE_ORDER[a.place] - PLACE_ORDER[b.place] || nearness(a) - nearness(b) || stageOrder(a) - stageOrder(b));
  return { hops, notOnPath };
}

/** What one hop decided for the part of the flow that reached it. */
export interface HopResult {
  readonly hop: PathHop;
  /** What the hop decides for the part of the flow that reached it; for a hop nothing reached, what it would decide alone. */
  readonly result?: EvaluationResult;
  /** False when an earlier hop stopped every part of the flow this hop sees: its result is what it would decide next. */
  readonly reached: boolean;
}

export interface PathWalk {
  readonly hops: readonly HopResult[];
  readonly verdict: Verdict;
  /** The first hop that stops some part of the flow. */
  readonly blockedAt?: HopResult;
  readonly reasons: readonly string[];
}

interface Travelling {
  readonly part: FlowPart;
  /** An earlier hop could not decide this part: if it gets through, its verdict is unknown. */
  readonly undecided: boolean;
}

/** Past this many separately decided pieces the rest of the walk is unknown, so a pathological site cannot blow up. */
const MAX_TRAVELLING = 256;

function split(part: FlowPart, source: AddressSet, destination: AddressSet): { inside?: FlowPart; outside: FlowPart[] } {
  const inSource = part.source.intersect(source);
  const inDestination = part.destination.intersect(destination);
  if (inSource.isEmpty || inDestination.isEmpty) return { outside: [part] };
  const outside: FlowPart[] = [];
  const otherSources = part.source.difference(source);
  if (!otherSources.isEmpty) outside.push({ ...part, source: otherSources });
  const otherDestinations = part.destination.difference(destination);
  if (!otherDestinations.isEmpty) outside.push({ ...part, source: inSource, destination: otherDestinations });
  return { inside: { ...part, source: inSource, destination: inDestination }, outside };
}

function merged(results: readonly EvaluationResult[]): EvaluationResult | undefined {
  if (results.length <= 1) return results[0];
  const decisions = results.flatMap((r) => r.decisions);
  const verdicts = new Set(results.map((r) => r.verdict));
  const verdict: Verdict = verdicts.size === 1 ? results[0].verdict : verdicts.has('unknown') ? 'unknown' : 'partial';
  const rules = [...new Set(results.flatMap((r) => r.decidingRules))];
  return { verdict, decisions, decidingRules: rules, reasons: [...new Set(results.flatMap((r) => r.reasons))] };
}

/**
 * Walks the flow through the hops in order: what a hop allows goes on to the
 * next, what it denies stops there, what it cannot decide goes on but can at
 * best be unknown. The verdict is over what arrives: never allowed where some
 * hop on the way denies.
 */
export function walkPath(hops: readonly PathHop[], query: PathQuery, options: EvaluateOptions, profileOf?: (hop: PathHop) => WindowsProfile | undefined): PathWalk {
  if (hops.length === 0) return { hops: [], verdict: 'unknown', reasons: ['no rule set of the workspace is known to sit on this path, so nothing is known about it'] };
  const whole: FlowPart = { protocols: query.protocols, source: query.source, destination: query.destination, sourcePorts: query.sourcePorts ?? EPHEMERAL_PORTS, destinationPorts: query.destinationPorts };
  // Each host's Windows Firewall has its own active profile: the one its role declares, unless the caller fixed one.
  const profileFor = (hop: PathHop): WindowsProfile | undefined => options.profile ?? profileOf?.(hop);
  let travelling: Travelling[] = [{ part: whole, undecided: false }];
  const results: HopResult[] = [];
  const reasons: string[] = [];
  let denied = false;
  let blockedAt: HopResult | undefined;
  let overflow = false;
  for (const hop of hops) {
    const next: Travelling[] = [];
    const seen: EvaluationResult[] = [];
    for (const t of travelling) {
      const { inside, outside } = split(t.part, hop.source, hop.destination);
      for (const o of outside) next.push({ part: o, undecided: t.undecided });
      if (!inside) continue;
      const profile = profileFor(hop);
      const result = evaluate(hop.ruleSets, { direction: hop.direction, ...inside, ...(query.destinationNames ? { destinationNames: query.destinationNames } : {}) }, { ...options, ...(profile ? { profile } : {}) });
      seen.push(result);
      for (const d of result.decisions) {
        if (d.outcome === 'deny') denied = true;
        else next.push({ part: d.part, undecided: t.undecided || d.outcome === 'unknown' });
      }
    }
    // A hop nothing reached still says what it would decide, so fixing the first blocker shows the next one.
    const alone = seen.length === 0 ? split(whole, hop.source, hop.destination).inside : undefined;
    const result = alone ? evaluate(hop.ruleSets, { direction: hop.direction, ...alone }, { ...options, ...(profileFor(hop) ? { profile: profileFor(hop) } : {}) }) : merged(seen);
    const hopResult: HopResult = { hop, ...(result ? { result } : {}), reached: seen.length > 0 };
    results.push(hopResult);
    if (!blockedAt && hopResult.reached && result && (result.verdict === 'denied' || result.verdict === 'partial')) blockedAt = hopResult;
    if (next.length > MAX_TRAVELLING) {
      overflow = true;
      reasons.push(`the flow splits into more than ${MAX_TRAVELLING} differently decided pieces at ${hop.ruleSet.name}; the hops after it are not walked: ask about narrower addresses or ports`);
      travelling = next.map((t) => ({ ...t, undecided: true }));
      break;
    }
    travelling = next;
  }
  if (overflow) for (const h of hops.slice(results.length)) results.push({ hop: h, reached: false });
  const arrived = travelling.length > 0;
  const undecided = travelling.some((t) => t.undecided);
  let verdict: Verdict;
  if (!arrived) verdict = 'denied';
  else if (undecided) verdict = 'unknown';
  else verdict = denied ? 'partial' : 'allowed';
  return { hops: results, verdict, ...(blockedAt ? { blockedAt } : {}), reasons };
}
