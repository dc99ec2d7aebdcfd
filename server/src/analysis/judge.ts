import type { CatalogFlow } from '../catalog';
import { AddressSet, Ports, Protocols, type PortSet, type ProtocolSet } from '../net';
import type { Decision, EvaluationResult, FlowQuery, Verdict } from './evaluate';

const PORTFUL = Protocols.of(6, 17, 132);

/**
 * One protocol and one port range of a required flow (TCP 2598, UDP 2598,
 * UDP 16500–16509), judged on its own: a flow is several things a firewall
 * decides separately, and "TCP 2598 blocked everywhere" is a missing flow
 * even when UDP 2598 is open from one subnet.
 */
export interface FlowPiece {
  readonly protocol: number;
  /** The piece's ports; any for protocols without ports (ICMP). */
  readonly ports: PortSet;
  readonly status: 'allowed' | 'blocked' | 'partial' | 'unknown';
  /** The flow's decisions, cut to this piece. */
  readonly decisions: readonly Decision[];
  /**
   * Allowed from only some addresses on a side whose addresses nobody
   * declared (user devices, a host that protects itself): that is the
   * least-privilege rule people write, so the piece is allowed, with the
   * addresses it is allowed from said in hover and lens.
   */
  readonly assumed?: { readonly side: 'peer' | 'own'; readonly allowedFrom: AddressSet };
}

export interface Judgement {
  readonly verdict: Verdict;
  readonly pieces: readonly FlowPiece[];
}

/** Which end of the query the peer is: the source for flows into the protected role. */
export type PeerEnd = 'source' | 'destination';

export interface JudgeInput {
  readonly flow: CatalogFlow;
  readonly query: FlowQuery;
  readonly result: EvaluationResult;
  readonly peerEnd: PeerEnd;
  /** False when the peer's addresses were not declared (the query used "anywhere" or a placeholder for them). */
  readonly peerDeclared: boolean;
  readonly ownDeclared: boolean;
}

function cut(d: Decision, protocol: ProtocolSet, ports: PortSet, portful: boolean): Decision | undefined {
  const protocols = d.part.protocols.intersect(protocol);
  if (protocols.isEmpty) return undefined;
  const destinationPorts = portful ? d.part.destinationPorts.intersect(ports) : d.part.destinationPorts;
  if (destinationPorts.isEmpty) return undefined;
  return { ...d, part: { ...d.part, protocols, destinationPorts } };
}

function unionOf(sets: readonly AddressSet[]): AddressSet {
  let out = AddressSet.none();
  for (const s of sets) out = out.union(s);
  return out;
}

function judgePiece(input: JudgeInput, protocol: number, ports: PortSet): FlowPiece | undefined {
  const single = Protocols.of(protocol);
  const portful = single.isSubsetOf(PORTFUL);
  const decisions: Decision[] = [];
  for (const d of input.result.decisions) {
    const c = cut(d, single, ports, portful);
    if (c) decisions.push(c);
  }
  if (decisions.length === 0) return undefined;
  const allowed = decisions.filter((d) => d.outcome === 'allow');
  const denied = decisions.filter((d) => d.outcome === 'deny');
  const base = { protocol, ports: portful ? ports : Ports.any(), decisions };
  if (decisions.some((d) => d.outcome === 'unknown')) return someAddressAllowed(input, base, allowed, portful) ?? { ...base, status: 'unknown' };
  if (denied.length === 0) return { ...base, status: 'allowed' };
  if (allowed.length === 0) return { ...base, status: 'blocked' };
  // Some ports of the piece allowed from nowhere: partly open by port, whoever the peers are.
  let allowedPorts = Ports.none();
  for (const d of allowed) allowedPorts = allowedPorts.union(d.part.destinationPorts);
  if (portful && !ports.isSubsetOf(allowedPorts)) return { ...base, status: 'partial' };
  // Every port is open from some addresses: blocked only for some addresses. That is "partial" only where
  // the addresses were declared; on an undeclared side, "from some" is the normal least-privilege rule.
  if (input.peerDeclared && input.ownDeclared) return { ...base, status: 'partial' };
  const end = (d: Decision, which: PeerEnd): AddressSet => (which === 'source' ? d.part.source : d.part.destination);
  const ownEnd: PeerEnd = input.peerEnd === 'source' ? 'destination' : 'source';
  const wanted = (which: PeerEnd): AddressSet => (which === 'source' ? input.query.source : input.query.destination);
  const peerAllowed = unionOf(allowed.map((d) => end(d, input.peerEnd)));
  const ownAllowed = unionOf(allowed.map((d) => end(d, ownEnd)));
  if (input.peerDeclared && !wanted(input.peerEnd).isSubsetOf(peerAllowed)) return { ...base, status: 'partial' };
  if (input.ownDeclared && !wanted(ownEnd).isSubsetOf(ownAllowed)) return { ...base, status: 'partial' };
  const side = !input.peerDeclared && !wanted(input.peerEnd).isSubsetOf(peerAllowed) ? 'peer' : 'own';
  return { ...base, status: 'allowed', assumed: { side, allowedFrom: side === 'peer' ? peerAllowed : ownAllowed } };
}

