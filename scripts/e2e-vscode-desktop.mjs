// Runs the Mocha extension-host suite (test/e2e/vscode/suite/) in desktop VS
// Code through @vscode/test-electron. It downloads VS Code, so it needs the
// internet; on machines without it, the same suite runs inside code-server
// (test/e2e/vscode/extensionHost.test.ts, part of `npm run test:e2e`).
// Usage: node scripts/e2e-vscode-desktop.mjs [--version 1.100.3]
import * as esbuild from 'esbuild';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const versionArg = process.argv.indexOf('--version');
const version = versionArg > 0 ? process.argv[versionArg + 1] : JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).engines.vscode.replace(/^\^/, '');

const outdir = path.join(root, 'out', 'e2e-suite');
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['index.ts', 'features.ts'].map((f) => path.join(root, 'test', 'e2e', 'vscode', 'suite', f)),
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

// A copy: the quick-fix tests edit the files.
const workspace = mkdtempSync(path.join(os.tmpdir(), 'cfl-e2e-desktop-'));
cpSync(path.join(root, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
const resultFile = path.join(workspace, '.cfl-suite-result.json');
try {
  const code = await runTests({
    version,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(outdir, 'index.js'),
    extensionTestsEnv: { CFL_SUITE_RESULT: resultFile },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  const result = JSON.parse(readFileSync(resultFile, 'utf8'));
  for (const o of result.outcomes) console.log(`${o.state === 'passed' ? 'ok  ' : 'FAIL'} ${o.title}${o.error ? ` — ${o.error}` : ''}`);
  process.exitCode = code;
} catch (error) {
  console.error(`@vscode/test-electron could not run VS Code ${version}: ${error instanceof Error ? error.message : error}`);
  console.error('Without internet access, run the same suite inside code-server: npm run test:e2e');
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
