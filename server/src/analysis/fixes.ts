import { loadCatalog } from '../catalog';
import { templateStyle } from '../formats/cloudformation/style';
import type { ParsedFile, RuleSet, Span } from '../model';
import type { AllowRuleRequest, TextEdit } from '../model/edits';
import { AddressSet, Ports, TCP, UDP, ICMP, type PortSet } from '../net';
import { commentLeaderOf, emitterFor } from '../formats/emitters';
import { disableForLineEdit } from './disableEdit';
import { eolOf, indentAt, lineStartAt } from '../formats/emitSupport';
import { checkById } from './checks';
import { flowInWords, roleName } from './describe';
import { fixComment } from './fixComment';
import type { Decision } from './evaluate';
import type { Finding } from './findings';
import type { WorkspaceAnalysis } from './analyze';
import type { RequiredFlowCheck } from './required';

/**
 * `source.fixAll` is run by VS Code for every provider on save when a user
 * has `"editor.codeActionsOnSave": { "source.fixAll": … }` (common for
 * ESLint), with no prompt: only fixes that can never open a port get it.
 * Allowing missing flows is a source action of its own, asked for by name.
 */
export const FIX_ALL_KIND = 'source.fixAll.citrix-flow-lint';
export const ALLOW_MISSING_FLOWS_KIND = 'source.citrix-flow-lint.allowMissingFlows';

export interface CodeFix {
  readonly title: string;
  readonly kind: 'quickfix' | typeof FIX_ALL_KIND | typeof ALLOW_MISSING_FLOWS_KIND;
  readonly isPreferred?: boolean;
  readonly edits: TextEdit[];
  readonly checkId: string;
}

export interface FixOptions {
  /**
   * Asked for a source action of the whole file: the "all missing flows" fix
   * gets ALLOW_MISSING_FLOWS_KIND, the harmless fixes (alias → role id,
   * remove an unused suppression) FIX_ALL_KIND.
   */
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
      // An alias names the same role by another word: writing its id changes nothing the analysis sees. A did-you-mean is a guess, so never fix-all.
      const alias = data.problem === 'role-alias';
      fixes.push({ title: `Change to "${data.suggestion}"`, kind: alias && options.all ? FIX_ALL_KIND : 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [{ uri: finding.uri, span: finding.span, newText: data.suggestion }] });
    } else if (finding.checkId === 'unused-suppression' && file) {
      const fix = removeUnusedSuppression(finding, file.text, options);
      if (fix) fixes.push(fix);
    } else if (finding.checkId === 'unused-suppression' && options.textOf) {
      const text = options.textOf(finding.uri);
      const fix = text === undefined ? undefined : removeUnusedSuppression(finding, text, options);
      if (fix) fixes.push(fix);
    } else if (finding.checkId === 'insecure-variant' && file) {
      const fix = securePortFix(finding, file);
      if (fix) fixes.push(fix);
    } else if (finding.checkId === 'exposed-to-internet' && file) {
      const fix = narrowSourceFix(finding, file);
      if (fix) fixes.push(fix);
    }
    const declare = declareFix(finding, analysis);
    if (declare) fixes.push(declare);
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
          kind: options.all ? ALLOW_MISSING_FLOWS_KIND : 'quickfix',
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
    const key = `${d.ruleSet.id}|${d.rule?.id ?? ''}|${d.reply ? 'reply' : ''}|${d.part.source.toString()}|${d.part.destination.toString()}`;
    const g = groups.get(key) ?? { ruleSet: d.ruleSet, decision: d, source: d.part.source, destination: d.part.destination, ports: new Map<string, PortSet>() };
    g.ports.set(p.protocol, (g.ports.get(p.protocol) ?? Ports.none()).union(p.ports));
    groups.set(key, g);
  }
  const catalog = loadCatalog();
  const file = check.bound.file;
  const out: AllowRuleRequest[] = [];
  const peer = check.peerRole;
  // A peer without declared addresses was checked against any address; the rule that lets it in names a placeholder, never "any".
  const placeholder = check.peerKnown ? undefined : AddressSet.symbol('variable', `role:${peer}`);
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
    const source = check.direction === 'outbound' ? protectedSide(g.ruleSet, check.direction, g.source) : g.source;
    const destination = check.direction === 'inbound' ? protectedSide(g.ruleSet, check.direction, g.destination) : g.destination;
    for (const { protocols, ports } of byPorts.values()) {
      out.push({
        file,
        ruleSet: g.ruleSet,
        direction: check.direction,
        protocols: protocols.sort(),
        ports: protocols.includes('icmp') ? [] : ports.ranges.map((r) => ({ from: r.from, to: r.to })),
        source: placeholder && check.direction !== 'outbound' ? placeholder : source,
        destination: placeholder && check.direction === 'outbound' ? placeholder : destination,
        name: ['Allow', 'Citrix', ...service.split('-'), check.direction === 'outbound' ? 'to' : 'from', ...peer.split('-')].join('-'),
        comment: `${fixComment(catalog, check.flow, protocols, protocols.includes('icmp') ? [] : ports.ranges)}${g.decision.reply ? ' (its replies)' : ''}`,
        before,
        ...(g.decision.reply ? { reply: true } : {}),
      });
    }
  }
  return out;
}

