import type { CheckDefinition } from './types';
import { allowFlowFixes } from './fixes/allowFlow';
import { flowShort, purposeSentence } from '../describe';
import { AddressSet, Ports } from '../../net';
import type { Decision } from '../evaluate';
import type { FlowPiece } from '../judge';
import type { RequiredFlowCheck } from '../required';
import type { AnalysisContext } from '../context';
import { anchorFor, blockedBy, flowData, roleRelated } from './requiredFlowFinding';
import { addressesInWords, blockedPortsOf, piecesInWords } from './pieceWords';

/** The protected role is the flow's destination here, so the peer is its source. */
function peerIsSource(check: RequiredFlowCheck): boolean {
  return check.flow.destination === check.role && check.direction !== 'outbound';
}

function peerOf(d: Decision, check: RequiredFlowCheck): AddressSet {
  return peerIsSource(check) ? d.part.source : d.part.destination;
}

function ownEndOf(d: Decision, check: RequiredFlowCheck): AddressSet {
  return peerIsSource(check) ? d.part.destination : d.part.source;
}

function unionOf(decisions: readonly Decision[], end: (d: Decision) => AddressSet): AddressSet {
  let all = AddressSet.none();
  for (const d of decisions) all = all.union(end(d));
  return all;
}

/** What of one partly allowed piece is blocked and what is open, and the decision that blocks it. */
function pieceInWords(context: AnalysisContext, check: RequiredFlowCheck, piece: FlowPiece): { blocked: string; allowed: string; decision?: Decision } {
  const { catalog } = context;
  const denies = piece.decisions.filter((d) => d.outcome === 'deny');
  const blockedPorts = blockedPortsOf(piece);
  const inbound = check.flow.destination === check.role;
  if (!blockedPorts.isEmpty) {
    const decision = denies.find((d) => d.part.destinationPorts.intersects(blockedPorts)) ?? denies[0];
    let open = Ports.none();
    for (const d of piece.decisions) if (d.outcome === 'allow') open = open.union(d.part.destinationPorts);
    return {
      blocked: `${piecesInWords(catalog, check.flow, [{ protocol: piece.protocol, ports: blockedPorts }])} ${blockedBy(context, check, decision)}`,
      allowed: `${piecesInWords(catalog, check.flow, [{ protocol: piece.protocol, ports: open }])} allowed`,
      decision,
    };
  }
  const allows = piece.decisions.filter((d) => d.outcome === 'allow');
  const words = piecesInWords(catalog, check.flow, [piece]);
  const blockedPeers = unionOf(denies, (d) => peerOf(d, check));
  const openPeers = unionOf(allows, (d) => peerOf(d, check));
  // The same peers on both sides: what differs is which of the role's own hosts they reach
  // ("to 10.8.2.0/24 blocked, allowed to 10.0.2.0/24"), and naming the peers twice would say nothing.
  const byOwnEnd = blockedPeers.equals(openPeers);
  const blockedSide = byOwnEnd ? unionOf(denies, (d) => ownEndOf(d, check)) : blockedPeers;
  const openSide = byOwnEnd ? unionOf(allows, (d) => ownEndOf(d, check)) : openPeers;
  const dir = inbound === byOwnEnd ? 'to' : 'from';
  return {
    blocked: `${words} ${dir} ${addressesInWords(blockedSide)} ${blockedBy(context, check, denies[0])}`,
    allowed: `allowed ${dir} ${addressesInWords(openSide)}`,
    decision: denies[0],
  };
}

export const partialFlow: CheckDefinition = {
  id: 'partial-flow',
  title: 'Required Citrix flow only partly allowed',
  summary: 'Some ports of a required flow, or some of its declared peers, are allowed and the rest blocked.',
  defaultSeverity: 'warning',
  fixes: allowFlowFixes(),
  scope: 'file',
  needsRoles: true,
  run(context) {
    const out: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const c of context.required) {
      const partial = c.judgement.pieces.filter((p) => p.status === 'partial');
      if (partial.length === 0) continue;
      const parts = partial.map((p) => pieceInWords(context, c, p));
      const anchor = anchorFor(context, c, parts[0].decision);
      out.push({
        checkId: 'partial-flow',
        uri: anchor.uri,
        span: anchor.span,
        ...(anchor.decidingRule ? { decidingRule: anchor.decidingRule } : {}),
        message: `${parts.map((p) => `${p.blocked}, ${p.allowed}`).join('; ')}: ${flowShort(context.catalog, c.flow)}. Required: ${purposeSentence(c.flow)}.`,
        flowId: c.flow.id,
        related: [...anchor.related, ...roleRelated(context, c)],
        data: flowData(c, partial),
      });
    }
    return out;
  },
};
