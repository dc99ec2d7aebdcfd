// The editor's per-folder scheduling (service/schedule.ts), with a clock and
// timers under the test's control.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisScheduler } from '../../../server/src/service/schedule';

function harness(readyAtStart = true) {
  let clock = 0;
  const runs: { unit: object; ticket: number }[] = [];
  const scheduler = new AnalysisScheduler<object>((unit, ticket) => runs.push({ unit, ticket }), { debounceMs: 150, run: 'onType' }, () => readyAtStart, () => clock);
  return { scheduler, runs, advance: (ms: number) => { clock += ms; mock.timers.tick(ms); } };
}

describe('AnalysisScheduler', () => {
  it('holds a folder until its first scan is done, then runs once', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { scheduler, runs, advance } = harness(false);
      const unit = {};
      scheduler.schedule(unit);
      advance(1000);
      assert.equal(runs.length, 0, 'not ready: no run');
      scheduler.ready(unit);
      advance(0);
      assert.equal(runs.length, 1);
      assert.ok(scheduler.isCurrent(unit, runs[0].ticket));
    } finally {
      mock.timers.reset();
    }
  });

  it('a newer change supersedes the pending run, and an older ticket is no longer current', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { scheduler, runs, advance } = harness();
      const unit = {};
      scheduler.finished(unit, 100);
      scheduler.schedule(unit);
      advance(10);
      scheduler.schedule(unit);
      // Edits faster than a 100 ms analysis: the second waits about one analysis time.
      advance(99);
      assert.equal(runs.length, 0);
      advance(1);
      assert.equal(runs.length, 1);
      assert.equal(runs[0].ticket, 2);
      assert.equal(scheduler.isCurrent(unit, 1), false);
      assert.equal(scheduler.isCurrent(unit, 2), true);
    } finally {
      mock.timers.reset();
    }
  });

  it('waits no longer than the debounce setting, and folders do not wait for each other', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { scheduler, runs, advance } = harness();
      const slow = {};
      const quick = {};
      scheduler.useTiming(slow, { debounceMs: 50, run: 'onSave' });
      scheduler.finished(slow, 400);
      scheduler.schedule(slow);
      scheduler.schedule(slow);
      scheduler.schedule(quick);
      advance(0);
      assert.deepEqual(runs.map((r) => r.unit), [quick]);
      advance(50);
      assert.deepEqual(runs.map((r) => r.unit), [quick, slow]);
      assert.equal(scheduler.runsOn(slow), 'onSave');
      assert.equal(scheduler.runsOn(quick), 'onType');
    } finally {
      mock.timers.reset();
    }
  });
});
