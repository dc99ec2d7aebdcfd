/**
 * The property every fuzz input must satisfy: parsing and analysing it
 * throws nothing, reports no internal error, keeps every span inside the
 * text with start <= end, and takes less than the per-input budget of CPU
 * time (the median of repeats, see medianOfRepeats).
 */
import { analyzeParsed, readTopology } from '../../server/src/analysis/analyze';
import { parseAs } from '../../server/src/formats';
import type { FormatId, ParsedFile } from '../../server/src/model';
import type { Topology } from '../../server/src/topology';

export const TIME_BUDGET_MS = 100;
/**
 * A longer input gets more: linear work at a few microseconds a character is
 * not a hang (bench/growth.mjs holds the readers linear), and the parsers'
 * own guard (formats/budget.ts) lets a broken file spend a base plus about
 * 2 µs a character before it gives up. The budget has that shape, a base plus
 * a part per character. With the larger of the two instead, an
 * 80,000-character Terraform line failed at 106 ms, and a 40.5 KB broken
 * Terraform block that spends the whole parse guard (60-110 ms of CPU, about
 * the same from 10 KB to 160 KB of it) at 108 ms under load. Superlinear work
 * still outgrows this quickly.
 */
export const TIME_BUDGET_MS_PER_CHAR = 0.002;

/** The CPU budget for one input: the base plus a part linear in its length. */
export function budgetFor(text: string, baseMs = TIME_BUDGET_MS): number {
  return baseMs + text.length * TIME_BUDGET_MS_PER_CHAR;
}
/** Runs that decide whether an input over budget is slow: the median of this many (fewer once a majority agrees). */
export const TIMING_REPEATS = 5;

/**
 * The median time of an input whose first run took `first` ms, re-running it
 * until a majority of at most `repeats` runs falls on one side of the budget:
 * a load spike makes one run slow, a real hang makes every run slow.
 */
export function medianOfRepeats(first: number, budgetMs: number, run: () => number, repeats = TIMING_REPEATS): { median: number; times: number[] } {
  const times = [first];
  const majority = Math.floor(repeats / 2) + 1;
  while (times.length < repeats) {
    const over = times.filter((t) => t > budgetMs).length;
    if (over >= majority || times.length - over >= majority) break;
    times.push(run());
  }
  const sorted = [...times].sort((a, b) => a - b);
  // With an even count (a majority reached early is never even), the upper middle keeps "over budget" honest.
  return { median: sorted[Math.floor(sorted.length / 2)], times };
}

// Roles with addresses, so required flows are evaluated against real sets, not just symbols.
const TOPOLOGY_TEXT = 'roles:\n  vda: [10.0.2.0/24, 2001:db8:2::/64]\n  storefront: [10.0.1.10]\n  delivery-controller: [10.0.3.10]\n  workspace-app: [0.0.0.0/0]\nnetworks:\n  VirtualNetwork: [10.0.0.0/8]\n';
let topology: Topology | undefined;
function fuzzTopology(): Topology {
  topology ??= readTopology(TOPOLOGY_TEXT, 'file:///fuzz/citrix-flows.yaml');
  return topology;
}
export const FUZZ_ROLES: readonly string[] = ['vda', 'storefront'];

export interface Failure {
  readonly kind: 'exception' | 'internal-error' | 'span' | 'slow';
  readonly message: string;
}

/** Every `{start, end}` reachable from the parsed file, with the path to it, for the message. */
function* spans(value: unknown, path: string, seen: Set<object>): Generator<[string, number, number]> {
  if (value === null || typeof value !== 'object') return;
  if (seen.has(value)) return;
  seen.add(value);
  const o = value as Record<string, unknown>;
  if (typeof o.start === 'number' && typeof o.end === 'number' && Object.keys(o).length === 2) {
    yield [path, o.start, o.end];
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) yield* spans(v, `${path}[${String(k)}]`, seen);
    return;
  }
  // Sets from net/ are immutable value objects with no spans; skip them, they are large.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* spans(value[i], `${path}[${i}]`, seen);
    return;
  }
  for (const k of Object.keys(o)) {
    if (k === 'text' && path === '') continue;
    if (k === 'value') continue;
    yield* spans(o[k], path ? `${path}.${k}` : k, seen);
  }
}

export function spanProblem(file: ParsedFile, extra: readonly { span: { start: number; end: number } }[] = []): string | undefined {
  const n = file.text.length;
  for (const [path, start, end] of spans(file, '', new Set())) {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= n)) return `span ${path} = {${start}, ${end}} is outside the text (length ${n}) or reversed`;
  }
  for (const [i, f] of extra.entries()) {
    const { start, end } = f.span;
    if (!(start >= 0 && start <= end && end <= n)) return `finding ${i} span {${start}, ${end}} is outside the text (length ${n}) or reversed`;
  }
  return undefined;
}

/**
 * CPU time of this process in ms. The budget is on CPU, not the wall clock:
 * a hang burns CPU, while a machine shared by many runs only makes each one
 * wait longer for a core (wall times of a 3 ms input were seen at 100–340 ms).
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function checkInput(format: FormatId, uri: string, text: string, baseBudgetMs = TIME_BUDGET_MS): Failure | undefined {
  const budgetMs = budgetFor(text, baseBudgetMs);
  const t0 = cpuNow();
  let parsed: ParsedFile;
  try {
    parsed = parseAs(format, text, uri);
  } catch (error) {
    return { kind: 'exception', message: `parseAs threw: ${(error as Error).stack ?? error}` };
  }
  const internal = parsed.problems.find((p) => p.message.startsWith('internal error'));
  if (internal) return { kind: 'exception', message: internal.message };
  let findings: readonly { checkId: string; uri: string; message: string; span: { start: number; end: number } }[];
  try {
    findings = analyzeParsed([parsed], fuzzTopology(), { commandLineRoles: FUZZ_ROLES, reportUnmatchedBindings: false }).findings;
  } catch (error) {
    return { kind: 'exception', message: `analyzeParsed threw: ${(error as Error).stack ?? error}` };
  }
  const elapsed = cpuNow() - t0;
  const ie = findings.find((f) => f.checkId === 'internal-error');
  if (ie) return { kind: 'internal-error', message: ie.message };
  const bad = spanProblem(parsed, findings.filter((f) => f.uri === uri));
  if (bad) return { kind: 'span', message: bad };
  if (elapsed > budgetMs) {
    // A GC pause or a busy machine (8 engineers on 2 cores) pushes single runs over: only the median of repeats counts.
    const { median, times } = medianOfRepeats(elapsed, budgetMs, () => {
      const t1 = cpuNow();
      analyzeParsed([parseAs(format, text, uri)], fuzzTopology(), { commandLineRoles: FUZZ_ROLES, reportUnmatchedBindings: false });
      return cpuNow() - t1;
    });
    if (median > budgetMs) return { kind: 'slow', message: `parse + analysis took a median of ${median.toFixed(1)} ms of CPU over ${times.length} runs (${times.map((t) => t.toFixed(1)).join(', ')} ms; budget ${budgetMs} ms) for ${text.length} chars` };
  }
  return undefined;
}
