import type { Span } from '../model';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Location {
  readonly uri: string;
  readonly span: Span;
}

export interface Finding {
  readonly checkId: string;
  readonly severity: Severity;
  readonly uri: string;
  readonly span: Span;
  readonly message: string;
  /** Catalog flow the finding is about, when there is one. */
  readonly flowId?: string;
  /** The rule that decided (the line that blocks the flow), when it is written in a file. */
  readonly decidingRule?: Location & { readonly ruleId: string };
  readonly related?: readonly (Location & { readonly message: string })[];
  /**
   * Plain JSON the code actions need to build fixes (rule set id, role,
   * flow, direction, …). Code actions dispatch on checkId and data, never on
   * the message text.
   */
  readonly data?: Readonly<Record<string, unknown>>;
  /** What the finding rests on that nobody declared (an inferred role, an assumed peer). */
  readonly assumptions?: readonly import('./assumptions').Assumption[];
}

/** A finding a `citrix-flow-lint-disable` comment silenced; kept so SARIF can report it as suppressed in source. */
export interface SuppressedFinding {
  readonly finding: Finding;
  readonly kind: 'next-line' | 'file';
  /** The comment's `-- reason`, when it gives one. */
  readonly justification?: string;
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { hint: 0, info: 1, warning: 2, error: 3 };
