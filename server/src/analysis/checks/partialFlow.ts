import type { CheckDefinition } from './types';
import { flowInWords, portSetInWords, protocolSetInWords } from '../describe';
import type { AddressSet } from '../../net';
import type { Decision } from '../evaluate';
import type { RequiredFlowCheck } from '../required';
import { anchorFor, decidingWords, flowData, roleRelated } from './requiredFlowFinding';
import { isEdtGap } from './edtNeedsUdp';

/** One rule's share of the flow: its protocols and ports together, and the peer addresses if only some. */
function partsInWords(parts: readonly Decision[], check: RequiredFlowCheck): string {
  let protocols = parts[0].part.protocols;
  let ports = parts[0].part.destinationPorts;
  let peers = peerSide(parts[0], check);
  for (const d of parts.slice(1)) {
    protocols = protocols.union(d.part.protocols);
    ports = ports.union(d.part.destinationPorts);
    peers = peers.union(peerSide(d, check));
  }
  const words = `${protocolSetInWords(protocols)} ${portSetInWords(ports)}`;
  const wanted = check.direction === 'outbound' ? check.query.destination : check.query.source;
  return peers.equals(wanted) ? words : `${words} ${check.direction === 'outbound' ? 'to' : 'from'} ${peers.toStrings().slice(0, 3).join(', ')}`;
}

function peerSide(d: Decision, check: RequiredFlowCheck): AddressSet {
  return check.direction === 'outbound' ? d.part.destination : d.part.source;
}

function groupByRule(decisions: readonly Decision[], outcome: Decision['outcome']): Decision[][] {
  const groups = new Map<unknown, Decision[]>();
  for (const d of decisions) {
    if (d.outcome !== outcome) continue;
    const key = d.rule ?? d.ruleSet;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.values()];
}

export const partialFlow: CheckDefinition = {
  id: 'partial-flow',
  title: 'Required Citrix flow only partly allowed',
  summary: 'Some of the ports, protocols or addresses of a required flow are allowed, the rest blocked.',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: true,
  run(context) {
    return context.required
      .filter((c) => c.result.verdict === 'partial' && !isEdtGap(c))
      .map((c) => {
        const denied = groupByRule(c.result.decisions, 'deny');
        const allowed = groupByRule(c.result.decisions, 'allow');
        const blockedWords = denied
          .map((group) => `${partsInWords(group, c)} by ${decidingWords(context, c, group[0])}`)
          .join('; ');
        const allowedWords = allowed.map((group) => partsInWords(group, c)).join(', ');
        return {
          checkId: 'partial-flow',
          ...anchorFor(context, c, denied[0]?.[0]),
          message: `Required flow only partly allowed: ${flowInWords(context.catalog, c.flow, c.protocols)}. Allowed: ${allowedWords}; blocked: ${blockedWords}.`,
          flowId: c.flow.id,
          related: roleRelated(context, c),
          data: flowData(c),
        };
      });
  },
};
