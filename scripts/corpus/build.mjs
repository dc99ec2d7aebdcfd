#!/usr/bin/env node
// Rebuilds the real-world corpus (default /work/corpus) from
// scripts/corpus/sources.json and local git mirrors, without network access.
//
//   node scripts/corpus/build.mjs [outDir] [--mirrors DIR] [--only NAME,...]
//
// Mirrors: DIR/<owner>+<name>/repo (bare or with .git), as the session's
// fetch tool lays them out; default $CORPUS_MIRRORS or /work/.mirror.
// Files are written byte for byte as they are at the pinned commit, so a
// finding's line number can be checked against the upstream file.
// The corpus stays outside the repository: several sources state no licence.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MAX_BYTES = 1024 * 1024; // a firewall file over 1 MiB is a dump nobody edits by hand

function usage(code) {
  process.stderr.write('usage: node scripts/corpus/build.mjs [outDir] [--mirrors DIR] [--only NAME,...]\n');
  process.exit(code);
}

const args = process.argv.slice(2);
let outDir = '/work/corpus';
let mirrors = process.env.CORPUS_MIRRORS || '/work/.mirror';
let only = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-h' || a === '--help') usage(0);
  else if (a === '--mirrors') mirrors = args[++i] ?? usage(2);
  else if (a === '--only') only = new Set((args[++i] ?? usage(2)).split(','));
  else if (a.startsWith('-')) usage(2);
  else outDir = a;
}
outDir = resolve(outDir);

const { sources } = JSON.parse(readFileSync(join(here, 'sources.json'), 'utf8'));

/** Glob over '/'-separated paths: `**` spans segments, `*` and `?` stay inside one. */
export function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      // "**/" matches zero or more whole segments
      if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function gitDirFor(repo) {
  const base = join(mirrors, repo.replace('/', '+'), 'repo');
  for (const d of [join(base, '.git'), base]) {
    if (existsSync(join(d, 'HEAD')) || existsSync(join(d, 'objects'))) return d;
  }
  return null;
}

function git(gitDir, gitArgs, opts = {}) {
  return execFileSync('git', ['--git-dir', gitDir, ...gitArgs], { maxBuffer: 256 * 1024 * 1024, ...opts });
}

const manifest = { builtAt: new Date().toISOString(), mirrors, sources: [] };
let failed = 0;
mkdirSync(outDir, { recursive: true });

for (const src of sources) {
  if (only && !only.has(src.name)) continue;
  const entry = { name: src.name, repo: src.repo, commit: src.commit, files: 0, skipped: [] };
  manifest.sources.push(entry);
  const gitDir = gitDirFor(src.repo);
  if (!gitDir) {
    entry.error = `no mirror of ${src.repo} under ${mirrors}`;
    process.stderr.write(`${src.name}: ${entry.error} (fetch github:${src.repo} first)\n`);
    failed++;
    continue;
  }
  try {
    git(gitDir, ['cat-file', '-e', `${src.commit}^{commit}`], { stdio: 'ignore' });
  } catch {
    entry.error = `commit ${src.commit} not in the mirror ${gitDir}`;
    process.stderr.write(`${src.name}: ${entry.error}\n`);
    failed++;
    continue;
  }
  const include = (src.include ?? []).map(globToRegExp);
  const exclude = (src.exclude ?? []).map(globToRegExp);
  const grep = src.grep ? new RegExp(src.grep, 'm') : null;
  const listed = git(gitDir, ['ls-tree', '-r', '-z', '-l', src.commit, '--', ...src.paths.map((p) => p || '.')])
    .toString('utf8').split('\0').filter(Boolean);
  const dest = join(outDir, src.name);
  rmSync(dest, { recursive: true, force: true });
  for (const line of listed) {
    // "<mode> <type> <object> <size>\t<path>"
    const tab = line.indexOf('\t');
    const [, type, object, size] = line.slice(0, tab).trim().split(/\s+/);
    const path = line.slice(tab + 1);
    if (type !== 'blob') continue; // submodules (type commit) have no content here
    if (include.length && !include.some((r) => r.test(path))) continue;
    if (exclude.some((r) => r.test(path))) continue;
    if (Number(size) > MAX_BYTES) { entry.skipped.push({ path, reason: `over ${MAX_BYTES} bytes` }); continue; }
    const body = git(gitDir, ['cat-file', 'blob', object]);
    if (body.subarray(0, 8000).includes(0)) { entry.skipped.push({ path, reason: 'binary' }); continue; }
    if (grep && !grep.test(body.toString('utf8'))) continue;
    const target = join(dest, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, body);
    entry.files++;
  }
  process.stdout.write(`${src.name.padEnd(34)} ${String(entry.files).padStart(4)} files  ${src.repo}@${src.commit.slice(0, 10)}\n`);
}

// The manifest sits beside the sources, not inside one, so measuring a source never reads it.
// With --only, the other sources' entries of an earlier build are kept.
const manifestPath = join(outDir, 'manifest.json');
if (only && existsSync(manifestPath)) {
  try {
    const earlier = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const rebuilt = new Set(manifest.sources.map((s) => s.name));
    manifest.sources = [...(earlier.sources ?? []).filter((s) => !rebuilt.has(s.name)), ...manifest.sources]
      .sort((a, b) => sources.findIndex((x) => x.name === a.name) - sources.findIndex((x) => x.name === b.name));
  } catch {
    // an unreadable earlier manifest is simply replaced
  }
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
const total = manifest.sources.reduce((n, s) => n + s.files, 0);
process.stdout.write(`${total} files in ${manifest.sources.length} sources (manifest) -> ${outDir}\n`);
process.exit(failed ? 1 : 0);
