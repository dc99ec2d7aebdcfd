import type { Finding } from './findings';

/**
 * A baseline: the findings a team has accepted for now, so only new ones
 * fail a build (`check --write-baseline FILE`, then `check --baseline FILE`).
 *
 * Findings are matched by fingerprint, the same key SARIF's
 * `partialFingerprints` carries: check, flow, file path and rule set. Line
 * numbers are left out so an edit above a finding does not make it "new";
 * the path is in it so findings of different files never stand for each
 * other. Several findings with one fingerprint (two shadowed rules in one
 * rule set) are counted: a baseline with two lets two through, not three.
 */
export interface BaselineEntry {
  readonly fingerprint: string;
  /** The rest is for people reading the file in review; matching uses the fingerprint alone. */
  readonly checkId: string;
  readonly file: string;
  readonly line?: number;
  readonly message: string;
}

export interface Baseline {
  readonly version: 1;
  readonly findings: readonly BaselineEntry[];
}

export const BASELINE_VERSION = 1;

/** `check:flow:path:ruleSet`, with `path` relative to the folder the key is about (forward slashes). */
export function fingerprint(finding: Pick<Finding, 'checkId' | 'flowId' | 'data'>, relativePath: string): string {
  const ruleSet = typeof finding.data?.ruleSetId === 'string' ? finding.data.ruleSetId : '';
  return `${finding.checkId}:${finding.flowId ?? ''}:${relativePath}:${ruleSet}`;
}

export function makeBaseline(findings: readonly { finding: Finding; file: string; line?: number }[]): Baseline {
  const entries = findings.map(({ finding, file, line }) => ({
    fingerprint: fingerprint(finding, file),
    checkId: finding.checkId,
    file,
    ...(line !== undefined ? { line } : {}),
    message: finding.message,
  }));
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)));
  return { version: BASELINE_VERSION, findings: entries };
}

export function serializeBaseline(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

/** A baseline file's text, or a sentence saying what is wrong with it. */
export function parseBaseline(text: string): Baseline | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON (${(error as Error).message})` };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { error: 'expected an object with "version" and "findings"' };
  const r = raw as Record<string, unknown>;
  if (r.version !== BASELINE_VERSION) return { error: `unsupported version ${JSON.stringify(r.version)} (this citrix-flow-lint reads version ${BASELINE_VERSION})` };
  if (!Array.isArray(r.findings)) return { error: '"findings" must be a list' };
  const findings: BaselineEntry[] = [];
  for (const [i, e] of r.findings.entries()) {
    if (!e || typeof e !== 'object' || typeof (e as BaselineEntry).fingerprint !== 'string') return { error: `findings[${i}] has no "fingerprint"` };
    const entry = e as Record<string, unknown>;
    findings.push({
      fingerprint: entry.fingerprint as string,
      checkId: typeof entry.checkId === 'string' ? entry.checkId : '',
      file: typeof entry.file === 'string' ? entry.file : '',
      ...(typeof entry.line === 'number' ? { line: entry.line } : {}),
      message: typeof entry.message === 'string' ? entry.message : '',
    });
  }
  return { version: BASELINE_VERSION, findings };
}

/** How many findings of each fingerprint the baseline lets through. */
export function baselineCounts(baseline: Baseline): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of baseline.findings) counts.set(e.fingerprint, (counts.get(e.fingerprint) ?? 0) + 1);
  return counts;
}

/**
 * Splits findings into those the baseline holds and new ones. `keyOf` gives
 * each finding's fingerprint; findings are taken in the order given, so with
 * more findings of one fingerprint than the baseline holds, the later ones
 * (by place, as analyses sort them) are the new ones.
 */
export function splitByBaseline<F>(findings: readonly F[], counts: ReadonlyMap<string, number>, keyOf: (f: F) => string): { fresh: F[]; baselined: F[] } {
  const left = new Map(counts);
  const fresh: F[] = [];
  const baselined: F[] = [];
  for (const f of findings) {
    const key = keyOf(f);
    const n = left.get(key) ?? 0;
    if (n > 0) {
      left.set(key, n - 1);
      baselined.push(f);
    } else fresh.push(f);
  }
  return { fresh, baselined };
}
