import { pathToFileURL } from 'node:url';
import type { WorkspaceAnalysis } from '../analysis/analyze';
import { anchorFor, decidingWords } from '../analysis/checks/requiredFlowFinding';
import type { AnalysisContext } from '../analysis/context';
import { lineIndexOf, portsInWords, roleName, shortPurpose } from '../analysis/describe';
import type { Decision, Verdict } from '../analysis/evaluate';
import type { Finding } from '../analysis/findings';
import { flowPath, placeable } from '../analysis/pathFlows';
import { hopInWords, hopLocation, placeInWords } from '../analysis/pathWords';
import { evaluateRequiredFlows, type RequiredFlowCheck } from '../analysis/required';
import type { SiteRuleSets } from '../analysis/sitePath';
import { parseCondition, type Catalog, type CatalogFlow } from '../catalog';
import { LineIndex, type ParsedFile, type RuleSet, type Span } from '../model';
import type { AddressSet } from '../net';
import type { BoundRuleSet, Topology } from '../topology/types';
import type { WorkspaceState } from './state';
import { type FlowMapCheck, type FlowMapEdge, type FlowMapPath, type FlowMapGroup, type FlowMapLocation, type FlowMapModel, type FlowMapNode, type FlowMapRule, type FlowMapVerdict, type VerdictCounts } from './flowMapTypes';

export * from './flowMapTypes';

/**
 * The Flow Map: every required Citrix flow between the roles present at the
 * site, as plain JSON for the webview and the standalone HTML report. Built
 * from one WorkspaceAnalysis, so the picture and the diagnostics never disagree.
 */

export interface FlowMapOptions {
  /** Texts of files not in `analysis.files` (citrix-flows.yaml), so their lines can be shown. */
  readonly texts?: ReadonlyMap<string, string>;
  /** Shown paths are relative to this folder (a file: uri or a path). */
  readonly workspaceRoot?: string;
  readonly title?: string;
}

const FIXABLE = new Set(['missing-flow', 'partial-flow', 'edt-needs-udp']);
const FLOW_FINDINGS = new Set([...FIXABLE, 'unresolved-value', 'insecure-variant']);
const RANK: Record<FlowMapVerdict, number> = { blocked: 4, partial: 3, unknown: 2, unbound: 1, allowed: 0 };

export function emptyCounts(): VerdictCounts {
  return { blocked: 0, partial: 0, unknown: 0, unbound: 0, allowed: 0 };
}

function fromVerdict(v: Verdict): FlowMapVerdict {
  return v === 'denied' ? 'blocked' : v;
}

function conditionWords(flow: CatalogFlow, catalog: Catalog, topology: Topology): string[] {
  const describe = (text: string, lead: string): string => {
    const c = parseCondition(text);
    if (!c) return `${lead} ${text}`;
    if (c.kind === 'optional') return 'optional';
    if (c.kind === 'version') {
      const declared = topology.versions.get(c.product);
      return `${catalog.productById(c.product)?.name ?? c.product} version ${c.op} ${c.version}${declared ? ` (site: ${declared})` : ''}`;
    }
    const feature = catalog.featureById(c.feature);
    const on = topology.features.get(c.feature) ?? feature?.default ?? false;
    return `${lead} ${feature?.name ?? c.feature} (${on ? 'on' : 'off'} at this site)`;
  };
  const words = flow.conditions.map((text) => describe(text, 'needs'));
  for (const [protocol, conditions] of Object.entries(flow.protocolConditions)) {
    for (const text of conditions ?? []) words.push(describe(text, `${protocol.toUpperCase()} only with`));
  }
  return words;
}

class Locator {
  private readonly indexes = new Map<string, LineIndex | undefined>();
  private readonly root?: string;

  constructor(
    private readonly files: ReadonlyMap<string, ParsedFile>,
    private readonly texts: ReadonlyMap<string, string> | undefined,
    workspaceRoot: string | undefined,
  ) {
    if (workspaceRoot) this.root = Locator.comparable(workspaceRoot.startsWith('file:') ? workspaceRoot : pathToFileURL(workspaceRoot).href).replace(/\/?$/, '/');
  }

  /** VS Code writes `file:///c%3A/x`, Node `file:///C:/x`: compare decoded, drive letter in lower case. */
  private static comparable(uri: string): string {
    return decodeURIComponent(uri).replace(/^file:\/\/\/([A-Za-z]):/, (_m, d: string) => `file:///${d.toLowerCase()}:`);
  }

  display(uri: string): string {
    const plain = Locator.comparable(uri);
    if (this.root && plain.startsWith(this.root)) return plain.slice(this.root.length);
    if (uri.startsWith('file:')) return plain.split('/').slice(-2).join('/');
    return uri;
  }

