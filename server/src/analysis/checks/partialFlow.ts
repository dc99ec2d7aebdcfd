import type { CheckDefinition } from './types';
import { decidingRuleInWords, decisionsByRule, flowInWords, portSetInWords, protocolSetInWords } from '../describe';
import type { Decision } from '../evaluate';
import type { RequiredFlowCheck } from '../required';
import { anchorFor, flowData, roleRelated } from './requiredFlowFinding';
import { isEdtGap } from './edtNeedsUdp';

function partInWords(d: Decision, check: RequiredFlowCheck): string {
  const words = `${protocolSetInWords(d.part.protocols)} ${portSetInWords(d.part.destinationPorts)}`;
  const peerSide = check.direction === 'outbound' ? d.part.destination : d.part.source;
  const wanted = check.direction === 'outbound' ? check.query.destination : check.query.source;
  return peerSide.equals(wanted) ? words : `${words} from ${peerSide.toStrings().slice(0, 3).join(', ')}`;
}

export const partialFlow: CheckDefinition = {
  id: 'partial-flow',
  title: 'Required Citrix flow only partly allowed',
  summary: 'Some of the ports, protocols or addresses of a required flow are allowed, the rest blocked.',
  defaultSeverity: 'warning',
  needsRoles: true,
  run(context) {
    return context.required
      .filter((c) => c.result.verdict === 'partial' && !isEdtGap(c))
      .map((c) => {
        const denied = decisionsByRule(c.result.decisions, 'deny');
        const allowed = c.result.decisions.filter((d) => d.outcome === 'allow');
        const blockedWords = denied
          .map((d) => `${partInWords(d, c)} by ${decidingRuleInWords(c.bound.file, d.ruleSet, d.rule)}`)
          .join('; ');
        const allowedWords = [...new Set(allowed.map((d) => partInWords(d, c)))].join(', ');
        return {
          checkId: 'partial-flow',
          ...anchorFor(c, denied[0]),
          message: `Required flow only partly allowed: ${flowInWords(context.catalog, c.flow, c.protocols)}. Allowed: ${allowedWords}; blocked: ${blockedWords}.`,
          flowId: c.flow.id,
          related: roleRelated(context, c),
          data: flowData(c),
        };
      });
  },
};
