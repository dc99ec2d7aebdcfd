import type { FlowMapEdge, FlowMapLocation, FlowMapModel, FlowMapNode, FlowMapVerdict, HostToWebview, WebviewToHost } from '../../server/src/service/flowMapTypes';
import { edgeCard, edgeDetails, flowList, nodeDetails, roleLabel, summaryDetails } from './details';
import { h } from './dom';
import { renderGraph, type RenderedGraph } from './graph';
import { PAIR_SEPARATOR, renderMatrix, renderTable } from './matrix';
import { DEFAULT_STATE, MATRIX_ABOVE, VERDICTS, VERDICT_HELP, VERDICT_LABEL, applyFilters, defaultView, type Host, type ViewState } from './view';
import './style.css';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

function createHost(): { host: Host; initial: ViewState } {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    const saved = api.getState() as ViewState | undefined;
    return {
      host: {
        kind: 'vscode',
        open: (location, quickFix) => api.postMessage({ type: 'open', location, quickFix } satisfies WebviewToHost),
        saveState: (state) => api.setState(state),
        ready: () => api.postMessage({ type: 'ready' } satisfies WebviewToHost),
      },
      initial: { ...DEFAULT_STATE, ...saved },
    };
  }
  return { host: { kind: 'standalone', open: () => undefined, saveState: () => undefined, ready: () => undefined }, initial: { ...DEFAULT_STATE } };
}

