import type { AnalysisContext } from '../context';
import type { Finding, Severity } from '../findings';

export interface CheckDefinition {
  readonly id: string;
  readonly title: string;
  /** One sentence, shown on hover over the id in a suppression comment and in SARIF. */
  readonly summary: string;
  readonly defaultSeverity: Severity;
  /** False for checks that are useful with no roles declared (shadowed rules, parse problems). */
  readonly needsRoles: boolean;
  /** A finding may carry its own severity to grade itself below the default; a user's setting for the check overrides it. */
  readonly run: (context: AnalysisContext) => readonly (Omit<Finding, 'severity'> & { readonly severity?: Severity })[];
}
