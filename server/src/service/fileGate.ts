import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The one way the CLI and the server read a file from disk. A workspace may
 * be hostile (the extension supports untrusted workspaces), so a read must
 * never hang on a FIFO, stream a device forever, follow a link out of the
 * workspace, or load a file far bigger than any configuration:
 *
 * - lstat first: only regular files, or links whose target is a regular file;
 * - the real path (links resolved) must lie inside the root the caller names;
 * - the size cap is checked on the stat, before any byte is read, and again on
 *   the open descriptor (a file swapped between stat and open is refused);
 * - the descriptor is opened non-blocking and without following a last link,
 *   and at most cap + 1 bytes are read, so a file that grows is cut off.
 */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

export interface GateOptions {
  /**
   * The folder the file must stay inside after links are resolved; undefined
   * for a file the user named (a command-line argument), which is read
   * wherever it points, but still only if it is a regular file under the cap.
   */
  readonly root?: string;
  readonly maxBytes?: number;
  /** Read only the first this many bytes (enough for format detection); the cap still applies to the file. */
  readonly prefixBytes?: number;
}

export type GateResult =
  | { readonly ok: true; readonly text: string; readonly realPath: string }
  | { readonly ok: false; readonly kind: GateRefusal; readonly why: string };
export type GateRefusal = 'missing' | 'unreadable' | 'not-a-file' | 'outside' | 'too-large' | 'binary';

const realRoots = new Map<string, string | undefined>();
/** Real path of a root, remembered: roots are few and resolving one costs a syscall per component. */
function realRoot(root: string): string | undefined {
  const key = path.resolve(root);
  if (!realRoots.has(key)) {
    let real: string | undefined;
    try {
      real = fs.realpathSync.native(key);
    } catch {
      real = undefined;
    }
    if (realRoots.size > 1000) realRoots.clear();
    realRoots.set(key, real);
  }
  return realRoots.get(key);
}

export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function refusal(error: unknown): GateResult {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, kind: 'missing', why: 'no such file' };
  if (code === 'EACCES' || code === 'EPERM') return { ok: false, kind: 'unreadable', why: 'permission denied' };
  if (code === 'ELOOP') return { ok: false, kind: 'not-a-file', why: 'a link loop, or a link where none may be' };
  if (code === 'EAGAIN' || code === 'ENXIO') return { ok: false, kind: 'not-a-file', why: 'not a regular file' };
  return { ok: false, kind: 'unreadable', why: `cannot read (${code ?? (error as Error).message})` };
}

const mb = (bytes: number): string => (bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`);
const kindOf = (st: fs.Stats): string =>
  st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';

/** Reads one file through the gate; never throws. */
export function readGated(file: string, options: GateOptions = {}): GateResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const full = path.resolve(file);
  let real: string;
  let st: fs.Stats;
  try {
    const link = fs.lstatSync(full);
    if (!link.isFile() && !link.isSymbolicLink()) return { ok: false, kind: 'not-a-file', why: kindOf(link) };
    // Parent folders may be links too, so the real path is needed even for a plain file.
    real = fs.realpathSync.native(full);
    if (options.root !== undefined) {
      const root = realRoot(options.root);
      if (!root || !isInside(root, real)) return { ok: false, kind: 'outside', why: 'a link to a file outside the workspace' };
    }
    st = fs.statSync(real);
  } catch (error) {
    return refusal(error);
  }
  if (!st.isFile()) return { ok: false, kind: 'not-a-file', why: kindOf(st) };
  if (st.size > maxBytes) return { ok: false, kind: 'too-large', why: `larger than ${mb(maxBytes)}` };
  let fd: number;
  try {
    // Non-blocking: should the path have become a FIFO since the stat, opening it must not wait for a writer.
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    return refusal(error);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev) return { ok: false, kind: 'not-a-file', why: 'changed while being read' };
    if (opened.size > maxBytes) return { ok: false, kind: 'too-large', why: `larger than ${mb(maxBytes)}` };
    // One byte past the cap tells a file that grew after the stat from one that fits.
    const prefix = options.prefixBytes;
    let buffer = Buffer.allocUnsafe(prefix !== undefined ? Math.min(prefix, maxBytes + 1) : Math.min(opened.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (prefix !== undefined && length >= prefix) break;
      if (length === buffer.length) {
        if (buffer.length > maxBytes) return { ok: false, kind: 'too-large', why: `larger than ${mb(maxBytes)}` };
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.subarray(0, 8192).includes(0)) return { ok: false, kind: 'binary', why: 'binary content' };
    // A BOM stays: the parsers skip it themselves and keep offsets as the editor counts them.
    return { ok: true, text: bytes.toString('utf8'), realPath: real };
  } catch (error) {
    return refusal(error);
  } finally {
    fs.closeSync(fd);
  }
}

export type FolderListing = { readonly ok: true; readonly names: string[] } | { readonly ok: false; readonly why: string };

/** The entries of a folder, sorted; an unreadable folder is a reason, never an exception. */
export function listFolder(dir: string): FolderListing {
  try {
    return { ok: true, names: fs.readdirSync(dir).sort() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot list (${code ?? (error as Error).message})` };
  }
}
