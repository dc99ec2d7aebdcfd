// Stryker's build step, run inside its sandbox after the sources are
// instrumented: generates the catalog JSON and bundles each guarding test
// with the instrumented engine into one JavaScript file, so a mutant's run is
// a plain `node file.js` (loading TypeScript through a loader per mutant
// costs ~20 s on a loaded 2-core machine; a bundle starts in well under 1 s).
// Usage (from scripts/mutate.mjs): node scripts/mutate-bundle.mjs TEST.ts…
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = process.cwd();
const catalog = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-catalog.mjs')], { stdio: 'inherit' });
if (catalog.status !== 0) process.exit(catalog.status ?? 1);
await esbuild.build({
  entryPoints: process.argv.slice(2),
  outdir: path.join(root, 'out', 'mutate'),
  outbase: path.join(root, 'test'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});