class FlowMapApp {
  private model: FlowMapModel | undefined;
  private graph: RenderedGraph | undefined;
  private readonly tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  private readonly toolbar = h('header', { class: 'toolbar' });
  private readonly stage = h('main', { class: 'stage' });
  private readonly side = h('aside', { class: 'side', 'aria-live': 'polite' });

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
    private state: ViewState,
  ) {
    root.replaceChildren(this.toolbar, h('div', { class: 'body' }, this.stage, this.side), this.tooltip);
    new ResizeObserver(() => this.graph?.fit()).observe(this.stage);
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.select(undefined);
    });
  }

  setModel(model: FlowMapModel, matrixAbove = MATRIX_ABOVE): void {
    this.model = model;
    if (!this.state.chosen) this.state.view = defaultView(model.nodes.length, matrixAbove);
    // A role or product that vanished with the last edit must not leave an empty picture behind.
    if (this.state.role && !model.nodes.some((n) => n.id === this.state.role)) this.state.role = '';
    if (this.state.product && !model.products.some((p) => p.id === this.state.product)) this.state.product = '';
    this.render();
  }

  showError(message: string): void {
    this.stage.replaceChildren(h('div', { class: 'empty error' }, message));
  }

  private update(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    this.host.saveState(this.state);
    this.render();
  }

  private render(): void {
    const model = this.model;
    if (!model) return;
    const filtered = applyFilters(model, this.state);
    this.renderToolbar(model);
    this.root.dataset.view = this.state.view;
    this.graph = undefined;
    if (!model.edges.length) {
      this.stage.replaceChildren(h('div', { class: 'empty' },
        h('strong', {}, 'No required flows yet.'),
        h('p', {}, 'Declare the Citrix roles at the site in citrix-flows.yaml, or annotate a rule set with a comment such as "citrix-role: vda".')));
    } else if (this.state.view === 'matrix') {
      this.stage.replaceChildren(renderMatrix(model, filtered, (s, t) => this.select({ kind: 'pair', id: `${s}${PAIR_SEPARATOR}${t}` })));
    } else if (this.state.view === 'table') {
      this.stage.replaceChildren(renderTable(model, filtered, this.host, (e) => this.edgeClicked(e)));
    } else if (!filtered.nodes.length) {
      this.stage.replaceChildren(h('div', { class: 'empty' }, 'No flows match the filters.'));
    } else {
      const graph = renderGraph(filtered, model.groups, {
        onEdgeHover: (edges, ev) => this.hover(edges, ev),
        onEdgeClick: (edges) => this.bundleClicked(edges),
        onHopClick: (edges, location) => this.hopClicked(edges, location),
        onNodeClick: (node) => this.nodeClicked(node),
        onBackgroundClick: () => this.select(undefined),
      });
      const controls = h('div', { class: 'zoom-controls' });
      for (const [label, title, action] of [
        ['+', 'Zoom in', () => graph.zoom(1.25)],
        ['−', 'Zoom out', () => graph.zoom(0.8)],
        ['Fit', 'Fit to window', () => graph.fit()],
      ] as const) {
        const b = h('button', { type: 'button', title, 'aria-label': title }, label);
        b.addEventListener('click', action);
        controls.append(b);
      }
      this.stage.replaceChildren(graph.element, controls);
      this.graph = graph;
      graph.fit();
    }
    this.renderSide();
  }

  private renderToolbar(model: FlowMapModel): void {
    const views = h('div', { class: 'segmented', role: 'tablist' });
    for (const [id, label] of [['map', 'Map'], ['matrix', 'Matrix'], ['table', 'Table']] as const) {
      const b = h('button', { type: 'button', role: 'tab', 'aria-selected': String(this.state.view === id), class: this.state.view === id ? 'active' : '', 'data-view': id }, label);
      b.addEventListener('click', () => this.update({ view: id, chosen: true }));
      views.append(b);
    }
    const roleSelect = h('select', { 'aria-label': 'Filter by role', 'data-filter': 'role' },
      h('option', { value: '' }, 'All roles'),
      ...[...model.nodes].sort((a, b) => a.label.localeCompare(b.label)).map((n) => h('option', { value: n.id, selected: n.id === this.state.role }, n.label)));
    roleSelect.addEventListener('change', () => this.update({ role: roleSelect.value, selected: undefined }));
    const productSelect = h('select', { 'aria-label': 'Filter by product', 'data-filter': 'product' },
      h('option', { value: '' }, 'All products'),
      ...model.products.map((p) => h('option', { value: p.id, selected: p.id === this.state.product }, p.name)));
    productSelect.addEventListener('change', () => this.update({ product: productSelect.value, selected: undefined }));
    const legend = h('div', { class: 'legend', role: 'group', 'aria-label': 'Verdicts (click to show or hide)' });
    for (const v of VERDICTS) {
      const hidden = this.state.hidden.includes(v);
      const chip = h('button', { type: 'button', class: `legend-item verdict-${v}${hidden ? ' off' : ''}`, 'aria-pressed': String(!hidden), title: `${VERDICT_HELP[v]} Click to ${hidden ? 'show' : 'hide'}.`, 'data-verdict': v },
        h('span', { class: `swatch verdict-${v}` }), VERDICT_LABEL[v], h('span', { class: 'n' }, model.counts.byVerdict[v]));
      chip.addEventListener('click', () => this.update({ hidden: hidden ? this.state.hidden.filter((x) => x !== v) : [...this.state.hidden, v] as FlowMapVerdict[] }));
      legend.append(chip);
    }
    const subtitle = `${model.counts.nodes} roles · ${model.counts.edges} required flows${model.topologyFile ? ` · ${model.topologyFile}` : ''}`;
    this.toolbar.replaceChildren(
      h('div', { class: 'title' }, h('h1', {}, model.title), h('span', { class: 'subtitle' }, subtitle)),
      views,
      h('div', { class: 'filters' }, roleSelect, productSelect),
      legend,
    );
  }

  private renderSide(): void {
    const model = this.model;
    if (!model) return;
    const filtered = applyFilters(model, this.state);
    const sel = this.state.selected;
    const selectEdge = (e: FlowMapEdge): void => this.edgeClicked(e);
    let content: HTMLElement | undefined;
    if (sel?.kind === 'edge') {
      const edge = model.edges.find((e) => e.id === sel.id);
      if (edge) content = edgeDetails(model, edge, this.host);
    } else if (sel?.kind === 'node') {
      const node = model.nodes.find((n) => n.id === sel.id);
      if (node) content = nodeDetails(model, node, filtered.edges, this.host, selectEdge);
    } else if (sel?.kind === 'pair') {
      const [s, t] = sel.id.split(PAIR_SEPARATOR);
      const edges = filtered.edges.filter((e) => e.source === s && e.target === t);
      content = h('section', { class: 'details' }, h('h2', {}, `${roleLabel(model, s)} → ${roleLabel(model, t)}`), h('p', { class: 'desc' }, `${edges.length} required flow${edges.length === 1 ? '' : 's'}`), flowList(model, edges, this.host, selectEdge));
    }
    this.side.replaceChildren(content ?? summaryDetails(model, filtered.edges, this.host, selectEdge));
    this.graph?.highlight(content ? sel : undefined);
  }

  private select(selected: ViewState['selected']): void {
    this.state = { ...this.state, selected };
    this.host.saveState(this.state);
    this.renderSide();
  }

  private edgeClicked(edge: FlowMapEdge): void {
    this.select({ kind: 'edge', id: edge.id });
    const target = edge.fix ?? edge.decidingRule?.location ?? edge.goTo;
    if (target) this.host.open(target, !!edge.fix);
  }

  /** One flow: select it and open its rule. A bundle: list the pair's flows beside the map and open the worst one's rule. */
  private bundleClicked(edges: readonly FlowMapEdge[]): void {
    const [first] = edges;
    if (!first) return;
    if (edges.length === 1) return this.edgeClicked(first);
    this.select({ kind: 'pair', id: `${first.source}${PAIR_SEPARATOR}${first.target}` });
    const target = first.fix ?? first.decidingRule?.location ?? first.goTo;
    if (target) this.host.open(target, !!first.fix);
  }

  /** A hop mark: the line's flows are selected as a click on the line does, and the hop's own rule opens. */
  private hopClicked(edges: readonly FlowMapEdge[], location: FlowMapLocation): void {
    const [first] = edges;
    if (!first) return;
    this.select(edges.length === 1 ? { kind: 'edge', id: first.id } : { kind: 'pair', id: `${first.source}${PAIR_SEPARATOR}${first.target}` });
    this.host.open(location, false);
  }

  private nodeClicked(node: FlowMapNode): void {
    this.select({ kind: 'node', id: node.id });
    const target = node.declaredAt ?? node.ruleSets[0]?.location;
    if (target) this.host.open(target, false);
  }

  private hover(edges: readonly FlowMapEdge[] | undefined, ev: MouseEvent): void {
    if (!edges?.length || !this.model) {
      this.tooltip.hidden = true;
      return;
    }
    const key = edges.map((e) => e.id).join(' ');
    if (this.tooltip.dataset.edge !== key) {
      const shown = edges.slice(0, 4).map((e) => edgeCard(this.model!, e));
      const more = edges.length > 4 ? [h('div', { class: 'hint' }, `and ${edges.length - 4} more: click to list them`)] : [];
      this.tooltip.replaceChildren(...shown, ...more);
      this.tooltip.dataset.edge = key;
    }
    this.tooltip.hidden = false;
    const pad = 14;
    const { innerWidth, innerHeight } = window;
    const rect = this.tooltip.getBoundingClientRect();
    const x = ev.clientX + pad + rect.width > innerWidth ? ev.clientX - pad - rect.width : ev.clientX + pad;
    const y = ev.clientY + pad + rect.height > innerHeight ? Math.max(4, innerHeight - rect.height - 4) : ev.clientY + pad;
    this.tooltip.style.left = `${Math.max(4, x)}px`;
    this.tooltip.style.top = `${y}px`;
  }
}

function start(): void {
  const root = document.getElementById('flow-map');
  if (!root) return;
  const { host, initial } = createHost();
  const app = new FlowMapApp(root, host, initial);
  const embedded = document.getElementById('flow-map-model');
  if (embedded?.textContent) {
    try {
      app.setModel(JSON.parse(embedded.textContent) as FlowMapModel);
    } catch (error) {
      app.showError(`The embedded flow map could not be read: ${String(error)}`);
    }
  }
  window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
    const message = event.data;
    if (message?.type === 'model') app.setModel(message.model, message.matrixAbove);
    else if (message?.type === 'error') app.showError(message.message);
  });
  host.ready();
}

start();
