import { spawnSync } from 'node:child_process';
import { repoRoot } from './fixtures';

/**
 * How to run a child process that a mode-000 folder really denies. Root
 * reads any folder (CAP_DAC_OVERRIDE), so as root the child runs as
 * nobody (uid 65534) through setpriv; when that is impossible the caller
 * skips with the reason, loudly, instead of passing a test that proves nothing.
 */
export function unprivilegedPrefix(): { prefix: string[] } | { skip: string } {
  if (process.platform === 'win32') return { skip: 'no POSIX permissions on Windows' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { prefix: [] };
  const prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const probe = spawnSync(prefix[0], [...prefix.slice(1), process.execPath, '-e', `require('fs').readdirSync(${JSON.stringify(repoRoot())})`], { encoding: 'utf8' });
  if (probe.error) return { skip: `running as root and setpriv cannot be run (${probe.error.message}), so EACCES cannot be produced` };
  if (probe.status !== 0) return { skip: `running as root and nobody (uid 65534) cannot read the repository: ${probe.stderr.trim().split('\n')[0]}` };
  return { prefix };
}
