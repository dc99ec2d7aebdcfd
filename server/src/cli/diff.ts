import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCatalog } from '../catalog';
import { diffAnalyses, isEmptyDiff, type AnalysisDiff, type FindingChange, type FlowChange } from '../analysis/diff';
import { parseArgs } from './args';
import { loadAndAnalyze } from '../engine/batch';
import { displayPath } from './report';
import { EXIT_FINDINGS, EXIT_OK, usageError, type CliCommand, type CommandResult } from './types';

/** Every option of `diff`, declared once (as for check). */
export const DIFF_OPTIONS = {
  options: ['format', 'roles', 'role', 'path', 'exclude'],
  flags: ['help'],
} as const;

const USAGE = `Usage: citrix-flow-lint diff BASE [HEAD] [--format text|json|markdown] [--path P…] [--roles FILE] [--role ID…] [--exclude GLOB…]

What a change does to the site: the required Citrix flows it newly blocks
and newly allows, the ports it newly exposes to the Internet and the rules it
newly shadows. BASE and HEAD are git revisions (of the repository of the
current folder) or folders; without HEAD, the current folder as it is on disk.

  --format FMT    text (default), json, or markdown (the pull-request comment of the GitHub Action)
  --path P        compare only these files or folders (repeat; relative to the repository or folder)
  --roles FILE    citrix-flows.yaml to use on both sides (relative to each side; default: each side's own)
  --role ID       bind every rule set to this role on both sides (repeat, or a,b,c)
  --exclude GLOB  leave out matching files on both sides (repeat)

Exit status: 0 no difference, 1 differences listed, 2 usage or internal error.`;

export const MARKDOWN_MARKER = '<!-- citrix-flow-lint diff -->';

interface Side {
  readonly label: string;
  /** The folder the side's paths are relative to (the current folder's place in it, for a revision). */
  readonly root: string;
  readonly cleanup?: () => void;
}

