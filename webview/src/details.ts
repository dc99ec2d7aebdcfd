import type { FlowMapEdge, FlowMapLocation, FlowMapModel, FlowMapNode } from '../../server/src/service/flowMapTypes';
import { h } from './dom';
import { VERDICTS, VERDICT_HELP, VERDICT_LABEL, where, type Host } from './view';

function badge(verdict: FlowMapEdge['verdict']): HTMLElement {
  return h('span', { class: `badge verdict-${verdict}`, 'data-verdict': verdict }, VERDICT_LABEL[verdict]);
}

function link(host: Host, location: FlowMapLocation | undefined, text: string, quickFix = false): HTMLElement | undefined {
  if (!location) return undefined;
  if (host.kind !== 'vscode') return h('code', { class: 'location' }, where(location));
  const a = h('a', { href: '#', class: 'location', title: `Open ${where(location)}` }, text);
  a.addEventListener('click', (ev) => {
    ev.preventDefault();
    host.open(location, quickFix);
  });
  return a;
}

function row(label: string, ...value: (Node | string | undefined | false)[]): HTMLElement | undefined {
  const present = value.filter((v): v is Node | string => v !== undefined && v !== false && v !== '');
  if (!present.length) return undefined;
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, ...present));
}

export function roleLabel(model: FlowMapModel, id: string): string {
  return model.nodes.find((n) => n.id === id)?.label ?? id;
}

/** The way across the site in one line: `dmz-fw blocks → nsg-spoke (not reached) → …`. */
function wayInBrief(edge: FlowMapEdge): string | undefined {
  if (!edge.path) return undefined;
  return edge.path.hops.map((h) => `${h.ruleSet} ${h.reached ? VERDICT_LABEL[h.verdict].toLowerCase() : '(not reached)'}`).join(' → ');
}

function wayDetails(edge: FlowMapEdge, host: Host): HTMLElement[] {
  const path = edge.path;
  if (!path) return [];
  const hops = path.hops.map((hop) =>
    h('li', { 'data-hop': hop.index, class: hop.reached ? 'reached' : 'unreached' },
      hop.reached ? badge(hop.verdict) : h('span', { class: 'badge unreached', title: `Alone it would say: ${VERDICT_LABEL[hop.verdict].toLowerCase()}` }, 'Not reached'), ' ',
      h('span', {}, `${hop.ruleSet} — ${hop.place}${hop.boundTo.length ? ` (bound to ${hop.boundTo.join(', ')})` : ''}`), ' ',
      link(host, hop.location, where(hop.location)) ?? '',
      h('div', { class: 'reason' }, hop.text)));
  let summary = path.blockedAt ? `First stopped at hop ${path.blockedAt} of ${path.hops.length}.` : `${VERDICT_LABEL[path.verdict]} over all ${path.hops.length} hops.`;
  // Rule sets bound to a role by name alone are not walked where several guard different hosts of it side by side.
  if (path.verdict !== edge.verdict) summary += ' The flow\'s verdict comes from the rule sets judged alone, below.';
  return [h('h3', {}, 'On the way'), h('p', { class: 'hint' }, summary), h('ol', { class: 'hops' }, ...hops)];
}

/** The hover card: everything about one flow, compact. */
export function edgeCard(model: FlowMapModel, edge: FlowMapEdge): HTMLElement {
  return h('div', { class: 'card' },
    h('div', { class: 'card-head' }, badge(edge.verdict), h('strong', {}, edge.label)),
    h('div', { class: 'card-route' }, `${roleLabel(model, edge.source)} → ${roleLabel(model, edge.target)}`),
    h('div', { class: 'card-desc' }, edge.description),
    row('Product', edge.productName),
    row('Conditions', edge.conditions.join('; ')),
    row('Decided by', edge.decidingRule ? `${edge.decidingRule.label}${edge.decidingRule.location ? ` — ${where(edge.decidingRule.location)}` : ''}` : undefined),
    row('On the way', wayInBrief(edge)),
    edge.verdict === 'unbound' ? h('div', { class: 'hint' }, VERDICT_HELP.unbound) : undefined,
  );
}

