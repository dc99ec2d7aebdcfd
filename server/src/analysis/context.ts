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
}
