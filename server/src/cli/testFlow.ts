import * as path from 'node:path';
import { evaluatePaths } from '../analysis/devicePath';
import { evaluate, type EvaluateOptions, type FlowQuery } from '../analysis/evaluate';
import { lineOf } from '../analysis/describe';
import { topologyResolver, windowsProfileOf } from '../analysis/required';
import { loadAndAnalyze } from '../engine/batch';
import { LineIndex, type Direction, type ParsedFile, type Rule, type RuleSet, type WindowsProfile } from '../model';
import { AddressSet, parsePortRange, parseProtocol } from '../net';
import { toUri } from '../service/workspaceFiles';
import { parseArgs } from './args';
import { PATH_USAGE, runPath } from './testFlowPath';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError, type CliCommand, type CommandResult } from './types';

const USAGE = `Usage: citrix-flow-lint test-flow FILE --from ADDR --to ADDR --proto tcp|udp|icmp --port N
                                 [--direction in|out|forward] [--role ID…] [--roles FILE]
                                 [--profile domain|private|public] [--json]

Would the rule sets in FILE let this flow through? in: the protected host or
group is the destination (default); out: it is the source; forward: it sits
between (the default for a file of forward rules only, such as an ASA's).
Every rule set in FILE that filters the direction is applied in sequence, as
the stages of one path; when FILE holds rule sets for different hosts, ask
about one with --role. An ASA's ACLs are applied as the device does: the one
bound in on the interface the flow arrives on (then the global ACL), and the
one bound out on the interface it leaves by, which the configuration's
connected networks and routes decide. --profile is the Windows Firewall profile
active on the host (else the windowsProfile its --role declares in
citrix-flows.yaml; without either, a verdict that differs between profiles
is unknown).
When no rule set of FILE filters the direction (nothing in it was read, or
its resources are of a kind citrix-flow-lint does not read), the verdict is
unknown, never allowed: the answer names what was not read.
Exit status: 0 allowed, 1 denied, partial or unknown, 2 usage error or no
rule set read.`;

/** The rule's first line, with its name where that line does not show it (a Terraform `security_rule {`). */
function ruleText(rule: Rule): string {
  const first = rule.raw.split(/\r?\n/)[0].trim();
  return rule.name && !first.includes(rule.name) ? `${rule.name}: ${first}` : first;
}

/** What was not read, so an unknown verdict says why: the file's own parse problems, else which rule sets it has. */
function notRead(file: ParsedFile, name: string, roles: readonly string[] | undefined): string[] {
  const out: string[] = [];
  if (file.ruleSets.length === 0) out.push(`no rule set was read from ${name}, so nothing is known about this flow`);
  else out.push(`no rule set in ${name} is bound to ${roles?.join(', ')}, so nothing is known about this flow for ${roles?.length === 1 ? 'it' : 'them'}`);
  const at = LineIndex.of(file.text);
  for (const p of file.problems.slice(0, 5)) out.push(`line ${at.positionAt(p.span.start).line + 1}: ${p.message}`);
  if (file.problems.length > 5) out.push(`… and ${file.problems.length - 5} more problems (citrix-flow-lint check ${name})`);
  return out;
}

interface StageAnswer {
  readonly ruleSet: string;
  readonly verdict: string;
  readonly decidingRule?: { readonly line: number; readonly text: string };
  readonly reasons?: readonly string[];
}

function describeStage(parsedFile: ParsedFile, rs: RuleSet, query: FlowQuery, options: EvaluateOptions): StageAnswer {
  const r = evaluate(rs, query, options);
  const decision = r.decisions.find((d) => d.outcome === (r.verdict === 'allowed' ? 'allow' : r.verdict === 'unknown' ? 'unknown' : 'deny'));
  const rule = decision?.rule;
  // A stage the device itself decides (security levels, no route) has no line; its note says why.
  const fallback = rs.meta?.note && !rs.rules.length ? rs.meta.note : `default of ${rs.name}`;
  return {
    ruleSet: rs.name,
    verdict: r.verdict,
    ...(rule
      ? { decidingRule: { line: rule.implicit ? 0 : lineOf(parsedFile, rule.span.start), text: rule.implicit ? `${rule.name ?? rule.id} (built in)` : ruleText(rule) } }
      : decision
        ? { decidingRule: { line: 0, text: fallback } }
        : {}),
    // An allowed verdict carries reasons when more than a rule decided it: the other address family, a name that did not matter, the profile.
    ...(r.reasons.length ? { reasons: r.reasons } : {}),
  };
}

