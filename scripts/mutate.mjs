// `npm run mutate [-- SCOPE…] [--mutate GLOB]`: StrykerJS over the parts of
// the engine where a wrong answer is dangerous, one scope at a time, each with
// only the unit tests that guard it (the whole unit suite takes ~5 min, so a
// run of it per mutant would take days on 2 cores). Each scope keeps its own
// incremental file (reports/mutation/<scope>.incremental.json, git-ignored),
// so a rerun mutates only what changed since that scope's last run. Scores
// per scope are printed at the end and kept in reports/mutation/summary.json.
//
//   npm run mutate -- net                      one scope
//   npm run mutate -- --mutate 'server/src/net/**/*.ts'
//                                              the scopes that own those files, narrowed to them
//   npm run mutate                             every scope (hours)
//
// The machine is shared: Stryker runs one mutant at a time (concurrency 1,
// stryker.config.mjs) at the lowest CPU priority (nice 19, inherited by every
// child), whatever the caller did.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import base from '../stryker.config.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// Each scope: the files it mutates and the tests that hold their behaviour.
// Tests must call the engine in-process: a test that runs dist/cli.js sees
// the built CLI, not the mutant, and so can kill nothing.
export const SCOPES = {
  net: {
    mutate: ['server/src/net/**/*.ts'],
    tests: ['test/unit/net/net.test.ts'],
  },
  evaluator: {
    mutate: ['server/src/analysis/evaluate.ts'],
    // The evaluator's own tests, and the hand-worked verdicts of every format that ask it in-process (fixture
    // `expect` lines, the formats' verdict tables): with the first three alone, 265 mutants ran no test at all.
    tests: [
      'test/unit/analysis/evaluate.test.ts',
      'test/unit/analysis/documentedDeny.test.ts',
      'test/unit/analysis/statelessReturn.test.ts',
      'test/unit/formats/fixtureExpectations.test.ts',
      'test/unit/formats/iptables.test.ts',
      'test/unit/formats/nftables.test.ts',
      'test/unit/formats/windows-firewall.test.ts',
      'test/unit/formats/terraform-eval.test.ts',
      'test/unit/formats/bicep-arm-evaluate.test.ts',
      'test/unit/formats/firewalld.test.ts',
      'test/unit/formats/ufw.test.ts',
      'test/unit/formats/terraform-azure-firewall.test.ts',
      'test/unit/analysis/hostNames.test.ts',
      'test/unit/analysis/evaluateIndex.test.ts',
      // Unresolved names decided both ways (evaluateBranches, splitReason): 81 mutants there ran no test.
      'test/unit/analysis/branches.test.ts',
      // Names in rules and in flows (splitAddresses, describeUnknown), ties of priority.
      'test/unit/analysis/symbols.test.ts',
      // Shadowed-rule findings ask the evaluator's coverage(), which nothing above reaches.
      'test/unit/checks/checks.test.ts',
    ],
  },
  checks: {
    mutate: ['server/src/analysis/checks/**/*.ts', '!server/src/analysis/checks/docs.ts'],
    tests: ['test/unit/checks/checks.test.ts', 'test/unit/checks/exposedNoRoles.test.ts', 'test/unit/checks/judge.test.ts'],
  },
  suppressions: { mutate: ['server/src/analysis/suppressions.ts'], tests: ['test/unit/topology/suppressions.test.ts'] },
  // Which FQDN rules a flow known by name meets: a wrong "all" would say allowed where Azure Firewall denies.
  'host-names': { mutate: ['server/src/analysis/hostNames.ts'], tests: ['test/unit/analysis/hostNames.test.ts', 'test/unit/formats/terraform-azure-firewall.test.ts'] },
  // Where each firewall sits on a flow's way and what arrives: a wrong placement or walk says allowed past a deny.
  'site-path': {
    mutate: ['server/src/analysis/sitePath.ts', 'server/src/analysis/pathFlows.ts'],
    tests: ['test/unit/analysis/sitePath.test.ts', 'test/unit/analysis/attachedHosts.test.ts', 'test/unit/flowmap/flowMapPath.test.ts'],
  },
  sarif: {
    mutate: ['server/src/cli/sarif.ts', 'server/src/analysis/baseline.ts'],
    tests: ['test/unit/cli/sarifLog.test.ts'],
  },
  nftables: {
    mutate: ['server/src/formats/nftables/**/*.ts', '!server/src/formats/nftables/emit.ts'],
    tests: ['test/unit/formats/nftables.test.ts'],
  },
  cloud: {
    mutate: ['server/src/formats/azure/nsg.ts', 'server/src/formats/terraform/aws.ts', 'server/src/formats/terraform/gcp.ts'],
    tests: ['test/unit/formats/terraform-eval.test.ts', 'test/unit/formats/bicep-arm-evaluate.test.ts'],
  },
  parsers: {
    mutate: ['server/src/formats/iptables/**/*.ts', 'server/src/formats/asa/**/*.ts', 'server/src/formats/windows-firewall/**/*.ts', '!server/src/formats/*/emit.ts'],
    tests: ['test/unit/formats/iptables.test.ts', 'test/unit/formats/asa.test.ts', 'test/unit/formats/windows-firewall.test.ts'],
  },
};

