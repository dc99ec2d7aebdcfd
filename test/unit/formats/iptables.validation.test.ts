import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { run, which } from '../../helpers/netns';
import { isInvalidFixture, readFixtures } from '../kernel/fixtureFlows';
import { asRestoreInput, extractCommands, runInFreshNamespace, isIpv6SaveFile } from '../kernel/load';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * Independent validation: the real iptables-restore (legacy: the nf_tables
 * variant's --test accepts unknown targets) must accept every valid fixture
 * and reject every fixture named "invalid". It runs inside `unshare -rn`, a
 * throwaway network namespace, so the host's rules are never touched.
 */
function unavailable(): string | undefined {
  for (const bin of ['unshare', 'iptables-legacy-restore', 'ip6tables-legacy-restore', 'iptables-legacy']) {
    if (!which(bin)) return `${bin} is not installed (apt-get install iptables util-linux)`;
  }
  const r = run('unshare', ['-rn', 'true']);
  if (r.status !== 0) return `unshare -rn does not work here: ${r.stderr.trim()}`;
  return undefined;
}

const reason = unavailable();

for (const { file, text } of readFixtures('iptables')) {
  const name = path.basename(file);
  const invalid = isInvalidFixture(file);
  test(`iptables real tool ${invalid ? 'rejects' : 'accepts'} ${name}`, (t) => {
    if (reason) {
      skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
      return;
    }
    if (name.endsWith('.sh')) {
      const { commands, skipped } = extractCommands(text, 'iptables');
      assert.ok(commands.length > 0, 'the script has iptables commands');
      const r = runInFreshNamespace(commands);
      t.diagnostic(`${commands.length} commands run, ${skipped} skipped (unknown variables)`);
      if (invalid) assert.notEqual(r.status, 0, 'a command should have failed');
      else assert.equal(r.status, 0, r.stderr);
      return;
    }
    const bin = isIpv6SaveFile(text) ? 'ip6tables-legacy-restore' : 'iptables-legacy-restore';
    const r = run('unshare', ['-rn', bin, '--test'], asRestoreInput(text));
    if (invalid) assert.notEqual(r.status, 0, `${bin} accepted an invalid fixture`);
    else assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
  });
}
