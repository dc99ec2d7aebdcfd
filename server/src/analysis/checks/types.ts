import type { FixBuilder } from '../codeFix';
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
  /**
   * 'file' when every finding of the check comes from one file's rule sets, bound rule sets and required flows, so
   * the engine may run it file by file and keep a file's findings until that file changes. A check that looks
   * across files (or at the topology alone) leaves it unset and runs once over the whole workspace.
   */
  readonly scope?: 'file' | 'workspace';
  /** A finding may carry its own severity to grade itself below the default; a user's setting for the check overrides it. */
  /** The check's quick fixes, built from a finding's data; a check without them offers only the fixes every finding has (disable for this line, declare a guessed role). */
  readonly fixes?: FixBuilder;
  readonly run: (context: AnalysisContext) => readonly (Omit<Finding, 'severity'> & { readonly severity?: Severity })[];
}