function sourceFiles(dir) {
  const found = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(root, rel)).isDirectory()) found.push(...sourceFiles(rel));
    else if (name.endsWith('.ts')) found.push(rel);
  }
  return found;
}

/** The files a list of Stryker mutate patterns (globs, `!` to leave out) selects. */
export function selectFiles(patterns, files) {
  const yes = patterns.filter((p) => !p.startsWith('!')).map((p) => picomatch(p));
  const no = patterns.filter((p) => p.startsWith('!')).map((p) => picomatch(p.slice(1)));
  return files.filter((f) => yes.some((m) => m(f)) && !no.some((m) => m(f)));
}

function main() {
  const argv = process.argv.slice(2);
  const valueOf = (flag) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const flags = new Set(['--concurrency', '--mutate', '--only']);
  const chosen = argv.filter((a, i) => !a.startsWith('--') && !flags.has(argv[i - 1]));
  const unknown = chosen.filter((g) => !(g in SCOPES));
  if (unknown.length) {
    console.error(`unknown scope ${unknown.join(', ')}; scopes: ${Object.keys(SCOPES).join(', ')}`);
    process.exit(2);
  }
  const concurrency = valueOf('--concurrency') ? Number(valueOf('--concurrency')) : base.concurrency;
  // --mutate GLOB narrows the run to those files (e.g. after changing one of them).
  const narrow = valueOf('--mutate') ?? valueOf('--only');
  const all = sourceFiles('server/src');
  const owned = (scope) => selectFiles(SCOPES[scope].mutate, all);
  let scopes = chosen.length ? chosen : Object.keys(SCOPES);
  if (narrow) {
    const wanted = selectFiles([narrow], all);
    scopes = scopes.filter((s) => owned(s).some((f) => wanted.includes(f)));
    if (scopes.length === 0) {
      console.error(`no scope mutates ${narrow} (${wanted.length} file(s) match it); scopes: ${Object.keys(SCOPES).map((s) => `${s} = ${SCOPES[s].mutate.join(' ')}`).join('; ')}`);
      process.exit(2);
    }
  }

  try {
    os.setPriority(19);
  } catch {
    // Not permitted here (some containers): run at the caller's priority.
  }
  const reportDir = path.join(root, 'reports', 'mutation');
  mkdirSync(reportDir, { recursive: true });
  const summaryFile = path.join(reportDir, 'summary.json');
  const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : {};

  for (const scope of scopes) {
    const { tests } = SCOPES[scope];
    const files = narrow ? owned(scope).filter((f) => selectFiles([narrow], all).includes(f)) : owned(scope);
    // The TypeScript checker type-checks each mutant. Against the whole
    // server project that costs ~3 s a mutant; against the mutated files and
    // what they import it is much less. A mutant that only breaks the types of
    // a file outside this program is then run against the tests instead, which
    // can only lower the score, never raise it.
    const tsconfig = path.join('server', 'tsconfig.mutate.json');
    writeFileSync(
      path.join(root, tsconfig),
      `${JSON.stringify({ extends: './tsconfig.json', compilerOptions: { composite: false, declaration: false, incremental: false, tsBuildInfoFile: null }, include: [], files: files.map((f) => path.relative('server', f)) }, null, 2)}\n`,
    );
    const config = {
      ...base,
      mutate: files,
      concurrency,
      tsconfigFile: tsconfig,
      buildCommand: `node scripts/mutate-bundle.mjs ${tests.join(' ')}`,
      tap: { ...base.tap, testFiles: tests.map((t) => t.replace(/^test\//, 'out/mutate/').replace(/\.ts$/, '.js')) },
      incrementalFile: path.join('reports', 'mutation', `${scope}.incremental.json`),
      jsonReporter: { fileName: path.join('reports', 'mutation', `${scope}.json`) },
    };
    const configFile = path.join(reportDir, `${scope}.config.json`);
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    console.log(`\n=== mutation scope ${scope}: ${files.length} file(s) against ${tests.join(' ')}`);
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', configFile], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`stryker failed for ${scope} (exit ${r.status})`);
      process.exitCode = 1;
      continue;
    }
    const report = JSON.parse(readFileSync(path.join(reportDir, `${scope}.json`), 'utf8'));
    const counts = {};
    const perFile = {};
    for (const [file, { mutants }] of Object.entries(report.files)) {
      for (const m of mutants) {
        counts[m.status] = (counts[m.status] ?? 0) + 1;
        perFile[file] ??= {};
        perFile[file][m.status] = (perFile[file][m.status] ?? 0) + 1;
      }
    }
    // A narrowed run's report holds only the narrowed files: keep it apart from the scope's whole score.
    summary[narrow ? `${scope} (${narrow})` : scope] = { date: new Date().toISOString(), mutate: files, tests, counts, score: score(counts), perFile };
    writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  }
  console.log('\nmutation score per scope ((killed + timeout) / (killed + timeout + survived + no coverage)):');
  for (const [g, s] of Object.entries(summary)) console.log(`  ${g.padEnd(13)} ${s.score === null ? 'n/a' : `${s.score}%`}  ${JSON.stringify(s.counts)}`);
}

function score(counts) {
  const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = killed + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  return valid ? +((100 * killed) / valid).toFixed(1) : null;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
