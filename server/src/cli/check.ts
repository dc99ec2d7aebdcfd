import * as path from 'node:path';
import { analyzeParsed, readTopology, type WorkspaceAnalysis } from '../analysis/analyze';
import { SEVERITY_RANK, type Severity } from '../analysis/findings';
import { initTreeSitter, parseAs, detectFormat } from '../formats';
import type { ParsedFile } from '../model';
import { readGated } from '../service/fileGate';
import { collectFiles, findTopologyFile, terraformSiblingReader, toUri } from '../service/workspaceFiles';
import { parseArgs } from './args';
import { formatJson, formatSarif, formatText } from './report';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError, type CliCommand, type CommandResult } from './types';

const USAGE = `Usage: citrix-flow-lint check [paths…] [--roles FILE] [--role ID…] [--format text|json|sarif]
                              [--severity-threshold error|warning|info] [--exit-zero] [--no-color]

Checks firewall and IaC files under the paths (default: the current folder)
against the network flows the declared Citrix roles need.

  --roles FILE              citrix-flows.yaml to use (default: the nearest one above the first path)
  --role ID                 bind every rule set in the given files to this role (repeat, or a,b,c)
  --format FMT              text (default), json or sarif (SARIF 2.1.0)
  --severity-threshold LVL  exit 1 when a finding is at or above LVL (default: warning)
  --exit-zero               report findings but exit 0 (usage and internal errors still exit 2)

Exit status: 0 nothing at or above the threshold, 1 findings, 2 usage or internal error.`;

export interface LoadedWorkspace {
  readonly analysis: WorkspaceAnalysis;
  readonly texts: ReadonlyMap<string, string>;
  readonly cwd: string;
  readonly skipped: readonly { file: string; why: string }[];
}

/** Reads, parses and analyses the given paths the way `check`, `report` and `test-flow` all need. */
export async function loadAndAnalyze(paths: readonly string[], options: { rolesFile?: string; roles?: readonly string[]; cwd?: string; onProgress?: (done: number, total: number) => void }): Promise<LoadedWorkspace | { error: string }> {
  const cwd = options.cwd ?? process.cwd();
  const targets = paths.length ? paths.map((p) => path.resolve(cwd, p)) : [cwd];
  const topologyPath = options.rolesFile ? path.resolve(cwd, options.rolesFile) : findTopologyFile(targets[0]);
  let topologyText: string | undefined;
  const skipped: { file: string; why: string }[] = [];
  if (topologyPath) {
    // A found citrix-flows.yaml may not be a link out of its folder; a named one is the user's choice.
    const read = readGated(topologyPath, options.rolesFile ? {} : { root: path.dirname(topologyPath) });
    if (read.ok) topologyText = read.text;
    else if (options.rolesFile) return { error: `cannot read ${options.rolesFile}: ${read.why}` };
    else skipped.push({ file: topologyPath, why: read.why });
  }
  const topologyUri = topologyPath ? toUri(topologyPath) : undefined;
  const topology = readTopology(topologyText, topologyUri);
  await initTreeSitter();
  const candidates = collectFiles(targets, { onSkip: (file, why) => skipped.push({ file, why }) });
  const files: ParsedFile[] = [];
  const texts = new Map<string, string>();
  if (topologyUri && topologyText !== undefined) texts.set(topologyUri, topologyText);
  const terraformSiblings = terraformSiblingReader({ onSkip: (file, why) => skipped.push({ file, why }) });
  candidates.forEach((c, i) => {
    const format = detectFormat(c.uri, c.text);
    if (!format) return;
    const siblingFiles = format === 'terraform' ? terraformSiblings(c.path, c.root) : undefined;
    files.push(parseAs(format, c.text, c.uri, siblingFiles ? { siblingFiles } : undefined));
    texts.set(c.uri, c.text);
    options.onProgress?.(i + 1, candidates.length);
  });
  const root = topologyPath ? path.dirname(topologyPath) : cwd;
  const coversRoot = targets.some((t) => path.relative(t, root) === '' || !path.relative(t, root).startsWith('..'));
  const analysis = analyzeParsed(files, topology, {
    workspaceRoot: root,
    commandLineRoles: options.roles,
    reportUnmatchedBindings: coversRoot,
  });
  return { analysis, texts, cwd, skipped };
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'check files against the flows the declared Citrix roles need',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['roles', 'role', 'format', 'severity-threshold'], flags: ['help', 'no-color', 'color', 'exit-zero'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const format = parsed.options.get('format')?.[0] ?? 'text';
    if (!['text', 'json', 'sarif'].includes(format)) return usageError(`--format must be text, json or sarif, not "${format}"`, USAGE);
    const threshold = (parsed.options.get('severity-threshold')?.[0] ?? 'warning') as Severity;
    if (!(threshold in SEVERITY_RANK)) return usageError(`--severity-threshold must be error, warning, info or hint, not "${threshold}"`, USAGE);
    const progress = process.stderr.isTTY && format === 'text';
    const loaded = await loadAndAnalyze(parsed.positionals, {
      rolesFile: parsed.options.get('roles')?.[0],
      roles: parsed.options.get('role'),
      onProgress: progress ? (done, total) => total > 50 && process.stderr.write(`\rchecking ${done}/${total} files…`) : undefined,
    });
    if (progress) process.stderr.write('\r\x1b[K');
    if ('error' in loaded) return usageError(loaded.error);
    // Unread files are said on stderr, so a report on stdout stays what its format promises.
    const warnings = [...new Map(loaded.skipped.map((s) => [s.file, s])).values()].map((s) => `citrix-flow-lint: warning: ${path.relative(loaded.cwd, s.file) || s.file} not read: ${s.why}\n`).join('');
    const badRole = loaded.analysis.findings.find((f) => f.uri === '<command-line>');
    if (badRole) return usageError(badRole.message, USAGE);
    const color = parsed.flags.has('color') || (!parsed.flags.has('no-color') && process.stdout.isTTY === true && !process.env.NO_COLOR);
    const stdout =
      format === 'json' ? formatJson(loaded) : format === 'sarif' ? formatSarif(loaded) : formatText(loaded, { color });
    const failing = loaded.analysis.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
    const internal = loaded.analysis.findings.some((f) => f.checkId === 'internal-error');
    return { exitCode: internal ? EXIT_USAGE : failing && !parsed.flags.has('exit-zero') ? EXIT_FINDINGS : EXIT_OK, stdout, stderr: warnings };
  },
};
