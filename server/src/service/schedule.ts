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

/** What the scheduler needs to know of a run's settings. */
export interface RunTiming {
  /** `citrixFlowLint.debounceMs`: the longest wait after an edit. */
  readonly debounceMs: number;
  /** `citrixFlowLint.run`: with `onSave`, edits wait for the save. */
  readonly run: 'onType' | 'onSave';
}

interface UnitSchedule {
  timer?: ReturnType<typeof setTimeout>;
  /** Bumped by every change; a run that sees a newer ticket after its await gives way. */
  ticket: number;
  delay: number;
  ready: boolean;
  lastRunMs: number;
  lastChangeAt: number;
  run: RunTiming['run'];
}

/**
 * When each analysis unit (a workspace folder) is analysed: debounced per
 * unit with `adaptiveDelay`, held until the unit's first scan is done, and
 * superseded by newer changes — a run compares its ticket with `isCurrent`
 * after every await and gives way to the newer one. The runner does the work
 * and reports back with `finished`.
 */
export class AnalysisScheduler<Unit extends object> {
  private readonly units = new Map<Unit, UnitSchedule>();

  constructor(
    private readonly runner: (unit: Unit, ticket: number) => void,
    private readonly initial: RunTiming,
    private readonly readyAtStart: (unit: Unit) => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private of(unit: Unit): UnitSchedule {
    let s = this.units.get(unit);
    if (!s) this.units.set(unit, (s = { ticket: 0, delay: this.initial.debounceMs, ready: this.readyAtStart(unit), lastRunMs: 0, lastChangeAt: 0, run: this.initial.run }));
    return s;
  }

  /** A change in the unit: analyse after the adaptive wait, or after `delay` ms when given. */
  schedule(unit: Unit | undefined, delay?: number): void {
    if (!unit) return;
    const s = this.of(unit);
    s.ticket++;
    if (s.timer) clearTimeout(s.timer);
    const now = this.now();
    const wait = delay ?? adaptiveDelay({ maxDelay: s.delay, lastRunMs: s.lastRunMs }, now - s.lastChangeAt);
    s.lastChangeAt = now;
    if (!s.ready) return;
    const ticket = s.ticket;
    // Even with no wait, a timer lets changes already read from the pipe arrive first; a newer ticket cancels this run.
    s.timer = setTimeout(() => this.runner(unit, ticket), wait);
  }

  /** The unit's first scan is done: from now on changes run, and one runs now. */
  ready(unit: Unit): void {
    this.of(unit).ready = true;
    this.schedule(unit, 0);
  }

  isCurrent(unit: Unit, ticket: number): boolean {
    return this.of(unit).ticket === ticket;
  }

  /** The settings a run read, before it analyses: they set the next wait and whether edits run. */
  useTiming(unit: Unit, timing: RunTiming): void {
    const s = this.of(unit);
    s.delay = timing.debounceMs;
    s.run = timing.run;
  }

  /** How long the unit's last analysis took. */
  finished(unit: Unit, ms: number): void {
    this.of(unit).lastRunMs = ms;
  }

  runsOn(unit: Unit): RunTiming['run'] {
    return this.of(unit).run;
  }
}
