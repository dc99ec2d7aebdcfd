import { graphlib, layout } from '@dagrejs/dagre';
import type { FlowMapEdge, FlowMapGroup, FlowMapLocation, FlowMapNode, FlowMapVerdict } from '../../server/src/service/flowMapTypes';
import { clip, svg, textWidth } from './dom';
import { VERDICTS, VERDICT_LABEL, type Filtered } from './view';

const NODE_WIDTH = 224;
const LOOP_ROW = 22;
const TITLE_LINE = 15;
const NODE_HEIGHT = 58;
const GROUP_LABEL = 22;
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", sans-serif';
const TITLE_FONT = '600 12.5px system-ui, -apple-system, "Segoe UI", sans-serif';
const SUB_FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

/** Shortens text with an ellipsis until it fits the width the node has. */
function fitText(text: string, width: number, font: string): string {
  if (textWidth(text, font) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(`${text.slice(0, mid).trimEnd()}…`, font) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

/** One line, or two when the role's name needs them (catalog names run long: "Citrix Gateway SNIP (toward the back end)"). */
function titleLines(text: string, width: number): string[] {
  if (textWidth(text, TITLE_FONT) <= width) return [text];
  const words = text.split(' ');
  let first = '';
  let i = 0;
  for (; i < words.length; i++) {
    const next = first ? `${first} ${words[i]}` : words[i];
    if (first && textWidth(next, TITLE_FONT) > width) break;
    first = next;
  }
  return [fitText(first, width, TITLE_FONT), fitText(words.slice(i).join(' '), width, TITLE_FONT)].filter(Boolean);
}

function nodeSubtitle(node: FlowMapNode): string {
  if (node.addresses.length) return node.addresses.join(', ');
  if (node.ruleSets.length) return `${node.id} · ${node.ruleSets.length} rule set${node.ruleSets.length === 1 ? '' : 's'}`;
  return node.id;
}

interface Point {
  x: number;
  y: number;
}

export interface GraphCallbacks {
  /** The flows of the line or label under the mouse (one, or the whole bundle of a pair of roles). */
  onEdgeHover(edges: readonly FlowMapEdge[] | undefined, event: MouseEvent): void;
  onEdgeClick(edges: readonly FlowMapEdge[]): void;
  /** A hop mark on a line: the line's flows, and where the hop decides. */
  onHopClick(edges: readonly FlowMapEdge[], location: FlowMapLocation): void;
  onNodeClick(node: FlowMapNode): void;
  onBackgroundClick(): void;
}

export interface RenderedGraph {
  readonly element: SVGSVGElement;
  fit(): void;
  zoom(factor: number): void;
  highlight(selection: { kind: 'edge' | 'node' | 'pair'; id: string } | undefined): void;
}

/**
 * A Catmull-Rom spline through dagre's points. It passes through every point,
 * the label's among them, so a label always sits on its own line (a B-spline
 * would only pass near it, and far from it on long detours).
 */
/** The cubic pieces of the smooth line through dagre's points: each is start, two controls, end. */
function curveSegments(points: readonly Point[]): [Point, Point, Point, Point][] {
  if (points.length < 3) {
    const [a, b] = [points[0], points[points.length - 1]];
    return [[a, a, b, b]];
  }
  const segments: [Point, Point, Point, Point][] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const p0 = points[i - 1] ?? points[i];
    const p1 = points[i];
    const p2 = points[i + 1];
    const p3 = points[i + 2] ?? p2;
    segments.push([p1, { x: p1.x + (p2.x - p0.x) / 6, y: p1.y + (p2.y - p0.y) / 6 }, { x: p2.x - (p3.x - p1.x) / 6, y: p2.y - (p3.y - p1.y) / 6 }, p2]);
  }
  return segments;
}

function smoothPath(points: readonly Point[]): string {
  if (points.length < 3) return `M${points[0].x},${points[0].y}L${points[points.length - 1].x},${points[points.length - 1].y}`;
  let d = `M${points[0].x},${points[0].y}`;
  for (const [, c1, c2, end] of curveSegments(points)) d += `C${c1.x},${c1.y},${c2.x},${c2.y},${end.x},${end.y}`;
  return d;
}

const CURVE_SAMPLES = 12;
/** Room kept clear around the label and at the line's ends (the arrowhead, the node's border). */
const HOP_CLEARANCE = 10;

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where n hop marks sit along the drawn line: spread evenly over the parts
 * of it the label does not cover, in the line's direction (sender to
 * receiver). Computed from the curve itself rather than the DOM, so a
 * detached or hidden graph places them the same as a shown one.
 */
