import type { CheckDefinition } from './types';
import { removeUnusedSuppressionFix, takeSuggestion } from './fixes/suppression';
import { missingFlow } from './missingFlow';
import { partialFlow } from './partialFlow';
import { edtNeedsUdp } from './edtNeedsUdp';
import { unresolvedValue } from './unresolvedValue';
import { unparsedRule } from './unparsedRule';
import { insecureVariant } from './insecureVariant';
import { deprecatedPort } from './deprecatedPort';
import { exposedToInternet } from './exposedToInternet';
import { shadowedRule } from './shadowedRule';
import { unneededCitrixPort } from './unneededCitrixPort';
import { conflictingRuleResources } from './conflictingRuleResources';
import { wrongProtocol } from './wrongProtocol';
import { blockedOnPath } from './blockedOnPath';

export type { CheckDefinition } from './types';

/** Every check, in the order findings are reported. The docs, settings schema and this list are held equal by a test. */
export const CHECKS: readonly CheckDefinition[] = [
  missingFlow,
  blockedOnPath,
  partialFlow,
  edtNeedsUdp,
  insecureVariant,
  deprecatedPort,
  wrongProtocol,
  exposedToInternet,
  shadowedRule,
  unneededCitrixPort,
  unresolvedValue,
  unparsedRule,
  conflictingRuleResources,
];

/**
 * Findings that do not come from a check function but from the engine itself:
 * the declarations, suppressions and the engine's own failures.
 */
export const ENGINE_DIAGNOSTICS: readonly Omit<CheckDefinition, 'run'>[] = [
  {
    id: 'unknown-role',
    title: 'Unknown role',
    summary: 'A role id in citrix-flows.yaml, an annotation or --role is not in the catalog.',
    defaultSeverity: 'error',
    needsRoles: false,
    fixes: takeSuggestion,
  },
  {
    id: 'invalid-declaration',
    title: 'Problem in citrix-flows.yaml',
    summary: 'citrix-flows.yaml has a value that cannot be used: a bad address, an unknown feature or check, a duplicate key, a binding that matches nothing.',
    defaultSeverity: 'warning',
    needsRoles: false,
    fixes: takeSuggestion,
  },
  {
    id: 'unused-suppression',
    title: 'Unused suppression',
    summary: 'A citrix-flow-lint-disable comment suppresses nothing.',
    defaultSeverity: 'info',
    needsRoles: false,
    fixes: removeUnusedSuppressionFix,
  },
  {
    id: 'internal-error',
    title: 'Internal error',
    summary: 'A check failed while running; its findings are missing. Please report it.',
    defaultSeverity: 'error',
    needsRoles: false,
  },
];

export function allCheckIds(): string[] {
  return [...CHECKS.map((c) => c.id), ...ENGINE_DIAGNOSTICS.map((c) => c.id)];
}

export function checkById(id: string): Omit<CheckDefinition, 'run'> | undefined {
  return CHECKS.find((c) => c.id === id) ?? ENGINE_DIAGNOSTICS.find((c) => c.id === id);
}