export const testFlowCommand: CliCommand = {
  name: 'test-flow',
  summary: 'ask whether one flow passes the rule sets in a file, and which rule decides',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['from', 'to', 'proto', 'port', 'direction', 'role', 'roles', 'profile'], flags: ['json', 'help', 'path', 'through-gateway'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n\n${PATH_USAGE}\n`, stderr: '' };
    const one = (name: string): string | undefined => parsed.options.get(name)?.[0];
    const pathMode = parsed.flags.has('path');
    if (!pathMode && parsed.flags.has('through-gateway')) return usageError('--through-gateway asks about a whole path: use it with --path', PATH_USAGE);
    if (pathMode && (one('direction') !== undefined || parsed.options.has('role'))) return usageError('--path walks every rule set on the way: --direction and --role do not apply', PATH_USAGE);
    const [file, ...extra] = parsed.positionals;
    if (!pathMode && (!file || extra.length)) return usageError(file ? `one FILE only, got ${parsed.positionals.length}` : 'FILE is required', USAGE);
    const from = AddressSet.parse(pathMode ? 'any' : (one('from') ?? 'any'));
    const to = AddressSet.parse(pathMode ? 'any' : (one('to') ?? 'any'));
    if (!from.ok) return usageError(`--from: ${from.error}`);
    if (!to.ok) return usageError(`--to: ${to.error}`);
    const proto = parseProtocol(one('proto') ?? 'tcp');
    if (!proto.ok) return usageError(`--proto: ${proto.error}`);
    const portText = one('port');
    if (!portText && !proto.value.has(1)) return usageError('--port is required for TCP and UDP', USAGE);
    const port = parsePortRange(portText ?? '*', ['-', ':']);
    if (!port.ok) return usageError(`--port: ${port.error}`);
    const profileWord = one('profile')?.toLowerCase();
    if (profileWord !== undefined && !['domain', 'private', 'public'].includes(profileWord)) return usageError(`--profile must be domain, private or public, not "${one('profile')}"`);
    if (pathMode) return runPath(parsed.positionals, one, parsed.flags, { protocols: proto.value, ports: port.value, portText: portText ?? 'any', protoText: one('proto') ?? 'tcp', ...(profileWord ? { profile: profileWord as WindowsProfile } : {}) });
    const DIRECTIONS: Record<string, Direction> = { in: 'inbound', out: 'outbound', forward: 'forward' };
    if (one('direction') !== undefined && !DIRECTIONS[one('direction') as string]) return usageError(`--direction must be in, out or forward, not "${one('direction')}"`);

    // The same load → detect → parse → topology path as check and report (engine/batch.ts), so a file answers here as it is judged there.
    const loaded = await loadAndAnalyze([file], { rolesFile: one('roles'), infer: false });
    if ('error' in loaded) return usageError(loaded.error.startsWith(`${file}: `) ? `cannot read ${file}: ${loaded.error.slice(file.length + 2)}` : loaded.error);
    if (loaded.unsupported.length) return usageError(`${file} is not a format citrix-flow-lint reads`);
    const uri = toUri(path.resolve(file));
    const parsedFile = loaded.analysis.files.find((f) => f.uri === uri);
    if (!parsedFile) return usageError(`cannot read ${file}${loaded.skipped[0] ? `: ${loaded.skipped[0].why}` : ''}`);
    // A firewall between networks (an ASA) filters only traffic through it: that is the question to ask of it unless told otherwise.
    const onlyForward = parsedFile.ruleSets.length > 0 && parsedFile.ruleSets.every((rs) => rs.directions.length === 1 && rs.directions[0] === 'forward');
    const directionWord = one('direction') ?? (onlyForward ? 'forward' : 'in');
    const direction = DIRECTIONS[directionWord];
    const { topology, binding } = loaded.analysis;
    let ruleSets = parsedFile.ruleSets.filter((rs) => rs.directions.includes(direction));
    const filtering = ruleSets.length;
    const roles = parsed.options.get('role');
    if (roles?.length) ruleSets = ruleSets.filter((rs) => binding.bound.some((b) => b.ruleSet === rs && b.roles.some((r) => roles.includes(r))));
    const query: FlowQuery = { direction, protocols: proto.value, source: from.value, destination: to.value, destinationPorts: port.value };
    const resolve = topologyResolver(topology);
    const profile = (profileWord as WindowsProfile | undefined) ?? windowsProfileOf(topology, roles ?? []);
    const options: EvaluateOptions = { resolve, profile };
    const describe = (rs: RuleSet, q: FlowQuery): StageAnswer => describeStage(parsedFile, rs, q, options);
    const throughDevices = evaluatePaths(ruleSets, query, options);
    const stages = throughDevices ? [] : ruleSets.map((rs) => describe(rs, query));
    const paths = throughDevices?.results.map(({ path, result }) => ({
      device: path.device.replace(/^asa:/, ''),
      from: path.source.toString(),
      to: path.destination.toString(),
      ingress: path.ingress,
      egress: path.egress,
      why: path.why,
      verdict: result.verdict,
      stages: path.stages.map((rs) => describe(rs, { ...query, source: path.source, destination: path.destination })),
    }));
    const unbound = throughDevices?.unbound.map((rs) => `${rs.name}: bound by no access-group, so it filters nothing`) ?? [];
    // No rule set read is not "allowed": the file may hold rules of a kind not read, or rules that did not parse.
    // A file whose rule sets all govern the other direction does not filter this one (an iptables file of OUTPUT rules only).
    const noneRead = parsedFile.ruleSets.length === 0 || (filtering > 0 && ruleSets.length === 0);
    const unread = noneRead ? notRead(parsedFile, file, roles) : [];
    const overall = noneRead ? 'unknown' : ruleSets.length === 0 ? 'allowed' : throughDevices ? throughDevices.verdict : evaluate(ruleSets, query, options).verdict;
    const exitCode = noneRead ? EXIT_USAGE : overall === 'allowed' ? EXIT_OK : EXIT_FINDINGS;
    if (parsed.flags.has('json')) {
      const answer = { verdict: overall, ...(paths ? { paths, ...(unbound.length ? { notApplied: unbound } : {}) } : { stages }), ...(unread.length ? { reasons: unread } : {}) };
      return { exitCode, stdout: `${JSON.stringify(answer, null, 2)}\n`, stderr: '' };
    }
    const lines = [`${overall.toUpperCase()}: ${one('proto') ?? 'tcp'} ${from.value} → ${to.value} port ${portText ?? 'any'} (${directionWord})`];
    for (const reason of unread) lines.push(`  ${reason}`);
    if (!noneRead && ruleSets.length === 0) lines.push(`  no rule set in ${file} filters ${direction} traffic: ${parsedFile.ruleSets.map((rs) => rs.name).join(', ')} ${parsedFile.ruleSets.length === 1 ? 'governs' : 'govern'} only the other direction`);
    const stageLines = (list: readonly StageAnswer[], indent: string): void => {
      for (const s of list) {
        const rule = s.decidingRule ? ` — ${s.decidingRule.line ? `line ${s.decidingRule.line}: ` : ''}${s.decidingRule.text}` : '';
        lines.push(`${indent}${s.ruleSet}: ${s.verdict}${rule}`);
        for (const reason of s.reasons ?? []) lines.push(`${indent}    ${reason}`);
      }
    };
    stageLines(stages, '  ');
    for (const p of paths ?? []) {
      const parts = paths && paths.length > 1 ? ` for ${p.from} → ${p.to}` : '';
      lines.push(`  through ${p.device}${parts}: ${p.verdict} — ${p.why.join(', ')}`);
      stageLines(p.stages, '    ');
    }
    for (const line of unbound) lines.push(`  ${line}`);
    return { exitCode, stdout: `${lines.join('\n')}\n`, stderr: '' };
  },
};
