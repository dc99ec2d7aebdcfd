import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeParsed, readTopology, unreadTopology, type WorkspaceAnalysis } from '../analysis/analyze';
import { withLoadedFiles } from '../analysis/loads';
import { initTreeSitter, parseAs, detectFormat, MAX_ANALYZED_BYTES } from '../formats';
import type { ParsedFile } from '../model';
import { Excluder, type ExcludeGlob } from '../service/exclude';
import { readGated } from '../service/fileGate';
import { collectFiles, findTopologyFile, readArmParameters, readText, terraformSiblingReader, toUri } from '../service/workspaceFiles';

/*
 * The batch path of the engine: read the given paths once, parse, analyse,
 * for every CLI command (check, report, diff, init, test-flow) and the tests. The
 * editor's incremental path is service/state.ts over service/workspace.ts;
 * both read files through service/fileGate.ts and service/workspaceFiles.ts,
 * follow what scripts load through analysis/loads.ts, and analyse with
 * analysis/analyze.ts, so a file gives the same findings in both.
 */

export interface LoadedWorkspace {
  readonly analysis: WorkspaceAnalysis;
  readonly texts: ReadonlyMap<string, string>;
  readonly cwd: string;
  readonly skipped: readonly SkippedFile[];
  /** Files named on the command line that are in no supported format. */
  readonly unsupported: readonly SkippedFile[];
  /** Paths were named on the command line (not the default current folder). */
  readonly explicit: boolean;
}

export interface SkippedFile {
  readonly file: string;
  readonly why: string;
}

