import { AddressSet, parsePortRange, parseProtocol, Ports, Protocols, type PortSet, type ProtocolSet } from '../../net';
import { makeRule, type Field, type MatchCondition, type ParseProblem, type RuleSet, type Span } from '../../model';
import { GCP_DEFAULT_PRIORITY, gcpEndpoints, gcpFirewallRuleSet, type GcpAddressPart, type GcpPendingRule } from '../gcp/firewall';
import { member, type JsonNode } from '../arm/json';
import { itemsOf, lastSegment, stringOf } from './json';

/**
 * `gcloud compute firewall-rules list --format=json` (or `describe`, one
 * rule): rules grouped by their network, with GCP's ordering and implied
 * rules (gcp/firewall.ts).
 */
export function gcpExportRuleSets(root: JsonNode, text: string, problems: ParseProblem[]): RuleSet[] {
  const entries = root.type === 'array' ? root.items : [root];
  const networks = new Map<string, { span: Span; rules: GcpPendingRule[]; link: string }>();
  let position = 0;
  for (const e of entries) {
    if (e.type !== 'object') {
      problems.push({ code: 'unparsed-rule', severity: 'warning', span: e.span, message: 'an entry that is not a firewall rule object; not read' });
      continue;
    }
    const kind = stringOf(member(e, 'kind'));
    if (kind && kind !== 'compute#firewall') {
      problems.push({ code: 'unparsed-rule', severity: 'info', span: e.span, message: `a ${kind} is not a VPC firewall rule; not read` });
      continue;
    }
    const link = stringOf(member(e, 'network')) ?? 'default';
    const networkId = lastSegment(link);
    let network = networks.get(networkId);
    if (!network) networks.set(networkId, (network = { span: e.span, rules: [], link }));
    else network.span = { start: Math.min(network.span.start, e.span.start), end: Math.max(network.span.end, e.span.end) };
    for (const p of firewallRules(e, networkId, text, problems)) network.rules.push({ ...p, position: position++ });
  }
  return [...networks].map(([id, n]) => gcpFirewallRuleSet({ id, name: id, format: 'cloud-export', span: n.span, rules: n.rules, meta: { exportedFrom: 'gcp', network: n.link, resourceType: 'google_compute_firewall' } }));
}

