import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { run, which } from '../../helpers/netns';
import { isInvalidFixture, readFixtures } from '../kernel/fixtureFlows';
import { extractCommands, runInFreshNamespace } from '../kernel/load';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * Independent validation: `nft -c -f` must accept every valid fixture and
 * reject every fixture named "invalid". Shell fixtures: their nft commands
 * are run for real inside `unshare -rn`, a throwaway network namespace.
 */
function unavailable(): string | undefined {
  for (const bin of ['unshare', 'nft']) if (!which(bin)) return `${bin} is not installed (apt-get install nftables util-linux)`;
  const r = run('unshare', ['-rn', 'true']);
  if (r.status !== 0) return `unshare -rn does not work here: ${r.stderr.trim()}`;
  return undefined;
}

const reason = unavailable();

for (const { file, text } of readFixtures('nftables')) {
  const name = path.basename(file);
  const invalid = isInvalidFixture(file);
  test(`nft ${invalid ? 'rejects' : 'accepts'} ${name}`, (t) => {
    if (reason) {
      skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
      return;
    }
    if (name.endsWith('.sh')) {
      const { commands, skipped } = extractCommands(text, 'nft');
      assert.ok(commands.length > 0, 'the script has nft commands');
      const r = runInFreshNamespace(commands);
      t.diagnostic(`${commands.length} commands run, ${skipped} skipped (unknown variables)`);
      if (invalid) assert.notEqual(r.status, 0, 'a command should have failed');
      else assert.equal(r.status, 0, r.stderr);
      return;
    }
    // Relative includes are resolved from the fixture folder.
    const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', file], { cwd: path.dirname(file), encoding: 'utf8', timeout: 10_000 });
    if (invalid) assert.notEqual(r.status, 0, 'nft -c accepted an invalid fixture');
    else assert.equal(r.status, 0, `nft -c: ${r.stderr}`);
  });
}
