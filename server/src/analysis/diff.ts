import type { Catalog } from '../catalog';
import { LineIndex, type ParsedFile, type Rule, type RuleSet, type Span } from '../model';
import type { WorkspaceAnalysis } from './analyze';
import { fingerprint } from './baseline';
import { decidingRuleInWords, flowInWords } from './describe';
import type { Verdict } from './evaluate';
import type { Finding } from './findings';
import { ruleFile } from './link';
import type { RequiredFlowCheck } from './required';

/**
 * What a change does to the site: the same workspace analysed before and
 * after, compared by what reviewers ask about — required flows it newly
 * blocks or newly allows, ports it newly exposes to the Internet, rules it
 * newly shadows.
 */
export interface DiffSide {
  readonly analysis: WorkspaceAnalysis;
  readonly texts: ReadonlyMap<string, string>;
  /** The file's path relative to the side's root, the same on both sides for the same file. */
  readonly relativePath: (uri: string) => string;
}

export interface Place {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface FlowChange extends Place {
  readonly flowId: string;
  readonly role: string;
  readonly peerRole: string;
  readonly direction: string;
  readonly protocols: readonly string[];
  /** `Delivery Controller → Virtual Delivery Agent (VDA), TCP 80 (…)` */
  readonly flow: string;
  readonly ruleSet: string;
  /** `absent` when the rule set is new. */
  readonly before: Verdict | 'absent';
  readonly after: Verdict;
  /** The rule (or default) that decides after the change, in words. */
  readonly decidedBy: string;
}

export interface FindingChange extends Place {
  readonly checkId: string;
  readonly message: string;
}

export interface AnalysisDiff {
  readonly blocked: readonly FlowChange[];
  readonly allowed: readonly FlowChange[];
  readonly exposed: readonly FindingChange[];
  readonly shadowed: readonly FindingChange[];
  /** Required flow checks after the change, for "nothing changed among N". */
  readonly compared: number;
}

export function diffAnalyses(base: DiffSide, head: DiffSide, catalog: Catalog): AnalysisDiff {
  const before = new Map<string, RequiredFlowCheck>();
  for (const c of base.analysis.required) before.set(requiredKey(c, base), c);
  const at = placer(head);
  const blocked: FlowChange[] = [];
  const allowed: FlowChange[] = [];
  for (const c of head.analysis.required) {
    const old = before.get(requiredKey(c, head));
    const was: Verdict | 'absent' = old ? old.result.verdict : 'absent';
    const now = c.result.verdict;
    // "Unknown" before is not "allowed": a flow that is now definitely denied is news, one that became partly open is not.
    const newlyBlocked = (now === 'denied' && was !== 'denied') || (now === 'partial' && (was === 'allowed' || was === 'absent'));
    const newlyAllowed = now === 'allowed' && (was === 'denied' || was === 'partial');
    if (!newlyBlocked && !newlyAllowed) continue;
    const change = flowChange(c, was, head, catalog, at);
    (newlyBlocked ? blocked : allowed).push(change);
  }
  return {
    blocked: blocked.sort(byPlace),
    allowed: allowed.sort(byPlace),
    exposed: newFindings('exposed-to-internet', base, head),
    shadowed: newFindings('shadowed-rule', base, head),
    compared: head.analysis.required.length,
  };
}

export function isEmptyDiff(diff: AnalysisDiff): boolean {
  return diff.blocked.length + diff.allowed.length + diff.exposed.length + diff.shadowed.length === 0;
}

function requiredKey(c: RequiredFlowCheck, side: DiffSide): string {
  return [c.flow.id, c.role, c.peerRole, c.direction, side.relativePath(c.bound.file.uri), c.bound.ruleSet.id].join('\u0000');
}

function flowChange(c: RequiredFlowCheck, was: Verdict | 'absent', head: DiffSide, catalog: Catalog, at: (uri: string, span: Span) => Place): FlowChange {
  const now = c.result.verdict;
  const decision = now === 'allowed' ? c.result.decisions.find((d) => d.outcome === 'allow') : c.result.decisions.find((d) => d.outcome === 'deny');
  const owner = c.bound.file;
  const rule: Rule | undefined = decision?.rule && !decision.rule.implicit ? decision.rule : undefined;
  const ruleSet: RuleSet = decision?.ruleSet ?? c.bound.ruleSet;
  const file: ParsedFile = rule ? ruleFile(rule, owner, head.analysis.files) : owner;
  const span = rule ? rule.span : (ruleSet.nameSpan ?? ruleSet.span);
  return {
    flowId: c.flow.id,
    role: c.role,
    peerRole: c.peerRole,
    direction: c.direction,
    protocols: c.protocols,
    flow: flowInWords(catalog, c.flow, c.protocols),
    ruleSet: c.bound.ruleSet.name,
    before: was,
    after: now,
    decidedBy: decision ? decidingRuleInWords(file, decision.ruleSet, decision.rule) : 'the rules',
    ...at(file.uri, span),
  };
}

/**
 * Findings of one check after the change that were not there before. A
 * finding is known by its fingerprint and the text it points at, so a rule
 * that only moved is not new, and two shadowed rules in one rule set are
 * told apart.
 */
function newFindings(checkId: string, base: DiffSide, head: DiffSide): FindingChange[] {
  const key = (side: DiffSide, f: Finding): string => `${fingerprint(f, side.relativePath(f.uri))}\u0000${(side.texts.get(f.uri) ?? '').slice(f.span.start, f.span.end).replace(/\s+/g, ' ').trim()}`;
  const left = new Map<string, number>();
  for (const f of base.analysis.findings) if (f.checkId === checkId) left.set(key(base, f), (left.get(key(base, f)) ?? 0) + 1);
  const at = placer(head);
  const out: FindingChange[] = [];
  for (const f of head.analysis.findings) {
    if (f.checkId !== checkId) continue;
    const k = key(head, f);
    const n = left.get(k) ?? 0;
    if (n > 0) {
      left.set(k, n - 1);
      continue;
    }
    out.push({ checkId, message: f.message, ...at(f.uri, f.span) });
  }
  return out.sort(byPlace);
}

function placer(side: DiffSide): (uri: string, span: Span) => Place {
  const indexes = new Map<string, LineIndex>();
  return (uri, span) => {
    let index = indexes.get(uri);
    if (!index) indexes.set(uri, (index = LineIndex.of(side.texts.get(uri) ?? '')));
    const p = index.positionAt(span.start);
    return { file: side.relativePath(uri), line: p.line + 1, column: p.character + 1 };
  };
}

function byPlace(a: Place, b: Place): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}
