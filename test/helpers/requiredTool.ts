// A test that guards correctness with an outside tool (the seed, Chromium, the
// kernel through network namespaces, nft, iptables-restore, hcl2json) may skip
// on a newcomer's machine, loudly. In CI the tools are installed by .ci/run,
// so a skip there would hide a broken guard behind a green run: it fails.
import assert from 'node:assert/strict';

export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.CI ?? '');
}

/** Skips with `reason` outside CI; fails the test in CI. Call as `return skipOutsideCi(t, reason)`. */
export function skipOutsideCi(t: { skip(message: string): void }, reason: string): void {
  if (inCi()) assert.fail(`${reason} — CI=true, where .ci/run installs every tool, so this guard must run`);
  t.skip(reason);
}
