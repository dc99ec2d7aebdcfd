import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineCounts, fingerprint, makeBaseline, parseBaseline, serializeBaseline, splitByBaseline } from '../analysis/baseline';
import type { Finding } from '../analysis/findings';
import { SEVERITY_RANK, type Severity } from '../analysis/findings';
import { readGated } from '../service/fileGate';
import { loadAndAnalyze, type LoadedWorkspace } from '../engine/batch';
import { ruleSetMatches } from '../topology/bind';
import { parseArgs } from './args';
import { formatCompact, formatJson, formatText, positions } from './report';
import { formatSarif } from './sarif';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError, type CliCommand, type CommandResult } from './types';

/**
 * Every option of `check`, declared once: the parser reads this table and
 * the usage text below lists the same names (a test holds them equal).
 */
export const CHECK_OPTIONS = {
  options: ['roles', 'role', 'format', 'severity-threshold', 'baseline', 'write-baseline', 'docs-url', 'exclude', 'max-file-size'],
  flags: ['help', 'no-color', 'color', 'exit-zero', 'skip-unsupported', 'allow-empty', 'no-infer'],
} as const;

const FORMATS = ['text', 'json', 'sarif', 'compact'] as const;

const USAGE = `Usage: citrix-flow-lint check [paths…] [--roles FILE] [--role ID[=RULESET]…] [--format text|json|sarif|compact]
                              [--severity-threshold error|warning|info] [--exit-zero] [--no-infer] [--no-color]
                              [--baseline FILE | --write-baseline FILE] [--docs-url URL] [--exclude GLOB…]
                              [--skip-unsupported] [--allow-empty] [--max-file-size SIZE]

Checks firewall and IaC files under the paths (default: the current folder)
against the network flows the declared Citrix roles need. Rule sets nothing
declares get the roles their names, groups, comments, files and opened ports
plainly say, and peers every site has (Delivery Controllers, the License
Server) are assumed; the "Assumed" block lists each assumption.

  --roles FILE              citrix-flows.yaml to use (default: the nearest one above the first path)
  --role ID[=RULESET]       bind the given files' rule sets to this role, or only RULESET (its id, name, or
                            the id's last part, or a glob: vda=aws_security_group.vda); repeat, or a,b,c;
                            a machine of citrix-flows.yaml (machines:) stands for every role it plays
  --format FMT              text (default), json, sarif (SARIF 2.1.0) or compact (one line per finding)
  --severity-threshold LVL  exit 1 when a finding is at or above LVL (default: warning)
  --exit-zero               report findings but exit 0 (usage and internal errors still exit 2)
  --no-infer                check only what citrix-flows.yaml, annotations and --role declare
  --write-baseline FILE     write every finding to FILE as accepted for now, and exit 0
  --baseline FILE           report and count only findings that FILE does not hold
  --docs-url URL            SARIF helpUri of each check: URL/<check-id>.md, or URL with {id} in it
  --exclude GLOB            leave out matching files and folders (repeat; relative to the current folder).
                            Also left out: exclude: in citrix-flows.yaml, .gitignore, node_modules, .git,
                            .terraform, dist, out and hidden folders
  --color, --no-color       force colours on or off in text output
  --skip-unsupported        a file named on the command line in no supported format is skipped
                            with a note instead of failing the run
  --allow-empty             exit 0 when the paths hold no file citrix-flow-lint reads
  --max-file-size SIZE      read files up to SIZE (default 5MB; e.g. 64MB for a Kubernetes node's
                            iptables-save, at most 512MB); larger files are skipped with a note
  -h, --help                this help          --version  the version

Files skipped (too large, binary, unreadable, not a supported format) are
listed on stderr with the reason, and in SARIF as tool execution notifications.

Exit status: 0 nothing at or above the threshold, 1 findings, 2 usage or
internal error, a path that does not exist, a named file in no supported
format (unless --skip-unsupported), or paths with no file to check (unless
--allow-empty).`;

