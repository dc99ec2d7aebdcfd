import type { CheckDefinition } from './types';
import { flowInWords } from '../describe';
import { anchorFor, decidingWords, flowData, roleRelated } from './requiredFlowFinding';

export const missingFlow: CheckDefinition = {
  id: 'missing-flow',
  title: 'Required Citrix flow blocked',
  summary: 'A flow a declared Citrix role needs is denied by the rules.',
  defaultSeverity: 'error',
  scope: 'file',
  needsRoles: true,
  run(context) {
    return context.required
      .filter((c) => c.result.verdict === 'denied')
      .map((c) => {
        const decision = c.result.decisions.find((d) => d.outcome === 'deny');
        const anchor = anchorFor(context, c, decision);
        const by = decision ? decidingWords(context, c, decision) : 'the rules';
        return {
          checkId: 'missing-flow',
          ...anchor,
          message: `Required flow blocked: ${flowInWords(context.catalog, c.flow, c.protocols)}. Denied by ${by}.`,
          flowId: c.flow.id,
          related: roleRelated(context, c),
          data: flowData(c),
        };
      });
  },
};
