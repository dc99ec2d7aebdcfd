import type { CheckDefinition } from './types';
import type { AnalysisContext } from '../context';
import type { Finding } from '../findings';
import { allowFlowFixes } from './fixes/allowFlow';
import { flowShort, purposeSentence } from '../describe';
import { piecesByDecidingRule } from '../judge';
import type { RequiredFlowCheck } from '../required';
import { anchorFor, blockedGroupsInWords, flowData } from './requiredFlowFinding';
import { hopInWords, hopLocation } from '../pathWords';
import type { HopResult } from '../sitePath';

/**
 * The hops a packet through this hop also meets. A role spread over several
 * subnets has a path per subnet: the NSG of another subnet is not on this one's way.
 */
function sameWay(check: RequiredFlowCheck): readonly HopResult[] {
  const path = check.onPath;
  if (!path) return [];
  const mine = path.hop;
  return path.walk.hops.filter((h) => !h.hop.source.intersect(mine.source).isEmpty && !h.hop.destination.intersect(mine.destination).isEmpty);
}

/** Where each other hop of the way is, with what it decides, so the reader sees the whole way in the Problems panel. */
function otherHops(context: AnalysisContext, check: RequiredFlowCheck, way: readonly HopResult[]): NonNullable<Finding['related']> {
  const out: NonNullable<Finding['related']>[number][] = [];
  way.forEach((h, i) => {
    if (h.hop === check.onPath?.hop) return;
    const at = hopLocation(context, h);
    out.push({ uri: at.uri, span: at.span, message: `hop ${i + 1} of ${way.length}: ${hopInWords(context, h)}` });
  });
  return out;
}

export const blockedOnPath: CheckDefinition = {
  id: 'blocked-on-path',
  title: 'Required Citrix flow blocked on the way',
  summary: 'A firewall on the way between two declared roles (an ASA, a router, the NSG of their subnet) blocks a flow they need, though it is bound to neither role.',
  defaultSeverity: 'error',
  fixes: allowFlowFixes(),
  scope: 'workspace',
  needsRoles: true,
  run(context) {
    const out: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const c of context.required) {
      if (!c.onPath) continue;
      const blocked = c.judgement.pieces.filter((p) => p.status === 'blocked');
      if (blocked.length === 0) continue;
      const groups = piecesByDecidingRule(blocked, 'blocked', 'deny');
      const anchor = anchorFor(context, c, groups[0]?.decision);
      const what = blockedGroupsInWords(context, c, groups);
      const { hop } = c.onPath;
      const way = sameWay(c);
      const index = way.findIndex((h) => h.hop === hop);
      out.push({
        checkId: 'blocked-on-path',
        uri: anchor.uri,
        span: anchor.span,
        ...(anchor.decidingRule ? { decidingRule: anchor.decidingRule } : {}),
        message: `${what} at ${hop.label}: ${flowShort(context.catalog, c.flow)}. Hop ${index + 1} of ${way.length} on the way, bound to neither end's role: ${hop.why}. Required: ${purposeSentence(c.flow)}.`,
        flowId: c.flow.id,
        related: [...anchor.related, ...otherHops(context, c, way)],
        data: flowData(c, blocked),
      });
    }
    return out;
  },
};
