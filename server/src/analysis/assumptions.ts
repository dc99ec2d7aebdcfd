import type { Catalog } from '../catalog';
import type { Span } from '../model';
import { guessInWords, type AssumedPeer, type BoundRuleSet, type InferredAddresses, type SiteInference } from '../topology';
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

/** `Delivery Controller at 10.0.3.10/31, from the variable "delivery_controller_ips" (variables.tf)`. */
export function addressAssumption(catalog: Catalog, inferred: InferredAddresses): Assumption {
  const name = catalog.roleById(inferred.role)?.name ?? inferred.role;
  const first = inferred.evidence[0];
  const file = decodeURIComponent(first.uri.slice(first.uri.lastIndexOf('/') + 1));
  const what = first.kind === 'rule' ? `the rule "${first.name}"` : `the ${first.kind} "${first.name}"${first.valueFrom ? ` (value from ${first.valueFrom})` : ''}`;
  const more = inferred.evidence.length > 1 ? ` and ${inferred.evidence.length - 1} more` : '';
  return {
    kind: 'peer',
    role: inferred.role,
    text: `${name} at ${inferred.addresses.toString()}, from ${what} in ${file}${more}`,
    evidence: { kind: first.kind, text: first.name, uri: first.uri, span: first.span },
  };
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
  if (!site || (!site.bindings.length && !site.peers.length && !site.addresses?.length)) return findings as T[];
  const inferredById = new Map<string, BoundRuleSet[]>();
  for (const b of bound) if (b.via === 'inferred') inferredById.set(b.ruleSet.id, [...(inferredById.get(b.ruleSet.id) ?? []), b]);
  const peers = new Map<string, Assumption>(site.peers.map((p) => [p.role, peerAssumption(catalog, p)]));
  // Read from names for one folder: a finding in a file there rests on those addresses, elsewhere on "any address".
  for (const a of site.addresses ?? []) peers.set(`${a.role}\u0000${a.folder}`, addressAssumption(catalog, a));
  return findings.map((f) => {
    const memo = annotated.get(f);
    if (memo && memo.site === site) return memo.out as T;
    const assumptions = assumptionsOf(f, inferredById, peers, catalog);
    const out = assumptions.length ? ({ ...f, message: `${f.message}${assumptionClause(assumptions)}`, assumptions } as T) : f;
    annotated.set(f, { site, out });
    return out;
  });
}

function assumptionsOf(f: RawFinding, inferredById: ReadonlyMap<string, BoundRuleSet[]>, peers: ReadonlyMap<string, Assumption>, catalog: Catalog): Assumption[] {
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
  const peer = peerRole ? (peers.get(`${peerRole}\u0000${f.uri.slice(0, f.uri.lastIndexOf('/') + 1)}`) ?? peers.get(peerRole)) : undefined;
  if (peer && (f.checkId === 'missing-flow' || f.checkId === 'partial-flow' || f.checkId === 'edt-needs-udp' || f.checkId === 'unresolved-value')) out.push(peer);
  return out;
}
