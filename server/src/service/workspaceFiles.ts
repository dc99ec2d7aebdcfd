import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SNIFF_LIMIT, detectFormat, mayBeReadable } from '../formats/detect';
import { TERRAFORM_MODULE_FILE } from '../formats/terraform/format';
import type { Excluder } from './exclude';
import { DEFAULT_MAX_FILE_BYTES, listFolder, readGated, type GateOptions } from './fileGate';

export const TOPOLOGY_FILE = 'citrix-flows.yaml';
const SKIP_DIRS = new Set(['node_modules', '.git', '.terraform', '.venv', 'dist', 'out', '.cache', '__pycache__']);
/** Bigger files are not configurations anyone edits by hand; reading them would only stall the scan. */
export { DEFAULT_MAX_FILE_BYTES };

export function toUri(file: string): string {
  return pathToFileURL(path.resolve(file)).toString();
}

export interface CandidateFile {
  readonly path: string;
  readonly uri: string;
  readonly text: string;
  /** The folder its reads stay inside: the folder given, or the named file's own folder. */
  readonly root: string;
}

export interface CollectOptions {
  readonly maxBytes?: number;
  /** What citrix-flows.yaml, settings and the command line leave out. */
  readonly exclude?: Excluder;
  /** A file or folder not read, and why (permission denied, a device, too large, …). */
  readonly onSkip?: (file: string, why: string) => void;
}

/**
 * Every file under `paths` that one of our parsers reads, decided by name and
 * the first bytes. Directories are walked without following links; hidden
 * folders, build output and what `exclude` leaves out are skipped. Each file
 * is read through the gate with its path's folder as the root, so a link
 * never leaves it; a folder that cannot be listed is reported and skipped,
 * and the walk goes on.
 *
 * Reading is staged so a big repository costs little: a name no format uses
 * is never opened, and a file is read past its first 64 KiB (all detection
 * looks at) only once detection has claimed it.
 */
export function collectFiles(paths: readonly string[], options: CollectOptions = {}): CandidateFile[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const exclude = options.exclude && !options.exclude.isEmpty ? options.exclude : undefined;
  const found: CandidateFile[] = [];
  const seen = new Set<string>();
  const visit = (p: string, explicit: boolean, root: string): void => {
    const full = path.resolve(p);
    if (seen.has(full)) return;
    seen.add(full);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      options.onSkip?.(full, code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message);
      return;
    }
    if (stat.isDirectory()) {
      const name = path.basename(full);
      if (!explicit && (SKIP_DIRS.has(name) || name.startsWith('.'))) return;
      // A folder named on the command line is checked whatever the excludes say; what is inside it is not.
      if (!explicit && exclude?.excluded(full, true)) return;
      const listing = listFolder(full);
      if (!listing.ok) {
        options.onSkip?.(full, `folder not read: ${listing.why}`);
        return;
      }
      for (const child of listing.names) visit(path.join(full, child), false, explicit ? full : root);
      return;
    }
    // A named file may be a link (the user chose it); inside a walk, links and special files are not candidates.
    if (!explicit && !stat.isFile()) return;
    if (path.basename(full) === TOPOLOGY_FILE) return;
    const uri = toUri(full);
    if (!mayBeReadable(uri)) {
      if (explicit) options.onSkip?.(full, 'not a format citrix-flow-lint reads');
      return;
    }
    const why = exclude?.excluded(full);
    if (why) {
      if (explicit) options.onSkip?.(full, why);
      return;
    }
    const gate: GateOptions = { maxBytes, root: explicit ? undefined : root };
    const refused = (read: { kind: string; why: string }): void => {
      // A binary file in a walk is just not ours; anything else the user should hear about.
      if (explicit || read.kind !== 'binary') options.onSkip?.(full, read.why);
    };
    // The stat is of the file itself in a walk (links are not candidates); a named link is read whole.
    if (stat.size > SNIFF_BYTES && stat.size <= maxBytes) {
      const head = readGated(full, { ...gate, prefixBytes: SNIFF_BYTES });
      if (!head.ok) return refused(head);
      if (!detectFormat(uri, head.text)) {
        if (explicit) options.onSkip?.(full, 'not a format citrix-flow-lint reads');
        return;
      }
    }
    const read = readGated(full, gate);
    if (!read.ok) return refused(read);
    if (detectFormat(uri, read.text)) found.push({ path: full, uri, text: read.text, root: explicit ? path.dirname(full) : root });
    else if (explicit) options.onSkip?.(full, 'not a format citrix-flow-lint reads');
  };
  for (const p of paths) visit(p, true, path.resolve(p));
  return found;
}

