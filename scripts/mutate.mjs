// `npm run mutate [-- GROUP…]`: StrykerJS over the parts of the engine where a
// wrong answer is dangerous, one group at a time, each with the unit tests
// that guard it (running the whole suite per mutant would take hours on 2
// cores). Each group keeps its own incremental file, so a rerun mutates only
// what changed since the last run of that group. Scores per group are printed
// at the end and written to reports/mutation/summary.json.
// Usage: node scripts/mutate.mjs [net|evaluator|checks|suppressions|sarif|semantics|parsers]… [--only GLOB] [--concurrency N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import base from '../stryker.config.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const GROUPS = {
  net: { mutate: ['server/src/net/**/*.ts'], tests: ['test/unit/net/net.test.ts'] },
  evaluator: {
    mutate: ['server/src/analysis/evaluate.ts', 'server/src/model/build.ts'],
    tests: ['test/unit/analysis/evaluate.test.ts', 'test/unit/formats/terraform-eval.test.ts', 'test/unit/formats/bicep-arm-evaluate.test.ts'],
  },
  checks: {
    mutate: ['server/src/analysis/checks/**/*.ts', 'server/src/analysis/required.ts'],
    tests: ['test/unit/checks/checks.test.ts', 'test/unit/checks/exposedNoRoles.test.ts'],
  },
  suppressions: { mutate: ['server/src/analysis/suppressions.ts'], tests: ['test/unit/topology/suppressions.test.ts'] },
  sarif: { mutate: ['server/src/cli/report.ts'], tests: ['test/unit/cli/fingerprints.test.ts', 'test/unit/cli/cli.test.ts'] },
  semantics: {
    mutate: ['server/src/formats/azure/nsg.ts', 'server/src/formats/terraform/aws.ts', 'server/src/formats/terraform/gcp.ts'],
    tests: ['test/unit/formats/terraform-eval.test.ts', 'test/unit/formats/bicep-arm-evaluate.test.ts'],
  },
  parsers: {
    mutate: ['server/src/formats/iptables/**/*.ts', 'server/src/formats/nftables/**/*.ts', 'server/src/formats/asa/**/*.ts', 'server/src/formats/windows-firewall/**/*.ts', '!server/src/formats/*/emit.ts'],
    tests: ['test/unit/formats/iptables.test.ts', 'test/unit/formats/nftables.test.ts', 'test/unit/formats/asa.test.ts', 'test/unit/formats/windows-firewall.test.ts'],
  },
};

const argv = process.argv.slice(2);
const concurrencyAt = argv.indexOf('--concurrency');
const concurrency = concurrencyAt >= 0 ? Number(argv[concurrencyAt + 1]) : base.concurrency;
const onlyAt = argv.indexOf('--only');
// --only GLOB narrows a group to some of its files, e.g. after a change to one of them.
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
const chosen = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--concurrency' && argv[i - 1] !== '--only');
const unknown = chosen.filter((g) => !(g in GROUPS));
if (unknown.length) {
  console.error(`unknown group ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const reportDir = path.join(root, 'reports', 'mutation');
mkdirSync(reportDir, { recursive: true });
const summaryFile = path.join(reportDir, 'summary.json');
const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : {};

for (const group of chosen.length ? chosen : Object.keys(GROUPS)) {
  const { tests } = GROUPS[group];
  const mutate = only ? [only] : GROUPS[group].mutate;
  const config = {
    ...base,
    mutate,
    concurrency,
    buildCommand: `node scripts/mutate-bundle.mjs ${tests.join(' ')}`,
    tap: { ...base.tap, testFiles: tests.map((t) => t.replace(/^test\//, 'out/mutate/').replace(/\.ts$/, '.js')) },
    incrementalFile: path.join('reports', 'mutation', `${group}.incremental.json`),
    jsonReporter: { fileName: path.join('reports', 'mutation', `${group}.json`) },
  };
  const configFile = path.join(reportDir, `${group}.config.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`\n=== mutation group ${group}: ${mutate.join(' ')} against ${tests.length} test file(s)`);
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', configFile], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`stryker failed for ${group} (exit ${r.status})`);
    process.exitCode = 1;
    continue;
  }
  const report = JSON.parse(readFileSync(path.join(reportDir, `${group}.json`), 'utf8'));
  const counts = {};
  for (const file of Object.values(report.files)) for (const m of file.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = killed + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  summary[group] = { date: new Date().toISOString(), mutate, tests, counts, score: valid ? +((100 * killed) / valid).toFixed(1) : null };
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
}
console.log('\nmutation score per group (killed + timeout over killed + timeout + survived + no coverage):');
for (const [g, s] of Object.entries(summary)) console.log(`  ${g.padEnd(13)} ${s.score === null ? 'n/a' : `${s.score}%`}  ${JSON.stringify(s.counts)}`);