  at(uri: string, span: Span): FlowMapLocation {
    const file = this.files.get(uri);
    let index: LineIndex | undefined;
    if (file) index = lineIndexOf(file);
    else if (this.indexes.has(uri)) index = this.indexes.get(uri);
    else {
      const text = this.texts?.get(uri);
      index = text === undefined ? undefined : LineIndex.of(text);
      this.indexes.set(uri, index);
    }
    return { uri, file: this.display(uri), span: { start: span.start, end: span.end }, ...(index ? { line: index.positionAt(span.start).line + 1 } : {}) };
  }
}

function ruleText(raw: string): string {
  const collapsed = raw.replace(/\s+/g, ' ').trim();
  return collapsed.length > 240 ? `${collapsed.slice(0, 237)}…` : collapsed;
}

/** The decision that explains the verdict: what denied it, what left it unknown, or what allowed it. */
function explainingDecision(check: RequiredFlowCheck): Decision | undefined {
  const decisions = check.result.decisions;
  const want = check.result.verdict === 'allowed' ? 'allow' : check.result.verdict === 'unknown' ? 'unknown' : 'deny';
  return decisions.find((d) => d.outcome === want) ?? decisions[0];
}

function decidingRule(context: AnalysisContext, check: RequiredFlowCheck, locate: Locator): FlowMapRule | undefined {
  const decision = explainingDecision(check);
  if (!decision) return undefined;
  const anchor = anchorFor(context, check, decision);
  const rule = decision.rule;
  let text: string;
  if (rule && !rule.implicit) text = ruleText(rule.raw);
  else if (rule) text = `${rule.name ?? rule.id} (built in)`;
  else {
    const policy = decision.ruleSet.defaults[check.direction];
    text = policy ? `default: ${policy.value}` : 'no rule matches';
  }
  return {
    // A click opens the deciding rule where it starts; the diagnostic's squiggle is on its deciding token.
    location: locate.at(anchor.uri, anchor.decidingRule?.span ?? anchor.span),
    label: decidingWords(context, check, decision),
    text,
    ruleSet: decision.ruleSet.name,
    implicit: !rule || rule.implicit === true,
  };
}

/**
 * The way of one flow across the site, hop by hop, when it crosses more
 * than one rule set: one rule set alone is already the edge's check.
 */
function pathOf(site: SiteRuleSets, catalog: Catalog, flow: CatalogFlow, locate: Locator): FlowMapPath | undefined {
  const path = flowPath(site, catalog, flow, flow.source);
  if (!path || path.walk.hops.length < 2) return undefined;
  const hops = path.walk.hops.map((h, i) => {
    const at = hopLocation(site, h);
    return {
      index: i + 1,
      ruleSet: h.hop.label,
      file: locate.display(h.hop.file.uri),
      place: placeInWords(h.hop.place),
      verdict: h.result ? fromVerdict(h.result.verdict) : 'unknown',
      reached: h.reached,
      text: hopInWords(site, h),
      location: locate.at(at.uri, at.span),
      boundTo: h.hop.bound?.roles ?? [],
    } satisfies FlowMapPath['hops'][number];
  });
  const blockedAt = path.walk.blockedAt ? path.walk.hops.indexOf(path.walk.blockedAt) + 1 : undefined;
  return { verdict: fromVerdict(path.walk.verdict), ...(blockedAt ? { blockedAt } : {}), hops };
}

function roleGroups(topology: Topology, roles: readonly string[]): { groups: FlowMapGroup[]; groupOf: Map<string, string> } {
  const groups: FlowMapGroup[] = [];
  const groupOf = new Map<string, string>();
  for (const iface of topology.interfaces) {
    const members = iface.roles.filter((r) => roles.includes(r) && !groupOf.has(r));
    if (!members.length) continue;
    const id = `interface:${iface.name}`;
    groups.push({ id, label: `Interface ${iface.name}`, kind: 'interface', addresses: [] });
    for (const r of members) groupOf.set(r, id);
  }
  const located = roles.map((r) => topology.roles.get(r)?.addresses).filter((a): a is AddressSet => !!a && !a.isEmpty && !a.isAny);
  // A network holding every role (Azure's VirtualNetwork over a hub and its VPNs) separates nothing; a box around the whole map only adds noise.
  const networks = [...topology.networks].filter(([, set]) => !set.isEmpty && !set.isAny && !(located.length > 1 && located.every((a) => a.isSubsetOf(set))));
  const used = new Map<string, FlowMapGroup>();
  for (const role of roles) {
    if (groupOf.has(role)) continue;
    const addresses = topology.roles.get(role)?.addresses;
    if (!addresses || addresses.isEmpty || addresses.isAny) continue;
    const containing = networks.filter(([, set]) => addresses.isSubsetOf(set));
    if (!containing.length) continue;
    // The most specific network: the one inside all the others that contain the role.
    const [name, set] = containing.find(([, a]) => containing.every(([, b]) => a.isSubsetOf(b))) ?? containing[0];
    const id = `network:${name}`;
    if (!used.has(id)) {
      const group: FlowMapGroup = { id, label: name, kind: 'network', addresses: (set as AddressSet).toStrings() };
      used.set(id, group);
      groups.push(group);
    }
    groupOf.set(role, id);
  }
  return { groups, groupOf };
}

