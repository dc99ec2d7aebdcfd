import type { CheckDefinition } from './types';
import { portsInWords, roleName } from '../describe';
import type { RequiredFlowCheck } from '../required';
import { TCP, UDP } from '../../net';
import { anchorFor, decidingWords, flowData, roleRelated } from './requiredFlowFinding';

/** The flow's UDP side exists only for EDT, TCP is fully allowed and UDP is not. */
export function isEdtGap(check: RequiredFlowCheck): boolean {
  const udpNeedsEdt = (check.flow.protocolConditions.udp ?? []).includes('feature:edt');
  if (!udpNeedsEdt || !check.protocols.includes('udp') || !check.protocols.includes('tcp')) return false;
  if (check.result.verdict !== 'partial') return false;
  const decisions = check.result.decisions;
  const tcpOnlyAllowed = decisions.filter((d) => d.outcome === 'allow').every((d) => !d.part.protocols.has(UDP));
  const udpOnlyBlocked = decisions.filter((d) => d.outcome !== 'allow').every((d) => !d.part.protocols.has(TCP));
  return tcpOnlyAllowed && udpOnlyBlocked;
}

export const edtNeedsUdp: CheckDefinition = {
  id: 'edt-needs-udp',
  title: 'EDT needs UDP',
  summary: 'An ICA/HDX port is open for TCP but not UDP while Enlightened Data Transport (EDT) is on.',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: true,
  run(context) {
    return context.required.filter(isEdtGap).map((c) => {
      const blocked = c.result.decisions.find((d) => d.outcome === 'deny');
      return {
        checkId: 'edt-needs-udp',
        ...anchorFor(context, c, blocked),
        message:
          `EDT is on, but ${roleName(context.catalog, c.flow.source)} → ${roleName(context.catalog, c.flow.destination)} UDP ${portsInWords(c.flow)} is blocked while TCP is open` +
          `${blocked ? ` (UDP denied by ${decidingWords(context, c, blocked)})` : ''}. ` +
          `The seed: "${c.flow.description}" Sessions fall back to TCP.`,
        flowId: c.flow.id,
        related: roleRelated(context, c),
        data: { ...flowData(c), protocols: ['udp'] },
      };
    });
  },
};
