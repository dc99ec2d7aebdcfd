import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { FORMAT_LIST } from '../../../server/src/formats/registry';
import type { FormatId } from '../../../server/src/model';
import { budgetFor, checkInput } from '../../fuzz/check';
import { TARGETS } from '../../fuzz/generators';
import { applyMutation, type Mutation } from '../../fuzz/mutate';
import { checkFuzzInput, fuzzInput, readCounterexample } from '../../fuzz/property';
import { repoRoot } from '../../helpers/fixtures';
import { HANG_GUARD_MS } from '../../helpers/hangGuard';

// A fixed seed so the suite is repeatable; `npm run fuzz` explores new seeds.
const SEED = 20240917;
// Inputs per target (terraform, iptables and windows-firewall have several targets): a few thousand per format, about 40 s in all.
const RUNS: Readonly<Record<FormatId, number>> = { terraform: 700, bicep: 1500, arm: 2000, iptables: 1500, nftables: 2000, asa: 2500, 'windows-firewall': 1500, cloudformation: 1500, netscaler: 2500, 'terraform-plan': 700, 'cloud-export': 700, firewalld: 700, ufw: 700 };
// Time is `npm run fuzz`'s job (100 ms per input, on a quiet machine). Here the suite shares two cores with
// other test files and CI's own work, so a timing limit would fail for reasons that are not the parser's:
// the budget only catches a hang.
const SUITE_BUDGET_MS = 5000;

before(async () => {
  await initTreeSitter();
});

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${RUNS[target.format]} generated and mutated inputs parse and analyse cleanly`, () => {
    const root = repoRoot();
    fc.assert(
      fc.property(fuzzInput(root, target), (input) => {
        const failure = checkFuzzInput(target, input, SUITE_BUDGET_MS);
        if (failure) throw new Error(`${failure.kind}: ${failure.message} (origin: ${input.origin})`);
      }),
      { seed: SEED, numRuns: RUNS[target.format] },
    );
  });
}

// saveCounterexample files each input under its format id.
const FORMAT_IDS: ReadonlySet<string> = new Set(FORMAT_LIST.map((f) => f.id));

test('every input the fuzzer once failed on now passes (test/fixtures/fuzz-found)', () => {
  const dir = path.join(repoRoot(), 'test', 'fixtures', 'fuzz-found');
  const found: string[] = [];
  for (const folder of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    assert.ok(FORMAT_IDS.has(folder), `fuzz-found/${folder} is not a format id`);
    const format = folder as FormatId;
    for (const name of fs.readdirSync(path.join(dir, folder))) {
      if (name.endsWith('.utf16.json')) continue;
      const file = path.join(dir, folder, name);
      found.push(file);
      const failure = checkInput(format, `file:///fuzz-found/${name}`, readCounterexample(file), HANG_GUARD_MS);
      assert.equal(failure, undefined, `${folder}/${name}: ${failure?.kind}: ${failure?.message}`);
    }
  }
  assert.ok(found.length >= 3, 'the counterexamples found so far are kept as fixtures');
});

test('fuzz-found inputs keep what made them interesting', () => {
  const read = (rel: string): string => readCounterexample(path.join(repoRoot(), 'test', 'fixtures', 'fuzz-found', rel));
  // jsonc-parser reported an unterminated block comment one past the end of the text.
  const arm = parseAs('arm', read('arm/286302cf4c74.json'), 'file:///a.json');
  for (const c of arm.comments) assert.ok(c.span.end <= arm.text.length);
  assert.ok(arm.comments.some((c) => c.span.end === arm.text.length), 'the unterminated comment runs to the end of the text');
  // `name =/* …` unterminated: the AWS reader used to throw on the expression error recovery left behind.
  const tf = parseAs('terraform', read('terraform/ce1cb06e6237.tf'), 'file:///a.tf');
  assert.ok(!tf.problems.some((p) => /internal error/.test(p.message)), tf.problems.map((p) => p.message).join('\n'));
  // `"…_ids":{{{{…]` in a plan: every stray `{` came back as an empty object, read as 500 NSG rules (2 s of CPU for 7 KB).
  const plan = parseAs('terraform-plan', read('terraform-plan/4839336c211d.json'), 'file:///a.json');
  assert.deepEqual(plan.ruleSets.map((rs) => [rs.id, rs.rules.length]), [['azurerm_network_security_group.storefront', 7]], 'the broken rule and the six Azure defaults, nothing for the braces');
  assert.ok(plan.problems.some((p) => p.code === 'syntax-error'), 'the broken span is reported');
});

const MUTATIONS: readonly [string, Mutation, string][] = [
  ['abc\ndef\n', { op: 'insert', at: 1, text: 'X' }, 'aXbc\ndef\n'],
  ['abc\ndef\n', { op: 'delete', at: 2, length: 3 }, 'abef\n'],
  ['abc\ndef\n', { op: 'replace', at: 0, text: 'xy' }, 'xyc\ndef\n'],
  ['abc\ndef\n', { op: 'duplicate-line', at: 5 }, 'abc\ndef\ndef\n'],
  ['abc\ndef\n', { op: 'drop-line', at: 1 }, 'def\n'],
  ['abc\ndef\n', { op: 'truncate', at: 3 }, 'abc'],
  ['a\nb\nc', { op: 'swap-lines', at: 0, other: 2 }, 'c\nb\na'],
  ['', { op: 'insert', at: 99, text: '\ud800' }, '\ud800'],
];
for (const [text, m, expected] of MUTATIONS) {
  test(`mutation ${m.op} of ${JSON.stringify(text)}`, () => assert.equal(applyMutation(text, m), expected));
}

test('the fuzz time budget is a base plus a part linear in the length, as the parse guard is', () => {
  assert.equal(budgetFor(''), 100);
  assert.equal(budgetFor('x'.repeat(1_000)), 102);
  assert.equal(budgetFor('x'.repeat(40_000)), 180);
  assert.equal(budgetFor('x'.repeat(80_000)), 260);
  // A reader quadratic in its input outgrows it: 4x the time at 2x the length against under 2x the budget.
  assert.equal(budgetFor('x'.repeat(1_000_000)), 2_100);
});
