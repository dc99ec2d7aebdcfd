// Mutation testing (`npm run mutate`, not part of `npm test`: it is slow on
// 2 cores). It mutates the code where a wrong answer is dangerous and runs the
// unit tests that guard it; a surviving mutant is a behaviour no test holds.
// One group at a time keeps each run short: `npm run mutate -- net` (see
// scripts/mutate.mjs for the groups). Results are incremental
// (reports/mutation/<group>.incremental.json), so a rerun only mutates what changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  // scripts/mutate.mjs sets tap.testFiles to the guarding tests, bundled with
  // the instrumented sources by its buildCommand (scripts/mutate-bundle.mjs).
  tap: { forceBail: true },
  checkers: ['typescript'],
  tsconfigFile: 'server/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  ignorePatterns: ['out', 'dist', '.cache', 'test-results', 'reports', 'bench/*.json', 'stryker-tmp'],
  coverageAnalysis: 'all',
  incremental: true,
  // One mutant at a time: the machine has 2 cores shared by several engineers.
  concurrency: 1,
  timeoutMS: 30_000,
  thresholds: { high: 85, low: 75, break: null },
  reporters: ['clear-text', 'progress', 'json'],
  cleanTempDir: 'always',
  // Not a dot folder: the engine skips hidden folders below a workspace it scans (a hostile repository's .git and
  // the like), so tests that scan a fixture folder found nothing in `.stryker-tmp/sandbox-…`.
  tempDirName: 'stryker-tmp',
};