/** Rule sets that filter for the hosts they sit on (or in front of), where "any" on the protected side means "the hosts this rule set protects". */
const HOST_STYLE_KINDS = /^(?:azure-nsg|iptables-chain|nftables-chain|windows-firewall)/;

/**
 * The protected side of a new rule (the destination of an inbound rule, the
 * source of an outbound one), in the style of the rules the user wrote for
 * that direction: open (`destination_address_prefix = "*"`, no `-d` in a
 * host's INPUT chain) when they all leave it open; else only the part of the
 * role they name, so one pool's NSG does not list every VDA subnet of the
 * site. Rules that cannot match a new connection (`ct state established`,
 * `-i lo`) are not examples of style; with none left, a host's own chain
 * writes no address for itself. Rule sets between networks (ASA,
 * FORWARD) keep the addresses as evaluated.
 */
function protectedSide(ruleSet: RuleSet, direction: string, part: AddressSet): AddressSet {
  if (direction !== 'inbound' && direction !== 'outbound') return part;
  if (!HOST_STYLE_KINDS.test(ruleSet.kind) && ruleSet.meta?.resourceType !== 'azurerm_network_security_group') return part;
  const examples = [...ruleSet.rules, ...Object.values(ruleSet.chains ?? {}).flat()]
    .filter((r) => !r.implicit && r.direction === direction && r.target.kind === 'allow' && !r.conditions.some((c) => c.effect === 'never-matches-new'))
    .map((r) => (direction === 'inbound' ? r.destination : r.source).value);
  // Nothing to follow: a host's own chain protects the host itself, so it needs no address of its own; an NSG keeps the role's part.
  if (examples.length === 0) return /^(?:iptables-chain|nftables-chain|windows-firewall)/.test(ruleSet.kind) ? AddressSet.any() : part;
  if (examples.every((a) => a.isAny)) return AddressSet.any();
  let named = AddressSet.none();
  for (const a of examples) if (a.isConcrete && !a.isAny) named = named.union(a);
  const narrowed = part.intersect(named);
  return narrowed.isEmpty ? part : narrowed;
}

/** A line comment `citrix-flow-lint-disable-next-line <id>` above the finding's line, at its indentation. */
function disableFix(finding: Finding, analysis: WorkspaceAnalysis, options: FixOptions): CodeFix | undefined {
  const file = analysis.files.find((f) => f.uri === finding.uri);
  const isTopology = !file && analysis.topology.uri === finding.uri;
  const text = file?.text ?? (isTopology ? options.textOf?.(finding.uri) : undefined);
  if (text === undefined) return undefined;
  const edit = disableForLineEdit({ uri: finding.uri, text, comments: file?.comments, format: file?.format ?? 'citrix-flows' }, finding);
  if (!edit) return undefined;
  const title = checkById(finding.checkId)?.title ?? finding.checkId;
  return { title: `Disable ${finding.checkId} (${title}) for this line`, kind: 'quickfix', checkId: finding.checkId, edits: [edit] };
}

const isSpan = (v: unknown): v is Span => !!v && typeof v === 'object' && Number.isInteger((v as Span).start) && Number.isInteger((v as Span).end);

/**
 * unused-suppression: data `{ checkId, comment, directive, ids }` (`ids`:
 * this id and the comment's ids still in use). Removes the
 * id (and one separator next to it); when it is the comment's only id and
 * the comment holds nothing but the directive and its reason, the whole
 * comment, with its line when it stands alone. Removing a suppression that
 * suppresses nothing cannot change a finding, so it is safe for fix-all.
 */
