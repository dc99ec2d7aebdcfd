import { loadCatalog } from '../catalog';
import type { FormatId, ParsedFile, RuleSet, Span } from '../model';
import type { AllowRuleRequest, TextEdit } from '../model/edits';
import { AddressSet, Ports, TCP, UDP, ICMP, type PortSet } from '../net';
import { commentLine, emitterFor } from '../formats/emitters';
import { eolOf, indentAt, lineStartAt } from '../formats/emitSupport';
import { checkById } from './checks';
import { flowInWords, roleName } from './describe';
import type { Decision } from './evaluate';
import type { Finding } from './findings';
import type { WorkspaceAnalysis } from './analyze';
import type { RequiredFlowCheck } from './required';

export interface CodeFix {
  readonly title: string;
  readonly kind: 'quickfix' | 'source.fixAll.citrix-flow-lint';
  readonly isPreferred?: boolean;
  readonly edits: TextEdit[];
  readonly checkId: string;
}

export interface FixOptions {
  /** Asked for as `source.fixAll`: the "all missing flows" fix gets that kind. */
  readonly all?: boolean;
  /** Text of files the analysis did not parse (citrix-flows.yaml), for fixes that edit them. */
  readonly textOf?: (uri: string) => string | undefined;
}

const FLOW_CHECKS = new Set(['missing-flow', 'partial-flow', 'edt-needs-udp']);
const PROTOCOL_NAMES: ReadonlyMap<number, 'tcp' | 'udp' | 'icmp'> = new Map([
  [TCP, 'tcp'],
  [UDP, 'udp'],
  [ICMP, 'icmp'],
]);

/**
 * The code actions for one finding, dispatched on its check id and data
 * (never the message): allow a blocked flow in the file's own format, allow
 * every blocked flow of the role at once, take a did-you-mean suggestion,
 * use a secure port, narrow an exposed source, add a role annotation, or
 * silence the check on that line. A fix only adds or replaces what it names.
 */
export function fixesFor(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions = {}): CodeFix[] {
  const fixes: CodeFix[] = [];
  const data = finding.data ?? {};
  const file = analysis.files.find((f) => f.uri === finding.uri);
  try {
    if (FLOW_CHECKS.has(finding.checkId)) fixes.push(...flowFixes(finding, analysis, options));
    else if ((finding.checkId === 'unknown-role' || finding.checkId === 'invalid-declaration') && typeof data.suggestion === 'string') {
      fixes.push({ title: `Change to "${data.suggestion}"`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [{ uri: finding.uri, span: finding.span, newText: data.suggestion }] });
    } else if (finding.checkId === 'insecure-variant' && file) {
      const fix = securePortFix(finding, file);
      if (fix) fixes.push(fix);
    } else if (finding.checkId === 'exposed-to-internet' && file) {
      const fix = narrowSourceFix(finding, file);
      if (fix) fixes.push(fix);
    } else if (finding.checkId === 'suggest-role' && file && typeof data.roleId === 'string') {
      const ruleSet = ruleSetOf(file, data.ruleSetId);
      if (ruleSet) fixes.push({ title: `Add "citrix-role: ${data.roleId}" annotation`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [addAnnotation(file, ruleSet, data.roleId)] });
    }
  } catch {
    // A fix that cannot be built is left out; the finding itself still stands.
  }
  const disable = disableFix(finding, analysis, options);
  if (disable) fixes.push(disable);
  return fixes;
}

function ruleSetOf(file: ParsedFile, id: unknown): RuleSet | undefined {
  return typeof id === 'string' ? file.ruleSets.find((rs) => rs.id === id) : file.ruleSets.length === 1 ? file.ruleSets[0] : undefined;
}

/** The required-flow evaluation a finding was made from. */
export function checkOf(finding: Finding, analysis: WorkspaceAnalysis): RequiredFlowCheck | undefined {
  const d = finding.data ?? {};
  return analysis.required.find(
    (c) => c.bound.file.uri === finding.uri && c.flow.id === d.flowId && c.bound.ruleSet.id === d.ruleSetId && c.role === d.role && c.direction === d.direction,
  );
}