export function edgeDetails(model: FlowMapModel, edge: FlowMapEdge, host: Host): HTMLElement {
  const checks = edge.checks.map((c) =>
    h('li', {},
      badge(c.verdict), ' ',
      h('span', {}, `${c.ruleSet} (${c.direction}, protects ${roleLabel(model, c.role)})`),
      c.decidingRule ? h('div', { class: 'rule' },
        h('div', {}, 'Decided by ', c.decidingRule.label, ' ', link(host, c.decidingRule.location, where(c.decidingRule.location)) ?? ''),
        h('pre', { class: 'rule-text' }, c.decidingRule.text)) : undefined,
      ...c.reasons.slice(0, 3).map((r) => h('div', { class: 'reason' }, r)),
      !c.peerKnown ? h('div', { class: 'hint' }, `The peer's addresses are not declared in citrix-flows.yaml.`) : undefined,
    ));
  const actions = h('div', { class: 'actions' });
  if (host.kind === 'vscode') {
    if (edge.fix) {
      const fix = h('button', { class: 'primary', type: 'button' }, 'Show quick fix');
      fix.addEventListener('click', () => host.open(edge.fix as FlowMapLocation, true));
      actions.append(fix);
    }
    const target = edge.decidingRule?.location ?? edge.goTo;
    if (target) {
      const open = h('button', { type: 'button' }, edge.decidingRule?.location ? 'Go to deciding rule' : 'Go to declaration');
      open.addEventListener('click', () => host.open(target, false));
      actions.append(open);
    }
  }
  return h('section', { class: 'details', 'data-edge': edge.id },
    h('h2', {}, edge.label, ' ', badge(edge.verdict)),
    h('div', { class: 'route' }, `${roleLabel(model, edge.source)} → ${roleLabel(model, edge.target)}`),
    h('p', { class: 'desc' }, edge.description),
    row('Flow', h('code', {}, edge.flowId)),
    row('Product', edge.productName),
    row('Conditions', edge.conditions.join('; ')),
    row('Fix', edge.fix ? link(host, edge.fix, `${edge.fix.checkId} at ${where(edge.fix)}`, true) : undefined),
    actions.childElementCount ? actions : undefined,
    ...wayDetails(edge, host),
    h('h3', {}, edge.checks.length ? 'Evaluated against' : 'Not evaluated'),
    edge.checks.length ? h('ul', { class: 'checks' }, ...checks) : h('p', { class: 'hint' }, VERDICT_HELP.unbound + ' Bind a rule set to one of the roles with a citrix-role annotation or in citrix-flows.yaml.'),
  );
}

export function flowList(model: FlowMapModel, edges: readonly FlowMapEdge[], host: Host, select: (edge: FlowMapEdge) => void): HTMLElement {
  const list = h('ul', { class: 'flow-list' });
  for (const e of edges) {
    const item = h('li', { tabindex: 0, 'data-edge': e.id, class: `verdict-${e.verdict}` },
      h('span', { class: `dot verdict-${e.verdict}`, title: VERDICT_LABEL[e.verdict] }),
      h('span', { class: 'flow-label' }, e.label),
      h('span', { class: 'flow-route' }, `${roleLabel(model, e.source)} → ${roleLabel(model, e.target)}`),
      h('span', { class: 'flow-purpose' }, e.purpose));
    item.addEventListener('click', () => select(e));
    item.addEventListener('keydown', (ev) => ev.key === 'Enter' && select(e));
    list.append(item);
  }
  void host;
  return list;
}

export function nodeDetails(model: FlowMapModel, node: FlowMapNode, edges: readonly FlowMapEdge[], host: Host, select: (edge: FlowMapEdge) => void): HTMLElement {
  const group = model.groups.find((g) => g.id === node.group);
  const mine = edges.filter((e) => e.source === node.id || e.target === node.id);
  const counts = VERDICTS.filter((v) => node.incoming[v] + node.outgoing[v] > 0).map((v) =>
    h('span', { class: `count verdict-${v}` }, `${node.incoming[v] + node.outgoing[v]} ${VERDICT_LABEL[v].toLowerCase()}`));
  return h('section', { class: 'details', 'data-node': node.id },
    h('h2', {}, node.label),
    h('div', { class: 'route' }, h('code', {}, node.id), group ? ` · ${group.label}` : ''),
    node.description ? h('p', { class: 'desc' }, node.description) : undefined,
    row('Addresses', node.addresses.join(', ') || 'not declared'),
    row('Declared', link(host, node.declaredAt, where(node.declaredAt))),
    row('Flows', ...counts),
    node.ruleSets.length
      ? h('div', { class: 'kv' }, h('span', { class: 'k' }, 'Rule sets'),
        h('span', { class: 'v' }, ...node.ruleSets.map((rs) => h('div', {}, rs.name, ' ', link(host, rs.location, where(rs.location)) ?? ''))))
      : row('Rule sets', 'none bound'),
    h('h3', {}, `Flows (${mine.length})`),
    flowList(model, mine, host, select),
  );
}

export function summaryDetails(model: FlowMapModel, edges: readonly FlowMapEdge[], host: Host, select: (edge: FlowMapEdge) => void): HTMLElement {
  const attention = edges.filter((e) => e.verdict !== 'allowed').sort((a, b) => VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict));
  return h('section', { class: 'details summary' },
    h('h2', {}, 'Required flows'),
    h('p', { class: 'desc' }, `${model.counts.edges} required flows between ${model.counts.nodes} roles, checked against ${model.counts.ruleSets} rule set${model.counts.ruleSets === 1 ? '' : 's'} in ${model.counts.files} file${model.counts.files === 1 ? '' : 's'}.`,
      host.kind === 'vscode' ? ' Click a flow to open the rule that decides it.' : ' Click a flow or a role for details.'),
    h('h3', {}, attention.length ? `Needs attention (${attention.length})` : 'Every shown flow is allowed'),
    flowList(model, attention, host, select),
  );
}
