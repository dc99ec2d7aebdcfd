import type { Catalog } from '../../catalog';
import type { Direction, ParsedFile, Rule, RuleSet } from '../../model';
import { AddressSet, Ports, Protocols, TCP, UDP, parsePortRange, type PortSet, type ProtocolSet } from '../../net';
import type { Topology } from '../../topology/types';
import { portSetInWords, protocolSetInWords, roleName } from '../describe';
import { evaluate } from '../evaluate';
import { PUBLIC_ADDRESSES, topologyResolver, windowsProfileOf } from '../required';
import type { CheckDefinition } from './types';
import { narrowSourceFix } from './fixes/narrowSource';
import { addressesInWords } from './pieceWords';
import { PROTOCOL_NUMBER, admitsReplies, admitsStatelessReplies, fileOf, addressesOrAny, directionFor, peerSpan, ruleLabel, writtenRule } from './ruleFacts';

/** One family of ports that must not face the Internet, for one rule set. */
interface Exposure {
  readonly kind: 'ica' | 'management';
  readonly protocols: ProtocolSet;
  readonly ports: PortSet;
  /**
   * Ports per protocol where they differ (ICA: TCP and UDP 1494 and 2598, UDP alone 16500–16509 for audio),
   * so no TCP port is called ICA because UDP uses it; absent: every protocol on every port.
   */
  readonly byProtocol?: readonly { readonly protocols: ProtocolSet; readonly ports: PortSet }[];
  /** What the ports are, for the message. */
  readonly what: string;
  /** The role whose addresses the rule set protects, if any. */
  readonly role?: string;
  /** Role whose declared addresses the rule should be narrowed to. */
  readonly narrowRoles: readonly string[];
}

const TCP_UDP = Protocols.of(TCP, UDP);
/** ICA/HDX and Session Reliability: the ports every Citrix site has, known without any roles. */
const ICA_PORTS = Ports.of([{ from: 1494, to: 1494 }, { from: 2598, to: 2598 }]);
/** SSH and RDP: management ports on any host, known without any roles. */
const PLAIN_MANAGEMENT = Ports.of([{ from: 22, to: 22 }, { from: 3389, to: 3389 }]);

const exposureCache = new WeakMap<Catalog, Map<string, Exposure[]>>();

/** The exposures of a set of roles depend on the catalog alone: worked out once per set, not per rule set. */
function exposuresFor(roles: readonly string[], catalog: Catalog): Exposure[] {
  let byRoles = exposureCache.get(catalog);
  if (!byRoles) exposureCache.set(catalog, (byRoles = new Map()));
  const key = roles.join('\u0000');
  let out = byRoles.get(key);
  if (!out) byRoles.set(key, (out = computeExposures(roles, catalog)));
  return out;
}

function computeExposures(roles: readonly string[], catalog: Catalog): Exposure[] {
  if (roles.length === 0) {
    return [
      { kind: 'ica', protocols: TCP_UDP, ports: ICA_PORTS, what: 'ICA/HDX', narrowRoles: ['gateway-snip'] },
      { kind: 'management', protocols: Protocols.of(TCP), ports: PLAIN_MANAGEMENT, what: 'SSH/RDP management access', narrowRoles: [] },
    ];
  }
  const out: Exposure[] = [];
  for (const role of roles) {
    const inbound = catalog.flowsForRole(role, 'inbound');
    let icaProtocols = Protocols.none();
    let icaPorts = Ports.none();
    const icaPortsOf = new Map<number, PortSet>();
    for (const f of inbound) {
      if (!f.tags.includes('ica')) continue;
      icaProtocols = icaProtocols.union(Protocols.of(...f.protocols.map((p) => PROTOCOL_NUMBER[p])));
      icaPorts = icaPorts.union(Ports.of(f.ports));
      for (const p of f.protocols) icaPortsOf.set(PROTOCOL_NUMBER[p], (icaPortsOf.get(PROTOCOL_NUMBER[p]) ?? Ports.none()).union(Ports.of(f.ports)));
    }
    const byProtocol = [...icaPortsOf].map(([protocol, ports]) => ({ protocols: Protocols.of(protocol), ports }));
    if (!icaPorts.isEmpty) out.push({ kind: 'ica', protocols: icaProtocols, ports: icaPorts, byProtocol, what: 'ICA/HDX', role, narrowRoles: ['gateway-snip'] });
    let mgmtPorts = PLAIN_MANAGEMENT;
    const admins = new Set<string>();
    for (const f of inbound) {
      // Licensing (27000, 7279) is the License Server's management surface too: never for the Internet.
      if (!(f.tags.includes('management') || f.tags.includes('licensing')) || !f.protocols.includes('tcp')) continue;
      mgmtPorts = mgmtPorts.union(Ports.of(f.ports));
      admins.add(f.source);
    }
    // A port users reach the role on from anywhere (the Gateway's 443, which also serves its admin GUI) faces the Internet by design.
    for (const p of catalog.roleById(role)?.publicPorts ?? []) if (p.protocol === 'tcp') mgmtPorts = mgmtPorts.difference(Ports.single(p.port));
    for (const f of inbound) if (f.source === 'workspace-app' && f.protocols.includes('tcp')) mgmtPorts = mgmtPorts.difference(Ports.of(f.ports));
    if (mgmtPorts.isEmpty) continue;
    out.push({ kind: 'management', protocols: Protocols.of(TCP), ports: mgmtPorts, what: 'Management access', role, narrowRoles: [...admins] });
  }
  return out;
}

