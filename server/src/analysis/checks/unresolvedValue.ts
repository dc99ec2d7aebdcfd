import type { CheckDefinition } from './types';
import { flowInWords } from '../describe';
import { anchorFor, flowData, roleRelated } from './requiredFlowFinding';

export const unresolvedValue: CheckDefinition = {
  id: 'unresolved-value',
  title: 'Verdict unknown: a value could not be resolved',
  summary: 'A variable, reference, service tag or undeclared peer address leaves a required flow\'s verdict unknown.',
  defaultSeverity: 'info',
  scope: 'file',
  needsRoles: true,
  run(context) {
    return context.required
      .filter((c) => c.result.verdict === 'unknown')
      .map((c) => {
        const decision = c.result.decisions.find((d) => d.outcome === 'unknown');
        const reasons = c.result.reasons.slice(0, 3).join('; ');
        const hint = c.peerKnown ? '' : ` Declare the addresses of ${c.peerRole} under roles in citrix-flows.yaml.`;
        return {
          checkId: 'unresolved-value',
          ...anchorFor(context, c, decision),
          message: `Cannot tell whether ${flowInWords(context.catalog, c.flow, c.protocols)} is allowed: ${reasons}.${hint}`,
          flowId: c.flow.id,
          related: roleRelated(context, c),
          data: flowData(c),
        };
      });
  },
};
