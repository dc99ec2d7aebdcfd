import type { WorkspaceAnalysis } from '../analysis/analyze';
import type { Verdict } from '../analysis/evaluate';
import type { RequiredFlowCheck } from '../analysis/required';
import { decidingRuleInWords, flowInWords, shortRoleName as shortRole } from '../analysis/describe';
import { addressesInWords } from '../analysis/checks/pieceWords';
import type { Catalog } from '../catalog';
import type { RuleSet, Span } from '../model';

export const STATUS_MARK: Readonly<Record<Verdict, string>> = { allowed: '✓', denied: '✗', partial: '◐', unknown: '?' };
export const STATUS_WORD: Readonly<Record<Verdict, string>> = { allowed: 'allowed', denied: 'blocked', partial: 'partly allowed', unknown: 'unknown' };

/** One required flow as a list shows it: a quick pick, a hover line, the flow map. */
export interface RequiredFlowItem {
  readonly flowId: string;
  readonly role: string;
  readonly peerRole: string;
  /** As the protected role sees it. */
  readonly side: 'inbound' | 'outbound';
  readonly status: Verdict;
  readonly label: string;
  readonly ruleSet: string;
  readonly uri: string;
  /** Where to go to see why: the deciding rule, else the rule set. */
  readonly span: Span;
  readonly decidedBy?: string;
  /** How an allowed flow is allowed when a side's addresses were not declared: `from 10.20.0.0/24 (user device addresses not declared)`. */
  readonly assumption?: string;
}

export function sideOf(check: RequiredFlowCheck): 'inbound' | 'outbound' {
  if (check.direction === 'inbound' || check.direction === 'outbound') return check.direction;
  return check.flow.destination === check.role ? 'inbound' : 'outbound';
}

/** `VDA` for "Virtual Delivery Agent (VDA)", the whole name otherwise: lens titles stay short but never lose a product's name. */
export function shortRoleName(catalog: Catalog, roleId: string): string {
  return shortRole(catalog, roleId, { keepLongParenthesis: true });
}

/**
 * For a flow allowed from only some addresses of a side nobody declared:
 * where it is allowed from, and that the addresses were not declared.
 */
export function assumptionNote(catalog: Catalog, check: RequiredFlowCheck): string | undefined {
  if (check.result.verdict !== 'allowed') return undefined;
  const piece = check.judgement.pieces.find((p) => p.assumed);
  if (!piece?.assumed) return undefined;
  const inbound = sideOf(check) === 'inbound';
  const words = addressesInWords(piece.assumed.allowedFrom);
  if (piece.assumed.side === 'peer') return `${inbound ? 'from' : 'to'} ${words} (${shortRole(catalog, check.peerRole).toLowerCase()} addresses not declared)`;
  return `${inbound ? 'to' : 'from'} ${words} (this host's own addresses not declared)`;
}

export function itemFor(catalog: Catalog, check: RequiredFlowCheck): RequiredFlowItem {
  const file = check.bound.file;
  const deciding = check.result.decidingRules.find((r) => !r.implicit && file.ruleSets.some((rs) => rs.rules.includes(r) || Object.values(rs.chains ?? {}).some((c) => c.includes(r))));
  const decision = check.result.decisions.find((d) => d.rule === check.result.decidingRules[0]) ?? check.result.decisions[0];
  const status = check.result.verdict;
  return {
    flowId: check.flow.id,
    role: check.role,
    peerRole: check.peerRole,
    side: sideOf(check),
    status,
    label: flowInWords(catalog, check.flow, check.protocols),
    ruleSet: check.bound.ruleSet.name,
    uri: file.uri,
    span: deciding?.span ?? check.bound.ruleSet.nameSpan ?? check.bound.ruleSet.span,
    decidedBy: decision ? decidingRuleInWords(file, decision.ruleSet, decision.rule) : undefined,
    assumption: assumptionNote(catalog, check),
  };
}

export interface RequiredFlowFilter {
  readonly role?: string;
  readonly uri?: string;
  readonly ruleSetId?: string;
}

export function requiredFlowItems(analysis: WorkspaceAnalysis, catalog: Catalog, filter: RequiredFlowFilter = {}): RequiredFlowItem[] {
  return analysis.required
    .filter((c) => (!filter.role || c.role === filter.role) && (!filter.uri || c.bound.file.uri === filter.uri) && (!filter.ruleSetId || c.bound.ruleSet.id === filter.ruleSetId))
    .map((c) => itemFor(catalog, c));
}

/** Roles that the workspace declares or binds, for the "Show required flows for role" picker. */
export function rolesInUse(analysis: WorkspaceAnalysis): string[] {
  const ids = new Set<string>(analysis.topology.roles.keys());
  for (const b of analysis.binding.bound) for (const r of b.roles) ids.add(r);
  return [...ids].sort();
}

export interface RoleTally {
  readonly role: string;
  readonly side: 'inbound' | 'outbound';
  readonly allowed: number;
  readonly total: number;
}

/** For one rule set and role: how many of its required flows per side are allowed. */
export function tallies(analysis: WorkspaceAnalysis, uri: string, ruleSet: RuleSet, role: string): RoleTally[] {
  const out: RoleTally[] = [];
  for (const side of ['inbound', 'outbound'] as const) {
    const checks = analysis.required.filter((c) => c.bound.file.uri === uri && c.bound.ruleSet.id === ruleSet.id && c.role === role && sideOf(c) === side);
    if (checks.length === 0) continue;
    out.push({ role, side, allowed: checks.filter((c) => c.result.verdict === 'allowed').length, total: checks.length });
  }
  return out;
}
