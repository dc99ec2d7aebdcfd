import type { Catalog, CatalogFlow, CatalogProtocol } from '../../catalog';
import type { Direction, ParsedFile, Rule, RuleSet, Span } from '../../model';
import { AddressSet, Ports, Protocols, ICMP, TCP, UDP, type PortSet } from '../../net';
import type { BoundRuleSet, Topology } from '../../topology/types';
import { lineOf, priorityInWords } from '../describe';
import type { Decision, FlowQuery } from '../evaluate';
import { roleAddresses } from '../required';
import { ruleFile } from '../link';

/**
 * Ports of general infrastructure services that the seed lists because Citrix
 * components use them too (SSH, RDP, DNS, HTTP(S), LDAP, Kerberos, SMB, SQL,
 * SNMP, syslog, NTP, RADIUS, …). Opening them is ordinary administration, not
 * a Citrix port left open, so this check leaves them alone.
 */
export const GENERAL_SERVICE_PORTS = Ports.of(
  [22, 25, 49, 53, 67, 68, 69, 80, 88, 123, 135, 139, 161, 162, 389, 443, 445, 464, 514, 636, 1433, 1434, 1645, 1812, 1813, 3268, 3269, 3389, 5900].map((p) => ({ from: p, to: p })),
);

export const PROTOCOL_NUMBER: Readonly<Record<CatalogProtocol, number>> = { tcp: TCP, udp: UDP, icmp: ICMP };

/** Every rule of a rule set: its entry list and its user chains. */
export function allRuleLists(ruleSet: RuleSet): (readonly Rule[])[] {
  return [ruleSet.rules, ...Object.values(ruleSet.chains ?? {})];
}

/** A decision made by a rule written in this file (not a built-in rule, not a default policy). */
export function writtenRule(file: ParsedFile, d: Decision): Rule | undefined {
  if (!d.rule || d.rule.implicit || !file.ruleSets.includes(d.ruleSet)) return undefined;
  return d.rule;
}

/** The port field where written (the finding points at the port), else the whole rule. */
export function portSpan(rule: Rule): Span {
  return rule.destinationPorts.span ?? rule.span;
}

/** The peer-address field the traffic comes from (source inbound, destination outbound), else the whole rule. */
export function peerSpan(rule: Rule, direction: Direction): Span {
  return (direction === 'outbound' ? rule.destination.span : rule.source.span) ?? rule.span;
}

/** The file a rule is written in (Terraform rules may live beside the group they belong to). */
export function fileOf(rule: Rule, owner: ParsedFile, files: readonly ParsedFile[]): ParsedFile {
  return ruleFile(rule, owner, files);
}

/** `"AllowIca" (priority 100, line 12)`, or `the rule at line 12` for formats without rule names. */
export function ruleLabel(file: ParsedFile, rule: Rule): string {
  const where = rule.implicit ? 'built in' : `line ${lineOf(file, rule.span.start)}`;
  if (!rule.name) return rule.implicit ? `the built-in rule ${rule.id}` : `the rule at ${where}${rule.priority ? ` (${priorityInWords(rule)})` : ''}`;
  return `"${rule.name}" (${rule.priority ? `${priorityInWords(rule)}, ` : ''}${where})`;
}

/**
 * How a rule set sees traffic to (`inbound`) or from (`outbound`) the role it
 * protects: that direction if it governs it, else `forward` for rule sets that
 * sit between networks, else not at all.
 */
export function directionFor(ruleSet: RuleSet, side: 'inbound' | 'outbound'): Direction | undefined {
  if (ruleSet.directions.includes(side)) return side;
  return ruleSet.directions.includes('forward') ? 'forward' : undefined;
}

/** A role's declared addresses, or any address where it is not declared (the rule set protects the host itself). */
/** A role's addresses: declared, else those the rule set's own configuration gives it (a NetScaler's NSIP), else any. */
export function addressesOrAny(role: string, topology: Topology, ruleSet?: RuleSet): AddressSet {
  const r = roleAddresses(role, topology);
  return r.known ? r.addresses : (ruleSet?.roleAddresses?.[role] ?? AddressSet.any());
}

