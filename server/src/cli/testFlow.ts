import * as path from 'node:path';
import { evaluate, type FlowQuery } from '../analysis/evaluate';
import { lineOf } from '../analysis/describe';
import { topologyResolver, windowsProfileOf } from '../analysis/required';
import { readTopology, vocabulary } from '../analysis/analyze';
import { detectFormat, initTreeSitter, parseAs } from '../formats';
import { LineIndex, type Direction, type ParsedFile, type Rule, type WindowsProfile } from '../model';
import { AddressSet, parsePortRange, parseProtocol } from '../net';
import { bindRuleSets } from '../topology';
import { findTopologyFile, readText, terraformSiblings, toUri } from '../service/workspaceFiles';
import { parseArgs } from './args';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError, type CliCommand, type CommandResult } from './types';

const USAGE = `Usage: citrix-flow-lint test-flow FILE --from ADDR --to ADDR --proto tcp|udp|icmp --port N
                                 [--direction in|out|forward] [--role ID…] [--roles FILE]
                                 [--profile domain|private|public] [--json]

Would the rule sets in FILE let this flow through? in: the protected host or
group is the destination (default); out: it is the source; forward: it sits
between. Every rule set in FILE that filters the direction is applied in
sequence, as the stages of one path; when FILE holds rule sets for different
hosts, ask about one with --role. --profile is the Windows Firewall profile
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
  const at = new LineIndex(file.text);
  for (const p of file.problems.slice(0, 5)) out.push(`line ${at.positionAt(p.span.start).line + 1}: ${p.message}`);
  if (file.problems.length > 5) out.push(`… and ${file.problems.length - 5} more problems (citrix-flow-lint check ${name})`);
  return out;
}

export const testFlowCommand: CliCommand = {
  name: 'test-flow',
  summary: 'ask whether one flow passes the rule sets in a file, and which rule decides',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['from', 'to', 'proto', 'port', 'direction', 'role', 'roles', 'profile'], flags: ['json', 'help'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length) return usageError(file ? `one FILE only, got ${parsed.positionals.length}` : 'FILE is required', USAGE);
    const one = (name: string): string | undefined => parsed.options.get(name)?.[0];
    const from = AddressSet.parse(one('from') ?? 'any');
    const to = AddressSet.parse(one('to') ?? 'any');
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
    const directionWord = one('direction') ?? 'in';
    const direction = ({ in: 'inbound', out: 'outbound', forward: 'forward' } as Record<string, Direction>)[directionWord];
    if (!direction) return usageError(`--direction must be in, out or forward, not "${directionWord}"`);

    const full = path.resolve(file);
    const text = readText(full);
    if (text === undefined) return usageError(`cannot read ${file}`);
    const uri = toUri(full);
    const format = detectFormat(uri, text);
    if (!format) return usageError(`${file} is not a format citrix-flow-lint reads`);
    await initTreeSitter();
    const parsedFile = parseAs(format, text, uri, format === 'terraform' ? { siblingFiles: terraformSiblings(full) } : undefined);
    const rolesPath = one('roles') ? path.resolve(one('roles') as string) : findTopologyFile(path.dirname(full));
    const rolesText = rolesPath ? readText(rolesPath) : undefined;
    const topology = readTopology(rolesText, rolesPath ? toUri(rolesPath) : undefined);
    let ruleSets = parsedFile.ruleSets.filter((rs) => rs.directions.includes(direction));
    const filtering = ruleSets.length;
    const roles = parsed.options.get('role');
    if (roles?.length) {
      const bound = bindRuleSets([parsedFile], topology, { vocabulary: vocabulary(), reportUnmatched: false });
      ruleSets = ruleSets.filter((rs) => bound.bound.some((b) => b.ruleSet === rs && b.roles.some((r) => roles.includes(r))));
    }
    const query: FlowQuery = { direction, protocols: proto.value, source: from.value, destination: to.value, destinationPorts: port.value };
    const resolve = topologyResolver(topology);
    const profile = (profileWord as WindowsProfile | undefined) ?? windowsProfileOf(topology, roles ?? []);
    const stages = ruleSets.map((rs) => {
      const r = evaluate(rs, query, { resolve, profile });
      const decision = r.decisions.find((d) => d.outcome === (r.verdict === 'allowed' ? 'allow' : r.verdict === 'unknown' ? 'unknown' : 'deny'));
      const rule = decision?.rule;
      return {
        ruleSet: rs.name,
        verdict: r.verdict,
        ...(rule
          ? { decidingRule: { line: rule.implicit ? 0 : lineOf(parsedFile, rule.span.start), text: rule.implicit ? `${rule.name ?? rule.id} (built in)` : ruleText(rule) } }
          : decision
            ? { decidingRule: { line: 0, text: `default of ${rs.name}` } }
            : {}),
        // An allowed verdict carries reasons when more than a rule decided it: the other address family, a name that did not matter, the profile.
        ...(r.reasons.length ? { reasons: r.reasons } : {}),
      };
    });
    // No rule set read is not "allowed": the file may hold rules of a kind not read, or rules that did not parse.
    // A file whose rule sets all govern the other direction does not filter this one (an iptables file of OUTPUT rules only).
    const noneRead = parsedFile.ruleSets.length === 0 || (filtering > 0 && ruleSets.length === 0);
    const unread = noneRead ? notRead(parsedFile, file, roles) : [];
    const overall = noneRead ? 'unknown' : ruleSets.length === 0 ? 'allowed' : evaluate(ruleSets, query, { resolve, profile }).verdict;
    const exitCode = noneRead ? EXIT_USAGE : overall === 'allowed' ? EXIT_OK : EXIT_FINDINGS;
    if (parsed.flags.has('json')) {
      return { exitCode, stdout: `${JSON.stringify({ verdict: overall, stages, ...(unread.length ? { reasons: unread } : {}) }, null, 2)}\n`, stderr: '' };
    }
    const lines = [`${overall.toUpperCase()}: ${one('proto') ?? 'tcp'} ${from.value} → ${to.value} port ${portText ?? 'any'} (${directionWord})`];
    for (const reason of unread) lines.push(`  ${reason}`);
    if (!noneRead && ruleSets.length === 0) lines.push(`  no rule set in ${file} filters ${direction} traffic: ${parsedFile.ruleSets.map((rs) => rs.name).join(', ')} ${parsedFile.ruleSets.length === 1 ? 'governs' : 'govern'} only the other direction`);
    for (const s of stages) {
      const rule = 'decidingRule' in s && s.decidingRule ? ` — ${s.decidingRule.line ? `line ${s.decidingRule.line}: ` : ''}${s.decidingRule.text}` : '';
      lines.push(`  ${s.ruleSet}: ${s.verdict}${rule}`);
      for (const reason of ('reasons' in s && s.reasons) || []) lines.push(`      ${reason}`);
    }
    return { exitCode, stdout: `${lines.join('\n')}\n`, stderr: '' };
  },
};