function declaredAddresses(roles: readonly string[], topology: Topology): string[] {
  return roles.flatMap((r) => topology.roles.get(r)?.addressEntries.map((e) => e.text) ?? []);
}

/**
 * Ports that must not be reachable from public address space, checked by
 * evaluating a flow from the Internet through the whole rule set, so a deny
 * placed earlier or at a higher priority counts.
 */
function exposed(file: ParsedFile, ruleSet: RuleSet, direction: Direction, exposure: Exposure, topology: Topology): Map<Rule, Opened> {
  const open = new Map<Rule, Opened & { from: AddressSet }>();
  for (const group of exposure.byProtocol ?? [exposure]) {
    const result = evaluate(
      ruleSet,
      {
        direction,
        protocols: group.protocols,
        source: PUBLIC_ADDRESSES,
        destination: exposure.role ? addressesOrAny(exposure.role, topology, ruleSet) : AddressSet.any(),
        destinationPorts: group.ports,
      },
      { resolve: topologyResolver(topology), profile: exposure.role ? windowsProfileOf(topology, [exposure.role]) : undefined },
    );
    for (const d of result.decisions) {
      const rule = d.outcome === 'allow' ? writtenRule(file, d) : undefined;
      if (!rule) continue;
      const prev = open.get(rule);
      open.set(rule, {
        protocols: (prev?.protocols ?? Protocols.none()).union(d.part.protocols),
        ports: (prev?.ports ?? Ports.none()).union(d.part.destinationPorts),
        parts: [...(prev?.parts ?? []), { protocols: d.part.protocols, ports: d.part.destinationPorts }],
        from: (prev?.from ?? AddressSet.none()).union(d.part.source),
      });
    }
  }
  for (const [rule, o] of open) if (!broad(o.from) || admitsReplies(rule) || admitsStatelessReplies(ruleSet, rule)) open.delete(rule);
  return open;
}

/** What an exposure opens: the union, and the protocol–port pieces it came from. */
interface Opened {
  readonly protocols: ProtocolSet;
  readonly ports: PortSet;
  readonly parts: readonly { readonly protocols: ProtocolSet; readonly ports: PortSet }[];
}

/** "TCP/UDP 1494, 2598" when every protocol has the same ports, else per protocol: "TCP 1494, 2598; UDP 1494, 2598, 16500–16509". */
function openedInWords(open: Opened): string {
  const byProtocol = new Map<number, PortSet>();
  for (const part of open.parts) {
    for (const r of part.protocols.ranges) for (let p = r.from; p <= r.to && byProtocol.size < 8; p++) byProtocol.set(p, (byProtocol.get(p) ?? Ports.none()).union(part.ports));
  }
  const sets = [...byProtocol.values()];
  if (sets.length <= 1 || sets.every((x) => x.equals(sets[0]!))) return `${protocolSetInWords(open.protocols)} ${portSetInWords(open.ports)}`;
  return [...byProtocol].map(([p, ports]) => `${protocolSetInWords(Protocols.of(p))} ${portSetInWords(ports)}`).join('; ');
}

/** IPv4 addresses in a /8, IPv6 in a /32: less than that is one organisation's network, not "the Internet". */
const BROAD_V4 = 2 ** 24;
const BROAD_V6 = 2n ** 96n;

