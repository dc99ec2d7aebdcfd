import type { CheckDefinition } from './types';
import { allowFlowFixes } from './fixes/allowFlow';
import { flowShort, purposeSentence } from '../describe';
import { piecesByDecidingRule, type FlowPiece } from '../judge';
import type { RequiredFlowCheck } from '../required';
import { anchorFor, blockedGroupsInWords, flowData, roleRelated } from './requiredFlowFinding';
import { edtGapPieces } from './edtNeedsUdp';
import { piecesInWords } from './pieceWords';

/**
 * The pieces of a required flow (protocol × port range) that are blocked
 * from every peer address, leaving out the UDP side of an ICA port that
 * edt-needs-udp reports.
 */
export function missingPieces(check: RequiredFlowCheck): FlowPiece[] {
  const edt = new Set(edtGapPieces(check));
  return check.judgement.pieces.filter((p) => p.status === 'blocked' && !edt.has(p));
}

export const missingFlow: CheckDefinition = {
  id: 'missing-flow',
  title: 'Required Citrix flow blocked',
  summary: 'A flow a declared Citrix role needs is denied by the rules, or one of its protocols or port ranges is blocked from every peer.',
  defaultSeverity: 'error',
  fixes: allowFlowFixes(),
  scope: 'file',
  needsRoles: true,
  run(context) {
    const out: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const c of context.required) {
      const missing = missingPieces(c);
      if (missing.length === 0) continue;
      const groups = piecesByDecidingRule(missing, 'blocked', 'deny');
      const anchor = anchorFor(context, c, groups[0]?.decision);
      const blocked = blockedGroupsInWords(context, c, groups);
      const open = c.judgement.pieces.filter((p) => p.status === 'allowed');
      const partly = c.judgement.pieces.filter((p) => p.status === 'partial');
      const rest = [
        open.length ? `${piecesInWords(context.catalog, c.flow, open)} allowed` : '',
        partly.length ? `${piecesInWords(context.catalog, c.flow, partly)} partly allowed` : '',
      ].filter(Boolean);
      out.push({
        checkId: 'missing-flow',
        uri: anchor.uri,
        span: anchor.span,
        ...(anchor.decidingRule ? { decidingRule: anchor.decidingRule } : {}),
        message: `${blocked}: ${flowShort(context.catalog, c.flow)}.${rest.length ? ` ${rest.join('; ')}.` : ''} Required: ${purposeSentence(c.flow)}.`,
        flowId: c.flow.id,
        related: [...anchor.related, ...roleRelated(context, c)],
        data: flowData(c, missing),
      });
    }
    return out;
  },
};
