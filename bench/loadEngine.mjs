// The bench measures the engine as the server runs it: bundled by esbuild
// from the TypeScript sources. Each bench names the exports it needs.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const benchRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Bundles `export … from …` lines (paths relative to the repository root) and returns the loaded module. */
export async function loadEngine(name, exportLines) {
  const outDir = path.join(benchRoot, 'out', 'bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${name}-${process.pid}.cjs`);
  await esbuild.build({
    stdin: { contents: exportLines.join('\n'), resolveDir: benchRoot, loader: 'ts' },
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return createRequire(import.meta.url)(outfile);
}
