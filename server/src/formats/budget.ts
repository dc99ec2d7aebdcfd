/**
 * A cancellation callback for tree-sitter parses. Its error recovery is
 * superlinear on some malformed input (5,000 `-` in a row: a quarter second
 * in Bicep; 10,000 unclosed braces: seconds in HCL), while well-formed text
 * parses at well under a microsecond per character. A parse that works much
 * harder than its length warrants is cancelled (tree-sitter returns null)
 * and the caller falls back or reports a `limit` problem.
 *
 * The measure is the number of times tree-sitter reports progress, which
 * follows the parser's own work and is the same on every run. Time is not a
 * measure of work: the process's CPU time counts every thread (garbage
 * collection, the WebAssembly compiler tiering up, worker threads), so on a
 * loaded machine a time budget cut the same file at different places and
 * one HCL file gave 10, 11 and 4 findings on three runs.
 *
 * A CPU-time limit stays behind only as a safety net against a hang, set
 * far above anything real work needs (seconds, not milliseconds). When it
 * trips, `hung` says so and the caller gives up on the whole file with one
 * stable problem, never on some of its declarations: the net may decide
 * whether a file is read, never which of its rules are.
 */
export interface ParseBudget {
  (): boolean;
  /** True once the CPU-time safety net (not the work budget) stopped a parse. */
  readonly hung: boolean;
}

/** Seconds of CPU time (all threads) after which a parse is taken to hang, whatever the file's size. */
export const HANG_SECONDS = 20;

export interface BudgetOptions {
  readonly baseReports?: number;
  readonly reportsPerChar?: number;
  /** False for a part of a file parsed under the file's own budget: the file's net alone decides a hang. */
  readonly hangNet?: boolean;
  /** Microseconds of CPU time; tests pass a clock of their own. */
  readonly clock?: () => number;
}

export function giveUpAfter(chars: number, options: BudgetOptions = {}): ParseBudget {
  const { baseReports = 40, reportsPerChar = 0.02, hangNet = true, clock = cpuMicros } = options;
  const budgetReports = baseReports + chars * reportsPerChar;
  const budgetMicros = (HANG_SECONDS * 1000 + chars * 0.1) * 1000;
  const start = clock();
  let reports = 0;
  const state = { hung: false };
  const check = (() => {
    if (state.hung) return true;
    if (++reports > budgetReports) return true;
    // Reading the clock costs a system call: every 64th report is often enough to catch a hang.
    if (hangNet && (reports & 63) === 0 && clock() - start > budgetMicros) state.hung = true;
    return state.hung;
  }) as ParseBudget;
  Object.defineProperty(check, 'hung', { get: () => state.hung });
  return check;
}

function cpuMicros(): number {
  if (typeof process !== 'undefined' && typeof process.cpuUsage === 'function') {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  return performance.now() * 1000;
}

/**
 * Both budgets at once: a fallback that re-parses a file one declaration at a
 * time gives each declaration its own budget and the whole file one more, so
 * many slow declarations cannot add up to a hang.
 */
export function eitherBudget(first: () => boolean, second: () => boolean): () => boolean {
  return () => first() || second();
}

/** The problem a file gets when the safety net stopped its parse: the same words every time, no rule read. */
export function hangProblemMessage(parser: string): string {
  return `analysis is limited: the ${parser} parser did not finish on this file (it ran past ${HANG_SECONDS} seconds of CPU time), so none of its rules are read`;
}
