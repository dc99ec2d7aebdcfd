// The Mocha extension-host suite (suite/), run by code-server's own extension
// host: the web workbench accepts VS Code's extension-test payload
// (extensionDevelopmentPath + extensionTestsPath as vscode-remote URIs), loads
// the repository as the development extension and runs the tests in the Node
// extension host — the same suite `npm run test:vscode-desktop` gives to
// @vscode/test-electron where desktop VS Code can be downloaded.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, missingTools, poll, repoRoot, resultsDir, which } from '../helpers/env';
import { ensureCodeServer, startCodeServer, type CodeServerInstance } from './codeServer';
import { buildExtensionHostSuite } from './buildSuite';
import { launchBrowser, Workbench, type Browser } from './workbench';

const chromiumPath = which('chromium') ?? which('chromium-browser');
const skip = missingTools({ chromium: chromiumPath, npm: which('npm'), tar: which('tar') });

interface SuiteResult { failures: number; durationMs: number; outcomes: { title: string; state: string; error?: string }[] }

describe('Extension-host suite (Mocha + vscode API) inside code-server', { skip, timeout: 10 * 60_000 }, () => {
  let server: CodeServerInstance | undefined;
  let browser: Browser | undefined;
  let wb: Workbench | undefined;
  let result: SuiteResult;
  const log = (line: string) => console.log(`[e2e extension host] ${line}`);

  before(async () => {
    const out = resultsDir('extension-host');
    log(`screenshots and logs: ${out}`);
    for (const built of ['extension.js', 'server.js']) assert.ok(existsSync(path.join(repoRoot, 'dist', built)), `dist/${built} is missing: run \`npm run build\` first`);
    const bin = await ensureCodeServer(log);
    const suite = await buildExtensionHostSuite();
    const workspace = copyWorkspace('exthost');
    const resultFile = path.join(workspace, '.cfl-suite-result.json');
    server = await startCodeServer({ bin, logDir: out });
    browser = await launchBrowser(chromiumPath!);
    wb = new Workbench(browser.page, out);
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(suite)],
    ]);
    const started = Date.now();
    await wb.open(server.folderUrl(workspace, { payload }));
    await wb.screenshot('workbench-with-test-payload');
    result = await poll(`the suite's result file ${resultFile} (the extension host ran suite/index.js)`, () => {
      if (!existsSync(resultFile)) return undefined;
      return JSON.parse(readFileSync(resultFile, 'utf8')) as SuiteResult;
    }, { timeoutMs: 5 * 60_000, intervalMs: 500 });
    copyFileSync(resultFile, path.join(out, 'suite-result.json'));
    log(`the extension host ran ${result.outcomes.length} tests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const o of result.outcomes) log(`${o.state === 'passed' ? 'ok  ' : 'FAIL'} ${o.title}${o.error ? ` — ${o.error.split('\n')[0]}` : ''}`);
  });

  after(async () => {
    await wb?.screenshot('final');
    await browser?.close();
    await server?.stop();
  });

  test('runs every test of the suite', () => {
    assert.ok(result.outcomes.length >= 9, `expected the 9 tests of suite/features.ts, got ${result.outcomes.length}`);
  });

  test('every extension-host test passes', () => {
    const failed = result.outcomes.filter((o) => o.state !== 'passed');
    assert.deepEqual(failed.map((o) => `${o.title}: ${o.error}`), [], `${result.failures} failed`);
  });
});