/**
 * Opened to a wide part of public address space. SSH from one public admin
 * address or a company's /16 is the least-privilege rule people are told to
 * write, not an exposure.
 */
function broad(from: AddressSet): boolean {
  if (from.symbols.length) return true;
  let v4 = 0;
  for (const r of from.v4.ranges) v4 += r.to - r.from + 1;
  if (v4 >= BROAD_V4) return true;
  let v6 = 0n;
  for (const r of from.v6.ranges) v6 += r.to - r.from + 1n;
  return v6 >= BROAD_V6;
}

/**
 * The rule's source as written; a name (`local.management_ips`,
 * `var.admin_cidrs`, `$ADMINS`) is followed by what it resolved to, so the
 * reader sees why it counts as the Internet without opening another file.
 */
function sourceInWords(rule: Rule): string {
  // The reader knows where a variable's value comes from (`"*", the default of var.rdp_sources`): the value and the place to change it.
  const from = rule.meta?.sourceFrom;
  if (from) return from.startsWith('var.') && !rule.source.value.isEmpty ? `${addressesInWords(rule.source.value)} (${from})` : from;
  const written = (rule.source.text ?? 'any address').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  const value = rule.source.value;
  const isName = /^[$A-Za-z_][\w.${}\[\]-]*$/.test(written) && !/^(?:any|all|\*|Internet)$/i.test(written);
  return isName && value.symbols.length === 0 && !value.isEmpty ? `${written} (${addressesInWords(value)})` : written;
}

/** Where a DNAT or REDIRECT rule (iptables reader, `meta.nat`) sends packets: the address (undefined: this host) and ports. */
function natDestination(rule: Rule): { address?: AddressSet; addressText?: string; ports: PortSet } | undefined {
  const meta = rule.meta ?? {};
  if (meta.nat === 'REDIRECT') {
    const ports = meta.natToPorts ? parsePortRange(meta.natToPorts, ['-', ':']) : undefined;
    if (ports && !ports.ok) return undefined;
    return { ports: ports?.value ?? rule.destinationPorts.value };
  }
  if (meta.nat !== 'DNAT' || !meta.natTo) return undefined;
  // 10.0.2.5, 10.0.2.5:1494, 10.0.2.5-10.0.2.9:1494-1495, [2001:db8::5]:1494
  const m = /^(\[[^\]]+\]|[^:]+(?::[^:]+){2,}|[^:]*)(?::(\d+(?:[-:]\d+)?))?$/.exec(meta.natTo);
  if (!m) return undefined;
  const addressText = m[1]!.replace(/^\[|\]$/g, '');
  const address = addressText ? AddressSet.parse(addressText) : undefined;
  if (address && !address.ok) return undefined;
  const ports = m[2] ? parsePortRange(m[2], ['-', ':']) : undefined;
  if (ports && !ports.ok) return undefined;
  return { address: address?.value, addressText: addressText || undefined, ports: ports?.value ?? rule.destinationPorts.value };
}

/**
 * A public port forwarded by DNAT or REDIRECT to an internal ICA or
 * management port exposes that port, though no filter rule names it: the
 * filter sees the packet after translation. Each such nat rule from the
 * Internet at large is followed to where it sends the packet, and the file's
 * filter chain for it (FORWARD for another host, INPUT for this one) is
 * asked about the translated packet; a filter that denies it ends the
 * matter, one that is not in the file leaves it to this finding.
 */
