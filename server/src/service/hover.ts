import type { WorkspaceAnalysis } from '../analysis/analyze';
import { checkById } from '../analysis/checks';
import { checkDocsUri } from '../analysis/checks/docs';
import { admitsReplies } from '../analysis/checks/ruleFacts';
import { portSetInWords, protocolSetInWords, roleName, shortPurpose, portsInWords, protocolsInWords } from '../analysis/describe';
import type { RequiredFlowCheck } from '../analysis/required';
import { flowPath } from '../analysis/pathFlows';
import { hopInWords } from '../analysis/pathWords';
import { RULE_URI_META } from '../analysis/link';
import { parseCondition, type Catalog, type CatalogFlow } from '../catalog';
import type { ParsedFile, Rule, RuleSet, Span } from '../model';
import type { AddressSet } from '../net';
import { guessInWords, type Topology } from '../topology';
import { commentAt, contains, ruleAt, wordAt } from './locate';
import { flowsOnPorts, portFieldAt, portTokenAt, protocolsOf, type PortToken } from './ports';
import { STATUS_MARK, STATUS_WORD, itemFor, sideOf } from './requiredFlows';
import type { WorkspaceState } from './state';
import { isTopologyUri } from './state';
import { yamlPlace } from './yamlContext';

export interface HoverResult {
  /** Markdown. */
  readonly contents: string;
  readonly span: Span;
}

const MAX_FLOW_LINES = 8;
const MAX_REQUIRED_LINES = 20;

export function doHover(state: WorkspaceState, uri: string, offset: number): HoverResult | undefined {
  if (isTopologyUri(uri)) return topologyHover(state, uri, offset);
  const file = state.parsedFile(uri);
  if (!file) return undefined;
  const comment = commentAt(file.comments, offset);
  if (comment) return commentHover(state, file, comment.span, offset);
  const analysis = state.analyze();
  const hit = ruleAt(file, offset);
  if (hit) {
    const port = portFieldAt(hit.rule, file.text, offset);
    const token = port?.token ?? looseRulePort(file, hit.rule, offset);
    if (token) return { contents: portHover(state.catalog, analysis, file, hit.ruleSet, hit.rule, token), span: token.span };
    return { contents: ruleHover(state.catalog, analysis, file, hit.ruleSet, hit.rule), span: hit.rule.span };
  }
  const ruleSet = file.ruleSets.find((rs) => contains(rs.nameSpan, offset));
  if (ruleSet?.nameSpan) return { contents: ruleSetHover(state.catalog, analysis, file, ruleSet), span: ruleSet.nameSpan };
  return undefined;
}

/**
 * A number inside a rule that the parser gave no port-field span for: it is a
 * port when the rule's port set holds it and it is not the priority.
 */
function looseRulePort(file: ParsedFile, rule: Rule, offset: number): PortToken | undefined {
  const token = portTokenAt(file.text, offset, rule.span);
  if (!token) return undefined;
  if (rule.priority?.span && contains(rule.priority.span, offset)) return undefined;
  for (const field of [rule.destinationPorts, rule.sourcePorts]) {
    if (field.span || field.value.isFull) continue;
    if (field.value.has(token.from) && field.value.has(token.to)) return token;
  }
  return undefined;
}

// ---- ports --------------------------------------------------------------------

export function conditionInWords(catalog: Catalog, text: string): string {
  const c = parseCondition(text);
  if (!c) return text;
  if (c.kind === 'optional') return 'optional';
  if (c.kind === 'feature') return `with ${catalog.featureById(c.feature)?.label ?? c.feature}`;
  const op = { '<=': '≤', '>=': '≥', '<': '<', '>': '>', '=': '=' }[c.op];
  return `${catalog.productById(c.product)?.name ?? c.product} ${op} ${c.version}`;
}

function flowConditions(catalog: Catalog, flow: CatalogFlow): string[] {
  const out = flow.conditions.map((c) => conditionInWords(catalog, c));
  for (const [protocol, conditions] of Object.entries(flow.protocolConditions)) {
    if (conditions?.length) out.push(`${protocol.toUpperCase()} only ${conditions.map((c) => conditionInWords(catalog, c)).join(' and ')}`);
  }
  return out;
}

