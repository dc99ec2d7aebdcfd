import { loadCatalog } from '../../../catalog';
import type { RuleSet } from '../../../model';
import type { AllowRuleRequest } from '../../../model/edits';
import { AddressSet, Ports, TCP, UDP, ICMP, type PortSet } from '../../../net';
import { emitterFor } from '../../../formats/emitters';
import { ALLOW_MISSING_FLOWS_KIND, type CodeFix, type FixBuilder, type FixContext } from '../../codeFix';
import { flowInWords, roleName } from '../../describe';
import { fixComment } from '../../fixComment';
import type { Decision } from '../../evaluate';
import type { Finding } from '../../findings';
import type { WorkspaceAnalysis } from '../../analyze';
import type { RequiredFlowCheck } from '../../required';

const PROTOCOL_NAMES: ReadonlyMap<number, 'tcp' | 'udp' | 'icmp'> = new Map([
  [TCP, 'tcp'],
  [UDP, 'udp'],
  [ICMP, 'icmp'],
]);

/** Builders made here (one per check, at load), with the protocol each is limited to, so a batch asks each sibling finding for its own part. */
const LIMITS = new Map<FixBuilder, 'udp' | undefined>();

/**
 * The fixes of the required-flow checks: allow the blocked part of the flow
 * in the file's own format, and allow every blocked flow of the same role
 * through the same rule set at once (priorities that do not collide). `only`
 * limits them to one protocol, for a check about EDT's UDP side.
 */
export function allowFlowFixes(only?: 'udp'): FixBuilder {
  const builder: FixBuilder = (finding, context) => flowFixes(finding, context, only);
  LIMITS.set(builder, only);
  return builder;
}

/** A finding of any required-flow check (missing, partial, EDT's UDP): one batch allows them all. */
function allowsFlows(finding: Finding, context: FixContext): boolean {
  const builder = context.builderOf(finding);
  return builder !== undefined && LIMITS.has(builder);
}

function onlyOf(finding: Finding, context: FixContext): 'udp' | undefined {
  const builder = context.builderOf(finding);
  return builder && LIMITS.get(builder);
}

/** The required-flow evaluation a finding was made from. */
export function checkOf(finding: Finding, analysis: WorkspaceAnalysis): RequiredFlowCheck | undefined {
  const d = finding.data ?? {};
  return analysis.required.find(
    (c) => c.bound.file.uri === finding.uri && c.flow.id === d.flowId && c.bound.ruleSet.id === d.ruleSetId && c.role === d.role && c.direction === d.direction,
  );
}

function flowFixes(finding: Finding, context: FixContext, only: 'udp' | undefined): CodeFix[] {
  const { analysis, options } = context;
  const check = checkOf(finding, analysis);
  if (!check) return [];
  const emitter = emitterFor(check.bound.file.format);
  if (!emitter) return [];
  const out: CodeFix[] = [];
  const catalog = loadCatalog();
  const requests = requestsFor(finding, check, only);
  if (requests.length) {
    const result = emitter(requests);
    if ('edits' in result && result.edits.length) {
      const protocols = only ? [only] : check.protocols;
      out.push({ title: `Allow ${flowInWords(catalog, check.flow, protocols)}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: result.edits });
    }
  }
  // Every blocked flow of the same role through the same rule set, in one edit with priorities that do not collide.
  const siblings = analysis.findings.filter(
    (f) => allowsFlows(f, context) && f.uri === finding.uri && f.data?.role === finding.data?.role && f.data?.ruleSetId === finding.data?.ruleSetId,
  );
  if (siblings.length > 1 || options.all) {
    const batch: AllowRuleRequest[] = [];
    const seen = new Set<string>();
    for (const f of siblings) {
      const c = checkOf(f, analysis);
      if (!c) continue;
      for (const r of requestsFor(f, c, onlyOf(f, context))) {
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
  // A flow and its replies through a stateless ACL ask for the same ports and peers, but for two different rules.
  return [r.ruleSet.id, r.direction, r.reply ? 'reply' : 'flow', r.protocols.join(','), r.ports.map((p) => `${p.from}-${p.to}`).join(','), r.source.toString(), r.destination.toString(), r.before?.id ?? ''].join('|');
}

interface Piece {
  readonly decision: Decision;
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly ports: PortSet;
}

/**
 * The rules that would let the blocked part of the flow through (only its
 * UDP part for a check about EDT's UDP side): for each
 * rule (or default) that denied a part, the protocols, ports and peer
 * addresses it denied, merged where that opens nothing more than asked.
 */
export function requestsFor(finding: Finding, check: RequiredFlowCheck, only?: 'udp'): AllowRuleRequest[] {
  const onlyUdp = only === 'udp';
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
  const style = protectedStyle(ruleSet, direction);
  // Nothing to follow: a host's own chain protects the host itself, so it needs no address of its own; an NSG keeps the role's part.
  if (style === 'no-examples') return /^(?:iptables-chain|nftables-chain|windows-firewall)/.test(ruleSet.kind) ? AddressSet.any() : part;
  if (style === 'open') return AddressSet.any();
  const narrowed = part.intersect(style);
  return narrowed.isEmpty ? part : narrowed;
}

// One batch asks this of the same rule set for every flow it allows; on a 50,000-rule chain the walk was most of a
// code action's time, so it is done once per parsed rule set and direction.
const protectedStyles = new WeakMap<RuleSet, Map<string, 'no-examples' | 'open' | AddressSet>>();

/** What the user's allow rules write on the protected side: nothing to follow, always "any", or the union of the concrete addresses they name. */
function protectedStyle(ruleSet: RuleSet, direction: 'inbound' | 'outbound'): 'no-examples' | 'open' | AddressSet {
  let byDirection = protectedStyles.get(ruleSet);
  if (!byDirection) protectedStyles.set(ruleSet, (byDirection = new Map()));
  const known = byDirection.get(direction);
  if (known) return known;
  const examples = [...ruleSet.rules, ...Object.values(ruleSet.chains ?? {}).flat()]
    .filter((r) => !r.implicit && r.direction === direction && r.target.kind === 'allow' && !r.conditions.some((c) => c.effect === 'never-matches-new'))
    .map((r) => (direction === 'inbound' ? r.destination : r.source).value);
  let style: 'no-examples' | 'open' | AddressSet;
  if (examples.length === 0) style = 'no-examples';
  else if (examples.every((a) => a.isAny)) style = 'open';
  else {
    let named = AddressSet.none();
    for (const a of examples) if (a.isConcrete && !a.isAny) named = named.union(a);
    style = named;
  }
  byDirection.set(direction, style);
  return style;
}