/**
 * A peer nobody declared stands for "some address": when rules certainly
 * allow every port of the piece to (from) some address, what the other rules
 * do for addresses nobody named cannot make it missing. The own side must
 * still be wholly allowed when it was declared.
 */
function someAddressAllowed(input: JudgeInput, base: Omit<FlowPiece, 'status'>, allowed: readonly Decision[], portful: boolean): FlowPiece | undefined {
  if (input.peerDeclared || allowed.length === 0) return undefined;
  let allowedPorts = Ports.none();
  for (const d of allowed) allowedPorts = allowedPorts.union(d.part.destinationPorts);
  if (portful && !base.ports.isSubsetOf(allowedPorts)) return undefined;
  const ownEnd: PeerEnd = input.peerEnd === 'source' ? 'destination' : 'source';
  const end = (d: Decision): AddressSet => (ownEnd === 'source' ? d.part.source : d.part.destination);
  const ownWanted = ownEnd === 'source' ? input.query.source : input.query.destination;
  if (input.ownDeclared && !ownWanted.isSubsetOf(unionOf(allowed.map(end)))) return undefined;
  const peerAllowed = unionOf(allowed.map((d) => (input.peerEnd === 'source' ? d.part.source : d.part.destination)));
  return { ...base, status: 'allowed', assumed: { side: 'peer', allowedFrom: peerAllowed } };
}

/**
 * Judges a required flow piece by piece (each protocol × each port range of
 * the catalog flow), from the evaluator's decisions. The evaluator is right
 * per packet; this says what a Citrix engineer means by "blocked",
 * "partly allowed" and "allowed".
 */
export function judgeFlow(input: JudgeInput): Judgement {
  const pieces: FlowPiece[] = [];
  const protocols: number[] = [];
  for (const r of input.query.protocols.ranges) for (let p = r.from; p <= r.to && protocols.length < 8; p++) protocols.push(p);
  const ranges = input.flow.ports.length ? input.flow.ports.map((r) => Ports.range(r.from, r.to)) : [Ports.any()];
  for (const protocol of protocols) {
    const portful = Protocols.of(protocol).isSubsetOf(PORTFUL);
    for (const ports of portful ? ranges : [Ports.any()]) {
      const piece = judgePiece(input, protocol, ports);
      if (piece) pieces.push(piece);
    }
  }
  return { verdict: verdictOf(pieces, input.result.verdict), pieces };
}

function verdictOf(pieces: readonly FlowPiece[], evaluated: Verdict): Verdict {
  if (pieces.length === 0) return evaluated;
  const has = (s: FlowPiece['status']): boolean => pieces.some((p) => p.status === s);
  if (!has('blocked') && !has('partial') && !has('unknown')) return 'allowed';
  if (!has('allowed') && !has('partial') && !has('unknown')) return 'denied';
  // What is not known stays unknown (unresolved-value says why); a piece blocked outright is still a
  // missing flow, which missing-flow reports from the pieces.
  if (has('unknown') && !has('allowed') && !has('partial')) return 'unknown';
  if (has('unknown') && !has('blocked') && !has('partial')) return 'unknown';
  return 'partial';
}

/** The pieces of one status, grouped by the rule that decided them, so a message names each rule once. */
export function piecesByDecidingRule(pieces: readonly FlowPiece[], status: FlowPiece['status'], outcome: Decision['outcome']): { decision: Decision; pieces: FlowPiece[] }[] {
  const groups = new Map<unknown, { decision: Decision; pieces: FlowPiece[] }>();
  for (const piece of pieces) {
    if (piece.status !== status) continue;
    for (const d of piece.decisions) {
      if (d.outcome !== outcome) continue;
      const key = d.rule ?? d.ruleSet;
      const g = groups.get(key);
      if (!g) groups.set(key, { decision: d, pieces: [piece] });
      else if (!g.pieces.includes(piece)) g.pieces.push(piece);
    }
  }
  return [...groups.values()];
}