export function flowLine(catalog: Catalog, flow: CatalogFlow): string {
  const ports = portsInWords(flow);
  const conditions = flowConditions(catalog, flow);
  return `**${roleName(catalog, flow.source)} → ${roleName(catalog, flow.destination)}** ${protocolsInWords(flow.protocols)}${ports ? ` ${ports}` : ''} — ${shortPurpose(flow)}${conditions.length ? ` _(${conditions.join('; ')})_` : ''}`;
}

/** What Citrix uses these ports for, as Markdown lines (shared with the "Explain port" command). */
export function portKnowledge(catalog: Catalog, from: number, to: number, protocols?: ReturnType<typeof protocolsOf>, limit = MAX_FLOW_LINES): string[] {
  const flows = flowsOnPorts(catalog, from, to, protocols);
  const label = from === to ? `Port ${from}` : `Ports ${from}–${to}`;
  if (flows.length === 0) return [`**${label}**: no Citrix flow in the catalog uses ${from === to ? 'it' : 'them'}${protocols ? ` over ${protocolsInWords(protocols)}` : ''}.`];
  const lines = [`**${label}** — Citrix uses ${from === to ? 'it' : 'them'} for:`, ''];
  for (const flow of flows.slice(0, limit)) lines.push(`- ${flowLine(catalog, flow)}`);
  if (flows.length > limit) lines.push(`- … and ${flows.length - limit} more (\`citrix-flow-lint explain ${from === to ? from : `${from}-${to}`}\`)`);
  return lines;
}

/** Required flows that this rule decided, as the evaluator recorded them. */
export function decidedBy(analysis: WorkspaceAnalysis, file: ParsedFile, ruleSet: RuleSet, rule: Rule): { check: RequiredFlowCheck; outcome: 'allow' | 'deny' | 'unknown' }[] {
  const out: { check: RequiredFlowCheck; outcome: 'allow' | 'deny' | 'unknown' }[] = [];
  for (const check of analysis.required) {
    const here = check.bound.file.uri === file.uri;
    // A Terraform rule linked into a group declared in another file of the module remembers its own file.
    const d = check.result.decisions.find((x) => x.rule?.id === rule.id && x.ruleSet.id === ruleSet.id && (here || x.rule.meta?.[RULE_URI_META] === file.uri));
    if (d) out.push({ check, outcome: d.outcome });
  }
  return out;
}

function decidedLines(catalog: Catalog, decided: ReturnType<typeof decidedBy>): string[] {
  if (decided.length === 0) return [];
  const verb = { allow: 'allows', deny: 'blocks', unknown: 'may decide' } as const;
  const lines = ['', '**Required flows this rule decides:**', ''];
  for (const { check, outcome } of decided.slice(0, MAX_REQUIRED_LINES)) {
    const mark = outcome === 'allow' ? '✓' : outcome === 'deny' ? '✗' : '?';
    lines.push(`- ${mark} ${verb[outcome]} ${itemFor(catalog, check).label} _(for ${check.role})_`);
  }
  if (decided.length > MAX_REQUIRED_LINES) lines.push(`- … and ${decided.length - MAX_REQUIRED_LINES} more`);
  return lines;
}

/** Paths shown in one hover: each is a walk over the workspace, and a port may decide many flows. */
const MAX_PATHS_IN_HOVER = 3;

/**
 * For the flows this rule decides between roles declared with addresses, every
 * hop on their way across the workspace, so the reader sees whether the flow
 * gets through the other firewalls too.
 */
function pathLines(catalog: Catalog, analysis: WorkspaceAnalysis, decided: ReturnType<typeof decidedBy>): string[] {
  const site = { files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology };
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const { check } of decided) {
    const sourceRole = check.onPath?.sourceRole ?? (check.direction === 'outbound' ? check.role : check.peerRole);
    const key = `${check.flow.id} ${sourceRole}`;
    if (seen.has(key) || seen.size >= MAX_PATHS_IN_HOVER) continue;
    seen.add(key);
    const path = flowPath(site, catalog, check.flow, sourceRole);
    if (!path || path.walk.hops.length < 2) continue;
    const hops = path.walk.hops.map((h) => `${hopInWords(site, h)} _(${basename(h.hop.file.uri)})_`);
    lines.push('', `**On the way** (${itemFor(catalog, check).label}, ${path.walk.verdict}): ${hops.join(' · ')}`);
  }
  return lines;
}