function natExposures(file: ParsedFile, context: Parameters<CheckDefinition['run']>[0], rolesOf: ReadonlyMap<RuleSet, string[]>): ReturnType<CheckDefinition['run']>[number][] {
  const { catalog, topology } = context;
  const out: ReturnType<CheckDefinition['run']>[number][] = [];
  for (const ruleSet of file.ruleSets) {
    if (ruleSet.meta?.table !== 'nat' || ruleSet.name !== 'PREROUTING') continue;
    for (const rule of ruleSet.rules) {
      const to = rule.meta?.nat ? natDestination(rule) : undefined;
      if (!to || !rule.enabled.value) continue;
      const from = rule.source.value.intersect(PUBLIC_ADDRESSES);
      if (!broad(rule.source.value.symbols.length ? rule.source.value : from)) continue;
      const local = to.address === undefined;
      const filter = file.ruleSets.find((rs) => rs.meta?.table === 'filter' && rs.name === (local ? 'INPUT' : 'FORWARD') && (rs.meta?.family === ruleSet.meta?.family || !rs.meta?.family));
      for (const exposure of exposuresFor(rolesOf.get(ruleSet) ?? [], catalog)) {
        const parts: { protocols: ProtocolSet; ports: PortSet }[] = [];
        let passes = 'the filter table that decides is not in this file';
        for (const group of exposure.byProtocol ?? [exposure]) {
          const protocols = rule.protocols.value.intersect(group.protocols);
          const ports = to.ports.intersect(group.ports);
          if (protocols.isEmpty || ports.isEmpty) continue;
          if (filter) {
            const result = evaluate(
              filter,
              { direction: local ? 'inbound' : 'forward', protocols, source: from.isEmpty ? PUBLIC_ADDRESSES : from, destination: to.address ?? AddressSet.any(), destinationPorts: ports },
              { resolve: topologyResolver(topology) },
            );
            if (result.verdict === 'denied') continue;
            const by = result.decidingRules.find((r) => !r.implicit);
            passes = `${filter.name} ${result.verdict === 'allowed' ? 'lets it through' : result.verdict === 'partial' ? 'lets part of it through' : 'may let it through'}${by ? ` (${ruleLabel(file, by)})` : result.verdict === 'allowed' ? ' (its policy)' : ''}`;
          }
          parts.push({ protocols, ports });
        }
        if (parts.length === 0) continue;
        const protocols = parts.reduce((a, x) => a.union(x.protocols), Protocols.none());
        const ports = parts.reduce((a, x) => a.union(x.ports), Ports.none());
        const where = local ? 'this host' : (to.addressText ?? 'the translated address');
        const publicPorts = portSetInWords(rule.destinationPorts.value);
        out.push({
          checkId: 'exposed-to-internet',
          uri: file.uri,
          span: rule.span,
          message:
            `${exposure.what} (${openedInWords({ protocols, ports, parts })}) on ${where} is reachable from the Internet through address translation: ` +
            `${ruleLabel(file, rule)} sends ${rule.destinationPorts.value.isFull ? 'every port' : `port ${publicPorts}`} from ${sourceInWords(rule)} there (${rule.meta?.nat}), and ${passes}. ` +
            (exposure.kind === 'ica' ? 'Users should reach VDAs through Citrix Gateway, not a forwarded port.' : 'Forward management only from the administrators\' networks, or reach it through a VPN or bastion.'),
          data: { exposure: exposure.kind, ruleSetId: ruleSet.id, ruleId: rule.id, nat: rule.meta?.nat ?? '', ports: ports.ranges.map((r) => ({ from: r.from, to: r.to })) },
        });
      }
    }
  }
  return out;
}

const HOST_FIREWALL_KINDS = new Set(['iptables-chain', 'nftables-chain', 'windows-firewall', 'firewalld-zone', 'ufw']);

/**
 * A host's own firewall (a VDA's Windows Defender Firewall, a Linux host's
 * INPUT chain) usually sits behind a perimeter (an NSG, a security group, an
 * ASA) that decides what the Internet reaches. What it opens is still open if
 * the perimeter lets the Internet in, so it is reported, as a warning that
 * says whose firewall it is, not as the error a perimeter rule gets.
 */
function hostFirewall(ruleSet: RuleSet, direction: Direction): boolean {
  return direction === 'inbound' && HOST_FIREWALL_KINDS.has(ruleSet.kind);
}
const HOST_NOTE = " This is the host's own firewall: the perimeter in front of it (NSG, security group, ASA) usually decides what the Internet reaches, and if it lets the Internet in, this host is open.";