function flowFixes(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions): CodeFix[] {
  const check = checkOf(finding, analysis);
  if (!check) return [];
  const emitter = emitterFor(check.bound.file.format);
  if (!emitter) return [];
  const out: CodeFix[] = [];
  const catalog = loadCatalog();
  const requests = requestsFor(finding, check);
  if (requests.length) {
    const result = emitter(requests);
    if ('edits' in result && result.edits.length) {
      const protocols = finding.checkId === 'edt-needs-udp' ? ['udp'] : check.protocols;
      out.push({ title: `Allow ${flowInWords(catalog, check.flow, protocols)}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: result.edits });
    }
  }
  // Every blocked flow of the same role through the same rule set, in one edit with priorities that do not collide.
  const siblings = analysis.findings.filter(
    (f) => FLOW_CHECKS.has(f.checkId) && f.uri === finding.uri && f.data?.role === finding.data?.role && f.data?.ruleSetId === finding.data?.ruleSetId,
  );
  if (siblings.length > 1 || options.all) {
    const batch: AllowRuleRequest[] = [];
    const seen = new Set<string>();
    for (const f of siblings) {
      const c = checkOf(f, analysis);
      if (!c) continue;
      for (const r of requestsFor(f, c)) {
        const key = requestKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        batch.push(r);
      }
    }
    if (batch.length) {
      const result = emitter(batch);
      if ('edits' in result && result.edits.length) {
        out.push({
          title: `Allow all missing flows for ${roleName(catalog, check.role)} in ${check.bound.ruleSet.name}`,
          kind: options.all ? 'source.fixAll.citrix-flow-lint' : 'quickfix',
          checkId: finding.checkId,
          edits: result.edits,
        });
      }
    }
  }
  return out;
}

function requestKey(r: AllowRuleRequest): string {
  return [r.ruleSet.id, r.direction, r.protocols.join(','), r.ports.map((p) => `${p.from}-${p.to}`).join(','), r.source.toString(), r.destination.toString(), r.before?.id ?? ''].join('|');
}

interface Piece {
  readonly decision: Decision;
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly ports: PortSet;
}

/**
 * The rules that would let the blocked part of the flow through: for each
 * rule (or default) that denied a part, the protocols, ports and peer
 * addresses it denied, merged where that opens nothing more than asked.
 */
export function requestsFor(finding: Finding, check: RequiredFlowCheck): AllowRuleRequest[] {
  const onlyUdp = finding.checkId === 'edt-needs-udp';
  // The finding names the protocols and port ranges it is about (TCP 2598, not UDP 2598 that is open from some
  // sources): the fix opens those, not every fragment the evaluator denied.
  const wanted = finding.data?.pieces as readonly { protocol: string; ports: readonly { from: number; to: number }[] }[] | undefined;
  const portsWanted = (protocol: string): PortSet | undefined => {
    if (!wanted) return Ports.any();
    const mine = wanted.filter((w) => w.protocol === protocol);
    if (mine.length === 0) return undefined;
    return mine.reduce((acc, w) => acc.union(w.ports.length ? Ports.of(w.ports) : Ports.any()), Ports.none());
  };
  const pieces: Piece[] = [];
  for (const d of check.result.decisions) {
    if (d.outcome !== 'deny') continue;
    for (const r of d.part.protocols.ranges) {
      for (let n = r.from; n <= r.to; n++) {
        const protocol = PROTOCOL_NAMES.get(n);
        if (!protocol || (onlyUdp && protocol !== 'udp')) continue;
        const within = portsWanted(protocol);
        if (!within) continue;
        const ports = protocol === 'icmp' ? Ports.none() : d.part.destinationPorts.intersect(within);
        if (protocol !== 'icmp' && ports.isEmpty) continue;
        pieces.push({ decision: d, protocol, ports });
      }
    }
  }
  // Group by deciding rule, rule set and addresses; ports per protocol are unioned.
  const groups = new Map<string, { ruleSet: RuleSet; decision: Decision; source: AddressSet; destination: AddressSet; ports: Map<string, PortSet> }>();
  for (const p of pieces) {
    const d = p.decision;
    const key = `${d.ruleSet.id}|${d.rule?.id ?? ''}|${d.part.source.toString()}|${d.part.destination.toString()}`;
    const g = groups.get(key) ?? { ruleSet: d.ruleSet, decision: d, source: d.part.source, destination: d.part.destination, ports: new Map<string, PortSet>() };
    g.ports.set(p.protocol, (g.ports.get(p.protocol) ?? Ports.none()).union(p.ports));
    groups.set(key, g);
  }
  const catalog = loadCatalog();
  const file = check.bound.file;
  const out: AllowRuleRequest[] = [];
  const peer = check.peerRole;
  const service = check.flow.id.split('.').pop() ?? check.flow.id;
  for (const g of groups.values()) {
    // Protocols with the same ports share one request (the emitter splits where the format needs it).
    const byPorts = new Map<string, { protocols: ('tcp' | 'udp' | 'icmp')[]; ports: PortSet }>();
    for (const [protocol, ports] of g.ports) {
      const k = protocol === 'icmp' ? 'icmp' : ports.ranges.map((r) => `${r.from}-${r.to}`).join(',');
      const entry = byPorts.get(k) ?? { protocols: [], ports };
      entry.protocols.push(protocol as 'tcp' | 'udp' | 'icmp');
      byPorts.set(k, entry);
    }
    const rule = g.decision.rule;
    const before = rule && !rule.implicit && file.ruleSets.includes(g.ruleSet) ? rule : undefined;
    for (const { protocols, ports } of byPorts.values()) {
      out.push({
        file,
        ruleSet: g.ruleSet,
        direction: check.direction,
        protocols: protocols.sort(),
        ports: protocols.includes('icmp') ? [] : ports.ranges.map((r) => ({ from: r.from, to: r.to })),
        source: g.source,
        destination: g.destination,
        name: ['Allow', 'Citrix', ...service.split('-'), check.direction === 'outbound' ? 'to' : 'from', ...peer.split('-')].join('-'),
        comment: `${check.flow.id}: ${flowInWords(catalog, check.flow, protocols)}`,
        before,
      });
    }
  }
  return out;
}

/** A line comment `citrix-flow-lint-disable-next-line <id>` above the finding's line, at its indentation. */
function disableFix(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions): CodeFix | undefined {
  const file = analysis.files.find((f) => f.uri === finding.uri);
  const isTopology = !file && analysis.topology.uri === finding.uri;
  const text = file?.text ?? (isTopology ? options.textOf?.(finding.uri) : undefined);
  if (text === undefined) return undefined;
  const format: FormatId | 'citrix-flows' = file?.format ?? 'citrix-flows';
  // Above the deciding rule when the finding sits on a token inside it: a comment in the middle of a block
  // (between an ARM rule's properties) would be out of place.
  const at = finding.decidingRule?.uri === finding.uri ? finding.decidingRule.span.start : finding.span.start;
  const start = lineStartAt(text, at);
  const line = commentLine(format, `citrix-flow-lint-disable-next-line ${finding.checkId}`, indentAt(text, at), { uri: finding.uri, text });
  const title = checkById(finding.checkId)?.title ?? finding.checkId;
  return { title: `Disable ${finding.checkId} (${title}) for this line`, kind: 'quickfix', checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start, end: start }, newText: `${line}${eolOf(text)}` }] };
}

/** Replaces exactly the text of one field (a port, an address list); nothing around it. */
export function replaceFieldText(uri: string, span: Span, newText: string): TextEdit {
  return { uri, span, newText };
}

/** `citrix-role: <id>` in the format's comment syntax, on its own line above the rule set's first line. */
export function addAnnotation(file: ParsedFile, ruleSet: RuleSet, roleId: string): TextEdit {
  const start = lineStartAt(file.text, ruleSet.span.start);
  const line = commentLine(file.format, `citrix-role: ${roleId}`, indentAt(file.text, ruleSet.span.start), file);
  return { uri: file.uri, span: { start, end: start }, newText: `${line}${eolOf(file.text)}` };
}

function ruleOf(file: ParsedFile, data: Readonly<Record<string, unknown>>, finding: Finding) {
  const rs = ruleSetOf(file, data.ruleSetId);
  const ruleId = typeof data.ruleId === 'string' ? data.ruleId : finding.decidingRule?.ruleId;
  const sets = rs ? [rs] : file.ruleSets;
  for (const s of sets) {
    const rule = s.rules.find((r) => r.id === ruleId) ?? Object.values(s.chains ?? {}).flat().find((r) => r.id === ruleId);
    if (rule) return rule;
  }
  return undefined;
}

/**
 * insecure-variant: data `{ ruleSetId, ruleId, insecurePort, securePort }`.
 * Only the insecure port number inside the rule's destination-port field is
 * replaced (each whole occurrence, not one inside a range); the other ports
 * of the field stay as written.
 */
function securePortFix(finding: Finding, file: ParsedFile): CodeFix | undefined {
  const data = finding.data ?? {};
  const secure = Number(data.securePort);
  const insecure = Number(data.insecurePort);
  if (!Number.isInteger(secure) || !Number.isInteger(insecure)) return undefined;
  const rule = ruleOf(file, data, finding);
  const span = rule?.destinationPorts.span;
  if (!rule || !span) return undefined;
  const fieldText = file.text.slice(span.start, span.end);
  const edits: TextEdit[] = [];
  const needle = String(insecure);
  for (let i = fieldText.indexOf(needle); i >= 0; i = fieldText.indexOf(needle, i + 1)) {
    const before = fieldText[i - 1] ?? '';
    const after = fieldText[i + needle.length] ?? '';
    // A whole port number, not part of a range (`80-90`) or of a longer number.
    if (/[0-9]/.test(before) || /[0-9]/.test(after) || before === '-' || after === '-' || before === ':' || after === ':') continue;
    edits.push(replaceFieldText(file.uri, { start: span.start + i, end: span.start + i + needle.length }, String(secure)));
  }
  if (edits.length === 0) return undefined;
  return { title: `Use port ${secure} instead of ${insecure}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits };
}

/**
 * exposed-to-internet: data `{ ruleSetId, ruleId, narrowTo: string[] }`.
 * The source field's text is replaced in its own shape: one quoted value
 * keeps its quotes; a list becomes a list in the same quote style. Several
 * addresses cannot go into a single-value field without renaming the
 * attribute, which this fix does not do.
 */
function narrowSourceFix(finding: Finding, file: ParsedFile): CodeFix | undefined {
  const data = finding.data ?? {};
  const narrowTo = Array.isArray(data.narrowTo) ? data.narrowTo.filter((x): x is string => typeof x === 'string') : [];
  if (narrowTo.length === 0) return undefined;
  const rule = ruleOf(file, data, finding);
  const span = rule?.source.span;
  if (!rule || !span) return undefined;
  const text = file.text.slice(span.start, span.end);
  const quote = /^\s*\[?\s*(['"])/.exec(text)?.[1] ?? (file.format === 'bicep' ? "'" : file.format === 'terraform' || file.format === 'arm' ? '"' : '');
  let newText: string;
  if (text.trimStart().startsWith('[')) {
    const multiline = text.includes('\n');
    const sep = file.format === 'bicep' ? (multiline ? '\n' : ' ') : ', ';
    newText = `[${narrowTo.map((a) => `${quote}${a}${quote}`).join(sep)}]`;
  } else if (narrowTo.length === 1) newText = `${quote}${narrowTo[0]}${quote}`;
  else return undefined;
  return { title: `Narrow source to ${narrowTo.join(', ')}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [replaceFieldText(file.uri, span, newText)] };
}