/**
 * Every flow the site requires, bound or not: evaluateRequiredFlows asked as
 * if each present role had an empty rule set on both directions, so which
 * flows count as required (present peers, features, versions, flows that
 * cannot be a firewall rule) is decided in one place only.
 */
function requiredAtSite(roles: readonly string[], topology: Topology, catalog: Catalog): RequiredFlowCheck[] {
  const ruleSet: RuleSet = {
    id: 'flow-map-probe',
    name: 'flow-map-probe',
    format: 'terraform',
    kind: 'probe',
    semantics: 'union-of-allows',
    directions: ['inbound', 'outbound'],
    rules: [],
    defaults: {},
    span: { start: 0, end: 0 },
  };
  const file: ParsedFile = { uri: 'flow-map:probe', format: 'terraform', text: '', ruleSets: [ruleSet], problems: [], comments: [] };
  const bound: BoundRuleSet[] = roles.map((role) => ({ file, ruleSet, roles: [role], via: 'binding' }));
  return evaluateRequiredFlows(bound, topology, catalog);
}

function presentRoles(analysis: WorkspaceAnalysis): string[] {
  const { topology } = analysis;
  const present = new Set<string>([...topology.roles.keys(), ...(topology.uri ? [] : ['workspace-app'])]);
  for (const b of analysis.binding.bound) for (const r of b.roles) present.add(r);
  return [...present];
}

