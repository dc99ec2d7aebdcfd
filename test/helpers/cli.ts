import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { fixturePath, repoRoot } from './fixtures';

/**
 * The CLI as shipped: `node dist/cli.js`, spawned with pipes (so it is not
 * on a TTY). Call ensureBuilt() in a `before` hook: dist/ is rebuilt when a
 * server source is newer than it.
 */
export const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const stale = !fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestSource(path.join(repoRoot(), 'server', 'src'));
  if (stale) {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'scripts', 'build.mjs')], { cwd: repoRoot(), encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed: ${r.stderr}`);
  }
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], cwd: string, env: Record<string, string> = {}): CliRun {
  const environment = { ...process.env, ...env };
  delete environment.NO_COLOR;
  delete environment.FORCE_COLOR;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: environment });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A workspace folder made of files: `{ 'vda.tf': 'checks/missing-flow/bad.tf' }`
 * copies a fixture; a value with a newline in it is the file's text.
 */
export function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-cli-'));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), from.includes('\n') ? from : fs.readFileSync(fixturePath(...from.split('/')), 'utf8'));
  }
}

export function fixtureText(rel: string): string {
  return fs.readFileSync(fixturePath(...rel.split('/')), 'utf8');
}
