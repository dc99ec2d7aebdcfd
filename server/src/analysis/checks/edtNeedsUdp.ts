import type { CheckDefinition } from './types';
import { allowFlowFixes } from './fixes/allowFlow';
import { flowShort, portsInWords } from '../describe';
import type { FlowPiece } from '../judge';
import type { RequiredFlowCheck } from '../required';
import { TCP, UDP } from '../../net';
import { anchorFor, blockedBy, flowData, roleRelated } from './requiredFlowFinding';
import { piecesInWords } from './pieceWords';

/**
 * The UDP pieces of a flow whose UDP side exists only for EDT, blocked
 * from every peer while TCP on the same ports is allowed: sessions still
 * work (over TCP), so that is edt-needs-udp's warning, not a missing flow.
 */
export function edtGapPieces(check: RequiredFlowCheck): FlowPiece[] {
  const udpNeedsEdt = (check.flow.protocolConditions.udp ?? []).includes('feature:edt');
  if (!udpNeedsEdt || !check.protocols.includes('udp') || !check.protocols.includes('tcp')) return [];
  const pieces = check.judgement.pieces;
  return pieces.filter(
    (p) => p.protocol === UDP && p.status === 'blocked' && pieces.some((t) => t.protocol === TCP && t.status === 'allowed' && t.ports.equals(p.ports)),
  );
}

/** The flow's UDP side exists only for EDT, TCP is allowed and UDP is blocked (on some port range). */
export function isEdtGap(check: RequiredFlowCheck): boolean {
  return edtGapPieces(check).length > 0;
}

export const edtNeedsUdp: CheckDefinition = {
  id: 'edt-needs-udp',
  title: 'EDT needs UDP',
  summary: 'An ICA/HDX port is open for TCP but not UDP while Enlightened Data Transport (EDT) is on.',
  defaultSeverity: 'warning',
  fixes: allowFlowFixes('udp'),
  scope: 'file',
  needsRoles: true,
  run(context) {
    const out: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const c of context.required) {
      const gap = edtGapPieces(c);
      if (gap.length === 0) continue;
      const blocked = gap[0].decisions.find((d) => d.outcome === 'deny');
      const anchor = anchorFor(context, c, blocked);
      out.push({
        checkId: 'edt-needs-udp',
        uri: anchor.uri,
        span: anchor.span,
        ...(anchor.decidingRule ? { decidingRule: anchor.decidingRule } : {}),
        message:
          `${piecesInWords(context.catalog, c.flow, gap)} ${blocked ? blockedBy(context, c, blocked) : 'blocked'} while TCP ${portsInWords(c.flow)} is open: ${flowShort(context.catalog, c.flow)}. ` +
          `EDT is on, and sessions fall back to TCP. The seed: "${c.flow.description}"`,
        flowId: c.flow.id,
        related: [...anchor.related, ...roleRelated(context, c)],
        data: { ...flowData(c, gap), protocols: ['udp'] },
      });
    }
    return out;
  },
};