export function buildFlowMap(analysis: WorkspaceAnalysis, catalog: Catalog, options: FlowMapOptions = {}): FlowMapModel {
  const { topology } = analysis;
  const locate = new Locator(new Map(analysis.files.map((f) => [f.uri, f])), options.texts, options.workspaceRoot);
  const present = presentRoles(analysis);
  const context: AnalysisContext = { files: analysis.files, bound: analysis.binding.bound, topology, catalog, required: analysis.required };

  const checksByFlow = new Map<string, RequiredFlowCheck[]>();
  for (const check of analysis.required) {
    const list = checksByFlow.get(check.flow.id) ?? [];
    list.push(check);
    checksByFlow.set(check.flow.id, list);
  }
  const findingsByFlow = new Map<string, Finding[]>();
  for (const f of analysis.findings) {
    if (!f.flowId || !FLOW_FINDINGS.has(f.checkId)) continue;
    findingsByFlow.set(f.flowId, [...(findingsByFlow.get(f.flowId) ?? []), f]);
  }

  // Flows evaluated against some rule set, then the required flows no rule set protects.
  const flows: { flow: CatalogFlow; protocols: readonly string[] }[] = [];
  const seen = new Set<string>();
  for (const [id, checks] of checksByFlow) {
    seen.add(id);
    const protocols = [...new Set(checks.flatMap((c) => c.protocols))];
    flows.push({ flow: checks[0].flow, protocols: checks[0].flow.protocols.filter((p) => protocols.includes(p)) });
  }
  for (const check of requiredAtSite(present, topology, catalog)) {
    if (seen.has(check.flow.id)) continue;
    seen.add(check.flow.id);
    flows.push({ flow: check.flow, protocols: check.protocols });
  }

  const site: SiteRuleSets = { files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology };
  const onPaths = placeable(site);
  const edges: FlowMapEdge[] = flows.map(({ flow, protocols }) => {
    const checks = (checksByFlow.get(flow.id) ?? []).map((c) => {
      const rule = decidingRule(context, c, locate);
      return {
        role: c.role,
        direction: c.direction,
        ruleSet: c.bound.ruleSet.name,
        file: locate.display(c.bound.file.uri),
        verdict: fromVerdict(c.result.verdict),
        ...(rule ? { decidingRule: rule } : {}),
        reasons: c.result.reasons,
        peerKnown: c.peerKnown,
      } satisfies FlowMapCheck;
    });
    const worst = checks.reduce<FlowMapCheck | undefined>((w, c) => (!w || RANK[c.verdict] > RANK[w.verdict] ? c : w), undefined);
    const path = onPaths ? pathOf(site, catalog, flow, locate) : undefined;
    // Two hops that each let a different port through deny the flow, though neither check alone says so.
    const checked: FlowMapVerdict = worst?.verdict ?? 'unbound';
    const verdict: FlowMapVerdict = path && RANK[path.verdict] > RANK[checked] ? path.verdict : checked;
    const finding = (findingsByFlow.get(flow.id) ?? []).sort((a, b) => Number(FIXABLE.has(b.checkId)) - Number(FIXABLE.has(a.checkId)))[0];
    const fix = finding ? { ...locate.at(finding.uri, finding.span), checkId: finding.checkId, message: finding.message } : undefined;
    const ports = portsInWords(flow);
    const declared = topology.roles.get(flow.destination)?.declaredAt ?? topology.roles.get(flow.source)?.declaredAt;
    const targetLocation = fix ?? worst?.decidingRule?.location ?? (declared ? locate.at(declared.uri, declared.span) : undefined);
    return {
      id: flow.id,
      flowId: flow.id,
      product: flow.product,
      productName: catalog.productById(flow.product)?.name ?? flow.product,
      source: flow.source,
      target: flow.destination,
      protocols,
      ports: flow.ports,
      portsText: ports,
      label: `${protocols.map((p) => p.toUpperCase()).join('/')}${ports ? ` ${ports}` : ''}`,
      description: flow.description,
      purpose: shortPurpose(flow),
      conditions: conditionWords(flow, catalog, topology),
      tags: flow.tags,
      verdict,
      ...(worst?.decidingRule ? { decidingRule: worst.decidingRule } : {}),
      checks,
      ...(path ? { path } : {}),
      ...(fix ? { fix } : {}),
      ...(targetLocation ? { goTo: targetLocation } : {}),
    };
  });
  edges.sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target) || a.id.localeCompare(b.id));

  const roles = [...new Set([...present, ...edges.flatMap((e) => [e.source, e.target])])].sort();
  const { groups, groupOf } = roleGroups(topology, roles);
  const nodes: FlowMapNode[] = roles.map((id) => {
    const declaration = topology.roles.get(id);
    const incoming = emptyCounts();
    const outgoing = emptyCounts();
    const products = new Set<string>();
    for (const e of edges) {
      if (e.target === id) incoming[e.verdict]++;
      if (e.source === id) outgoing[e.verdict]++;
      if (e.source === id || e.target === id) products.add(e.product);
    }
    const ruleSets = analysis.binding.bound
      .filter((b) => b.roles.includes(id))
      .map((b) => ({ name: b.ruleSet.name, location: locate.at(b.file.uri, b.ruleSet.nameSpan ?? b.ruleSet.span), via: b.via }));
    const group = groupOf.get(id);
    return {
      id,
      label: declaration?.displayName ?? roleName(catalog, id),
      description: catalog.roleById(id)?.description ?? '',
      ...(group ? { group } : {}),
      addresses: declaration ? declaration.addressEntries.map((a) => a.text) : [],
      ...(declaration ? { declaredAt: locate.at(declaration.declaredAt.uri, declaration.declaredAt.span) } : {}),
      ruleSets,
      products: [...products].sort(),
      incoming,
      outgoing,
    };
  });

  const byVerdict = emptyCounts();
  for (const e of edges) byVerdict[e.verdict]++;
  const productIds = [...new Set(edges.map((e) => e.product))].sort();
  return {
    version: 1,
    title: options.title ?? 'Citrix Flow Map',
    ...(topology.uri ? { topologyFile: locate.display(topology.uri) } : {}),
    nodes,
    groups,
    edges,
    products: productIds.map((id) => ({ id, name: catalog.productById(id)?.name ?? id })),
    counts: {
      nodes: nodes.length,
      edges: edges.length,
      ruleSets: new Set(analysis.binding.bound.map((b) => `${b.file.uri}#${b.ruleSet.id}`)).size,
      files: analysis.files.length,
      byVerdict,
    },
  };
}

/**
 * The map of one workspace folder as the language server holds it (open
 * editors over files on disk); server.ts answers `citrixFlowLint/flowMap` with it.
 */
export function flowMapOfState(unit: WorkspaceState, catalog: Catalog): FlowMapModel {
  const analysis = unit.analyze();
  const topologyUri = unit.topologyUri;
  const topologyText = topologyUri ? unit.document(topologyUri)?.text : undefined;
  const texts = new Map<string, string>(topologyUri && topologyText !== undefined ? [[topologyUri, topologyText]] : []);
  const folder = unit.root ? unit.root.split(/[\\/]/).filter(Boolean).pop() : undefined;
  return buildFlowMap(analysis, catalog, { texts, workspaceRoot: unit.root, title: folder ? `Citrix Flow Map — ${folder}` : undefined });
}
