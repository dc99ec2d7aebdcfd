import type { FlowMapEdge, FlowMapModel, FlowMapVerdict } from '../../server/src/service/flowMapTypes';
import { clip, h } from './dom';
import { roleLabel } from './details';
import { VERDICTS, VERDICT_LABEL, where, type Filtered, type Host } from './view';

export const PAIR_SEPARATOR = '\u0000';

/** Source role × destination role, each cell the pair's flows counted by verdict. */
export function renderMatrix(model: FlowMapModel, filtered: Filtered, onPair: (source: string, target: string) => void): HTMLElement {
  const sources = [...new Set(filtered.edges.map((e) => e.source))].sort((a, b) => roleLabel(model, a).localeCompare(roleLabel(model, b)));
  const targets = [...new Set(filtered.edges.map((e) => e.target))].sort((a, b) => roleLabel(model, a).localeCompare(roleLabel(model, b)));
  const cells = new Map<string, Record<FlowMapVerdict, number>>();
  for (const e of filtered.edges) {
    const key = `${e.source}${PAIR_SEPARATOR}${e.target}`;
    const c = cells.get(key) ?? { blocked: 0, partial: 0, unknown: 0, unbound: 0, allowed: 0 };
    c[e.verdict]++;
    cells.set(key, c);
  }
  if (!sources.length) return h('div', { class: 'empty' }, 'No flows match the filters.');
  const head = h('tr', {}, h('th', { class: 'corner', scope: 'col' }, h('span', {}, 'From ↓  To →')),
    ...targets.map((t) => h('th', { scope: 'col', title: roleLabel(model, t) }, h('span', { class: 'col-label' }, clip(roleLabel(model, t), 28)))));
  const rows = sources.map((s) =>
    h('tr', {}, h('th', { scope: 'row', title: roleLabel(model, s) }, clip(roleLabel(model, s), 34)),
      ...targets.map((t) => {
        const counts = cells.get(`${s}${PAIR_SEPARATOR}${t}`);
        if (!counts) return h('td', { class: 'none' });
        const chips = VERDICTS.filter((v) => counts[v] > 0).map((v) => h('span', { class: `chip verdict-${v}`, title: `${counts[v]} ${VERDICT_LABEL[v].toLowerCase()}`, 'data-verdict': v }, counts[v]));
        const cell = h('td', { class: 'pair', tabindex: 0, 'data-pair': `${s}→${t}` }, h('div', { class: 'chips' }, ...chips));
        cell.addEventListener('click', () => onPair(s, t));
        cell.addEventListener('keydown', (ev) => ev.key === 'Enter' && onPair(s, t));
        return cell;
      })));
  return h('div', { class: 'matrix-wrap' }, h('table', { class: 'matrix' }, h('thead', {}, head), h('tbody', {}, ...rows)));
}

/** Every shown flow as a row: what a change review reads top to bottom. */
export function renderTable(model: FlowMapModel, filtered: Filtered, host: Host, select: (edge: FlowMapEdge) => void): HTMLElement {
  if (!filtered.edges.length) return h('div', { class: 'empty' }, 'No flows match the filters.');
  const order = new Map(VERDICTS.map((v, i) => [v, i]));
  const edges = [...filtered.edges].sort((a, b) => (order.get(a.verdict) ?? 0) - (order.get(b.verdict) ?? 0) || a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  const rows = edges.map((e) => {
    const tr = h('tr', { 'data-edge': e.id, tabindex: 0 },
      h('td', {}, h('span', { class: `badge verdict-${e.verdict}` }, VERDICT_LABEL[e.verdict])),
      h('td', {}, roleLabel(model, e.source)),
      h('td', {}, roleLabel(model, e.target)),
      h('td', { class: 'mono' }, e.label),
      h('td', {}, e.purpose, e.conditions.length ? h('div', { class: 'muted' }, e.conditions.join('; ')) : undefined),
      h('td', {}, e.decidingRule ? e.decidingRule.label : '—', e.decidingRule?.location ? h('div', { class: 'muted mono' }, where(e.decidingRule.location)) : undefined));
    tr.addEventListener('click', () => select(e));
    tr.addEventListener('keydown', (ev) => ev.key === 'Enter' && select(e));
    return tr;
  });
  void host;
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'flows' },
      h('thead', {}, h('tr', {}, ...['Verdict', 'From', 'To', 'Protocol / ports', 'Purpose', 'Decided by'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows)));
}
