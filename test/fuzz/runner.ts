/**
 * `npm run fuzz -- --runs N [--format NAME] [--seed S]`: N inputs per
 * target, in batches so progress shows and a million runs need no more
 * memory than a thousand. On a failure, fast-check shrinks the input, the
 * shrunk text is saved under test/fixtures/fuzz-found/<format>/, and the
 * run exits 1 (with --keep-going, at the end, after every batch of every
 * target ran). An input over the time budget fails only when the median of
 * repeated runs is over it too (check.ts), so load on a shared machine is
 * not reported as a hang.
 */
import fc from 'fast-check';
import { initTreeSitter } from '../../server/src/formats';
import { TARGETS, type FuzzTarget } from './generators';
import { cpuNow } from './check';
import { checkFuzzInput, fuzzInput, saveCounterexample, type FuzzInput } from './property';

/** With --keep-going, a target that fails this many batches is left for the next one. */
const MAX_FAILURES_PER_TARGET = 10;
/**
 * Shrinking a slow input re-times every candidate (the median of repeats),
 * which took over ten minutes on one Bicep input and held up every target
 * after it. Past this much wall time after a batch's first failure, the
 * smallest counterexample found so far is the one kept.
 */
const SHRINK_BUDGET_MS = 60_000;

interface Args {
  runs: number;
  seed: number;
  targets: FuzzTarget[];
  batch: number;
  keepGoing: boolean;
}

function parseArgs(argv: readonly string[], root: string): Args {
  let runs = 1000;
  let seed = Date.now() % 2 ** 31;
  let batch = 2000;
  let keepGoing = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') runs = Number(next());
    else if (a === '--seed') seed = Number(next());
    else if (a === '--format') names.push(...next().split(','));
    else if (a === '--batch') batch = Number(next());
    else if (a === '--keep-going') keepGoing = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(runs) || runs < 1) usage('--runs must be a positive integer');
  if (!Number.isInteger(seed)) usage('--seed must be an integer');
  // A format id (`terraform`) selects all its dialects; a dialect name (`terraform-aws`) just that one.
  const targets = names.length ? TARGETS.filter((t) => names.includes(t.name) || names.includes(t.format)) : [...TARGETS];
  if (names.length && targets.length === 0) usage(`no target matches ${names.join(', ')}`);
  void root;
  return { runs, seed, targets, batch: Math.max(1, Math.min(batch, runs)), keepGoing };
}

function usage(error?: string): never {
  if (error) console.error(`fuzz: ${error}`);
  console.error(`usage: npm run fuzz -- [--runs N] [--format NAME[,NAME…]] [--seed S] [--batch B] [--keep-going]\ntargets: ${TARGETS.map((t) => t.name).join(', ')} (or a format id: ${[...new Set(TARGETS.map((t) => t.format))].join(', ')})`);
  process.exit(error ? 2 : 0);
}

export async function main(argv: readonly string[], root: string): Promise<number> {
  const args = parseArgs(argv, root);
  await initTreeSitter();
  console.log(`fuzz: ${args.runs} inputs per target, seed ${args.seed}, targets ${args.targets.map((t) => t.name).join(', ')}`);
  const failed: string[] = [];
  const summary: { target: string; runs: number; seconds: number; perSecond: number; slowestMs: number; slowestChars: number; failures: number }[] = [];
  for (const target of args.targets) {
    const arb = fuzzInput(root, target);
    let done = 0;
    let checked = 0;
    let failures = 0;
    let slowest = 0;
    let slowestChars = 0;
    const t0 = performance.now();
    let lastPrint = t0;
    for (let b = 0; done < args.runs; b++) {
      const n = Math.min(args.batch, args.runs - done);
      // Each batch has its own seed derived from the run's, so `--seed S` reproduces the whole run.
      const batchSeed = (args.seed + b * 7919) | 0;
      let failedAt: number | undefined;
      const property = fc.property(arb, (input: FuzzInput) => {
        // Once the budget is spent every further shrinking candidate passes, which ends the shrinking.
        if (failedAt !== undefined && performance.now() - failedAt > SHRINK_BUDGET_MS) return;
        const s = cpuNow();
        const failure = checkFuzzInput(target, input);
        const ms = cpuNow() - s;
        if (ms > slowest) {
          slowest = ms;
          slowestChars = input.text.length;
        }
        if (failure) {
          failedAt ??= performance.now();
          throw new Error(`${failure.kind}: ${failure.message}\n(origin: ${input.origin})`);
        }
      });
      const result = fc.check(property, { seed: batchSeed, numRuns: n, endOnFailure: false });
      done += n;
      checked += result.numRuns;
      if (result.failed) {
        failures++;
        const example = (result.counterexample?.[0] as FuzzInput | undefined) ?? { origin: '?', text: '' };
        const file = saveCounterexample(root, target, example.text);
        console.error(`\nfuzz: FAILED on ${target.name} after ${checked} inputs (batch seed ${batchSeed}, path ${result.counterexamplePath})`);
        console.error(String(result.errorInstance instanceof Error ? result.errorInstance.message : result.errorInstance).slice(0, 4000));
        console.error(`counterexample (${example.text.length} chars, shrunk ${result.numShrinks} times) written to ${file}`);
        if (!args.keepGoing) return 1;
        // --keep-going: the rest of this target's batches and the other targets still run, so one bug
        // (or one slow input) does not hide the next; a target failing batch after batch is given up on.
        failed.push(`${target.name}: ${file}`);
        if (failures >= MAX_FAILURES_PER_TARGET) {
          console.error(`fuzz: ${target.name}: ${failures} failures, going on with the next target`);
          break;
        }
      }
      const now = performance.now();
      if (now - lastPrint > 5000 || done >= args.runs) {
        lastPrint = now;
        const secs = (now - t0) / 1000;
        process.stdout.write(`  ${target.name}: ${checked}/${args.runs} (${(checked / secs).toFixed(0)}/s, slowest ${slowest.toFixed(1)} CPU ms)\n`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    summary.push({ target: target.name, runs: checked, seconds, perSecond: checked / seconds, slowestMs: slowest, slowestChars, failures });
  }
  console.log('\ntarget               inputs    seconds   inputs/s   slowest CPU ms (chars)   failures');
  for (const s of summary) console.log(`${s.target.padEnd(20)} ${String(s.runs).padStart(7)} ${s.seconds.toFixed(1).padStart(10)} ${s.perSecond.toFixed(0).padStart(10)} ${s.slowestMs.toFixed(1).padStart(12)} ${`(${s.slowestChars})`.padStart(8)} ${String(s.failures).padStart(10)}`);
  const total = summary.reduce((a, s) => a + s.runs, 0);
  const secs = summary.reduce((a, s) => a + s.seconds, 0);
  const worst = summary.reduce((a, s) => (s.slowestMs > a.slowestMs ? s : a), summary[0]);
  if (worst) console.log(`all targets: ${total} inputs in ${secs.toFixed(0)} s (${(total / secs).toFixed(0)}/s); slowest single run ${worst.slowestMs.toFixed(1)} CPU ms (${worst.target}, ${worst.slowestChars} chars)`);
  if (failed.length) {
    console.error(`fuzz: ${failed.length} target(s) failed:\n  ${failed.join('\n  ')}`);
    return 1;
  }
  console.log(`fuzz: all ${total} inputs passed (seed ${args.seed})`);
  return 0;
}
