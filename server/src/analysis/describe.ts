import type { Catalog, CatalogFlow } from '../catalog';
import { LineIndex, type ParsedFile, type Rule, type RuleSet } from '../model';
import { formatPortSet, protocolName, type PortSet, type ProtocolSet } from '../net';
import type { Decision } from './evaluate';

const lineIndexes = new WeakMap<ParsedFile, LineIndex>();

export function lineIndexOf(file: ParsedFile): LineIndex {
  let index = lineIndexes.get(file);
  if (!index) {
    index = new LineIndex(file.text);
    lineIndexes.set(file, index);
  }
  return index;
}

/** 1-based line of an offset, as people read it in the editor. */
export function lineOf(file: ParsedFile, offset: number): number {
  return lineIndexOf(file).positionAt(offset).line + 1;
}

export function roleName(catalog: Catalog, id: string): string {
  return catalog.roleById(id)?.name ?? id;
}

/** The first sentence of the seed's description: enough to recognise the flow in a message. */
export function shortPurpose(flow: CatalogFlow): string {
  const text = flow.description.trim();
  const stop = text.search(/\.(\s|$)/);
  const sentence = stop > 0 ? text.slice(0, stop) : text;
  return sentence.length > 90 ? `${sentence.slice(0, 87).trimEnd()}…` : sentence;
}

export function protocolsInWords(protocols: readonly string[]): string {
  return protocols.map((p) => p.toUpperCase()).join('/');
}

export function portsInWords(flow: CatalogFlow): string {
  return flow.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}–${r.to}`)).join(', ');
}

/** `Citrix Workspace app → VDA, TCP/UDP 2598 (…with Session Reliability)` */
export function flowInWords(catalog: Catalog, flow: CatalogFlow, protocols: readonly string[] = flow.protocols): string {
  const ports = portsInWords(flow);
  return `${roleName(catalog, flow.source)} → ${roleName(catalog, flow.destination)}, ${protocolsInWords(protocols)}${ports ? ` ${ports}` : ''} (${shortPurpose(flow)})`;
}

export function protocolSetInWords(set: ProtocolSet): string {
  if (set.isFull) return 'any protocol';
  const names: string[] = [];
  for (const r of set.ranges) for (let n = r.from; n <= r.to && names.length < 6; n++) names.push(protocolName(n).toUpperCase());
  return names.join('/');
}

export function portSetInWords(set: PortSet): string {
  return set.isFull ? 'any port' : formatPortSet(set, '–');
}

/** `"DenyAllInbound" (priority 4000, line 42)` or `the default policy of INPUT (DROP, line 3)`. */
export function decidingRuleInWords(file: ParsedFile | undefined, ruleSet: RuleSet, rule: Rule | undefined): string {
  if (!rule) {
    const policy = Object.values(ruleSet.defaults).find((d) => d?.span);
    const where = policy?.span && file ? `, line ${lineOf(file, policy.span.start)}` : '';
    if (ruleSet.semantics === 'union-of-allows') return `no rule of ${ruleSet.name} (it allows only what a rule allows)`;
    return `the default of ${ruleSet.name}${where}`;
  }
  // Ordered formats name rules by line; quoting the rule's own text reads better than "line 73" (line 73).
  const firstLine = rule.raw.split(/\r?\n/)[0].trim();
  const label = rule.name ?? (/^line \d/.test(rule.id) && firstLine ? (firstLine.length > 70 ? `${firstLine.slice(0, 67)}…` : firstLine) : rule.id);
  const details: string[] = [];
  if (rule.priority) details.push(`priority ${rule.priority.value}`);
  if (rule.implicit) details.push(`built-in rule of ${ruleSet.name}`);
  else if (file) details.push(`line ${lineOf(file, rule.span.start)}`);
  return `"${label}"${details.length ? ` (${details.join(', ')})` : ''}`;
}

/** The decisions of one outcome grouped by rule, so a message names each rule once. */
export function decisionsByRule(decisions: readonly Decision[], outcome: Decision['outcome']): Decision[] {
  const seen = new Set<Rule | RuleSet>();
  const out: Decision[] = [];
  for (const d of decisions) {
    if (d.outcome !== outcome) continue;
    const key = d.rule ?? d.ruleSet;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
