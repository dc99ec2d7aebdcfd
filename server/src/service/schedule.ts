/**
 * How long to wait after an edit before analysing. Waiting only pays while
 * edits come faster than an analysis runs (then one run serves several
 * keystrokes); otherwise it is pure latency. So: no wait after a pause or
 * when analysis is quick; while typing outpaces a slow analysis, wait about
 * one analysis time, never more than `maxDelay` (`citrixFlowLint.debounceMs`).
 */
export function adaptiveDelay(timing: { readonly maxDelay: number; readonly lastRunMs: number }, sinceLastChange: number): number {
  if (timing.lastRunMs < 10 || sinceLastChange > timing.lastRunMs) return 0;
  return Math.min(timing.maxDelay, Math.ceil(timing.lastRunMs));
}
