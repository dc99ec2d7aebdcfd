import * as path from 'node:path';
import { topologyResolver, windowsProfileOf } from '../analysis/required';
import { pathHops, walkPath, type PathQuery, type PathWalk, type NotOnPath } from '../analysis/sitePath';
import { decidingDecision, fileLabel, hopInWords, hopLocation, placeInWords } from '../analysis/pathWords';
import type { WorkspaceAnalysis } from '../analysis/analyze';
import { loadAndAnalyze } from '../engine/batch';
import { AddressSet, Ports, TCP, UDP, type ProtocolSet, type PortSet } from '../net';
import { loadCatalog } from '../catalog';
import type { Topology } from '../topology';
import type { WindowsProfile } from '../model';
import { EXIT_FINDINGS, EXIT_OK, usageError, type CommandResult } from './types';

export const PATH_USAGE = `Usage: citrix-flow-lint test-flow --path [paths…] --from ADDR|ROLE --to ADDR|ROLE --proto tcp|udp|icmp --port N
                                 [--through-gateway] [--roles FILE] [--profile domain|private|public] [--json]

Walks one flow through every rule set of the workspace (default: the current
folder) that sits on its way, in the order a packet meets them: the sender's
own firewall, the filter in front of its network, devices between networks,
the filter in front of the receiver's network, the receiver's own firewall.
What places a rule set on the path: a role binding (annotation, bindings: or
inference) with the role's addresses from citrix-flows.yaml, the subnets an
NSG is associated with, "guards:" in a binding of citrix-flows.yaml, an
ASA's interfaces and routes. ADDR is an address or CIDR; ROLE a role id
declared with addresses. --through-gateway asks it as a Citrix session
through the Gateway: the user reaches the Gateway VIP on 443, and the
Gateway's SNIP opens a new connection to the destination on the port (two
legs, as the catalog models them).
Exit status: 0 allowed, 1 denied, partial or unknown, 2 usage error.`;

interface HopAnswer {
  readonly file: string;
  readonly ruleSet: string;
  readonly place: string;
  readonly direction: string;
  readonly why: string;
  readonly verdict: string;
  readonly decidingRule?: { readonly line: number; readonly text: string };
  /** Why a hop could not decide (a variable, a profile, a name): only where its verdict is unknown or partial. */
  readonly reasons?: readonly string[];
}

interface LegAnswer {
  readonly leg: string;
  readonly from: string;
  readonly to: string;
  readonly port: string;
  readonly verdict: string;
  readonly hops: readonly HopAnswer[];
  readonly blockedAt?: { readonly file: string; readonly line: number; readonly ruleSet: string };
  readonly notOnPath: readonly { readonly file: string; readonly ruleSet: string; readonly why: string }[];
  readonly reasons: readonly string[];
}

/** An address or CIDR, else a role declared with concrete addresses. */
function endpoint(text: string, topology: Topology): { value: AddressSet; role?: string } | { error: string } {
  const parsed = AddressSet.parse(text);
  if (parsed.ok) return { value: parsed.value };
  const role = topology.roles.get(text);
  if (role && role.addresses.isConcrete && !role.addresses.isEmpty) return { value: role.addresses, role: text };
  if (role) return { error: `role "${text}" has no addresses in citrix-flows.yaml; give an address or declare them` };
  return { error: `"${text}" is neither an address nor a role declared in citrix-flows.yaml (${parsed.error})` };
}

function answerLeg(analysis: WorkspaceAnalysis, leg: string, query: PathQuery, portText: string, root: string, profile: WindowsProfile | undefined): LegAnswer {
  const site = { files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology };
  const { hops, notOnPath } = pathHops(site, query);
  const walk: PathWalk = walkPath(hops, query, { resolve: topologyResolver(analysis.topology), ...(profile ? { profile } : {}) }, (hop) => windowsProfileOf(analysis.topology, hop.bound?.roles ?? []));
  const context = { files: analysis.files };
  const hopAnswers = walk.hops.map((h): HopAnswer => {
    const at = hopLocation(context, h);
    const d = decidingDecision(h);
    const rule = d?.rule && !d.rule.implicit ? d.rule : undefined;
    return {
      file: fileLabel(at.file, root),
      ruleSet: h.hop.label,
      place: placeInWords(h.hop.place),
      direction: h.hop.direction,
      why: h.hop.why,
      verdict: h.result ? (h.reached ? h.result.verdict : `not reached (alone: ${h.result.verdict})`) : 'not walked',
      ...(h.result ? { decidingRule: { line: rule ? at.line : 0, text: hopInWords(context, h) } } : {}),
      ...(h.result && h.result.verdict !== 'allowed' && h.result.verdict !== 'denied' && h.result.reasons.length ? { reasons: h.result.reasons } : {}),
    };
  });
  const blocked = walk.blockedAt ? hopLocation(context, walk.blockedAt) : undefined;
  const skipped = (n: NotOnPath): { file: string; ruleSet: string; why: string } => ({ file: fileLabel(n.file, root), ruleSet: n.ruleSet.name, why: n.why });
  return {
    leg,
    from: query.source.toString(),
    to: query.destination.toString(),
    port: portText,
    verdict: walk.verdict,
    hops: hopAnswers,
    ...(blocked && walk.blockedAt ? { blockedAt: { file: fileLabel(blocked.file, root), line: blocked.line, ruleSet: walk.blockedAt.hop.label } } : {}),
    notOnPath: notOnPath.map(skipped),
    reasons: walk.reasons,
  };
}