function removeUnusedSuppression(finding: Finding, text: string, options: FixOptions): CodeFix | undefined {
  const data = finding.data ?? {};
  const comment = data.comment;
  const directive = data.directive;
  if (!isSpan(comment) || !isSpan(directive) || typeof data.ids !== 'number') return undefined;
  const id = finding.span;
  if (text.slice(id.start, id.end) !== data.checkId) return undefined;
  const kind = options.all ? FIX_ALL_KIND : 'quickfix';
  const title = `Remove the unused suppression of ${String(data.checkId)}`;
  if (data.ids > 1) {
    const after = /^\s*,\s*|^[ \t]+/.exec(text.slice(id.end, comment.end));
    if (after) return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: id.start, end: id.end + after[0].length }, newText: '' }] };
    const before = /(?:\s*,\s*|[ \t]+)$/.exec(text.slice(directive.end, id.start));
    if (!before) return undefined;
    return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: id.start - before[0].length, end: id.end }, newText: '' }] };
  }
  // Only leader characters, the directive, unused check ids and a `-- reason` may be in the comment; anything else is someone's text.
  const leader = text.slice(comment.start, directive.start).replace(/^\s*(?:#|\/\/|\/\*|!|;|REM\b|rem\b|::|<#)/, '');
  const tail = text.slice(directive.end, comment.end).replace(/(?:\*\/|#>)\s*$/, '');
  const reasonAt = tail.search(/(?:^|\s)--/);
  const ids = (reasonAt < 0 ? tail : tail.slice(0, reasonAt)).split(/[\s,]+/).filter(Boolean);
  if (/[A-Za-z0-9]/.test(leader) || !ids.includes(String(data.checkId)) || !ids.every((i) => checkById(i))) return undefined;
  const lineStart = lineStartAt(text, comment.start);
  let lineEnd = comment.end;
  while (lineEnd < text.length && (text[lineEnd] === ' ' || text[lineEnd] === '\t')) lineEnd++;
  const alone = /^[ \t]*$/.test(text.slice(lineStart, comment.start)) && (lineEnd === text.length || text[lineEnd] === '\n' || text[lineEnd] === '\r');
  if (alone) {
    const eol = text.startsWith('\r\n', lineEnd) ? 2 : lineEnd < text.length ? 1 : 0;
    return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start: lineStart, end: lineEnd + eol }, newText: '' }] };
  }
  let start = comment.start;
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { title, kind, checkId: finding.checkId, edits: [{ uri: finding.uri, span: { start, end: comment.end }, newText: '' }] };
}

/** Replaces exactly the text of one field (a port, an address list); nothing around it. */
export function replaceFieldText(uri: string, span: Span, newText: string): TextEdit {
  return { uri, span, newText };
}

/**
 * "Declare this rule set as VDA": a finding that rests on an inferred role
 * gets the annotation that turns the assumption into a declaration, so the
 * finding stays and its "Assumed" clause goes.
 */
function declareFix(finding: Finding, analysis: WorkspaceAnalysis): CodeFix | undefined {
  const role = finding.assumptions?.find((a) => a.kind === 'role');
  if (!role?.ruleSetId) return undefined;
  const declared = declareRuleSet(analysis, finding.uri, role.ruleSetId);
  return declared ? { title: declared.title, kind: 'quickfix', checkId: finding.checkId, edits: [declared.edit] } : undefined;
}

/** The annotation that declares an inferred rule set with the roles it was assumed to protect; undefined when nothing was inferred there. */
export function declareRuleSet(analysis: WorkspaceAnalysis, uri: string, ruleSetId: string): { title: string; edit: TextEdit; roles: readonly string[] } | undefined {
  const bound = analysis.binding.bound.find((b) => b.via === 'inferred' && b.ruleSet.id === ruleSetId && (b.file.uri === uri || b.ruleSet.nameSpan !== undefined));
  if (!bound) return undefined;
  const file = analysis.files.find((f) => f.uri === bound.file.uri) ?? bound.file;
  // A file that takes no comment (a JSON template) is declared in citrix-flows.yaml instead.
  if (commentLeaderOf(file.format, file) === undefined) return undefined;
  const ruleSet = file.ruleSets.find((rs) => rs.id === ruleSetId) ?? bound.ruleSet;
  const catalog = loadCatalog();
  return {
    title: `Declare this rule set as ${bound.roles.map((r) => roleName(catalog, r)).join(' and ')}`,
    edit: addAnnotation(file, ruleSet, bound.roles.join(', ')),
    roles: bound.roles,
  };
}

/** `citrix-role: <id>` above the rule set, for a file that takes comments (`commentLeaderOf(format, file)`). */
export function addAnnotation(file: ParsedFile, ruleSet: RuleSet, roleId: string): TextEdit {
  const start = lineStartAt(file.text, ruleSet.span.start);
  const line = `${indentAt(file.text, ruleSet.span.start)}${commentLeaderOf(file.format, file) ?? commentLeaderOf(file.format)} citrix-role: ${roleId}`;
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
  const quote = /^\s*\[?\s*(['"])/.exec(text)?.[1] ?? (file.format === 'bicep' ? "'" : file.format === 'terraform' || file.format === 'arm' || (file.format === 'cloudformation' && templateStyle(file.text) === 'json') ? '"' : '');
  let newText: string;
  if (text.trimStart().startsWith('[')) {
    const multiline = text.includes('\n');
    const sep = file.format === 'bicep' ? (multiline ? '\n' : ' ') : ', ';
    newText = `[${narrowTo.map((a) => `${quote}${a}${quote}`).join(sep)}]`;
  } else if (narrowTo.length === 1) newText = `${quote}${narrowTo[0]}${quote}`;
  else return undefined;
  return { title: `Narrow source to ${narrowTo.join(', ')}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [replaceFieldText(file.uri, span, newText)] };
}
