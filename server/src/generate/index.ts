import { loadCatalog, type Catalog, type CatalogFlow, type CatalogProtocol } from '../catalog';
import { parseAs } from '../formats';
import { emitterFor } from '../formats/emitters';
import { oneLine } from '../formats/emitSupport';
import { FILE_NAME, HOST_FORMATS, PARSER_FORMAT, commentBlock, skeletonText, type GenerateFormat } from './skeletons';
import type { Direction, ParsedFile, Rule, RuleSet } from '../model';
import { applyEdits, type AllowRuleRequest, type TextEdit } from '../model/edits';
import { AddressSet, Ports, type PortSet } from '../net';
import type { Topology } from '../topology/types';
import { applicability } from '../analysis/conditions';
import { roleName } from '../analysis/describe';
import { roleAddresses } from '../analysis/required';

/**
 * `generate`: the rules that let every required Citrix flow of some roles
 * through, written by the quick-fix emitters into a minimal skeleton of the
 * format (or into an open file, for the editor's "Insert rules for role…").
 * Which flows are required follows `evaluateRequiredFlows` exactly (peers
 * present at the site, features and versions, secure variants, checkable
 * flows), so `check` on the result with the same roles finds nothing
 * missing.
 */

export type GenerateDirection = 'in' | 'out' | 'both';

/** A flow `generate` leaves out, and why (for the header comment). */
export interface SkippedFlow {
  readonly flow: CatalogFlow;
  readonly role: string;
  readonly reason: string;
}

/** One rule to write: flows with the same peer side, addresses and ports merged. */
export interface PlannedRule {
  readonly side: 'inbound' | 'outbound';
  /** The protected roles the rule serves (several when they share the rule set and the rule). */
  readonly roles: readonly string[];
  readonly peerRoles: readonly string[];
  readonly protocols: readonly CatalogProtocol[];
  readonly ports: PortSet;
  /** The peer's addresses; a `role:<id>` symbol when the topology does not declare them. */
  readonly peer: AddressSet;
  /** The protected role's addresses; any when the rule set sits on the host itself. */
  readonly own: AddressSet;
  readonly flows: readonly CatalogFlow[];
}

export interface RulePlan {
  readonly rules: readonly PlannedRule[];
  readonly skipped: readonly SkippedFlow[];
  /** Peer roles with flows to or from these roles that the site does not have (not in citrix-flows.yaml). */
  readonly absentPeers: readonly string[];
  /** Peer roles written as placeholders because their addresses are not declared. */
  readonly placeholders: readonly string[];
}

export interface PlanOptions {
  readonly roles: readonly string[];
  readonly topology: Topology;
  readonly direction?: GenerateDirection;
  /**
   * The protected side as the rule set writes it: the role's declared
   * addresses (default), or any where the rule set itself stands for them
   * (a host firewall, an AWS security group, a GCP egress rule).
   */
  readonly ownAddresses?: (role: string, side: 'inbound' | 'outbound', declared: { addresses: AddressSet; known: boolean }) => AddressSet;
  readonly catalog?: Catalog;
}

const PROTOCOL_ORDER: readonly CatalogProtocol[] = ['tcp', 'udp', 'icmp'];

const portKey = (ports: PortSet): string => ports.ranges.map((r) => `${r.from}-${r.to}`).join(',');

/** Why a flow cannot be a rule, in the words `checkable` in required.ts decides by; undefined when it can. */
function notWritable(flow: CatalogFlow): string | undefined {
  if (flow.tags.includes('loopback')) return 'stays on the machine (loopback)';
  if (flow.tags.includes('no-fixed-port')) return 'has no fixed port';
  if (flow.tags.includes('insecure') && flow.secureAlternative) return 'non-secure variant (its secure variant is generated instead, where it applies)';
  if (flow.ports.length === 0 && !flow.protocols.includes('icmp')) return 'the catalog gives no port';
  return undefined;
}


/**
 * Every required flow of the roles, as merged rules: first per peer (ports of
 * one protocol unioned), then peers that need exactly the same protocols and
 * ports share one rule. Placeholder peers are never merged with others: a
 * rule holds either addresses or one placeholder.
 */