/** allowed only when every leg is; denied when any leg is; else the least certain. */
function overall(legs: readonly LegAnswer[]): string {
  const verdicts = legs.map((l) => l.verdict);
  if (verdicts.every((v) => v === 'allowed')) return 'allowed';
  if (verdicts.includes('denied')) return 'denied';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'partial';
}

export async function runPath(
  positionals: readonly string[],
  one: (name: string) => string | undefined,
  flags: ReadonlySet<string>,
  flow: { protocols: ProtocolSet; ports: PortSet; portText: string; protoText: string; profile?: WindowsProfile },
): Promise<CommandResult> {
  const fromText = one('from');
  const toText = one('to');
  if (!fromText || !toText) return usageError('--path needs --from and --to', PATH_USAGE);
  const loaded = await loadAndAnalyze(positionals, { rolesFile: one('roles') });
  if ('error' in loaded) return usageError(loaded.error);
  const { analysis } = loaded;
  const from = endpoint(fromText, analysis.topology);
  const to = endpoint(toText, analysis.topology);
  if ('error' in from) return usageError(`--from: ${from.error}`);
  if ('error' in to) return usageError(`--to: ${to.error}`);
  const root = positionals.length === 1 ? path.resolve(loaded.cwd, positionals[0]) : loaded.cwd;
  const legs: LegAnswer[] = [];
  if (flags.has('through-gateway')) {
    const vip = endpoint('gateway', analysis.topology);
    // Users reach the Gateway's virtual server on the ports the catalog gives its role for the public side.
    const publicPorts = (loadCatalog().roleById('gateway')?.publicPorts ?? []).filter((p) => flow.protocols.has(p.protocol === 'tcp' ? TCP : UDP)).map((p) => ({ from: p.port, to: p.port }));
    if (publicPorts.length === 0) return usageError(`--through-gateway: users reach the Gateway on TCP or UDP, not ${flow.protoText}`);
    const snip = endpoint('gateway-snip', analysis.topology);
    if ('error' in vip) return usageError(`--through-gateway: ${vip.error}`);
    if ('error' in snip) return usageError(`--through-gateway: ${snip.error}`);
    legs.push(answerLeg(analysis, 'user → Gateway VIP', { protocols: flow.protocols, source: from.value, destination: vip.value, roles: { source: from.role, destination: 'gateway' }, destinationPorts: Ports.of(publicPorts) }, publicPorts.map((p) => p.from).join(', '), root, flow.profile));
    legs.push(answerLeg(analysis, 'Gateway SNIP → destination', { protocols: flow.protocols, source: snip.value, destination: to.value, roles: { source: 'gateway-snip', destination: to.role }, destinationPorts: flow.ports }, flow.portText, root, flow.profile));
  } else {
    legs.push(answerLeg(analysis, 'direct', { protocols: flow.protocols, source: from.value, destination: to.value, roles: { source: from.role, destination: to.role }, destinationPorts: flow.ports }, flow.portText, root, flow.profile));
  }
  const verdict = overall(legs);
  const exitCode = verdict === 'allowed' ? EXIT_OK : EXIT_FINDINGS;
  if (flags.has('json')) return { exitCode, stdout: `${JSON.stringify({ verdict, legs }, null, 2)}\n`, stderr: '' };
  const lines = [`${verdict.toUpperCase()}: ${flow.protoText} ${from.value} → ${to.value} port ${flow.portText}${legs.length > 1 ? ' through the Gateway' : ''}`];
  for (const leg of legs) {
    const indent = legs.length > 1 ? '    ' : '  ';
    if (legs.length > 1) lines.push(`  ${leg.leg} (${flow.protoText} ${leg.from} → ${leg.to} port ${leg.port}): ${leg.verdict}`);
    if (leg.hops.length === 0) lines.push(`${indent}no rule set of the workspace is known to sit on this path`);
    leg.hops.forEach((h, i) => {
      lines.push(`${indent}${i + 1}. ${h.file}${h.decidingRule?.line ? `:${h.decidingRule.line}` : ''}  ${h.decidingRule?.text ?? `${h.ruleSet}: ${h.verdict}`}`);
      lines.push(`${indent}   ${h.place}: ${h.why}`);
      for (const r of h.reasons ?? []) lines.push(`${indent}   ${r}`);
    });
    if (leg.blockedAt) lines.push(`${indent}first blocked at ${leg.blockedAt.file}:${leg.blockedAt.line} (${leg.blockedAt.ruleSet})`);
    for (const r of leg.reasons) lines.push(`${indent}${r}`);
    for (const n of leg.notOnPath.slice(0, 8)) lines.push(`${indent}not on the path: ${n.file} ${n.ruleSet}: ${n.why}`);
    if (leg.notOnPath.length > 8) lines.push(`${indent}… and ${leg.notOnPath.length - 8} more rule sets not on the path`);
  }
  return { exitCode, stdout: `${lines.join('\n')}\n`, stderr: '' };
}
