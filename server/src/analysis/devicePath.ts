import type { DevicePlacement, DeviceRoute, RuleSet } from '../model';
import { AddressSet } from '../net';
import { evaluate, type EvaluateOptions, type EvaluationResult, type FlowQuery, type Verdict } from './evaluate';

/**
 * A routing firewall (a Cisco ASA) filters a packet with the ACL bound
 * inbound on the interface it arrives on — then its global ACL, then the
 * implicit deny — and the ACL bound outbound on the interface it leaves by
 * (Cisco's documented order). Which interfaces those are is a routing
 * question: the connected networks and static routes of the configuration
 * answer it, by longest prefix. ACLs bound elsewhere, or nowhere, never see
 * the packet, so applying every ACL of the file in sequence would deny what
 * the device lets through.
 */
export interface DevicePath {
  readonly device: string;
  readonly ingress: string;
  /** `?` when no network or static route of the file reaches the destination. */
  readonly egress: string;
  readonly source: AddressSet;
  readonly destination: AddressSet;
  /** Why the packet takes these interfaces, for the explanation. */
  readonly why: readonly string[];
  readonly stages: readonly RuleSet[];
  /** Set when the source's way in is a guess among several interfaces: paths of one address part must then agree. */
  readonly alternative?: true;
}

const MAX_PATHS_PER_DEVICE = 256;

interface Leg {
  readonly iface: string;
  readonly part: AddressSet;
  readonly how: string;
}

/** Each part of `addresses` with the interface the device reaches it by, longest prefix first; the rest reaches no route. */
function legsFor(addresses: AddressSet, routes: readonly DeviceRoute[]): { legs: Leg[]; unrouted: AddressSet } {
  const ordered = [...routes].sort((a, b) => b.prefixLength - a.prefixLength);
  const legs: Leg[] = [];
  let remaining = addresses;
  for (const route of ordered) {
    if (remaining.isEmpty) break;
    const part = remaining.intersect(route.network);
    if (part.isEmpty) continue;
    legs.push({ iface: route.iface, part, how: route.how });
    remaining = remaining.difference(part);
  }
  return { legs, unrouted: remaining };
}

/** A stage the device itself decides (security levels, hairpinning), with no rule of the file behind it. */
function deviceStage(placement: DevicePlacement, name: string, outcome: 'allow' | 'deny' | 'unknown', why: string): RuleSet {
  return {
    id: `${placement.device} ${name}`,
    name,
    format: 'asa',
    kind: 'asa-device',
    semantics: 'first-match',
    directions: ['forward'],
    rules: [],
    defaults: { forward: { value: outcome === 'allow' ? 'allow' : 'deny', text: why } },
    ...(outcome === 'unknown' ? { defaultsUnknown: { forward: why } } : {}),
    span: { start: 0, end: 0 },
    meta: { note: why },
  };
}

function stagesBetween(placement: DevicePlacement, ruleSets: readonly RuleSet[], ingress: string, egress: string): RuleSet[] {
  const sameSecurity = placement.sameSecurity;
  const bound = (direction: 'in' | 'out' | 'global', iface?: string): RuleSet | undefined =>
    ruleSets.find((rs) => rs.device?.device === placement.device && rs.device.bindings.some((b) => b.direction === direction && (direction === 'global' || b.iface === iface)));
  const level = (name: string): number => placement.interfaces.find((i) => i.name === name)?.securityLevel ?? 0;
  const stages: RuleSet[] = [];
  if (ingress === egress && !sameSecurity.intra) {
    stages.push(deviceStage(placement, `${ingress} → ${egress}`, 'deny', `the packet would leave by ${egress}, the interface it came in on, which the ASA refuses without "same-security-traffic permit intra-interface"`));
  }
  // The interface ACL carries the global ACL after its own entries (the reader appends it), so it is the whole inbound check.
  const inbound = bound('in', ingress) ?? bound('global');
  if (inbound) stages.push(inbound);
  else if (ingress !== egress) {
    const from = level(ingress);
    const to = level(egress);
    const permitted = from > to || (from === to && sameSecurity.inter);
    const why = permitted
      ? `no ACL is bound inbound on ${ingress}, and Cisco lets traffic pass from a higher security level to a lower one (${ingress} ${from} → ${egress} ${to})`
      : `no ACL is bound inbound on ${ingress}, and without one Cisco passes traffic only from a higher security level to a lower one (${ingress} ${from} → ${egress} ${to})`;
    stages.push(deviceStage(placement, `security levels ${ingress} ${from} → ${egress} ${to}`, permitted ? 'allow' : 'deny', why));
  }
  const outbound = bound('out', egress);
  if (outbound) stages.push(outbound);
  return stages;
}

/**
 * The paths a flow takes through each device among `ruleSets`, one per pair
 * of (source part, destination part) routed by different interfaces; `others`
 * are the rule sets of no device, which every path crosses as well.
 */
