// Compiles each test file with esbuild (type checking is `tsc -b`, run by
// `npm run build`) and hands the results to Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [--e2e] [substring filters…]
import * as esbuild from 'esbuild';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const includeE2e = args.includes('--e2e');
const onlyE2e = args.includes('--only-e2e');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(full).isDirectory()) found.push(...walk(full));
    else if (name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

let files = walk(path.join(root, 'test')).sort();
files = files.filter((f) => {
  const isE2e = f.includes(`${path.sep}e2e${path.sep}`);
  if (onlyE2e) return isE2e;
  return includeE2e || !isE2e;
});
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(2);
}

// A folder per run, so two runs at once (two engineers, or an editor and CI) do not delete each other's files.
const outDir = path.join(root, 'out', `test-${process.pid}`);
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files,
  outdir: outDir,
  outbase: path.join(root, 'test'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const compiled = files.map((f) => path.join(outDir, path.relative(path.join(root, 'test'), f)).replace(/\.ts$/, '.js'));
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...compiled], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, CITRIX_FLOW_LINT_ROOT: root },
});
rmSync(outDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
