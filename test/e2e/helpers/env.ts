// Shared plumbing for the end-to-end suites: where the repository is, where a
// run writes its screenshots and logs, what the machine lacks, and polling.
import { existsSync, mkdirSync, cpSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = process.env.CITRIX_FLOW_LINT_ROOT ?? process.cwd();
export const e2eWorkspace = path.join(repoRoot, 'test', 'e2e', 'workspace');

let runStamp: string | undefined;
/** test-results/e2e/<timestamp>/<suite>: one folder per run, printed so a person can open the screenshots. */
export function resultsDir(suite: string): string {
  runStamp ??= process.env.CFL_E2E_STAMP ?? new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(repoRoot, 'test-results', 'e2e', runStamp, suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A private copy of the e2e workspace: quick fixes write to disk, the checked-in files stay untouched. */
export function copyWorkspace(prefix: string, source = e2eWorkspace): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cfl-e2e-${prefix}-`));
  cpSync(source, dir, { recursive: true });
  return dir;
}

export function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p && existsSync(p) ? p : undefined;
}

/**
 * Missing tools skip the suite, loudly, on a newcomer's machine; in CI
 * (CI=true, where .ci/run installs them) they fail it.
 */
export function missingTools(tools: Record<string, string | undefined>): string | undefined {
  const missing = Object.entries(tools).filter(([, p]) => !p).map(([name]) => name);
  if (missing.length === 0) return undefined;
  const message = `E2E SKIPPED: ${missing.join(', ')} not found. Install with: apt-get install -y chromium neovim libkrb5-dev (.ci/run does).`;
  // .ci/run installs these tools, so in CI a skipped editor suite is a broken run, not a pass.
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(`${message} CI=true: the real-editor suites must run.`);
  console.error(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`);
  return message;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or fails
 * with `what` plus the last thing seen — every wait in these suites is bounded.
 */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => Promise<string> | string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      let seen = '';
      try {
        seen = options.lastSeen ? `\n  last seen: ${await options.lastSeen()}` : '';
      } catch {
        // The description is best effort; the timeout is the failure.
      }
      const cause = lastError instanceof Error ? `\n  last error: ${lastError.message.split('\n')[0]}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}${seen}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
