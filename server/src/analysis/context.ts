import type { Catalog } from '../catalog';
import type { ParsedFile } from '../model';
import type { BoundRuleSet, Topology } from '../topology/types';
import type { RequiredFlowCheck } from './required';

/** What every check reads: parsed once, evaluated once, shared. */
export interface AnalysisContext {
  readonly files: readonly ParsedFile[];
  readonly bound: readonly BoundRuleSet[];
  readonly topology: Topology;
  readonly catalog: Catalog;
  readonly required: readonly RequiredFlowCheck[];
  /**
   * Every file of the workspace, when `files` is only the part a file-scoped check runs on: where the file a
   * linked Terraform rule is written in is looked up.
   */
  readonly allFiles?: readonly ParsedFile[];
  /** Every role bound to a rule set anywhere in the workspace, when `bound` is only part of it. */
  readonly boundRoles?: ReadonlySet<string>;
}