/** Detection reads at most 64 KiB of text; a few more bytes cover a BOM and a character cut at the edge. */
const SNIFF_BYTES = SNIFF_LIMIT * 3 + 16;

/**
 * Text of a file through the gate (regular file, under the cap, inside
 * `root` when one is given); undefined when it is refused, binary content
 * included. Callers that must say why use readGated.
 */
export function readText(file: string, options: GateOptions = {}): string | undefined {
  const read = readGated(file, options);
  return read.ok ? read.text : undefined;
}

/** citrix-flows.yaml in the folder or the nearest folder above it. */
export function findTopologyFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, TOPOLOGY_FILE);
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * A Terraform file reads only the `variable` and `locals` blocks of the other
 * files of its module; a file with neither word followed by a label or brace
 * adds nothing, so it is neither handed to its siblings' parses nor a reason
 * to parse them again. Over-matching (the word in a comment) only costs time.
 */
// `[\s}"]` before the word: in a .tf.json the block type is a quoted key (`"variable": {`).
const MODULE_VALUES = /(?:^|[\s}"])(?:variable|locals)[\s"{]/;
export const definesModuleValues = (text: string | undefined): boolean => text !== undefined && MODULE_VALUES.test(text);
export const TERRAFORM_FILE = TERRAFORM_MODULE_FILE;
export const TFVARS_FILE = /\.(tfvars|tfvars\.json)$/;

/** The `*.tfvars` of a folder, by path, in name order; links may not leave `root` (default: the folder). */
export function readTfvars(dir: string, options: FolderReadOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const { full, text } of readFolder(dir, (name) => TFVARS_FILE.test(name), options)) out.set(full, text);
  return out;
}

/** ARM parameter files: `parameters.json`, `azuredeploy.parameters.json`, `main.parameters.json`. */
export const ARM_PARAMETERS_FILE = /(^|[./\\])parameters\.json$/i;

/** The ARM parameter files of a folder, by path; which one goes with a template is the ARM reader's choice. */
export function readArmParameters(dir: string, options: FolderReadOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const { full, text } of readFolder(dir, (name) => ARM_PARAMETERS_FILE.test(name), options)) out.set(full, text);
  return out;
}

export interface FolderReadOptions {
  /** The workspace folder reads stay inside; the folder itself when not given. */
  readonly root?: string;
  readonly maxBytes?: number;
  readonly onSkip?: (file: string, why: string) => void;
}

function readFolder(dir: string, wanted: (name: string) => boolean, options: FolderReadOptions): { full: string; name: string; text: string }[] {
  const listing = listFolder(dir);
  if (!listing.ok) {
    options.onSkip?.(dir, `folder not read: ${listing.why}`);
    return [];
  }
  const out: { full: string; name: string; text: string }[] = [];
  for (const name of listing.names) {
    if (!wanted(name)) continue;
    const full = path.join(dir, name);
    const read = readGated(full, { root: options.root ?? dir, maxBytes: options.maxBytes });
    if (read.ok) out.push({ full, name, text: read.text });
    else options.onSkip?.(full, read.why);
  }
  return out;
}

/**
 * A Terraform module is a folder: variables, locals and `*.tfvars` in the
 * other files of the folder give this file's values. The parser gets them by
 * path. The returned reader lists and reads each folder once, however many of
 * its files are parsed (reading the folder again per file made a flat folder
 * of n files cost n² reads).
 */
export function terraformSiblingReader(options: Omit<FolderReadOptions, 'root'> = {}): (file: string, root?: string) => Map<string, string> {
  const folders = new Map<string, { full: string; text: string }[]>();
  return (file, root) => {
    const self = path.resolve(file);
    const dir = path.dirname(self);
    let entries = folders.get(dir);
    if (!entries) {
      entries = readFolder(dir, (name) => TERRAFORM_FILE.test(name) || TFVARS_FILE.test(name), { ...options, root }).filter((e) => !TERRAFORM_FILE.test(e.name) || definesModuleValues(e.text));
      folders.set(dir, entries);
    }
    const out = new Map<string, string>();
    for (const e of entries) if (e.full !== self) out.set(e.full, e.text);
    return out;
  };
}

/** The module values around one Terraform file; see terraformSiblingReader for many. */
export function terraformSiblings(file: string, options: FolderReadOptions = {}): Map<string, string> {
  return terraformSiblingReader(options)(file, options.root);
}