export function devicePaths(ruleSets: readonly RuleSet[], query: FlowQuery): { readonly paths: readonly DevicePath[]; readonly others: readonly RuleSet[]; readonly unbound: readonly RuleSet[] } {
  const others = ruleSets.filter((rs) => !rs.device);
  const unbound = ruleSets.filter((rs) => rs.device && rs.device.bindings.length === 0);
  const devices = new Map<string, DevicePlacement>();
  for (const rs of ruleSets) if (rs.device && !devices.has(rs.device.device)) devices.set(rs.device.device, rs.device);
  const paths: DevicePath[] = [];
  for (const placement of devices.values()) {
    const own = placement.interfaces.reduce((all, i) => all.union(i.addresses), AddressSet.none());
    const toTheBox = query.destination.intersect(own);
    const from = legsFor(query.source, placement.routes);
    const to = legsFor(query.destination.difference(own), placement.routes);
    if (!toTheBox.isEmpty) {
      const why = `${toTheBox} is the device's own address: interface ACLs filter traffic through the ASA, not to it (ssh, http, telnet and icmp commands and control-plane ACLs decide that, and are not read)`;
      paths.push({ device: placement.device, ingress: '-', egress: 'the device itself', source: query.source, destination: toTheBox, why: [why], stages: [deviceStage(placement, 'to the device', 'unknown', why)] });
    }
    const ingressLegs: (Leg & { alternative?: true })[] = [...from.legs];
    // A source the device has no route to may still send to it (no reverse-path check is configured by default), from any side.
    if (!from.unrouted.isEmpty) {
      for (const i of placement.interfaces) ingressLegs.push({ iface: i.name, part: from.unrouted, how: `no network or route of the device covers ${from.unrouted}, so it may arrive on any interface`, alternative: true });
    }
    // Legs multiply (every route on each side): a configuration of thousands of routes asked about any → any must not
    // yield millions of paths. Past the bound the rest is one unknown path that says to ask about narrower addresses.
    if (ingressLegs.length * (to.legs.length + 1) > MAX_PATHS_PER_DEVICE) {
      const why = `the flow's addresses take more than ${MAX_PATHS_PER_DEVICE} different ways through the device; ask about narrower --from and --to addresses`;
      paths.push({ device: placement.device, ingress: '?', egress: '?', source: query.source, destination: query.destination, why: [why], stages: [deviceStage(placement, 'too many paths', 'unknown', why)] });
      continue;
    }
    for (const inLeg of ingressLegs) {
      for (const outLeg of to.legs) {
        if (inLeg.iface === outLeg.iface && inLeg.how === outLeg.how && inLeg.how.startsWith('connected')) {
          // Two hosts on one of the device's networks talk directly: the packet never reaches the ASA.
          const why = `${inLeg.part} and ${outLeg.part} are both on ${inLeg.iface}'s network (${inLeg.how}): the packet goes between them without crossing the device, so its ACLs do not decide`;
          paths.push({ device: placement.device, ingress: inLeg.iface, egress: outLeg.iface, source: inLeg.part, destination: outLeg.part, why: [why], stages: [deviceStage(placement, 'same network', 'unknown', why)] });
          continue;
        }
        paths.push({
          device: placement.device,
          ingress: inLeg.iface,
          egress: outLeg.iface,
          source: inLeg.part,
          destination: outLeg.part,
          why: [`arrives on ${inLeg.iface} (${inLeg.how})`, `leaves by ${outLeg.iface} (${outLeg.how})`],
          stages: stagesBetween(placement, ruleSets, inLeg.iface, outLeg.iface),
          ...(inLeg.alternative ? { alternative: true as const } : {}),
        });
      }
      if (!to.unrouted.isEmpty) {
        const why = `no connected network or static route of the device covers ${to.unrouted}; routes learnt at run time are not in the file`;
        paths.push({
          device: placement.device,
          ingress: inLeg.iface,
          egress: '?',
          source: inLeg.part,
          destination: to.unrouted,
          why: [`arrives on ${inLeg.iface} (${inLeg.how})`, why],
          stages: [deviceStage(placement, 'route', 'unknown', why)],
          ...(inLeg.alternative ? { alternative: true as const } : {}),
        });
      }
    }
  }
  return { paths, others, unbound };
}

export interface PathResult {
  readonly path: DevicePath;
  readonly result: EvaluationResult;
}

/**
 * One verdict over the paths: disjoint address parts combine as parts of one
 * flow (allowed here and denied there is partial); alternative ways in for
 * the same part must agree, or the verdict is unknown.
 */
export function combinePaths(results: readonly PathResult[]): Verdict {
  const byPart = new Map<string, Verdict[]>();
  for (const r of results) {
    const key = `${r.path.source} ${r.path.destination}`;
    byPart.set(key, [...(byPart.get(key) ?? []), r.result.verdict]);
  }
  const perPart = [...byPart.values()].map((vs) => (vs.every((v) => v === vs[0]) ? vs[0] : 'unknown'));
  if (perPart.length === 0) return 'unknown';
  if (perPart.every((v) => v === perPart[0])) return perPart[0];
  if (perPart.includes('unknown')) return 'unknown';
  return 'partial';
}

export function evaluatePaths(ruleSets: readonly RuleSet[], query: FlowQuery, options: EvaluateOptions): { readonly results: readonly PathResult[]; readonly verdict: Verdict; readonly unbound: readonly RuleSet[] } | undefined {
  if (!ruleSets.some((rs) => rs.device)) return undefined;
  const { paths, others, unbound } = devicePaths(ruleSets, query);
  const results = paths.map((path) => ({ path, result: evaluate([...others, ...path.stages], { ...query, source: path.source, destination: path.destination }, options) }));
  return { results, verdict: combinePaths(results), unbound };
}
