import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { readGated } from './fileGate';

// picomatch ships no type declarations; this is the one call we make.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = require('picomatch') as (glob: string, options?: { dot?: boolean }) => (p: string) => boolean;

/** No real .gitignore comes near this; a bigger one is not read (nothing is left out because of it). */
const GITIGNORE_MAX_BYTES = 1024 * 1024;

/** One glob to leave out, relative to the folder it was written for, and who wrote it (for the skip reason). */
export interface ExcludeGlob {
  readonly glob: string;
  readonly base: string;
  /** `--exclude`, `exclude: in citrix-flows.yaml`, `citrixFlowLint.exclude`, `files.exclude`. */
  readonly source: string;
}

export interface ExcludeOptions {
  readonly globs?: readonly ExcludeGlob[];
  /** Honour .gitignore files of the folders walked and above them, up to the repository root. */
  readonly gitignore?: boolean;
}

/**
 * Decides which files and folders a scan leaves out: globs from the command
 * line, citrix-flows.yaml and the editor's settings, and .gitignore files.
 * Globs are .gitignore-like: one without a slash matches a name in any
 * folder, one with a slash matches the path from its base; a glob matching a
 * folder leaves out all of it.
 */
export class Excluder {
  private readonly compiled: { readonly base: string; readonly matches: (rel: string) => boolean; readonly what: string }[] = [];
  readonly problems: string[] = [];
  private readonly gitignores = new Map<string, Ignore | undefined>();
  private readonly repoRoots = new Map<string, string | undefined>();

  constructor(private readonly options: ExcludeOptions = {}) {
    for (const g of options.globs ?? []) {
      const matches = compileGlob(g.glob);
      if (matches) this.compiled.push({ base: path.resolve(g.base), matches, what: `${g.source} "${g.glob}"` });
      else this.problems.push(`${g.source}: "${g.glob}" is not a valid glob`);
    }
  }

  get isEmpty(): boolean {
    return this.compiled.length === 0 && !this.options.gitignore;
  }

  /**
   * Why `file` is left out (its own name or a folder above it matching), or
   * undefined when it is not. `isDirectory` matters for `dir/` patterns in
   * .gitignore.
   */
  excluded(file: string, isDirectory = false): string | undefined {
    const full = path.resolve(file);
    for (const g of this.compiled) {
      const rel = relativeInside(g.base, full);
      if (rel === undefined) continue;
      if (matchesSelfOrParent(rel, g.matches)) return `excluded by ${g.what}`;
    }
    if (this.options.gitignore) {
      const why = this.gitignored(full, isDirectory);
      if (why) return why;
    }
    return undefined;
  }

  /** Git's rule: the deepest .gitignore that says anything about the path decides; a folder left out takes its files with it. */
  private gitignored(full: string, isDirectory: boolean): string | undefined {
    const root = this.repoRoot(path.dirname(full));
    if (root === undefined) return undefined;
    const parts = path.relative(root, full).split(path.sep);
    for (let depth = 1; depth <= parts.length; depth++) {
      const sub = parts.slice(0, depth);
      const dirFlag = depth < parts.length || isDirectory;
      let decided: { ignored: boolean; where: string } | undefined;
      for (let d = 0; d < depth; d++) {
        const dir = path.join(root, ...parts.slice(0, d));
        const ig = this.gitignoreOf(dir);
        if (!ig) continue;
        // This file's rules also exclude a folder above the path, which a deeper .gitignore re-included
        // (the walk got here): what it says of the path only repeats that, so it does not decide.
        if (depth - d >= 2 && ig.test(`${sub.slice(d, depth - 1).join('/')}/`).ignored) continue;
        const rel = sub.slice(d).join('/') + (dirFlag ? '/' : '');
        const r = ig.test(rel);
        if (r.ignored) decided = { ignored: true, where: path.join(dir, '.gitignore') };
        else if (r.unignored) decided = { ignored: false, where: path.join(dir, '.gitignore') };
      }
      if (decided?.ignored) return `ignored by ${decided.where}`;
    }
    return undefined;
  }

  private gitignoreOf(dir: string): Ignore | undefined {
    if (this.gitignores.has(dir)) return this.gitignores.get(dir);
    let ig: Ignore | undefined;
    // Through the gate: a hostile repository's .gitignore may be a FIFO, a link to /dev/zero or out of the folder.
    const read = readGated(path.join(dir, '.gitignore'), { root: dir, maxBytes: GITIGNORE_MAX_BYTES });
    try {
      ig = read.ok ? ignore({ allowRelativePaths: true }).add(read.text) : undefined;
    } catch {
      ig = undefined;
    }
    this.gitignores.set(dir, ig);
    return ig;
  }

  /** The folder holding `.git` at or above `dir`; .gitignore files mean nothing outside a repository. */
  private repoRoot(dir: string): string | undefined {
    if (this.repoRoots.has(dir)) return this.repoRoots.get(dir);
    let found: string | undefined;
    if (fs.existsSync(path.join(dir, '.git'))) found = dir;
    else {
      const up = path.dirname(dir);
      found = up === dir ? undefined : this.repoRoot(up);
    }
    this.repoRoots.set(dir, found);
    return found;
  }
}

function relativeInside(base: string, full: string): string | undefined {
  const rel = path.relative(base, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

function matchesSelfOrParent(rel: string, matches: (rel: string) => boolean): boolean {
  let p = rel;
  for (;;) {
    if (matches(p)) return true;
    const cut = p.lastIndexOf('/');
    if (cut < 0) return false;
    p = p.slice(0, cut);
  }
}

function compileGlob(glob: string): ((rel: string) => boolean) | undefined {
  let g = glob.trim().replace(/\\/g, '/').replace(/^\.\//, '');
  if (g.endsWith('/')) g = g.replace(/\/+$/, '');
  if (!g) return undefined;
  try {
    const anchored = g.startsWith('/');
    if (anchored) g = g.slice(1);
    const matches = picomatch(g, { dot: true });
    if (anchored || g.includes('/')) return matches;
    return (rel) => matches(rel.slice(rel.lastIndexOf('/') + 1));
  } catch {
    return undefined;
  }
}

/** `files.exclude` as VS Code has it: glob → true (or a `when` clause, which needs sibling files and is left out). */
export function filesExcludeGlobs(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.entries(raw as Record<string, unknown>)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
}
