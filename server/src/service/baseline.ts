import * as fs from 'node:fs';
import * as path from 'node:path';
import { baselineCounts, fingerprint, parseBaseline, splitByBaseline } from '../analysis/baseline';
import type { Finding } from '../analysis/findings';
import { readGated } from './fileGate';
import { uriToPath } from './state';

/** A baseline file as the editor uses it: counts per fingerprint, and the folder its paths are relative to. */
export interface EditorBaseline {
  readonly file: string;
  readonly counts: ReadonlyMap<string, number>;
  readonly dir: string;
  readonly showAs: 'hint' | 'hidden';
}

const loaded = new Map<string, { mtimeMs: number; size: number; result: Omit<EditorBaseline, 'showAs'> | { error: string } }>();

/**
 * The baseline at `file`, read again only when its modification time or size
 * changes (the setting is read on every analysis; the file rarely changes).
 */
export function readEditorBaseline(file: string, showAs: 'hint' | 'hidden'): EditorBaseline | { error: string } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    loaded.delete(file);
    return { error: `cannot read the baseline ${file}` };
  }
  let hit = loaded.get(file);
  if (!hit || hit.mtimeMs !== stat.mtimeMs || hit.size !== stat.size) {
    let result: Omit<EditorBaseline, 'showAs'> | { error: string };
    try {
      // The path comes from a setting a workspace may carry: a FIFO or a device must not stall the server.
      const read = readGated(file);
      if (!read.ok) throw new Error(read.why);
      const parsed = parseBaseline(read.text);
      result = 'error' in parsed ? { error: `the baseline ${file} is not one citrix-flow-lint wrote: ${parsed.error}` } : { file, counts: baselineCounts(parsed), dir: path.dirname(file) };
    } catch (error) {
      result = { error: `cannot read the baseline ${file}: ${(error as Error).message}` };
    }
    hit = { mtimeMs: stat.mtimeMs, size: stat.size, result };
    loaded.set(file, hit);
  }
  return 'error' in hit.result ? hit.result : { ...hit.result, showAs };
}

const applied = new WeakMap<readonly Finding[], { counts: ReadonlyMap<string, number>; showAs: string; out: readonly Finding[] }>();

/**
 * One file's findings with those the baseline holds turned into hints (VS
 * Code shows them faintly, outside the Problems list) or dropped. The result
 * is the same list object for the same findings and baseline, so publishing
 * still skips files that did not change.
 */
export function applyEditorBaseline(uri: string, findings: readonly Finding[], baseline: EditorBaseline): readonly Finding[] {
  const hit = applied.get(findings);
  if (hit && hit.counts === baseline.counts && hit.showAs === baseline.showAs) return hit.out;
  const file = uriToPath(uri);
  const rel = file ? path.relative(baseline.dir, file).split(path.sep).join('/') : uri;
  const { baselined } = splitByBaseline(findings, baseline.counts, (f) => fingerprint(f, rel));
  let out: readonly Finding[] = findings;
  if (baselined.length) {
    const set = new Set(baselined);
    out =
      baseline.showAs === 'hidden'
        ? findings.filter((f) => !set.has(f))
        : findings.map((f) => (set.has(f) ? { ...f, severity: 'hint' as const, message: `${f.message} (in the baseline ${path.basename(baseline.file)})` } : f));
  }
  applied.set(findings, { counts: baseline.counts, showAs: baseline.showAs, out });
  return out;
}
