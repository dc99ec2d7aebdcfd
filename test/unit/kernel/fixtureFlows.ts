import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate, flow, type EvaluationResult, type Verdict } from '../../../server/src/analysis/evaluate';
import type { Direction, ParsedFile, RuleSet } from '../../../server/src/model';
import { fixtureInputs } from '../../helpers/fixtures';

/**
 * Fixtures carry their own table of flows as comments, so the input, the
 * verdicts and the kernel test read one place:
 *   # flow: in tcp 10.200.0.1 -> 10.200.0.2:22 => allowed
 *   # kernel: skip (why)
 */
export interface FixtureFlow {
  readonly spec: string;
  readonly expected: Verdict;
}

const VERDICTS = new Set<Verdict>(['allowed', 'denied', 'partial', 'unknown']);

export function fixtureFlows(file: ParsedFile): FixtureFlow[] {
  const out: FixtureFlow[] = [];
  for (const c of file.comments) {
    if (!c.text.startsWith('flow:')) continue;
    const [spec, verdict] = c.text.slice(5).split('=>').map((s) => s.trim());
    if (!VERDICTS.has(verdict as Verdict)) throw new Error(`bad verdict in "${c.text}"`);
    out.push({ spec, expected: verdict as Verdict });
  }
  return out;
}

export function kernelSkipReason(file: ParsedFile): string | undefined {
  const c = file.comments.find((x) => x.text.startsWith('kernel: skip'));
  return c ? c.text.slice('kernel: skip'.length).trim() || 'marked skip' : undefined;
}

/** The rule sets a flow in this direction crosses, in stage order. */
export function stagesFor(file: ParsedFile, direction: Direction): RuleSet[] {
  return file.ruleSets
    .filter((rs) => rs.directions.includes(direction))
    .map((rs, i) => ({ rs, i }))
    .sort((a, b) => (a.rs.stage?.order ?? 0) - (b.rs.stage?.order ?? 0) || a.i - b.i)
    .map((x) => x.rs);
}

export function verdictOf(file: ParsedFile, spec: string): EvaluationResult {
  const q = flow(spec);
  return evaluate(stagesFor(file, q.direction), q);
}

export function isInvalidFixture(file: string): boolean {
  return path.basename(file).includes('invalid');
}

export function readFixtures(folder: string): { file: string; text: string }[] {
  return fixtureInputs(folder).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
}
