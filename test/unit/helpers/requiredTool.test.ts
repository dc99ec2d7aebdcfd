import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inCi, skipOutsideCi } from '../../helpers/requiredTool';

function withCi<T>(value: string | undefined, body: () => T): T {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

test('a guard whose tool is missing skips on a newcomer machine and fails in CI', () => {
  const skipped: string[] = [];
  const t = { skip: (m: string) => skipped.push(m) };
  withCi(undefined, () => skipOutsideCi(t, 'nft is not installed'));
  assert.deepEqual(skipped, ['nft is not installed']);
  for (const ci of ['true', '1', 'TRUE']) {
    assert.throws(() => withCi(ci, () => skipOutsideCi(t, 'nft is not installed')), /nft is not installed.*CI=true/);
  }
  assert.equal(skipped.length, 1, 'no skip is recorded in CI');
});

test('CI is read from the environment as the CI services set it', () => {
  assert.equal(inCi({ CI: 'true' }), true);
  assert.equal(inCi({ CI: '1' }), true);
  assert.equal(inCi({ CI: 'false' }), false);
  assert.equal(inCi({}), false);
});
