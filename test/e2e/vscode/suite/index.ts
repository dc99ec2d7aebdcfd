// Mocha entry point the extension host loads (`--extensionTestsPath`), in
// desktop VS Code through @vscode/test-electron and in code-server through the
// workbench's extension-test payload. It writes a JSON summary where the
// driver can read it: $CFL_SUITE_RESULT, else .cfl-suite-result.json in the
// first workspace folder (code-server's extension host may not pass our env on).
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import * as vscode from 'vscode';

interface Outcome { title: string; state: 'passed' | 'failed'; error?: string; durationMs?: number }

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 90_000, color: false });
  mocha.addFile(path.join(__dirname, 'features.js'));
  const outcomes: Outcome[] = [];
  const started = Date.now();
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (t) => outcomes.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on('fail', (t, err: Error) => outcomes.push({ title: t.fullTitle(), state: 'failed', error: err?.message ?? String(err) }));
  });
  const target = process.env.CFL_SUITE_RESULT
    ?? path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd(), '.cfl-suite-result.json');
  writeFileSync(target, JSON.stringify({ failures, durationMs: Date.now() - started, outcomes }, null, 2));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
