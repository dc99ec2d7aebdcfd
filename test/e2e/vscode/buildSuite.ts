// Compiles the Mocha extension-host suite (suite/*.ts) to out/e2e-suite/, next
// to the repository's node_modules so the extension host can require mocha.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { rmSync } from 'node:fs';
import { repoRoot } from '../helpers/env';

export async function buildExtensionHostSuite(): Promise<string> {
  const outdir = path.join(repoRoot, 'out', 'e2e-suite');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: ['index.ts', 'features.ts'].map((f) => path.join(repoRoot, 'test', 'e2e', 'vscode', 'suite', f)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return path.join(outdir, 'index.js');
}