/** Reads, parses and analyses the given paths the way `check`, `report` and `test-flow` all need. */
export async function loadAndAnalyze(
  paths: readonly string[],
  options: {
    rolesFile?: string;
    roles?: readonly string[];
    cwd?: string;
    exclude?: readonly string[];
    infer?: boolean;
    ignoreTopology?: boolean;
    /** Files above this many bytes are skipped (default: the file gate's 5 MB); the parser's own limit follows it. */
    maxBytes?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<LoadedWorkspace | { error: string }> {
  const cwd = options.cwd ?? process.cwd();
  const targets = paths.length ? paths.map((p) => path.resolve(cwd, p)) : [cwd];
  const missing = paths.filter((_p, i) => !existsOrLink(targets[i]));
  if (missing.length) return { error: `${missing.map((p) => `${p}: no such file or folder`).join('\n')}` };
  const topologyPath = options.ignoreTopology ? undefined : options.rolesFile ? path.resolve(cwd, options.rolesFile) : findTopologyFile(targets[0]);
  let topologyText: string | undefined;
  let topologyRefused: string | undefined;
  const skipped: SkippedFile[] = [];
  if (topologyPath) {
    // A found citrix-flows.yaml may not be a link out of its folder; a named one is the user's choice.
    const read = readGated(topologyPath, options.rolesFile ? {} : { root: path.dirname(topologyPath) });
    if (read.ok) topologyText = read.text;
    else if (options.rolesFile) return { error: `cannot read ${options.rolesFile}: ${read.why}` };
    else {
      skipped.push({ file: topologyPath, why: read.why });
      if (read.kind !== 'missing') topologyRefused = read.why;
    }
  }
  const topologyUri = topologyPath ? toUri(topologyPath) : undefined;
  // A citrix-flows.yaml that is there but refused is a finding on it, not only a note on stderr.
  const topology = topologyUri && topologyRefused ? unreadTopology(topologyUri, topologyRefused) : readTopology(topologyText, topologyUri);
  await initTreeSitter();
  const globs: ExcludeGlob[] = (options.exclude ?? []).map((glob) => ({ glob, base: cwd, source: '--exclude' }));
  if (topologyPath) for (const e of topology.exclude ?? []) globs.push({ glob: e.glob, base: path.dirname(topologyPath), source: 'exclude: in citrix-flows.yaml' });
  const exclude = new Excluder({ globs, gitignore: true });
  if (exclude.problems.length) return { error: exclude.problems.join('; ') };
  const candidates = collectFiles(targets, { onSkip: (file, why) => skipped.push({ file, why }), exclude, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) });
  const claimed = new Set(candidates.map((c) => c.path));
  const unsupported: SkippedFile[] = [];
  for (const t of targets) {
    if (claimed.has(t) || !isFile(t)) continue;
    const entry = skipped.find((s) => s.file === t);
    // Too large or unreadable says so already; a readable file in no format gets the reason it is not one.
    const why = entry && !/not a format/.test(entry.why) ? entry.why : unsupportedReason(t);
    if (entry) skipped.splice(skipped.indexOf(entry), 1);
    unsupported.push({ file: t, why });
  }
  const files: ParsedFile[] = [];
  const texts = new Map<string, string>();
  if (topologyUri && topologyText !== undefined) texts.set(topologyUri, topologyText);
  else if (topologyUri && topologyRefused) texts.set(topologyUri, '');
  const terraformSiblings = terraformSiblingReader({ onSkip: (file, why) => skipped.push({ file, why }) });
  const parameterFiles = new Map<string, Map<string, string>>();
  const armParameters = (file: string, root?: string): Map<string, string> => {
    const dir = path.dirname(path.resolve(file));
    let found = parameterFiles.get(dir);
    if (!found) parameterFiles.set(dir, (found = readArmParameters(dir, { root, onSkip: (f, why) => skipped.push({ file: f, why }) })));
    return found;
  };
  candidates.forEach((c, i) => {
    const format = detectFormat(c.uri, c.text);
    if (!format) return;
    const siblingFiles = format === 'terraform' ? terraformSiblings(c.path, c.root) : format === 'arm' ? armParameters(c.path, c.root) : undefined;
    // A size the user asked for is read whole: the parser's default limit is for files opened by mistake.
    const maxAnalyzedBytes = options.maxBytes !== undefined && options.maxBytes > MAX_ANALYZED_BYTES ? options.maxBytes : undefined;
    files.push(parseAs(format, c.text, c.uri, siblingFiles || maxAnalyzedBytes ? { ...(siblingFiles ? { siblingFiles } : {}), ...(maxAnalyzedBytes ? { maxAnalyzedBytes } : {}) } : undefined));
    texts.set(c.uri, c.text);
    options.onProgress?.(i + 1, candidates.length);
  });
  const withLoads = withLoadedFiles(files, (file) => claimed.has(file), (file, format, dir) => {
    // Through the gate, kept to the script's folder: a hostile repository's rules.v4 may be a link out or a FIFO.
    const text = isFile(file) ? readText(file, { root: dir }) : undefined;
    if (text === undefined) return undefined;
    const uri = toUri(file);
    texts.set(uri, text);
    return parseAs(format, text, uri);
  });
  const root = topologyPath ? path.dirname(topologyPath) : cwd;
  const coversRoot = targets.some((t) => path.relative(t, root) === '' || !path.relative(t, root).startsWith('..'));
  const analysis = analyzeParsed(withLoads, topology, {
    workspaceRoot: root,
    commandLineRoles: options.roles,
    reportUnmatchedBindings: coversRoot,
    infer: options.infer !== false,
  });
  return { analysis, texts, cwd, skipped, unsupported, explicit: paths.length > 0 };
}

function existsOrLink(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch (error) {
    // Only "not there" is missing; a path we may not read is reported when it is read.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Jinja, ERB, Go templates: what they hold is not a configuration until a tool renders it. */
const TEMPLATE_FILE = /\.(?:j2|jinja2?|erb|epp|tmpl|gotmpl)$/i;

/** Why a file named on the command line is not read, in words a user can act on. */
function unsupportedReason(file: string): string {
  const text = readText(file);
  if (text === undefined) return 'binary or unreadable';
  const template = TEMPLATE_FILE.exec(file);
  if (template) return `a template (${template[0]}): its rules exist only once it is rendered (Ansible, Salt, Puppet, Helm); check the rendered file`;
  return `not a supported format (${SUPPORTED})`;
}

const SUPPORTED = 'Terraform/OpenTofu (HCL or JSON), Bicep, ARM templates, CloudFormation, iptables, nftables, firewalld, ufw, Cisco ASA, Windows Firewall PowerShell or netsh, NetScaler ns.conf, cloud exports (az, aws ec2, gcloud JSON), terraform show -json';