export function planRules(options: PlanOptions): RulePlan {
  const catalog = options.catalog ?? loadCatalog();
  const { topology, roles } = options;
  const direction = options.direction ?? 'both';
  // Same notion of "present" as evaluateRequiredFlows: declared at the site, or one of the roles asked for.
  // With no citrix-flows.yaml every peer is present (its addresses become placeholders).
  const present = (role: string): boolean => !topology.uri || topology.roles.has(role) || roles.includes(role);
  const skipped: SkippedFlow[] = [];
  const absent = new Set<string>();
  const placeholders = new Set<string>();
  interface Piece {
    side: 'inbound' | 'outbound';
    role: string;
    peerRole: string;
    protocol: CatalogProtocol;
    ports: PortSet;
    peer: AddressSet;
    own: AddressSet;
    flow: CatalogFlow;
  }
  const pieces: Piece[] = [];
  const seen = new Set<string>();
  for (const role of roles) {
    const declared = roleAddresses(role, topology);
    const ownOf = (side: 'inbound' | 'outbound'): AddressSet =>
      options.ownAddresses ? options.ownAddresses(role, side, declared) : declared.known ? declared.addresses : AddressSet.any();
    const sides = direction === 'in' ? (['inbound'] as const) : direction === 'out' ? (['outbound'] as const) : (['inbound', 'outbound'] as const);
    for (const side of sides) {
      for (const flow of catalog.flowsForRole(role, side)) {
        const key = `${role}|${side}|${flow.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const peerRole = side === 'inbound' ? flow.source : flow.destination;
        if (!present(peerRole)) {
          absent.add(peerRole);
          continue;
        }
        const why = notWritable(flow);
        if (why) {
          skipped.push({ flow, role, reason: why });
          continue;
        }
        const applies = applicability(flow, catalog, topology);
        if (!applies.applies) {
          skipped.push({ flow, role, reason: applies.because.filter(Boolean).join('; ') || 'does not apply' });
          continue;
        }
        const peer = roleAddresses(peerRole, topology);
        if (!peer.known) placeholders.add(peerRole);
        for (const protocol of applies.protocols) {
          pieces.push({ side, role, peerRole, protocol, ports: protocol === 'icmp' || flow.ports.length === 0 ? Ports.none() : Ports.of(flow.ports), peer: peer.addresses, own: ownOf(side), flow });
        }
      }
    }
  }

  // 1. Per side, peer and own addresses: ports unioned per protocol (roles that share own addresses share rules).
  interface Group {
    side: 'inbound' | 'outbound';
    roles: Set<string>;
    peer: AddressSet;
    own: AddressSet;
    peerRoles: Set<string>;
    byProtocol: Map<CatalogProtocol, { ports: PortSet; flows: CatalogFlow[] }>;
  }
  const groups = new Map<string, Group>();
  for (const p of pieces) {
    const key = `${p.side}|${p.peer.toString()}|${p.own.toString()}`;
    let g = groups.get(key);
    if (!g) {
      g = { side: p.side, roles: new Set(), peer: p.peer, own: p.own, peerRoles: new Set(), byProtocol: new Map() };
      groups.set(key, g);
    }
    g.roles.add(p.role);
    g.peerRoles.add(p.peerRole);
    const entry = g.byProtocol.get(p.protocol) ?? { ports: Ports.none(), flows: [] };
    entry.ports = entry.ports.union(p.ports);
    if (!entry.flows.includes(p.flow)) entry.flows.push(p.flow);
    g.byProtocol.set(p.protocol, entry);
  }
  // 2. Protocols with the same ports share a rule (the emitter splits where the format needs one rule per protocol).
  const rules: PlannedRule[] = [];
  for (const g of groups.values()) {
    const byPorts = new Map<string, { protocols: CatalogProtocol[]; ports: PortSet; flows: CatalogFlow[] }>();
    for (const protocol of PROTOCOL_ORDER) {
      const e = g.byProtocol.get(protocol);
      if (!e) continue;
      const k = protocol === 'icmp' ? 'icmp' : portKey(e.ports);
      const entry = byPorts.get(k) ?? { protocols: [], ports: e.ports, flows: [] };
      entry.protocols.push(protocol);
      for (const f of e.flows) if (!entry.flows.includes(f)) entry.flows.push(f);
      byPorts.set(k, entry);
    }
    for (const e of byPorts.values()) rules.push({ side: g.side, roles: [...g.roles], peerRoles: [...g.peerRoles], protocols: e.protocols, ports: e.ports, peer: g.peer, own: g.own, flows: e.flows });
  }
  // 3. Peers with exactly the same protocols and ports share one rule, their addresses unioned.
  const merged = new Map<string, PlannedRule>();
  const out: PlannedRule[] = [];
  for (const r of rules) {
    if (!r.peer.isConcrete || r.peer.isAny) {
      out.push(r);
      continue;
    }
    const key = `${r.side}|${r.own.toString()}|${r.protocols.join(',')}|${portKey(r.ports)}`;
    const m = merged.get(key);
    if (!m) {
      merged.set(key, r);
      continue;
    }
    merged.set(key, {
      ...m,
      peer: m.peer.union(r.peer),
      peerRoles: [...new Set([...m.peerRoles, ...r.peerRoles])],
      roles: [...new Set([...m.roles, ...r.roles])],
      flows: [...m.flows, ...r.flows.filter((f) => !m.flows.includes(f))],
    });
  }
  out.push(...merged.values());
  out.sort(
    (a, b) =>
      (a.side === b.side ? 0 : a.side === 'inbound' ? -1 : 1) ||
      roles.indexOf(a.roles[0]) - roles.indexOf(b.roles[0]) ||
      a.peerRoles.join(',').localeCompare(b.peerRoles.join(',')) ||
      (a.ports.ranges[0]?.from ?? -1) - (b.ports.ranges[0]?.from ?? -1) ||
      a.protocols.join(',').localeCompare(b.protocols.join(',')),
  );
  return { rules: out, skipped, absentPeers: [...absent].sort(), placeholders: [...placeholders].sort() };
}

/** `gateway.gateway-snip-to-vda: ica, ica-session-reliability; cvad.workspace-app-to-vda: ica` — short enough for ASA remarks and Azure descriptions. */
export function flowsComment(flows: readonly CatalogFlow[]): string {
  const byPrefix = new Map<string, string[]>();
  for (const f of flows) {
    const dot = f.id.lastIndexOf('.');
    const prefix = dot > 0 ? f.id.slice(0, dot) : f.id;
    const list = byPrefix.get(prefix) ?? [];
    if (dot > 0) list.push(f.id.slice(dot + 1));
    byPrefix.set(prefix, list);
  }
  // Parts stay under 100 characters: an ASA remark holds no more, and the emitter writes one remark per part.
  const parts: string[] = [];
  for (const [prefix, purposes] of byPrefix) {
    let part = prefix;
    purposes.forEach((p, i) => {
      const next = `${part}${i === 0 || part === prefix ? ': ' : ', '}${p}`;
      if (next.length > 96 && part !== prefix) {
        parts.push(part);
        part = `${prefix}: ${p}`;
      } else part = next;
    });
    parts.push(part);
  }
  return parts.join('; ');
}

/** `Allow-Citrix-ICA-from-gateway-snip`; the purpose only when the rule serves one kind of flow. */
function ruleName(rule: PlannedRule, split: boolean): string {
  const purposes = [...new Set(rule.flows.map((f) => f.id.slice(f.id.lastIndexOf('.') + 1)))];
  const words = ['Allow', 'Citrix'];
  if (purposes.length === 1) words.push(...purposes[0].split('-'));
  words.push(rule.side === 'inbound' ? 'from' : 'to', ...rule.peerRoles.flatMap((r, i) => (i ? ['and', ...r.split('-')] : r.split('-'))));
  if (split) words.push(...rule.protocols);
  return words.join('-');
}

function requestDirection(ruleSet: RuleSet, side: 'inbound' | 'outbound'): Direction | undefined {
  if (ruleSet.directions.includes(side)) return side;
  if (ruleSet.directions.includes('forward')) return 'forward';
  return undefined;
}

/** The rule set of `file` that carries rules of this side: INPUT for inbound, OUTPUT for outbound, the NSG for both. */
function targetRuleSet(file: ParsedFile, side: 'inbound' | 'outbound', preferred?: RuleSet): RuleSet | undefined {
  if (preferred && preferred.directions.includes(side)) return preferred;
  const exact = file.ruleSets.find((rs) => rs.directions.includes(side) && rs.meta?.evaluated !== 'false');
  if (exact) return exact;
  if (preferred && preferred.directions.includes('forward')) return preferred;
  return file.ruleSets.find((rs) => rs.directions.includes('forward') && rs.kind === 'asa-acl');
}

/**
 * The written rule new allows must come before: the first deny of the
 * direction (the skeleton's Deny-All-…, or in an existing file the deny
 * evaluated first), so no deny the user wrote can hide them.
 */
function firstDeny(ruleSet: RuleSet, direction: Direction): Rule | undefined {
  const denies = ruleSet.rules.filter((r) => !r.implicit && r.enabled.value && r.direction === direction && r.target.kind === 'deny');
  if (denies.length === 0) return undefined;
  if (denies.every((r) => r.priority)) return denies.reduce((a, b) => (b.priority!.value < a.priority!.value ? b : a));
  return denies[0];
}

/**
 * One request per planned rule, for the rule set of `file` that carries its
 * direction. A flow between two hosts of the same role is planned inbound and
 * outbound; where one rule set holds both sides (an ASA ACL) the two are the
 * same rule and are written once.
 */
export function requestsForPlan(file: ParsedFile, plan: RulePlan, preferred?: RuleSet): { requests: AllowRuleRequest[]; unplaced: PlannedRule[] } {
  const unplaced: PlannedRule[] = [];
  const placed = new Map<string, { rule: PlannedRule; ruleSet: RuleSet; direction: Direction; flows: CatalogFlow[] }>();
  for (const rule of plan.rules) {
    const ruleSet = targetRuleSet(file, rule.side, preferred);
    const direction = ruleSet && requestDirection(ruleSet, rule.side);
    if (!ruleSet || !direction) {
      unplaced.push(rule);
      continue;
    }
    const source = rule.side === 'inbound' ? rule.peer : rule.own;
    const destination = rule.side === 'inbound' ? rule.own : rule.peer;
    const key = [ruleSet.id, direction, source.toString(), destination.toString(), rule.protocols.join(','), portKey(rule.ports)].join('|');
    const seen = placed.get(key);
    if (seen) for (const f of rule.flows) if (!seen.flows.includes(f)) seen.flows.push(f);
    if (!seen) placed.set(key, { rule, ruleSet, direction, flows: [...rule.flows] });
  }
  const names = new Map<string, number>();
  for (const p of placed.values()) names.set(ruleName(p.rule, false), (names.get(ruleName(p.rule, false)) ?? 0) + 1);
  const requests: AllowRuleRequest[] = [];
  for (const { rule, ruleSet, direction, flows } of placed.values()) {
    const split = (names.get(ruleName(rule, false)) ?? 0) > 1;
    const own = rule.roles.join('-and-');
    const peer = rule.peerRoles.join('-and-');
    requests.push({
      file,
      ruleSet,
      direction,
      protocols: rule.protocols,
      ports: rule.protocols.includes('icmp') ? [] : rule.ports.ranges.map((r) => ({ from: r.from, to: r.to })),
      source: rule.side === 'inbound' ? rule.peer : rule.own,
      destination: rule.side === 'inbound' ? rule.own : rule.peer,
      name: ruleName(rule, split),
      comment: flowsComment(flows),
      before: firstDeny(ruleSet, direction),
      sourceLabel: rule.side === 'inbound' ? peer : own,
      destinationLabel: rule.side === 'inbound' ? own : peer,
    });
  }
  // A network ACL keeps no state, so it lets no reply back by itself: each entry gets the one for its replies. (The
  // NetScaler writer answers for its own ACLs' replies.)
  const replies = requests
    .filter((r) => r.ruleSet.kind === 'aws-network-acl' && (r.direction === 'inbound' || r.direction === 'outbound'))
    .map((r): AllowRuleRequest => ({ ...r, reply: true, before: firstDeny(r.ruleSet, r.direction === 'inbound' ? 'outbound' : 'inbound'), comment: `${r.comment} (its replies)` }));
  return { requests: [...requests, ...replies], unplaced };
}

export interface GenerateOptions {
  readonly roles: readonly string[];
  readonly topology: Topology;
  readonly format: GenerateFormat;
  readonly direction?: GenerateDirection;
  readonly catalog?: Catalog;
  /** How the header names citrix-flows.yaml (a path as the user gave it); default its URI. */
  readonly topologyName?: string;
}

export interface GenerateResult {
  readonly text: string;
  readonly format: GenerateFormat;
  /** The name the text reads back as (its extension selects the parser). */
  readonly fileName: string;
  readonly plan: RulePlan;
  /** Rules the emitters wrote (one per rule of the format: an Azure rule per protocol, an ASA entry per line). */
  readonly ruleCount: number;
}

function header(o: GenerateOptions, plan: RulePlan, catalog: Catalog): string[] {
  const direction = o.direction ?? 'both';
  const lines = [
    `Generated by Citrix Flow Lint (citrix-flow-lint generate --format ${o.format} --direction ${direction} --role ${o.roles.join(',')}).`,
    `Least-privilege rules for ${o.roles.map((r) => `${roleName(catalog, r)} (${r})`).join(', ')}: every required Citrix flow ${direction === 'in' ? 'into' : direction === 'out' ? 'out of' : 'into and out of'} ${o.roles.length > 1 ? 'these roles' : 'this role'}, nothing else.`,
    o.topology.uri ? `Peers, features and versions from ${o.topologyName ?? o.topology.uri}.` : 'No citrix-flows.yaml: every peer is assumed present and written as a placeholder to fill in.',
    `citrix-role: ${o.roles.join(', ')}`,
  ];
  if (plan.placeholders.length) lines.push(`Placeholders (addresses not declared, never "any"): ${plan.placeholders.join(', ')}.`);
  if (plan.absentPeers.length) lines.push(`Not generated, the site has no such peer (not in citrix-flows.yaml): ${plan.absentPeers.join(', ')}.`);
  if (plan.skipped.length) {
    lines.push('Not generated:');
    const byReason = new Map<string, string[]>();
    for (const s of plan.skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.flow.id]);
    for (const [reason, ids] of byReason) lines.push(`  ${oneLine(reason)}: ${[...new Set(ids)].join(', ')}`);
  }
  return lines.map((l) => (l.startsWith('citrix-role:') ? l : oneLine(l).replace(/^/, l.startsWith('  ') ? '  ' : '')));
}

/**
 * How each format writes the protected side: a host firewall, an AWS
 * security group and a GCP egress rule (the emitter writes no source there)
 * stand for the role themselves; an ASA ACL names both ends, so an
 * undeclared role becomes a placeholder group; elsewhere the declared
 * addresses, or any (the NSG's own subnet) when there are none.
 */
const AWS_FORMATS: ReadonlySet<GenerateFormat> = new Set(['terraform-aws', 'terraform-aws-nacl', 'cloudformation', 'cloudformation-nacl']);

function ownPolicy(format: GenerateFormat): PlanOptions['ownAddresses'] {
  return (role, side, declared) => {
    // A security group or network ACL protects what it is attached to; its rules name only the peer.
    if (HOST_FORMATS.has(format) || AWS_FORMATS.has(format) || (format === 'terraform-gcp' && side === 'outbound')) return AddressSet.any();
    if (declared.known) return declared.addresses;
    return format === 'asa' ? AddressSet.symbol('variable', `role:${role}`) : AddressSet.any();
  };
}

function ownCidrs(roles: readonly string[], topology: Topology): string[] | undefined {
  let all = AddressSet.none();
  for (const r of roles) {
    const a = roleAddresses(r, topology);
    if (!a.known || !a.addresses.isConcrete || a.addresses.isAny) return undefined;
    all = all.union(a.addresses);
  }
  return all.toStrings().filter((c) => !c.includes(':'));
}

/**
 * A whole rule set in one format: header, skeleton, and the emitter's rules.
 * Terraform and Bicep parsers need `initTreeSitter()` to have run.
 */
export function generateRuleSet(o: GenerateOptions): GenerateResult | { error: string } {
  const catalog = o.catalog ?? loadCatalog();
  const direction = o.direction ?? 'both';
  const inbound = direction !== 'out';
  const outbound = direction !== 'in';
  const plan = planRules({
    roles: o.roles,
    topology: o.topology,
    direction,
    catalog,
    ownAddresses: ownPolicy(o.format),
  });
  const format = PARSER_FORMAT[o.format];
  const fileName = FILE_NAME[o.format];
  const skeleton = `${commentBlock(o.format, header(o, plan, catalog))}\n${skeletonText(o.format, { roles: o.roles, inbound, outbound, ownCidrs: ownCidrs(o.roles, o.topology) })}`;
  const uri = `untitled:${fileName}`;
  const file = parseAs(format, skeleton, uri);
  const skeletonRules = countRules(file);
  if (plan.rules.length === 0) return { text: skeleton, format: o.format, fileName, plan, ruleCount: 0 };
  const { requests, unplaced } = requestsForPlan(file, plan);
  if (unplaced.length) return { error: `the ${o.format} skeleton has no rule set for ${unplaced[0].side} rules` };
  const emitter = emitterFor(format);
  if (!emitter) return { error: `no rule writer for ${format}` };
  const result = emitter(requests);
  if ('error' in result) return { error: result.error };
  const text = applyEdits(skeleton, result.edits);
  const ruleCount = countRules(parseAs(format, text, uri)) - skeletonRules;
  return { text, format: o.format, fileName, plan, ruleCount };
}

function countRules(file: ParsedFile): number {
  let n = 0;
  for (const rs of file.ruleSets) for (const r of [...rs.rules, ...Object.values(rs.chains ?? {}).flat()]) if (!r.implicit) n++;
  return n;
}

/**
 * "Insert rules for role…": the rules of the roles written into an open file
 * by its own emitter (its style, priorities between the existing ones),
 * into the rule set at `offset` when there is one there.
 */
export function generateInto(file: ParsedFile, offset: number, o: { roles: readonly string[]; topology: Topology; direction?: GenerateDirection; catalog?: Catalog }): { edits: TextEdit[]; plan: RulePlan } | { error: string } {
  const emitter = emitterFor(file.format);
  // A plan and a cloud export have no emitter; naming them here also narrows the format to one `generate` writes.
  if (!emitter || file.format === 'cloud-export' || file.format === 'terraform-plan') return { error: `Citrix Flow Lint cannot write rules into ${file.format} files` };
  // Their quick fixes write rules; `generate` has no skeleton for them yet.
  if (file.format === 'firewalld' || file.format === 'ufw') return { error: `"Insert rules for role" does not write ${file.format} yet: use the quick fixes on its findings` };
  if (file.ruleSets.length === 0) return { error: 'this file has no rule set (NSG, security group, chain, ACL) to add rules to' };
  const here = file.ruleSets.filter((rs) => rs.span.start <= offset && offset <= rs.span.end).sort((a, b) => a.span.end - a.span.start - (b.span.end - b.span.start))[0];
  const kind = (here ?? file.ruleSets[0]).kind;
  const format: GenerateFormat =
    file.format === 'terraform'
      ? kind === 'aws-security-group'
        ? 'terraform-aws'
        : kind === 'aws-network-acl'
          ? 'terraform-aws-nacl'
          : kind === 'gcp-firewall'
            ? 'terraform-gcp'
            : 'terraform-azure'
      : file.format === 'cloudformation' && kind === 'aws-network-acl'
        ? 'cloudformation-nacl'
        : file.format;
  const plan = planRules({ roles: o.roles, topology: o.topology, direction: o.direction, catalog: o.catalog, ownAddresses: ownPolicy(format) });
  if (plan.rules.length === 0) return { error: `no required flow for ${o.roles.join(', ')} at this site` };
  const { requests } = requestsForPlan(file, plan, here);
  if (requests.length === 0) return { error: 'no rule set here takes the direction of these flows' };
  const result = emitterFor(file.format)!(requests);
  if ('error' in result) return { error: result.error };
  return { edits: result.edits, plan };
}
