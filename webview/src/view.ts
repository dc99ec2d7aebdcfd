import type { FlowMapEdge, FlowMapLocation, FlowMapModel, FlowMapNode, FlowMapVerdict } from '../../server/src/service/flowMapTypes';

export const VERDICTS: readonly FlowMapVerdict[] = ['blocked', 'partial', 'unknown', 'unbound', 'allowed'];

export const VERDICT_LABEL: Record<FlowMapVerdict, string> = {
  blocked: 'Blocked',
  partial: 'Partly allowed',
  unknown: 'Unknown',
  unbound: 'No rule set',
  allowed: 'Allowed',
};

export const VERDICT_HELP: Record<FlowMapVerdict, string> = {
  blocked: 'The rules deny this required flow.',
  partial: 'Some of its protocols, ports or peers are allowed, some denied.',
  unknown: 'A variable, reference or undeclared address decides it.',
  unbound: 'Neither end has a rule set bound to it, so nothing was checked.',
  allowed: 'The rules allow it.',
};

/** What the page's host can do: VS Code opens files; the standalone report cannot. */
export interface Host {
  readonly kind: 'vscode' | 'standalone';
  open(location: FlowMapLocation, quickFix: boolean): void;
  saveState(state: ViewState): void;
  /** Tells VS Code the page is listening, so the model is sent only once it can arrive. */
  ready(): void;
}

export interface ViewState {
  view: 'map' | 'matrix' | 'table';
  /** True once the user picked a view; until then it follows the number of roles (MATRIX_ABOVE). */
  chosen?: boolean;
  role: string;
  product: string;
  hidden: FlowMapVerdict[];
  selected?: { kind: 'edge' | 'node' | 'pair'; id: string };
}

export const DEFAULT_STATE: ViewState = { view: 'map', role: '', product: '', hidden: [] };

/**
 * Above this many roles the map opens as the matrix: a graph of twenty roles
 * and their flows cannot be read at any zoom, a matrix can
 * (`citrixFlowLint.flowMap.matrixAbove` in VS Code).
 */
export const MATRIX_ABOVE = 8;

export function defaultView(roles: number, matrixAbove: number = MATRIX_ABOVE): ViewState['view'] {
  return roles > matrixAbove ? 'matrix' : 'map';
}

export interface Filtered {
  readonly edges: readonly FlowMapEdge[];
  readonly nodes: readonly FlowMapNode[];
}

export function applyFilters(model: FlowMapModel, state: ViewState): Filtered {
  const hidden = new Set(state.hidden);
  const edges = model.edges.filter(
    (e) =>
      !hidden.has(e.verdict) &&
      (!state.product || e.product === state.product) &&
      (!state.role || e.source === state.role || e.target === state.role),
  );
  const filtering = hidden.size > 0 || state.product !== '' || state.role !== '';
  const used = new Set(edges.flatMap((e) => [e.source, e.target]));
  if (state.role) used.add(state.role);
  const nodes = filtering ? model.nodes.filter((n) => used.has(n.id)) : model.nodes;
  return { edges, nodes };
}

export function where(location: FlowMapLocation | undefined): string {
  if (!location) return '';
  return location.line ? `${location.file}:${location.line}` : location.file;
}
