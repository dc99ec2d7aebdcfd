import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: run-tests.mjs says it; otherwise the nearest package.json above. */
export function repoRoot(): string {
  const fromEnv = process.env.CITRIX_FLOW_LINT_ROOT;
  if (fromEnv) return fromEnv;
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** The seed sits beside the repository (../shared/seeds) here and in CI, not in users' clones. */
export function seedPath(): string {
  return path.resolve(repoRoot(), '..', 'shared', 'seeds', 'citrix-communication-ports.txt');
}
