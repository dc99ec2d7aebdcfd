// Bundles the fuzz runner (test/fuzz/runner.ts) with esbuild and runs it.
// Usage: npm run fuzz -- --runs N [--format NAME] [--seed S]
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outDir = path.join(root, 'out', `fuzz-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'runner.cjs');
await esbuild.build({
  entryPoints: [path.join(root, 'test', 'fuzz', 'runner.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.env.CITRIX_FLOW_LINT_ROOT ??= root;
process.setSourceMapsEnabled(true);
const { main } = createRequire(import.meta.url)(outfile);
const code = await main(process.argv.slice(2), root);
const { rmSync } = await import('node:fs');
rmSync(outDir, { recursive: true, force: true });
process.exit(code);