function git(args: string[], cwd: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

/** A folder as it is, or a revision's tree written to a temporary folder (`git archive`, so nothing in the checkout changes). */
function resolveSide(spec: string, cwd: string): Side | { error: string } {
  const asFolder = path.resolve(cwd, spec);
  try {
    if (fs.statSync(asFolder).isDirectory()) return { label: spec, root: asFolder };
  } catch {
    // Not a folder: a revision, then.
  }
  const top = git(['rev-parse', '--show-toplevel'], cwd);
  if (!top.ok) return { error: `"${spec}" is neither a folder nor a revision (the current folder is not in a git repository)` };
  const commit = git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`], cwd);
  if (!commit.ok || !commit.out) return { error: `"${spec}" is neither a folder nor a revision of ${top.out}` };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-diff-'));
  const cleanup = (): void => fs.rmSync(tmp, { recursive: true, force: true });
  const tar = path.join(tmp, 'tree.tar');
  const tree = path.join(tmp, 'tree');
  fs.mkdirSync(tree);
  const archived = git(['archive', '--format=tar', '-o', tar, commit.out], top.out);
  if (!archived.ok) {
    cleanup();
    return { error: `cannot read revision ${spec}: ${archived.err}` };
  }
  const extracted = spawnSync('tar', ['-xf', tar, '-C', tree], { encoding: 'utf8' });
  fs.rmSync(tar, { force: true });
  if (extracted.status !== 0) {
    cleanup();
    return { error: `cannot unpack revision ${spec}: ${extracted.stderr || extracted.error?.message}` };
  }
  const within = path.relative(fs.realpathSync(top.out), fs.realpathSync(cwd));
  return { label: `${spec} (${commit.out.slice(0, 12)})`, root: path.join(tree, within), cleanup };
}

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'what a change does to the required flows, exposure and shadowed rules',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: DIFF_OPTIONS.options, flags: DIFF_OPTIONS.flags });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const format = parsed.options.get('format')?.[0] ?? 'text';
    if (!['text', 'json', 'markdown'].includes(format)) return usageError(`--format must be text, json or markdown, not "${format}"`, USAGE);
    if (parsed.positionals.length < 1 || parsed.positionals.length > 2) return usageError('diff takes BASE and optionally HEAD', USAGE);
    const cwd = process.cwd();
    const sides: Side[] = [];
    try {
      for (const spec of parsed.positionals) {
        const side = resolveSide(spec, cwd);
        if ('error' in side) return usageError(side.error);
        sides.push(side);
      }
      if (sides.length === 1) sides.push({ label: 'the working tree', root: cwd });
      const loaded = [];
      for (const side of sides) {
        const paths = parsed.options.get('path') ?? [];
        const rolesFile = parsed.options.get('roles')?.[0];
        const result = await loadAndAnalyze(paths, {
          cwd: side.root,
          rolesFile: rolesFile ? path.resolve(side.root, rolesFile) : undefined,
          roles: parsed.options.get('role'),
          exclude: parsed.options.get('exclude'),
        });
        if ('error' in result) return usageError(`${side.label}: ${result.error}`);
        const badRole = result.analysis.findings.find((f) => f.uri === '<command-line>');
        if (badRole) return usageError(badRole.message, USAGE);
        loaded.push(result);
      }
      const [base, head] = loaded.map((l, i) => ({ analysis: l.analysis, texts: l.texts, relativePath: (uri: string) => displayPath(uri, sides[i].root) }));
      const diff = diffAnalyses(base, head, loadCatalog());
      const labels = { base: sides[0].label, head: sides[1].label };
      const stdout = format === 'json' ? formatDiffJson(diff, labels) : format === 'markdown' ? formatDiffMarkdown(diff, labels) : formatDiffText(diff, labels);
      return { exitCode: isEmptyDiff(diff) ? EXIT_OK : EXIT_FINDINGS, stdout, stderr: '' };
    } finally {
      for (const side of sides) side.cleanup?.();
    }
  },
};

interface Labels {
  readonly base: string;
  readonly head: string;
}

export function formatDiffJson(diff: AnalysisDiff, labels: Labels): string {
  return `${JSON.stringify({ base: labels.base, head: labels.head, blocked: diff.blocked, allowed: diff.allowed, exposed: diff.exposed, shadowed: diff.shadowed }, null, 2)}\n`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

const was = (c: FlowChange): string => (c.before === 'absent' ? 'new rule set' : `was ${c.before}`);

const same = (s: string): string => s;

/** `blocks Delivery Controller → VDA, TCP 80 (…) at main.tf:88: denied by "DenyAll" (priority 4000, line 88) (was allowed)` */
function flowLine(verb: string, c: FlowChange, place: string, text: (s: string) => string = same): string {
  const how = `${c.after === 'partial' ? 'partly denied' : c.after === 'allowed' ? 'allowed' : 'denied'} by ${c.decidedBy}`;
  return `${verb} ${text(c.flow)} at ${place}: ${text(how)} (${was(c)})`;
}

function findingLine(f: FindingChange, place: string, text: (s: string) => string = same): string {
  return `${place}: ${text(f.message)}`;
}

export function formatDiffText(diff: AnalysisDiff, labels: Labels): string {
  const lines = [`citrix-flow-lint diff: ${labels.base} → ${labels.head}`, ''];
  const at = (p: { file: string; line: number }): string => `${p.file}:${p.line}`;
  if (isEmptyDiff(diff)) lines.push(`No change to required flows, Internet exposure or shadowed rules (${plural(diff.compared, 'required flow')} compared).`);
  const section = (title: string, items: readonly string[]): void => {
    if (!items.length) return;
    lines.push(title, ...items.map((i) => `  ${i}`), '');
  };
  section(`Newly blocked (${diff.blocked.length}):`, diff.blocked.map((c) => flowLine('blocks', c, at(c))));
  section(`Newly allowed (${diff.allowed.length}):`, diff.allowed.map((c) => flowLine('allows', c, at(c))));
  section(`Newly exposed to the Internet (${diff.exposed.length}):`, diff.exposed.map((f) => findingLine(f, at(f))));
  section(`Newly shadowed rules (${diff.shadowed.length}):`, diff.shadowed.map((f) => findingLine(f, at(f))));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The pull-request comment: the marker first, so the Action finds and updates its own comment. */
export function formatDiffMarkdown(diff: AnalysisDiff, labels: Labels): string {
  const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
  const escape = (s: string): string => s.replace(/([\\*_[\]<>|])/g, '\\$1');
  const lines = [MARKDOWN_MARKER, '### Citrix Flow Lint: what this change does to the site', '', `Compared ${escape(labels.base)} with ${escape(labels.head)}.`, ''];
  if (isEmptyDiff(diff)) {
    lines.push(`No change to the required flows, Internet exposure or shadowed rules (${plural(diff.compared, 'required flow')} compared).`);
    return `${lines.join('\n')}\n`;
  }
  const section = (title: string, items: readonly string[]): void => {
    if (!items.length) return;
    lines.push(`**${title}**`, '', ...items.map((i) => `- ${i}`), '');
  };
  const at = (p: { file: string; line: number }): string => code(`${p.file}:${p.line}`);
  section(`⛔ Blocks ${plural(diff.blocked.length, 'required flow')}`, diff.blocked.map((c) => flowLine('This change blocks', c, at(c), escape)));
  section(`✅ Newly allows ${plural(diff.allowed.length, 'required flow')}`, diff.allowed.map((c) => flowLine('This change allows', c, at(c), escape)));
  section(`🌐 Newly exposes ${plural(diff.exposed.length, 'port')} to the Internet`, diff.exposed.map((f) => findingLine(f, at(f), escape)));
  section(`🙈 Newly shadows ${plural(diff.shadowed.length, 'rule')}`, diff.shadowed.map((f) => findingLine(f, at(f), escape)));
  return `${lines.join('\n').trimEnd()}\n`;
}
