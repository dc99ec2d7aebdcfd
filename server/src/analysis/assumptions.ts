import type { Catalog } from '../catalog';
import type { Span } from '../model';
import { guessInWords, type AssumedPeer, type BoundRuleSet, type SiteInference } from '../topology';
import type { Finding } from './findings';

/** Something a finding rests on that nobody declared: a role inferred for its rule set, or a peer every site has. */
export interface Assumption {
  readonly kind: 'role' | 'peer';
  readonly role: string;
  /** "VDA, from the name "vda-inbound-rules"", "Delivery Controller or Cloud Connector, not declared". */
  readonly text: string;
  readonly confidence?: 'high' | 'medium' | 'low';
  /** Where the strongest clue is written, for role assumptions. */
  readonly evidence?: { readonly kind: string; readonly text: string; readonly uri: string; readonly span?: Span };
  readonly ruleSetId?: string;
}

type RawFinding = Omit<Finding, 'severity'> & { severity?: Finding['severity'] };

export function roleAssumption(catalog: Catalog, bound: BoundRuleSet, role: string): Assumption | undefined {
  const inferred = bound.inferred;
  if (!inferred) return undefined;
  const guess = inferred.guesses.find((g) => g.role === role) ?? inferred.guesses.find((g) => g.confidence === 'high');
  const best = guess?.evidence.find((e) => e.kind !== 'opens' && e.kind !== 'rule-name') ?? guess?.evidence[0];
  const name = catalog.roleById(role)?.name ?? role;
  return {
    kind: 'role',
    role,
    text: guess ? `${name}, from ${guessInWords(guess)}` : name,
    ...(guess ? { confidence: guess.confidence } : {}),
    ...(best ? { evidence: { kind: best.kind, text: best.text, uri: best.uri, ...(best.span ? { span: best.span } : {}) } } : {}),
    ruleSetId: bound.ruleSet.id,
  };
}

export function peerAssumption(catalog: Catalog, peer: AssumedPeer): Assumption {
  const names = [peer.role, ...peer.alternatives].map((r) => (r === 'any-citrix-component' ? 'Citrix components' : catalog.roleById(r)?.name ?? r));
  return { kind: 'peer', role: peer.role, text: `${names.join(' or ')} not declared, so checked against any address` };
}

/** The one clause a finding's message gets for its assumptions. */
export function assumptionClause(assumptions: readonly Assumption[]): string {
  if (!assumptions.length) return '';
  return ` Assumed: ${assumptions.map((a) => a.text).join('; ')}.`;
}

const annotated = new WeakMap<RawFinding, { site: SiteInference; out: RawFinding }>();

/**
 * Every finding that depends on an inference says so, in its data and in
 * one clause at the end of its message; the only place messages change, so
 * a check's own wording can change freely.
 */
export function withAssumptions<T extends RawFinding>(findings: readonly T[], bound: readonly BoundRuleSet[], site: SiteInference | undefined, catalog: Catalog): T[] {
  if (!site || (!site.bindings.length && !site.peers.length)) return findings as T[];
  const inferredById = new Map<string, BoundRuleSet[]>();
  for (const b of bound) if (b.via === 'inferred') inferredById.set(b.ruleSet.id, [...(inferredById.get(b.ruleSet.id) ?? []), b]);
  const peers = new Map(site.peers.map((p) => [p.role, p]));
  return findings.map((f) => {
    const memo = annotated.get(f);
    if (memo && memo.site === site) return memo.out as T;
    const assumptions = assumptionsOf(f, inferredById, peers, catalog);
    const out = assumptions.length ? ({ ...f, message: `${f.message}${assumptionClause(assumptions)}`, assumptions } as T) : f;
    annotated.set(f, { site, out });
    return out;
  });
}

function assumptionsOf(f: RawFinding, inferredById: ReadonlyMap<string, BoundRuleSet[]>, peers: ReadonlyMap<string, AssumedPeer>, catalog: Catalog): Assumption[] {
  const data = f.data ?? {};
  const out: Assumption[] = [];
  const ruleSetId = typeof data.ruleSetId === 'string' ? data.ruleSetId : undefined;
  const roles = typeof data.role === 'string' ? [data.role] : Array.isArray(data.roles) ? (data.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  if (ruleSetId && roles.length) {
    const candidates = inferredById.get(ruleSetId) ?? [];
    const b = candidates.find((c) => c.file.uri === f.uri) ?? candidates[0];
    if (b) for (const role of roles) if (b.roles.includes(role)) {
      const a = roleAssumption(catalog, b, role);
      if (a) out.push(a);
    }
  }
  const peerRole = typeof data.peerRole === 'string' ? data.peerRole : undefined;
  const peer = peerRole ? peers.get(peerRole) : undefined;
  if (peer && (f.checkId === 'missing-flow' || f.checkId === 'partial-flow' || f.checkId === 'edt-needs-udp' || f.checkId === 'unresolved-value')) out.push(peerAssumption(catalog, peer));
  return out;
}