const MAX_FILE_SIZE_LIMIT = 512 * 1024 * 1024;

/** A size as people write it (`64MB`, `500KB`, `1048576` bytes) in bytes; undefined when it is none, or outside 1 KB – 512 MB. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const bytes = Math.round(Number(m[1]) * (unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1));
  return bytes >= 1024 && bytes <= MAX_FILE_SIZE_LIMIT ? bytes : undefined;
}

/** One line per skipped file, for stderr: the reports on stdout stay machine-readable. */
export function skippedNotes(loaded: LoadedWorkspace): string[] {
  const shown = (file: string): string => {
    const rel = path.relative(loaded.cwd, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
  };
  // One line per file: the .tfvars of a folder is skipped once for each .tf file beside it.
  const once = [...new Map([...loaded.unsupported, ...loaded.skipped].map((s) => [s.file, s])).values()];
  return once.map((s) => `skipped ${shown(s.file)}: ${s.why}`);
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'check files against the flows the declared Citrix roles need',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: CHECK_OPTIONS.options, flags: CHECK_OPTIONS.flags });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const option = (name: (typeof CHECK_OPTIONS.options)[number]): string | undefined => parsed.options.get(name)?.[0];
    const format = option('format') ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) return usageError(`--format must be text, json, sarif or compact, not "${format}"`, USAGE);
    const threshold = (option('severity-threshold') ?? 'warning') as Severity;
    if (!(threshold in SEVERITY_RANK)) return usageError(`--severity-threshold must be error, warning, info or hint, not "${threshold}"`, USAGE);
    const baselineFile = option('baseline');
    const writeBaseline = option('write-baseline');
    if (baselineFile && writeBaseline) return usageError('--baseline and --write-baseline do not go together: --write-baseline alone replaces the file with every current finding', USAGE);
    let counts: Map<string, number> | undefined;
    if (baselineFile) {
      const read = readGated(path.resolve(baselineFile));
      if (!read.ok) return usageError(`cannot read the baseline ${baselineFile}: ${read.why}`);
      const text = read.text;
      const baseline = parseBaseline(text);
      if ('error' in baseline) return usageError(`the baseline ${baselineFile} is not one citrix-flow-lint wrote: ${baseline.error}`);
      counts = baselineCounts(baseline);
    }
    const maxSize = option('max-file-size');
    const maxBytes = maxSize === undefined ? undefined : parseSize(maxSize);
    if (maxBytes === undefined && maxSize !== undefined) return usageError(`--max-file-size must be a size from 1KB to 512MB such as 64MB, 500KB or 1048576 (bytes), not "${maxSize}"`, USAGE);
    const progress = process.stderr.isTTY && format === 'text';
    const loaded = await loadAndAnalyze(parsed.positionals, {
      rolesFile: option('roles'),
      roles: parsed.options.get('role'),
      infer: !parsed.flags.has('no-infer'),
      exclude: parsed.options.get('exclude'),
      maxBytes,
      onProgress: progress ? (done, total) => total > 50 && process.stderr.write(`\rchecking ${done}/${total} files…`) : undefined,
    });
    if (progress) process.stderr.write('\r\x1b[K');
    if ('error' in loaded) return usageError(loaded.error);
    const badRole = loaded.analysis.findings.find((f) => f.uri === '<command-line>');
    if (badRole) return usageError(badRole.message, USAGE);
    let stderr = '';
    // `--role vda=NAME` binds only what NAME points at: say what that was, and stop when it was nothing (a typo would
    // otherwise check the site with the role missing and pass).
    for (const item of parsed.options.get('role') ?? []) {
      const wanted = item.includes('=') ? item.slice(item.indexOf('=') + 1) : undefined;
      const hits = loaded.analysis.binding.bound.filter((b) => b.via === 'command-line' && (wanted === undefined || ruleSetMatches(b.ruleSet, wanted)));
      if (wanted === undefined && hits.length === 0) continue;
      if (hits.length === 0) {
        const names = [...new Set(loaded.analysis.files.flatMap((f) => f.ruleSets.map((rs) => rs.id)))].slice(0, 8);
        return usageError(`--role ${item} names no rule set in the files checked${names.length ? `; rule sets there: ${names.map((n) => `"${n}"`).join(', ')}` : ''}`, USAGE);
      }
      const shownHits = hits.slice(0, 5).map((b) => `${b.ruleSet.id} (${path.relative(process.cwd(), fileURLToPath(b.file.uri))})`);
      stderr += `citrix-flow-lint: --role ${item} bound ${shownHits.join(', ')}${hits.length > 5 ? ` and ${hits.length - 5} more` : ''}\n`;
    }
    if (writeBaseline) {
      const target = path.resolve(writeBaseline);
      const at = positions(loaded.texts);
      const entries = loaded.analysis.findings.map((finding) => ({ finding, file: baselinePath(finding.uri, path.dirname(target)), line: at(finding.uri, finding.span).line }));
      try {
        fs.writeFileSync(target, serializeBaseline(makeBaseline(entries)));
      } catch (error) {
        return usageError(`cannot write the baseline ${writeBaseline}: ${(error as Error).message}`);
      }
      stderr += `citrix-flow-lint: wrote ${entries.length} finding${entries.length === 1 ? '' : 's'} to the baseline ${writeBaseline}\n`;
    }
    let shown = loaded;
    let baselined: Set<Finding> | undefined;
    if (counts && baselineFile) {
      const base = path.dirname(path.resolve(baselineFile));
      const split = splitByBaseline(loaded.analysis.findings, counts, (f) => fingerprint(f, baselinePath(f.uri, base)));
      baselined = new Set(split.baselined);
      shown = { ...loaded, analysis: { ...loaded.analysis, findings: split.fresh } };
    }
    const color = parsed.flags.has('color') || (!parsed.flags.has('no-color') && process.stdout.isTTY === true && !process.env.NO_COLOR);
    // SARIF keeps baselined results (marked "unchanged"): dropping them would make code scanning close their alerts as fixed.
    const stdout =
      format === 'json'
        ? formatJson(shown)
        : format === 'sarif'
          ? formatSarif(loaded, { docsUrl: option('docs-url'), baselined })
          : format === 'compact'
            ? formatCompact(shown)
            : formatText(shown, { color, baselined: baselined?.size });
    const failing = !writeBaseline && shown.analysis.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
    const internal = loaded.analysis.findings.some((f) => f.checkId === 'internal-error');
    const notes = skippedNotes(loaded);
    const refused = loaded.unsupported.length > 0 && !parsed.flags.has('skip-unsupported');
    const empty = loaded.explicit && loaded.analysis.files.length === 0 && !parsed.flags.has('allow-empty');
    if (refused) notes.push(`citrix-flow-lint: ${loaded.unsupported.length === 1 ? 'a file named on the command line is' : `${loaded.unsupported.length} files named on the command line are`} in no supported format (--skip-unsupported to skip such files)`);
    else if (empty) notes.push('citrix-flow-lint: no file in the given paths is in a format citrix-flow-lint reads, so nothing was checked (--allow-empty to accept that)');
    const exitCode = internal || refused || empty ? EXIT_USAGE : failing && !parsed.flags.has('exit-zero') ? EXIT_FINDINGS : EXIT_OK;
    return { exitCode, stdout, stderr: stderr + (notes.length ? `${notes.join('\n')}\n` : '') };
  },
};

/** A finding's file as a baseline names it: relative to the baseline's folder, so the file works from any working directory. */
export function baselinePath(uri: string, baseDir: string): string {
  if (!uri.startsWith('file:')) return uri;
  return path.relative(baseDir, fileURLToPath(uri)).split(path.sep).join('/');
}