/** A query for a catalog flow as seen by a rule set bound to `role`, on the flow's own ports and protocols. */
export function catalogFlowQuery(flow: CatalogFlow, bound: BoundRuleSet, role: string, side: 'inbound' | 'outbound', topology: Topology): FlowQuery | undefined {
  const direction = directionFor(bound.ruleSet, side);
  if (!direction || flow.ports.length === 0) return undefined;
  const peer = side === 'inbound' ? flow.source : flow.destination;
  const own = addressesOrAny(role, topology, bound.ruleSet);
  const other = addressesOrAny(peer, topology);
  return {
    direction,
    protocols: Protocols.of(...flow.protocols.map((p) => PROTOCOL_NUMBER[p])),
    source: side === 'inbound' ? other : own,
    destination: side === 'inbound' ? own : other,
    destinationPorts: Ports.of(flow.ports),
  };
}

/** The single ports of a port set, up to `limit`, for messages and fix data. */
export function portsOf(set: PortSet, limit = 64): number[] {
  const out: number[] = [];
  for (const r of set.ranges) for (let p = r.from; p <= r.to && out.length < limit; p++) out.push(p);
  return out;
}

/** A message that starts with a rule label still starts with a capital. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A stateless host firewall's rule for replies: it admits packets by the
 * source port of a server (`--sport 443`, `--sport 6666:6668`), which is how
 * replies to this host's own connections come back. Its destination is
 * whatever ephemeral port the host picked, so "every port from anywhere" is
 * not what its author opened; the issue's decision is to not report it as
 * exposure, and the rule's hover says what it is for.
 */
export function admitsReplies(rule: Rule): boolean {
  const from = rule.sourcePorts.value;
  return !from.isFull && !from.isEmpty && !from.intersect(Ports.range(1024, 65535)).equals(Ports.range(1024, 65535));
}

/**
 * A stateless ACL's entry for replies (an AWS network ACL, a NetScaler ACL):
 * the replies of the flows through it come back to the client's ephemeral
 * ports (AWS's advice 1024-65535; Linux 32768-65535, Windows 49152-65535), so
 * an entry to that range lets replies in, and the Citrix ports inside it are
 * not what it opens. Nothing is said about it as a Citrix port.
 */
export function admitsStatelessReplies(ruleSet: RuleSet, rule: Rule): boolean {
  if (ruleSet.meta?.stateless !== 'true') return false;
  const ports = rule.destinationPorts.value;
  return !ports.isFull && ports.isSubsetOf(Ports.range(1024, 65535)) && Ports.range(49152, 65535).isSubsetOf(ports);
}

const citrixPortCache = new WeakMap<Catalog, Map<CatalogProtocol, PortSet>>();

/**
 * A loopback flow (the VDA's 127.0.0.1:9001 WebSocket service) never crosses
 * a firewall rule, so a rule opening its port is not opening a Citrix port:
 * on a NetScaler NSG, 9001 is the autoscale daemon's.
 */
export function crossesNetwork(flow: CatalogFlow): boolean {
  return !flow.tags.includes('loopback');
}

/** Every port a catalog flow that crosses the network uses on this protocol. */
export function citrixPorts(catalog: Catalog, protocol: CatalogProtocol): PortSet {
  let byProtocol = citrixPortCache.get(catalog);
  if (!byProtocol) citrixPortCache.set(catalog, (byProtocol = new Map()));
  let ports = byProtocol.get(protocol);
  if (!ports) {
    ports = Ports.none();
    for (const flow of catalog.flows) if (crossesNetwork(flow) && flow.protocols.includes(protocol) && flow.ports.length) ports = ports.union(Ports.of(flow.ports));
    byProtocol.set(protocol, ports);
  }
  return ports;
}