export function hopPositions(points: readonly Point[], n: number, label: Box): Point[] {
  if (n === 0) return [];
  const dense: Point[] = [points[0]];
  for (const [a, c1, c2, b] of curveSegments(points)) {
    for (let k = 1; k <= CURVE_SAMPLES; k++) {
      const t = k / CURVE_SAMPLES;
      const u = 1 - t;
      dense.push({
        x: u * u * u * a.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * b.x,
        y: u * u * u * a.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * b.y,
      });
    }
  }
  const lengths = [0];
  for (let i = 1; i < dense.length; i++) lengths.push(lengths[i - 1] + Math.hypot(dense[i].x - dense[i - 1].x, dense[i].y - dense[i - 1].y));
  const total = lengths[lengths.length - 1];
  const covered = (p: Point): boolean => Math.abs(p.x - label.x) <= label.width / 2 + HOP_CLEARANCE && Math.abs(p.y - label.y) <= label.height / 2 + HOP_CLEARANCE;
  // The free stretches of the line, as [from, to] lengths along it.
  const free: [number, number][] = [];
  for (let i = 1; i < dense.length; i++) {
    const from = lengths[i - 1];
    const to = lengths[i];
    if (to <= HOP_CLEARANCE || from >= total - HOP_CLEARANCE || covered(dense[i - 1]) || covered(dense[i])) continue;
    const last = free[free.length - 1];
    if (last && last[1] === from) last[1] = to;
    else free.push([Math.max(from, HOP_CLEARANCE), Math.min(to, total - HOP_CLEARANCE)]);
  }
  const room = free.reduce((sum, [a, b]) => sum + (b - a), 0);
  const at = (length: number): Point => {
    let i = 1;
    while (i < lengths.length - 1 && lengths[i] < length) i++;
    const r = (length - lengths[i - 1]) / (lengths[i] - lengths[i - 1] || 1);
    return { x: dense[i - 1].x + (dense[i].x - dense[i - 1].x) * r, y: dense[i - 1].y + (dense[i].y - dense[i - 1].y) * r };
  };
  return Array.from({ length: n }, (_v, k) => {
    // A line the label covers whole keeps its marks evenly along it, under the label's edges rather than nowhere.
    if (room <= 0) return at((total * (k + 1)) / (n + 1));
    let want = (room * (k + 0.5)) / n;
    for (const [a, b] of free) {
      if (want <= b - a) return at(a + want);
      want -= b - a;
    }
    return at(free[free.length - 1][1]);
  });
}

/** One firewall on the way of a pair's flows, with the worst it decides for any of them. */
export interface BundleHop {
  readonly ruleSet: string;
  readonly file: string;
  readonly place: string;
  readonly verdict: FlowMapVerdict;
  /** False when no flow of the pair reaches it: an earlier hop stops them all. */
  readonly reached: boolean;
  /** What it decides, per flow: `TCP 2598: dmz_in blocks (the rule on line 18)`. */
  readonly lines: readonly string[];
  /** Where the verdict the mark shows is decided. */
  readonly location: FlowMapLocation;
}

/**
 * The hops of a pair's flows in packet order. Flows of one pair of roles
 * cross the same firewalls (the path is placed by their addresses), except
 * where a host firewall is placed for some of the roles' flows only; such a
 * hop keeps its place after the hops before it.
 */