function firewallRules(e: JsonNode, networkId: string, text: string, problems: ParseProblem[]): Omit<GcpPendingRule, 'position'>[] {
  const name = stringOf(member(e, 'name')) ?? 'firewall rule';
  const problem = (message: string, span: Span, severity: ParseProblem['severity'] = 'error'): void => {
    problems.push({ code: 'unparsed-rule', severity, span, message: `${name}: ${message}` });
  };
  const prioNode = member(e, 'priority');
  let priority = GCP_DEFAULT_PRIORITY;
  let priorityField: Field<number> = { value: GCP_DEFAULT_PRIORITY };
  if (prioNode?.type === 'number' && Number.isInteger(prioNode.value) && prioNode.value >= 0 && prioNode.value <= 65535) {
    priority = prioNode.value;
    priorityField = { value: priority, span: prioNode.span, text: String(priority) };
  } else if (prioNode) problem(`priority ${text.slice(prioNode.span.start, prioNode.span.end)} is not a whole number 0–65535`, prioNode.span);

  const direction = stringOf(member(e, 'direction'))?.toUpperCase() ?? 'INGRESS';
  if (direction !== 'INGRESS' && direction !== 'EGRESS') problem(`direction "${direction}" is neither INGRESS nor EGRESS`, member(e, 'direction')!.span);
  const ingress = direction !== 'EGRESS';
  const disabledNode = member(e, 'disabled');
  const enabled: Field<boolean> = disabledNode?.type === 'boolean' ? { value: !disabledNode.value, span: disabledNode.span, text: String(disabledNode.value) } : { value: true };

  const part = (key: string, kind: 'cidr' | 'network-tag' | 'service-account'): GcpAddressPart => {
    const node = member(e, key);
    const items = itemsOf(node);
    if (!node || items.length === 0) return { set: AddressSet.none() };
    let set = AddressSet.none();
    for (const item of items) {
      const value = stringOf(item);
      if (value === undefined) continue;
      if (kind !== 'cidr') set = set.union(AddressSet.symbol(kind, value));
      else {
        const parsed = AddressSet.parse(value);
        if (parsed.ok) set = set.union(parsed.value);
        else problem(`${key} "${value}" is not a CIDR range`, item.span);
      }
    }
    return { set, span: node.span };
  };
  const endpoints = gcpEndpoints({
    ingress,
    sourceRanges: part('sourceRanges', 'cidr'),
    sourceTags: part('sourceTags', 'network-tag'),
    sourceAccounts: part('sourceServiceAccounts', 'service-account'),
    destinationRanges: part('destinationRanges', 'cidr'),
    targetTags: part('targetTags', 'network-tag'),
    targetAccounts: part('targetServiceAccounts', 'service-account'),
    names: { sourceRanges: 'sourceRanges', destinationRanges: 'destinationRanges', sourceTagsOrAccounts: 'sourceTags and sourceServiceAccounts' },
    textOf: (span) => text.slice(span.start, span.end),
  });
  for (const w of endpoints.warnings) problem(w.message, w.span, 'warning');

  const blocks = [...itemsOf(member(e, 'allowed')).map((b) => ({ b, action: 'allow' as const })), ...itemsOf(member(e, 'denied')).map((b) => ({ b, action: 'deny' as const }))];
  if (blocks.length === 0) problem('has neither allowed nor denied entries', e.span);
  return blocks.map(({ b, action }, i) => {
    const conditions: MatchCondition[] = [...endpoints.conditions];
    const traffic = protocolAndPorts(b, text, problem, conditions);
    const rule = makeRule({
      id: blocks.length === 1 ? name : `${name} ${action}[${i}]`,
      name,
      target: { kind: action },
      direction: ingress ? 'inbound' : 'outbound',
      protocols: traffic.protocols,
      source: endpoints.source,
      destination: endpoints.destination,
      destinationPorts: traffic.ports,
      priority: priorityField,
      order: 0,
      enabled,
      conditions,
      span: e.span,
      raw: text.slice(e.span.start, e.span.end),
      comment: stringOf(member(e, 'description')) || undefined,
      meta: { network: networkId, firewallName: name },
    });
    return { rule, priority, action };
  });
}

function protocolAndPorts(b: JsonNode, text: string, problem: (m: string, s: Span) => void, conditions: MatchCondition[]): { protocols: Field<ProtocolSet>; ports: Field<PortSet> } {
  const protoNode = member(b, 'IPProtocol');
  const protoText = protoNode?.type === 'string' ? protoNode.value : protoNode?.type === 'number' ? String(protoNode.value) : undefined;
  let protocols: Field<ProtocolSet> = { value: Protocols.any() };
  if (protoText === undefined) problem('an allowed or denied entry without IPProtocol', b.span);
  else {
    const p = parseProtocol(protoText);
    if (p.ok) protocols = { value: p.value, span: protoNode!.span, text: protoText };
    else {
      problem(`IPProtocol "${protoText}": ${p.error}`, protoNode!.span);
      conditions.push({ kind: 'other', text: `IPProtocol ${protoText}`, span: protoNode!.span, effect: 'unknown' });
    }
  }
  const portsNode = member(b, 'ports');
  const items = itemsOf(portsNode);
  if (!portsNode || items.length === 0) return { protocols, ports: { value: Ports.any() } };
  let set = Ports.none();
  for (const item of items) {
    const t = stringOf(item) ?? (item.type === 'number' ? String(item.value) : undefined);
    const parsed = t === undefined ? undefined : parsePortRange(t, ['-']);
    if (parsed?.ok) set = set.union(parsed.value);
    else {
      problem(parsed && !parsed.ok ? parsed.error : `port ${text.slice(item.span.start, item.span.end)} is not a port or range`, item.span);
      conditions.push({ kind: 'other', text: `ports ${t ?? '?'}`, span: item.span, effect: 'unknown' });
    }
  }
  return { protocols, ports: { value: set, span: portsNode.span, text: items.map((i) => stringOf(i) ?? '').join(',') } };
}

