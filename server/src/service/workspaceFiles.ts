import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SNIFF_LIMIT, detectFormat, mayBeReadable } from '../formats/detect';
import type { Excluder } from './exclude';

export const TOPOLOGY_FILE = 'citrix-flows.yaml';
const SKIP_DIRS = new Set(['node_modules', '.git', '.terraform', '.venv', 'dist', 'out', '.cache', '__pycache__']);
/** Bigger files are not configurations anyone edits by hand; reading them would only stall the scan. */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

export function toUri(file: string): string {
  return pathToFileURL(path.resolve(file)).toString();
}

export interface CandidateFile {
  readonly path: string;
  readonly uri: string;
  readonly text: string;
}

/**
 * Every file under `paths` that one of our parsers reads, decided by name and
 * the first bytes. Directories are walked without following links; hidden
 * folders, build output and what `exclude` leaves out are skipped.
 *
 * Reading is staged so a big repository costs little: a name no format uses
 * is never opened, and a file is read past its first 64 KiB (all detection
 * looks at) only once detection has claimed it.
 */
export function collectFiles(
  paths: readonly string[],
  options: { maxBytes?: number; onSkip?: (file: string, why: string) => void; exclude?: Excluder } = {},
): CandidateFile[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const exclude = options.exclude && !options.exclude.isEmpty ? options.exclude : undefined;
  const found: CandidateFile[] = [];
  const seen = new Set<string>();
  const visit = (p: string, explicit: boolean): void => {
    const full = path.resolve(p);
    if (seen.has(full)) return;
    seen.add(full);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch (error) {
      options.onSkip?.(full, (error as Error).message);
      return;
    }
    if (stat.isDirectory()) {
      const name = path.basename(full);
      if (!explicit && (SKIP_DIRS.has(name) || name.startsWith('.'))) return;
      // A folder named on the command line is checked whatever the excludes say; what is inside it is not.
      if (!explicit && exclude?.excluded(full, true)) return;
      let children: string[];
      try {
        children = fs.readdirSync(full).sort();
      } catch (error) {
        options.onSkip?.(full, (error as Error).message);
        return;
      }
      for (const child of children) visit(path.join(full, child), false);
      return;
    }
    if (!stat.isFile()) return;
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
    if (stat.size > maxBytes) {
      options.onSkip?.(full, `larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
      return;
    }
    if (stat.size > SNIFF_BYTES) {
      const head = readHead(full);
      if (head === undefined || !detectFormat(uri, head)) {
        if (explicit) options.onSkip?.(full, 'not a format citrix-flow-lint reads');
        return;
      }
    }
    const text = readText(full);
    if (text === undefined) return;
    if (detectFormat(uri, text)) found.push({ path: full, uri, text });
    else if (explicit) options.onSkip?.(full, 'not a format citrix-flow-lint reads');
  };
  for (const p of paths) visit(p, true);
  return found;
}

/** Detection reads at most 64 KiB of text; a few more bytes cover a BOM and a character cut at the edge. */
const SNIFF_BYTES = SNIFF_LIMIT * 3 + 16;

/** The start of a file as text, enough for detection; undefined for binary content or a read error. */
function readHead(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, buffer, 0, SNIFF_BYTES, 0);
    const head = buffer.subarray(0, n);
    if (head.subarray(0, 8192).includes(0)) return undefined;
    return head.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Text of a file, without a BOM; undefined for binary content. */
export function readText(file: string): string | undefined {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch {
    // Missing, a folder, unreadable: callers report "cannot read", not an internal error.
    return undefined;
  }
  if (buffer.subarray(0, 8192).includes(0)) return undefined;
  return buffer.toString('utf8');
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
const MODULE_VALUES = /(?:^|[\s}])(?:variable|locals)[\s"{]/;
export const definesModuleValues = (text: string | undefined): boolean => text !== undefined && MODULE_VALUES.test(text);
export const TERRAFORM_FILE = /\.tf$/;
export const TFVARS_FILE = /\.(tfvars|tfvars\.json)$/;

/** The `*.tfvars` of a folder, by path, in name order. */
export function readTfvars(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { full, text } of readFolder(dir, (name) => TFVARS_FILE.test(name))) out.set(full, text);
  return out;
}

function readFolder(dir: string, wanted: (name: string) => boolean): { full: string; name: string; text: string }[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: { full: string; name: string; text: string }[] = [];
  for (const name of names.sort()) {
    if (!wanted(name)) continue;
    const full = path.join(dir, name);
    try {
      if (fs.statSync(full).size > DEFAULT_MAX_FILE_BYTES) continue;
    } catch {
      continue;
    }
    const text = readText(full);
    if (text !== undefined) out.push({ full, name, text });
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
export function terraformSiblingReader(): (file: string) => Map<string, string> {
  const folders = new Map<string, { full: string; text: string }[]>();
  return (file) => {
    const self = path.resolve(file);
    const dir = path.dirname(self);
    let entries = folders.get(dir);
    if (!entries) {
      entries = readFolder(dir, (name) => /\.(tf|tfvars|tfvars\.json)$/.test(name)).filter((e) => !TERRAFORM_FILE.test(e.name) || definesModuleValues(e.text));
      folders.set(dir, entries);
    }
    const out = new Map<string, string>();
    for (const e of entries) if (e.full !== self) out.set(e.full, e.text);
    return out;
  };
}

/** The module values around one Terraform file; see terraformSiblingReader for many. */
export function terraformSiblings(file: string): Map<string, string> {
  return terraformSiblingReader()(file);
}