export function bundleHops(edges: readonly FlowMapEdge[]): BundleHop[] {
  const rank = new Map(VERDICTS.map((v, i) => [v, i]));
  const hops = new Map<string, { ruleSet: string; file: string; place: string; verdict: FlowMapVerdict; reached: boolean; lines: string[]; location: FlowMapLocation }>();
  for (const edge of edges) {
    for (const h of edge.path?.hops ?? []) {
      const key = `${h.file}\u0000${h.ruleSet}`;
      const line = `${edge.label}: ${h.text}`;
      const known = hops.get(key);
      if (!known) {
        hops.set(key, { ruleSet: h.ruleSet, file: h.file, place: h.place, verdict: h.verdict, reached: h.reached, lines: [line], location: h.location });
        continue;
      }
      known.lines.push(line);
      // A mark shows what reaches the hop first; what a hop would decide alone counts only where nothing reaches it.
      if (h.reached && !known.reached) Object.assign(known, { verdict: h.verdict, reached: true, location: h.location });
      else if (h.reached === known.reached && (rank.get(h.verdict) ?? 0) < (rank.get(known.verdict) ?? 0)) Object.assign(known, { verdict: h.verdict, location: h.location });
    }
  }
  return [...hops.values()];
}


export interface EdgeBundle {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly edges: readonly FlowMapEdge[];
  /** The worst verdict of its flows. */
  readonly verdict: FlowMapVerdict;
  readonly label: string;
  /** Where a click goes: the worst flow's fix or deciding rule. */
  readonly goTo?: FlowMapEdge['goTo'];
}

const BUNDLE_LABEL_MAX = 30;

/** The flows between each pair of roles, worst first; the label lists their ports while it stays short. */
export function bundleEdges(edges: readonly FlowMapEdge[]): EdgeBundle[] {
  const pairs = new Map<string, FlowMapEdge[]>();
  for (const e of edges) {
    if (e.source === e.target) continue;
    const key = `${e.source}\u0000${e.target}`;
    pairs.set(key, [...(pairs.get(key) ?? []), e]);
  }
  const rank = new Map(VERDICTS.map((v, i) => [v, i]));
  return [...pairs.entries()].map(([id, list]) => {
    const sorted = [...list].sort((a, b) => (rank.get(a.verdict) ?? 0) - (rank.get(b.verdict) ?? 0));
    const labels = [...new Set(sorted.map((e) => e.label))];
    const joined = labels.join(' · ');
    const label = labels.length === 1 || joined.length <= BUNDLE_LABEL_MAX ? joined : `${sorted.length} flows · ${labels[0]} +${labels.length - 1}`;
    const first = sorted[0];
    return { id, source: first.source, target: first.target, edges: sorted, verdict: first.verdict, label, goTo: first.fix ?? first.decidingRule?.location ?? first.goTo };
  });
}

function worst(counts: Record<FlowMapVerdict, number>): FlowMapVerdict | undefined {
  return VERDICTS.find((v) => counts[v] > 0);
}

