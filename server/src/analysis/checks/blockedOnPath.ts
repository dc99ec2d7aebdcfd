import type { CheckDefinition } from './types';
import type { AnalysisContext } from '../context';
import type { Finding } from '../findings';
import { allowFlowFixes } from './fixes/allowFlow';
import { flowShort, purposeSentence } from '../describe';
import { piecesByDecidingRule } from '../judge';
import type { RequiredFlowCheck } from '../required';
import { anchorFor, blockedBy, flowData } from './requiredFlowFinding';
import { piecesInWords } from './pieceWords';
import { hopInWords, hopLocation } from '../pathWords';

/** Where each other hop of the path is, with what it decides, so the reader sees the whole way in the Problems panel. */
function otherHops(context: AnalysisContext, check: RequiredFlowCheck): NonNullable<Finding['related']> {
  const path = check.onPath;
  if (!path) return [];
  const out: NonNullable<Finding['related']>[number][] = [];
  path.walk.hops.forEach((h, i) => {
    if (h.hop === path.hop) return;
    const at = hopLocation(context, h);
    out.push({ uri: at.uri, span: at.span, message: `hop ${i + 1} of ${path.walk.hops.length}: ${hopInWords(context, h)}` });
  });
  return out;
}

export const blockedOnPath: CheckDefinition = {
  id: 'blocked-on-path',
  title: 'Required Citrix flow blocked on the way',
  summary: 'A firewall between two declared roles (an ASA, a router, the NSG of a subnet) blocks a flow they need, though it protects neither of them.',
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
      const what = groups.map((g) => `${piecesInWords(context.catalog, c.flow, g.pieces)} ${blockedBy(context, c, g.decision)}`).join('; ');
      const { walk, hop } = c.onPath;
      const index = walk.hops.findIndex((h) => h.hop === hop);
      out.push({
        checkId: 'blocked-on-path',
        uri: anchor.uri,
        span: anchor.span,
        ...(anchor.decidingRule ? { decidingRule: anchor.decidingRule } : {}),
        message: `${what} at ${hop.label}: ${flowShort(context.catalog, c.flow)}. Hop ${index + 1} of ${walk.hops.length} on the way, protecting neither end: ${hop.why}. Required: ${purposeSentence(c.flow)}.`,
        flowId: c.flow.id,
        related: [...anchor.related, ...otherHops(context, c)],
        data: flowData(c, blocked),
      });
    }
    return out;
  },
};
