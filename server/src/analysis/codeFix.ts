import type { ParsedFile } from '../model';
import type { TextEdit } from '../model/edits';
import type { WorkspaceAnalysis } from './analyze';
import type { Finding } from './findings';

/**
 * `source.fixAll` is run by VS Code for every provider on save when a user
 * has `"editor.codeActionsOnSave": { "source.fixAll": … }` (common for
 * ESLint), with no prompt: only fixes that can never open a port get it.
 * Allowing missing flows is a source action of its own, asked for by name.
 */
export const FIX_ALL_KIND = 'source.fixAll.citrix-flow-lint';
export const ALLOW_MISSING_FLOWS_KIND = 'source.citrix-flow-lint.allowMissingFlows';

export interface CodeFix {
  readonly title: string;
  readonly kind: 'quickfix' | typeof FIX_ALL_KIND | typeof ALLOW_MISSING_FLOWS_KIND;
  readonly isPreferred?: boolean;
  readonly edits: TextEdit[];
  readonly checkId: string;
}

export interface FixOptions {
  /**
   * Asked for a source action of the whole file: the "all missing flows" fix
   * gets ALLOW_MISSING_FLOWS_KIND, the harmless fixes (alias → role id,
   * remove an unused suppression) FIX_ALL_KIND.
   */
  readonly all?: boolean;
  /** Text of files the analysis did not parse (citrix-flows.yaml), for fixes that edit them. */
  readonly textOf?: (uri: string) => string | undefined;
}

/** What a check's fix builder is given: the finding's file when the analysis parsed it, else its text when the caller has it (citrix-flows.yaml). */
export interface FixContext {
  readonly analysis: WorkspaceAnalysis;
  readonly file?: ParsedFile;
  readonly text?: string;
  readonly options: FixOptions;
  /** Whether an id names a check or an engine diagnostic; given here so that fix builders need not import the check list that holds them. */
  readonly isCheckId: (id: string) => boolean;
  /** The fix builder of another finding's check, for fixes that batch their siblings. */
  readonly builderOf: (finding: Finding) => FixBuilder | undefined;
}

/**
 * A check's quick fixes for one of its findings, from the finding's data
 * (never its message). Throwing leaves the fixes out; the finding stands.
 */
export type FixBuilder = (finding: Finding, context: FixContext) => readonly CodeFix[];
