import type { AllowRuleRequest } from '../../model/edits';
import type { RuleSet } from '../../model';
import type { AddressSymbol } from '../../net';
import { addressPlan, choosePriority } from '../emitSupport';
import { EPHEMERAL_PORTS } from './networkAcl';

/** One network ACL entry to write: one CIDR, protocol and port range, with its rule number. */
export interface PlannedAclEntry {
  readonly number: number;
  readonly egress: boolean;
  readonly protocol: 'tcp' | 'udp';
  readonly from: number;
  readonly to: number;
  /** A literal CIDR, or a peer the topology does not give, for the writer to name as a placeholder of one CIDR. */
  readonly cidr: string | AddressSymbol;
  readonly v6: boolean;
}

/**
 * Rule numbers and entries for a batch of requests on network ACLs, shared
 * by the Terraform and CloudFormation writers. A number is taken below the
 * entry that denies (first match by rule number) and once per direction in
 * the batch; an entry already planned with the same content is not planned
 * again (the replies of ICA and of Session Reliability to one Gateway are
 * one entry). A reply request (the ACL keeps no state) plans the entry for
 * the replies: the other direction, to the peer's ephemeral ports.
 */
export class AclEntryPlanner {
  private readonly taken = new Map<string, Set<number>>();
  private readonly planned = new Set<string>();

  plan(req: AllowRuleRequest): { egress: boolean; entries: PlannedAclEntry[] } | string {
    const rs: RuleSet = req.ruleSet;
    if (req.direction === 'forward') return 'a network ACL has no forward direction';
    const inboundFlow = req.direction === 'inbound';
    const egress = inboundFlow === (req.reply === true);
    const entryDirection = egress ? 'outbound' : 'inbound';
    const peer = addressPlan(inboundFlow ? req.source : req.destination);
    const cidrs: [string | AddressSymbol, boolean][] = peer.any
      ? [['0.0.0.0/0', false], ['::/0', true]]
      : [...peer.cidrs4.map((c): [string, boolean] => [c, false]), ...peer.cidrs6.map((c): [string, boolean] => [c, true]), ...peer.symbols.map((s): [AddressSymbol, boolean] => [s, false])];
    if (cidrs.length === 0) return 'no peer address to write';
    if (req.protocols.includes('icmp')) return 'an ICMP entry needs its type and code: add it by hand';
    const ports = req.reply ? [EPHEMERAL_PORTS] : req.ports;
    const written = rs.rules.filter((r) => !r.implicit);
    const key = `${rs.id}\u0000${entryDirection}`;
    const used = this.taken.get(key) ?? new Set(written.filter((r) => r.direction === entryDirection).map((r) => r.priority?.value).filter((n): n is number => n !== undefined));
    this.taken.set(key, used);
    const all = written.map((r) => r.priority?.value).filter((n): n is number => n !== undefined);
    const upper = req.before?.priority?.value ?? 32767;
    const entries: PlannedAclEntry[] = [];
    for (const protocol of req.protocols as ('tcp' | 'udp')[]) {
      for (const range of ports) {
        for (const [cidr, v6] of cidrs) {
          const content = `${rs.id}|${egress}|${protocol}|${typeof cidr === 'string' ? cidr : `${cidr.kind}:${cidr.name}`}|${range.from}-${range.to}`;
          if (this.planned.has(content)) continue;
          this.planned.add(content);
          const number = choosePriority({ used, upper, min: 1, start: 100, all });
          if (number === undefined) return `no free rule number below ${upper} in ${rs.name}`;
          used.add(number);
          entries.push({ number, egress, protocol, from: range.from, to: range.to, cidr, v6 });
        }
      }
    }
    return { egress, entries };
  }
}