function basename(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

function portHover(catalog: Catalog, analysis: WorkspaceAnalysis, file: ParsedFile, ruleSet: RuleSet, rule: Rule, token: PortToken): string {
  const lines = portKnowledge(catalog, token.from, token.to, protocolsOf(rule.protocols.value));
  const decided = decidedBy(analysis, file, ruleSet, rule).filter(({ check }) => check.flow.ports.some((r) => r.from <= token.to && token.from <= r.to));
  lines.push(...decidedLines(catalog, decided));
  lines.push(...pathLines(catalog, analysis, decided));
  return lines.join('\n');
}

// ---- rules --------------------------------------------------------------------

function addressInWords(set: AddressSet, topology: Topology): string {
  if (set.isAny) return 'any address';
  const parts = set.toStrings();
  const shown = parts.length > 4 ? `${parts.slice(0, 4).join(', ')} and ${parts.length - 4} more` : parts.join(', ');
  const roles: string[] = [];
  if (!set.isEmpty) {
    for (const [id, decl] of topology.roles) {
      if (!decl.addresses.isEmpty && !decl.addresses.isAny && set.isSubsetOf(decl.addresses)) roles.push(id);
    }
  }
  return roles.length ? `${shown} (${roles.join(', ')})` : shown;
}

function verbOf(rule: Rule): string {
  const t = rule.target;
  switch (t.kind) {
    case 'allow':
      return 'allows';
    case 'deny':
      return t.reject ? 'rejects' : 'blocks';
    case 'jump':
      return `jumps to chain ${t.chain} for`;
    case 'goto':
      return `goes to chain ${t.chain} for`;
    case 'return':
      return 'returns from the chain for';
    case 'continue':
      return `${t.note} (and goes on) for`;
  }
}

function evaluationInWords(ruleSet: RuleSet, rule: Rule): string {
  switch (ruleSet.semantics) {
    case 'priority-first-match':
      return rule.priority ? (rule.meta?.collectionPriority ? `evaluated in policy order (${rule.meta.collectionPriority})` : `evaluated at priority ${rule.priority.value}`) : 'evaluated in priority order';
    case 'first-match':
      return `rule ${rule.order + 1} of ${rule.chain ?? ruleSet.name}, first match wins`;
    case 'union-of-allows':
      return 'any allow in the group counts; the order does not matter';
    case 'block-wins':
      return 'a matching block rule wins over every allow';
  }
}

export function ruleInWords(rule: Rule, ruleSet: RuleSet, topology: Topology): string {
  const protocols = rule.protocols.value;
  const hasPorts = !protocols.isEmpty && (protocols.isFull || protocols.has(6) || protocols.has(17));
  const ports = hasPorts && !rule.destinationPorts.value.isFull ? ` ${portSetInWords(rule.destinationPorts.value)}` : '';
  const sourcePorts = hasPorts && !rule.sourcePorts.value.isFull ? ` from source ports ${portSetInWords(rule.sourcePorts.value)}` : '';
  const what = `${protocolSetInWords(protocols)}${ports}`;
  return `${verbOf(rule)} ${rule.direction} ${what} from ${addressInWords(rule.source.value, topology)} to ${addressInWords(rule.destination.value, topology)}${sourcePorts}; ${evaluationInWords(ruleSet, rule)}`;
}

function ruleHover(catalog: Catalog, analysis: WorkspaceAnalysis, file: ParsedFile, ruleSet: RuleSet, rule: Rule): string {
  const title = rule.name ?? rule.id;
  const sentence = ruleInWords(rule, ruleSet, analysis.topology);
  const lines = [`**${title}** ${sentence}${rule.enabled.value ? '' : ' — **disabled**, so it has no effect'}.`];
  for (const c of rule.conditions) {
    const effect = c.effect === 'assume-match' ? 'assumed to match' : c.effect === 'never-matches-new' ? 'never matches a new connection' : 'effect unknown';
    lines.push('', `- \`${c.text}\`: ${effect}`);
  }
  for (const u of rule.unresolved) lines.push('', `- \`${u.text}\` is not resolved (${u.reason}), so flows it may match are "unknown"`);
  if (rule.target.kind === 'allow' && admitsReplies(rule)) {
    lines.push(
      '',
      `Return traffic: it admits packets by the source port of a server (${portSetInWords(rule.sourcePorts.value)}), which is how a stateless firewall lets the replies to this host's own connections back in. ` +
        'It is not reported as exposure. A sender that picks that source port reaches every port it allows; `-m conntrack --ctstate ESTABLISHED,RELATED` admits the replies and no new connection.',
    );
  } else if (rule.target.kind === 'allow' && rule.conditions.some((c) => c.kind === 'conntrack' && c.effect === 'never-matches-new')) {
    lines.push('', 'Return traffic: it matches only packets of connections already set up (and related ones), so no required flow and no exposure depends on it.');
  }
  lines.push(...decidedLines(catalog, decidedBy(analysis, file, ruleSet, rule)));
  return lines.join('\n');
}

function ruleSetHover(catalog: Catalog, analysis: WorkspaceAnalysis, file: ParsedFile, ruleSet: RuleSet): string {
  const bound = analysis.binding.bound.filter((b) => b.file.uri === file.uri && b.ruleSet.id === ruleSet.id);
  const roles = [...new Set(bound.flatMap((b) => b.roles))];
  const lines = [`**${ruleSet.name}** (${ruleSet.kind}, ${ruleSet.rules.filter((r) => !r.implicit).length} written rules)`];
  for (const b of bound) {
    if (b.via !== 'inferred' || !b.inferred) continue;
    for (const g of b.inferred.guesses.filter((x) => x.confidence === 'high' && b.roles.includes(x.role))) {
      lines.push('', `Assumed role: **${roleName(catalog, g.role)}** (\`${g.role}\`), from ${guessInWords(g).replace(/"([^"]*)"/g, '`$1`')}. Nothing declares it; the quick fix "Declare this rule set as …" or \`citrix-role: ${b.roles.join(', ')}\` above it makes it a declaration.`);
    }
  }
  if (roles.length === 0) {
    const hint = analysis.inference?.hints.find((h) => h.uri === file.uri && h.ruleSetId === ruleSet.id)?.guesses[0];
    lines.push('', `Not bound to a Citrix role${hint ? ` (perhaps ${roleName(catalog, hint.role)}, from ${guessInWords(hint).replace(/"([^"]*)"/g, '`$1`')}, but not clearly enough to assume it)` : ''}: add \`citrix-role: <role>\` in a comment above it, or a binding in citrix-flows.yaml.`);
  }
  for (const role of roles) lines.push('', ...requiredFlowLines(catalog, analysis, role, { uri: file.uri, ruleSetId: ruleSet.id }));
  return lines.join('\n');
}

// ---- roles, features and checks ------------------------------------------------------

function requiredFlowLines(catalog: Catalog, analysis: WorkspaceAnalysis, role: string, only: { uri?: string; ruleSetId?: string } = {}): string[] {
  const checks = analysis.required.filter((c) => c.role === role && (!only.uri || c.bound.file.uri === only.uri) && (!only.ruleSetId || c.bound.ruleSet.id === only.ruleSetId));
  if (checks.length === 0) return [`No required flow of **${role}** is checked yet: no rule set protecting it is bound, or no peer role is present.`];
  const ruleSets = new Set(checks.map((c) => `${c.bound.file.uri}#${c.bound.ruleSet.id}`));
  const allowed = checks.filter((c) => c.result.verdict === 'allowed').length;
  const lines = [`**Required flows of ${role}**: ${allowed}/${checks.length} allowed`, ''];
  const order = { denied: 0, partial: 1, unknown: 2, allowed: 3 } as const;
  const sorted = [...checks].sort((a, b) => order[a.result.verdict] - order[b.result.verdict]);
  for (const check of sorted.slice(0, MAX_REQUIRED_LINES)) {
    const item = itemFor(catalog, check);
    const where = ruleSets.size > 1 ? ` — ${item.ruleSet}` : '';
    lines.push(`- ${STATUS_MARK[item.status]} ${sideOf(check)}: ${item.label} — ${STATUS_WORD[item.status]}${item.assumption ? ` ${item.assumption}` : ''}${where}`);
  }
  if (sorted.length > MAX_REQUIRED_LINES) lines.push(`- … and ${sorted.length - MAX_REQUIRED_LINES} more (command "Citrix Flow Lint: Show required flows for role")`);
  return lines;
}

export function roleHoverText(catalog: Catalog, analysis: WorkspaceAnalysis, roleId: string): string {
  const role = catalog.roleById(roleId);
  if (!role) return `Unknown role \`${roleId}\``;
  const lines = [`**${role.name}** (\`${role.id}\`)`];
  if (role.description) lines.push('', role.description);
  const declared = analysis.topology.roles.get(role.id);
  if (declared) lines.push('', `Addresses: ${declared.addresses.isEmpty ? '_not declared yet_' : declared.addressEntries.map((e) => `\`${e.text}\``).join(', ')}`);
  else lines.push('', 'Addresses: not declared in citrix-flows.yaml.');
  lines.push('', ...requiredFlowLines(catalog, analysis, role.id));
  return lines.join('\n');
}

function checkHoverText(id: string): string | undefined {
  const check = checkById(id);
  if (!check) return undefined;
  return `**${check.title}** (\`${check.id}\`, default ${check.defaultSeverity})\n\n${check.summary}\n\n[Documentation](${checkDocsUri(check.id)})`;
}

function featureHoverText(catalog: Catalog, topology: Topology, id: string): string | undefined {
  const feature = catalog.featureById(id);
  if (!feature) return undefined;
  const declared = topology.features.get(id);
  const state = declared === undefined ? `not set, so ${feature.default ? 'on' : 'off'} (the catalog's default)` : declared ? 'on' : 'off';
  const flows = catalog.flows.filter((f) => f.conditions.includes(`feature:${id}`) || Object.values(f.protocolConditions).some((c) => c?.includes(`feature:${id}`)));
  return `**${feature.name}** (\`${id}\`): ${state}\n\n${feature.description}\n\n${flows.length} catalog flow${flows.length === 1 ? '' : 's'} depend on it.`;
}

function commentHover(state: WorkspaceState, file: ParsedFile, commentSpan: Span, offset: number): HoverResult | undefined {
  const word = wordAt(file.text, offset, commentSpan.start, commentSpan.end);
  if (!word.text) return undefined;
  const commentText = file.text.slice(commentSpan.start, commentSpan.end);
  if (commentText.includes('citrix-flow-lint-disable')) {
    const text = checkHoverText(word.text);
    if (text) return { contents: text, span: word.span };
  }
  if (commentText.includes('citrix-role')) {
    if (word.text === 'citrix-role') {
      return { contents: '`citrix-role: <role>[, <role>]` binds the rule set below to Citrix roles, so the flows those roles need are checked against it.', span: word.span };
    }
    const machine = machineHoverText(state.catalog, state.analyze(), word.text);
    if (machine) return { contents: machine, span: word.span };
    const role = state.catalog.resolveRole(word.text);
    if (role) return { contents: roleHoverText(state.catalog, state.analyze(), role.id), span: word.span };
  }
  return undefined;
}

/** A machine of citrix-flows.yaml: the roles its name stands for, and the addresses a rule set bound to it protects. */
function machineHoverText(catalog: Catalog, analysis: WorkspaceAnalysis, name: string): string | undefined {
  const machine = analysis.topology.machines?.get(name);
  if (!machine) return undefined;
  const roles = machine.roles.map((r) => `${roleName(catalog, r)} (\`${r}\`)`).join(', ');
  const kind = machine.kind === 'netscaler' ? 'NetScaler ADC' : 'Machine';
  return `**${kind} \`${machine.name}\`** (citrix-flows.yaml): stands for ${roles}. A rule set bound to it is this host's own firewall: it protects ${machine.addresses.toString()}, and meets only the other hosts of a peer role.`;
}

function topologyHover(state: WorkspaceState, uri: string, offset: number): HoverResult | undefined {
  const doc = state.document(uri);
  if (!doc) return undefined;
  const word = wordAt(doc.text, offset);
  if (!word.text) return undefined;
  const place = yamlPlace(doc.text, word.span.start);
  const analysis = state.analyze();
  const asRole = (): HoverResult | undefined => {
    const machine = machineHoverText(state.catalog, analysis, word.text);
    if (machine) return { contents: machine, span: word.span };
    const role = state.catalog.resolveRole(word.text);
    return role ? { contents: roleHoverText(state.catalog, analysis, role.id), span: word.span } : undefined;
  };
  if (place.section === 'roles' && place.depth === 0 && place.position === 'key') return asRole();
  if (place.key === 'roles' && place.position === 'value') return asRole();
  if (place.section === 'machines' && place.depth === 0 && place.position === 'key') return asRole();
  if (place.section === 'features' && place.depth === 0 && place.position === 'key') {
    const text = featureHoverText(state.catalog, analysis.topology, word.text);
    return text ? { contents: text, span: word.span } : undefined;
  }
  if (place.section === 'checks' && place.depth === 0 && place.position === 'key') {
    const text = checkHoverText(word.text);
    return text ? { contents: text, span: word.span } : undefined;
  }
  return undefined;
}