export const exposedToInternet: CheckDefinition = {
  id: 'exposed-to-internet',
  title: 'ICA or management port open to the Internet',
  summary: 'ICA/HDX reaches a VDA from the Internet instead of through Citrix Gateway, or a management port (SSH, RDP, the ADC GUI, ADM, hypervisor) is open from the Internet.',
  defaultSeverity: 'error',
  fixes: narrowSourceFix,
  scope: 'file',
  needsRoles: false,
  run(context) {
    const { catalog, topology } = context;
    const rolesOf = new Map<RuleSet, string[]>();
    for (const b of context.bound) rolesOf.set(b.ruleSet, [...(rolesOf.get(b.ruleSet) ?? []), ...b.roles]);
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const file of context.files) {
      if (file.format === 'iptables') findings.push(...natExposures(file, context, rolesOf));
      for (const ruleSet of file.ruleSets) {
        const direction = directionFor(ruleSet, 'inbound');
        if (!direction) continue;
        const host = hostFirewall(ruleSet, direction);
        const seen = new Set<string>();
        const byRule = new Map<Rule, { parts: { exposure: Exposure; open: Opened }[] }>();
        for (const rule of ruleSet.rules) if (rule.destinationPorts.value.isFull) byRule.set(rule, { parts: [] });
        for (const exposure of exposuresFor(rolesOf.get(ruleSet) ?? [], catalog)) {
          for (const [rule, open] of exposed(file, ruleSet, direction, exposure, topology)) {
            // A network ACL entry that lets every protocol in is AWS's default subnet layer, not a port opened:
            // the security groups behind it decide what is reachable (and are checked themselves).
            if (ruleSet.kind === 'aws-network-acl' && rule.protocols.value.isFull) continue;
            const key = `${rule.id}#${exposure.kind}`;
            if (seen.has(key)) continue;
            seen.add(key);
            // A rule that opens every port exposes ICA and management at once: one finding says both, where two would repeat the rule.
            const everyPort = rule.destinationPorts.value.isFull ? byRule.get(rule) : undefined;
            if (everyPort) {
              everyPort.parts.push({ exposure, open });
              continue;
            }
            const narrowTo = declaredAddresses(exposure.narrowRoles, topology);
            const to = exposure.role ? ` to ${roleName(catalog, exposure.role)}` : '';
            const from = sourceInWords(rule);
            const advice =
              exposure.kind === 'ica'
                ? `Users should reach VDAs through Citrix Gateway: allow ICA only from the Gateway's SNIP${narrowTo.length ? ` (${narrowTo.join(', ')})` : ''}.`
                : `Allow management only from the administrators' networks${narrowTo.length ? ` (${narrowTo.join(', ')})` : exposure.narrowRoles.length ? ` (${exposure.narrowRoles.map((r) => roleName(catalog, r)).join(', ')})` : ''}, or through a VPN or bastion.`;
            findings.push({
              checkId: 'exposed-to-internet',
              uri: fileOf(rule, file, context.allFiles ?? context.files).uri,
              span: peerSpan(rule, 'inbound'),
              ...(host ? { severity: 'warning' as const } : {}),
              message: `${exposure.what} (${openedInWords(open)})${to} is reachable from the Internet: ${ruleLabel(fileOf(rule, file, context.allFiles ?? context.files), rule)} allows it from ${from}. ${advice}${host ? HOST_NOTE : ''}`,
              data: {
                exposure: exposure.kind,
                ruleSetId: ruleSet.id,
                ruleId: rule.id,
                ports: open.ports.ranges.map((r) => ({ from: r.from, to: r.to })),
                ...(exposure.role ? { role: exposure.role } : {}),
                ...(narrowTo.length ? { narrowTo } : {}),
              },
            });
          }
        }
        for (const [rule, { parts }] of byRule) {
          if (parts.length === 0) continue;
          const ruleFile = fileOf(rule, file, context.allFiles ?? context.files);
          const from = sourceInWords(rule);
          const what = parts.map(({ exposure, open }) => `${exposure.what} (${openedInWords(open)})${exposure.role ? ` to ${roleName(catalog, exposure.role)}` : ''}`);
          const management = parts.find((p) => p.exposure.kind === 'management') ?? parts[0]!;
          findings.push({
            checkId: 'exposed-to-internet',
            uri: ruleFile.uri,
            span: peerSpan(rule, 'inbound'),
            ...(host ? { severity: 'warning' as const } : {}),
            message: `${ruleLabel(ruleFile, rule)} opens every ${protocolSetInWords(rule.protocols.value)} port from ${from}, so ${what.join(' and ')} ${parts.length > 1 ? 'are' : 'is'} reachable from the Internet. Open only the ports this host serves, each from the networks that use it (ICA from the Gateway's SNIP, management from the administrators' networks).${host ? HOST_NOTE : ''}`,
            data: {
              exposure: management.exposure.kind,
              exposures: parts.map((p) => p.exposure.kind),
              ruleSetId: ruleSet.id,
              ruleId: rule.id,
              ports: management.open.ports.ranges.map((r) => ({ from: r.from, to: r.to })),
              ...(management.exposure.role ? { role: management.exposure.role } : {}),
            },
          });
        }
      }
    }
    return findings;
  },
};