export function renderGraph(filtered: Filtered, groups: readonly FlowMapGroup[], callbacks: GraphCallbacks): RenderedGraph {
  const g = new graphlib.Graph({ compound: true, multigraph: true, directed: true });
  g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 110, edgesep: 14, marginx: 28, marginy: 28 + GROUP_LABEL, ranker: 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));

  const visibleGroups = groups.filter((gr) => filtered.nodes.some((n) => n.group === gr.id));
  for (const group of visibleGroups) g.setNode(group.id, { label: group.label, width: 0, height: 0 });
  // A flow between two hosts of one role (Controller to Controller) is drawn as a row under the
  // node rather than a loop: dagre's self-loops leave no room for a label.
  const loops = new Map<string, FlowMapEdge[]>();
  for (const edge of filtered.edges) if (edge.source === edge.target) loops.set(edge.source, [...(loops.get(edge.source) ?? []), edge]);
  const titles = new Map(filtered.nodes.map((n) => [n.id, titleLines(n.label, NODE_WIDTH - 22)]));
  const boxHeight = (id: string): number => NODE_HEIGHT + ((titles.get(id)?.length ?? 1) - 1) * TITLE_LINE;
  const heightOf = (id: string): number => boxHeight(id) + (loops.get(id)?.length ? 6 + (loops.get(id)?.length ?? 0) * LOOP_ROW : 0);
  for (const node of filtered.nodes) {
    g.setNode(node.id, { width: NODE_WIDTH, height: heightOf(node.id) });
    if (node.group && visibleGroups.some((gr) => gr.id === node.group)) g.setParent(node.id, node.group);
  }
  // One line per pair of roles, however many flows join them: twenty roles with a line per flow is a hairball.
  const bundles = bundleEdges(filtered.edges);
  for (const bundle of bundles) {
    g.setEdge(bundle.source, bundle.target, { width: Math.ceil(textWidth(bundle.label, LABEL_FONT)) + 16, height: 20, labelpos: 'c', minlen: 1 }, bundle.id);
  }
  layout(g);

  const graphLabel = g.graph() as { width?: number; height?: number };
  const width = Math.max(graphLabel.width ?? 0, 200);
  const height = Math.max(graphLabel.height ?? 0, 120);

  const root = svg('svg', { class: 'graph', role: 'img', 'aria-label': 'Flow map of required Citrix flows' });
  const defs = svg('defs');
  for (const v of VERDICTS) {
    defs.append(
      svg('marker', { id: `arrow-${v}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow verdict-${v}` })),
    );
  }
  root.append(defs);
  const viewport = svg('g', { class: 'viewport' });
  root.append(viewport);

  const groupLayer = svg('g', { class: 'groups' });
  for (const group of visibleGroups) {
    const n = g.node(group.id) as { x: number; y: number; width: number; height: number };
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2 - GROUP_LABEL;
    const title = group.kind === 'network' && group.addresses.length ? `${group.label}  ${group.addresses.slice(0, 3).join(', ')}` : group.label;
    groupLayer.append(
      svg('g', { class: `group group-${group.kind}`, 'data-group': group.id },
        svg('rect', { x, y, width: n.width, height: n.height + GROUP_LABEL, rx: 10 }),
        svg('text', { x: x + 12, y: y + 16, class: 'group-label' }, clip(title, Math.max(12, Math.floor(n.width / 7))))),
    );
  }
  viewport.append(groupLayer);

  const edgeLayer = svg('g', { class: 'edges' });
  const labelLayer = svg('g', { class: 'edge-labels' });
  const hoverable = (el: SVGGElement, target: FlowMapEdge | EdgeBundle): void => {
    const edges = 'edges' in target ? target.edges : [target];
    el.addEventListener('mouseenter', (ev) => callbacks.onEdgeHover(edges, ev));
    el.addEventListener('mousemove', (ev) => callbacks.onEdgeHover(edges, ev));
    el.addEventListener('mouseleave', (ev) => callbacks.onEdgeHover(undefined, ev));
    el.addEventListener('click', (ev) => {
      ev.stopPropagation();
      callbacks.onEdgeClick(edges);
    });
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') callbacks.onEdgeClick(edges);
    });
  };
  for (const bundle of bundles) {
    const e = g.edge(bundle.source, bundle.target, bundle.id) as { points: Point[]; x: number; y: number; width: number; height: number };
    const d = smoothPath(e.points);
    const flows = bundle.edges.length;
    const attrs = {
      'data-edge': bundle.edges.map((x) => x.id).join(' '),
      'data-verdict': bundle.verdict,
      'data-count': flows,
      ...(bundle.goTo ? { 'data-goto': `${bundle.goTo.file}:${bundle.goTo.line ?? ''}` } : {}),
    };
    const group = svg('g', {
      class: `edge verdict-${bundle.verdict}${flows > 1 ? ' bundle' : ''}`,
      ...attrs,
      'data-source': bundle.source,
      'data-target': bundle.target,
      tabindex: 0,
      role: 'button',
      'aria-label': `${bundle.source} to ${bundle.target}, ${flows} flow${flows === 1 ? '' : 's'} (${bundle.edges.map((x) => x.label).join('; ')}): ${VERDICT_LABEL[bundle.verdict]}`,
    },
      svg('path', { d, class: `edge-line weight-${Math.min(flows, 4)}`, 'marker-end': `url(#arrow-${bundle.verdict})` }),
      svg('path', { d, class: 'edge-hit' }));
    const hops = bundleHops(bundle.edges);
    const at = hopPositions(e.points, hops.length, e);
    hops.forEach((hop, i) => {
      const title = `Hop ${i + 1} of ${hops.length}: ${hop.ruleSet} (${hop.file}), ${hop.place}\n${hop.lines.join('\n')}`;
      const mark = svg('g', { class: `hop verdict-${hop.verdict}${hop.reached ? '' : ' unreached'}`, 'data-hop': i + 1, 'data-rule-set': hop.ruleSet, 'data-verdict': hop.verdict, 'data-goto': `${hop.location.file}:${hop.location.line ?? ''}`, transform: `translate(${at[i].x.toFixed(1)},${at[i].y.toFixed(1)})` },
        svg('circle', { r: 5.5 }),
        svg('text', { y: 3, 'text-anchor': 'middle' }, String(i + 1)),
        svg('title', {}, title));
      // A mark opens its own hop's rule, not the line's: the line opens the rule of the flow's worst verdict.
      mark.addEventListener('click', (ev) => {
        ev.stopPropagation();
        callbacks.onHopClick(bundle.edges, hop.location);
      });
      group.append(mark);
    });
    edgeLayer.append(group);
    const label = svg('g', { class: `edge-label verdict-${bundle.verdict}`, ...attrs, transform: `translate(${e.x},${e.y})` },
      svg('rect', { x: -e.width / 2, y: -10, width: e.width, height: 20, rx: 10 }),
      svg('text', { x: 0, y: 4, 'text-anchor': 'middle' }, bundle.label));
    labelLayer.append(label);
    hoverable(group, bundle);
    hoverable(label, bundle);
  }
  viewport.append(edgeLayer);

  const nodeLayer = svg('g', { class: 'nodes' });
  for (const node of filtered.nodes) {
    const n = g.node(node.id) as { x: number; y: number };
    const x = n.x - NODE_WIDTH / 2;
    const y = n.y - heightOf(node.id) / 2;
    const counts = { ...node.incoming };
    for (const v of VERDICTS) counts[v] += node.outgoing[v];
    const total = VERDICTS.reduce((s, v) => s + counts[v], 0);
    const accent = worst(counts) ?? 'allowed';
    const lines = titles.get(node.id) ?? [node.label];
    const box = boxHeight(node.id);
    const extra = box - NODE_HEIGHT;
    const el = svg('g', { class: `node accent-${accent}`, 'data-node': node.id, transform: `translate(${x},${y})`, tabindex: 0, role: 'button', 'aria-label': `${node.label} (${node.id})` },
      svg('rect', { class: 'node-box', width: NODE_WIDTH, height: box, rx: 7 }),
      svg('rect', { class: `node-accent verdict-${accent}`, width: 4, height: box - 14, x: 0, y: 7, rx: 2 }),
      ...lines.map((line, i) => svg('text', { class: 'node-title', x: 14, y: 21 + i * TITLE_LINE }, line)),
      svg('text', { class: 'node-sub', x: 14, y: 37 + extra }, fitText(nodeSubtitle(node), NODE_WIDTH - 22, SUB_FONT)));
    (loops.get(node.id) ?? []).forEach((edge, i) => {
      const width = Math.ceil(textWidth(`↻ ${edge.label}`, LABEL_FONT)) + 16;
      const loop = svg('g', {
        class: `edge loop verdict-${edge.verdict}`,
        'data-edge': edge.id,
        'data-verdict': edge.verdict,
        'data-source': edge.source,
        'data-target': edge.target,
        transform: `translate(${NODE_WIDTH / 2}, ${box + 6 + i * LOOP_ROW + LOOP_ROW / 2})`,
        tabindex: 0,
        role: 'button',
        'aria-label': `${edge.source} to another ${edge.target}, ${edge.label}: ${VERDICT_LABEL[edge.verdict]}`,
      },
        svg('rect', { x: -width / 2, y: -9, width, height: 18, rx: 9 }),
        svg('text', { x: 0, y: 4, 'text-anchor': 'middle' }, `↻ ${edge.label}`));
      hoverable(loop, edge);
      el.append(loop);
    });
    // A bar of the role's flows by verdict: the node's state at a glance.
    const bar = svg('g', { class: 'node-bar', transform: `translate(14, ${box - 12})` });
    let offset = 0;
    const barWidth = NODE_WIDTH - 28;
    for (const v of VERDICTS) {
      if (!counts[v]) continue;
      const w = (counts[v] / Math.max(total, 1)) * barWidth;
      bar.append(svg('rect', { class: `bar verdict-${v}`, x: offset, y: 0, width: Math.max(w - 1, 1), height: 4, rx: 1 }));
      offset += w;
    }
    if (!total) bar.append(svg('rect', { class: 'bar empty', x: 0, y: 0, width: barWidth, height: 4, rx: 1 }));
    el.append(bar);
    el.addEventListener('click', (ev) => {
      ev.stopPropagation();
      callbacks.onNodeClick(node);
    });
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') callbacks.onNodeClick(node);
    });
    nodeLayer.append(el);
  }
  viewport.append(nodeLayer);
  viewport.append(labelLayer);

  // Pan and zoom: the layout's coordinates stay fixed, one transform moves the view.
  let k = 1;
  let tx = 0;
  let ty = 0;
  const applyTransform = (): void => viewport.setAttribute('transform', `translate(${tx},${ty}) scale(${k})`);
  // Fit what is drawn, not dagre's estimate: rows under nodes, labels and curves can reach past the layout's box.
  const fit = (): void => {
    const box = root.getBoundingClientRect();
    if (!box.width || !box.height) return;
    let drawn = { x: 0, y: 0, width, height };
    try {
      const b = viewport.getBBox();
      if (b.width > 0 && b.height > 0) drawn = { x: b.x, y: b.y, width: b.width, height: b.height };
    } catch {
      // Not laid out yet (hidden panel): the layout's own size is the best guess.
    }
    const margin = 16;
    k = Math.min((box.width - 2 * margin) / drawn.width, (box.height - 2 * margin) / drawn.height, 1.25);
    tx = (box.width - drawn.width * k) / 2 - drawn.x * k;
    ty = (box.height - drawn.height * k) / 2 - drawn.y * k;
    applyTransform();
  };
  const zoomAt = (factor: number, cx: number, cy: number): void => {
    const next = Math.min(4, Math.max(0.15, k * factor));
    tx = cx - ((cx - tx) * next) / k;
    ty = cy - ((cy - ty) * next) / k;
    k = next;
    applyTransform();
  };
  root.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const box = root.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - box.left, ev.clientY - box.top);
  }, { passive: false });
  let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
  root.addEventListener('pointerdown', (ev) => {
    if ((ev.target as Element).closest('.edge, .node, .edge-label')) return;
    drag = { x: ev.clientX, y: ev.clientY, tx, ty, moved: false };
    root.setPointerCapture(ev.pointerId);
  });
  root.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    tx = drag.tx + dx;
    ty = drag.ty + dy;
    applyTransform();
  });
  root.addEventListener('pointerup', (ev) => {
    const wasClick = drag && !drag.moved;
    drag = undefined;
    root.releasePointerCapture(ev.pointerId);
    if (wasClick) callbacks.onBackgroundClick();
  });

  const highlight: RenderedGraph['highlight'] = (selection) => {
    root.classList.toggle('has-selection', !!selection);
    for (const el of root.querySelectorAll('.selected, .related')) el.classList.remove('selected', 'related');
    if (!selection) return;
    const mark = (selector: string, cls: string): void => {
      for (const el of root.querySelectorAll(selector)) el.classList.add(cls);
    };
    if (selection.kind === 'edge') {
      const edge = filtered.edges.find((e) => e.id === selection.id);
      mark(`[data-edge~="${CSS.escape(selection.id)}"]`, 'selected');
      if (edge) mark(`[data-node="${CSS.escape(edge.source)}"], [data-node="${CSS.escape(edge.target)}"]`, 'related');
    } else if (selection.kind === 'node') {
      mark(`[data-node="${CSS.escape(selection.id)}"]`, 'selected');
      for (const e of filtered.edges) {
        if (e.source !== selection.id && e.target !== selection.id) continue;
        mark(`[data-edge~="${CSS.escape(e.id)}"]`, 'related');
        mark(`[data-node="${CSS.escape(e.source === selection.id ? e.target : e.source)}"]`, 'related');
      }
    } else {
      const [source, target] = selection.id.split('\u0000');
      for (const e of filtered.edges) if (e.source === source && e.target === target) mark(`[data-edge~="${CSS.escape(e.id)}"]`, 'related');
      mark(`[data-node="${CSS.escape(source)}"], [data-node="${CSS.escape(target)}"]`, 'related');
    }
  };

  return {
    element: root,
    fit,
    zoom: (factor) => {
      const box = root.getBoundingClientRect();
      zoomAt(factor, box.width / 2, box.height / 2);
    },
    highlight,
  };
}
