import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { MAX_NESTING, maskDeepNesting } from '../../../server/src/formats/nesting';
import type { FormatId } from '../../../server/src/model';
import { parseTopology, TOPOLOGY_LIMITS } from '../../../server/src/topology';
import { checkInput } from '../../fuzz/check';
import { HANG_GUARD_MS } from '../../helpers/hangGuard';
import { TEST_VOCABULARY } from '../topology/testVocabulary';

/**
 * Issue 13, items 4, 6 and 7: nesting from 1,000 to 100,000 levels in every
 * format is a problem at its place, never a stack overflow; citrix-flows.yaml
 * past its size, nesting, entry and problem limits says so. Speed is the
 * bench's (bench/hostile.mjs): the bound here only tells a hang from a slow run.
 */
before(async () => {
  await initTreeSitter();
});

const DEEP: readonly [string, FormatId, string, (n: number) => string][] = [
  ['HCL objects', 'terraform', 'tf', (n) => `locals {\n  x = ${'{ a = '.repeat(n)}1${' }'.repeat(n)}\n}\n`],
  ['HCL unclosed blocks', 'terraform', 'tf', (n) => `resource "aws_security_group" "x" ${'{\n'.repeat(n)}`],
  ['HCL lists', 'terraform', 'tf', (n) => `locals {\n  x = ${'['.repeat(n)}\n}\n`],
  ['Bicep objects', 'bicep', 'bicep', (n) => `var x = ${'{\n a: '.repeat(n)}1${'\n}'.repeat(n)}\n`],
  ['Bicep unclosed arrays', 'bicep', 'bicep', (n) => `var x = ${'['.repeat(n)}`],
  ['ARM objects', 'arm', 'json', (n) => `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[${'{"a":'.repeat(n)}1${'}'.repeat(n)}]}`],
  ['ARM unclosed objects', 'arm', 'json', (n) => `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[${'{"a":'.repeat(n)}`],
  ['ARM arrays', 'arm', 'json', (n) => `${'['.repeat(n)}${']'.repeat(n)}`],
];
// Formats whose nesting is not recursive (line-based, or bounded by their own reader) must just not fail.
const FLAT: readonly [string, FormatId, string, (n: number) => string][] = [
  // A `{` where a property name belongs closes the object before it: braces alone never nest.
  ['ARM unclosed braces', 'arm', 'json', (n) => `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[${'{'.repeat(n)}`],
  ['nft chains', 'nftables', 'nft', (n) => `table inet f {\n${'chain c {\n'.repeat(n)}${'}\n'.repeat(n + 1)}`],
  ['nft sets', 'nftables', 'nft', (n) => `table inet f { chain c { ip saddr ${'{ '.repeat(n)}10.0.0.1${' }'.repeat(n)} accept } }`],
  ['PowerShell arrays', 'windows-firewall', 'ps1', (n) => `New-NetFirewallRule -DisplayName x -RemoteAddress ${'@('.repeat(n)}'1.2.3.4'${')'.repeat(n)}`],
  ['shell substitutions', 'iptables', 'sh', (n) => `iptables -A INPUT ${'$('.repeat(n)}${')'.repeat(n)} -j ACCEPT`],
  ['ASA self-nested groups', 'asa', 'asa', (n) => `object-group network g\n${' group-object g\n'.repeat(n)}access-list a extended permit ip object-group g any\n`],
];

describe('nesting from 1,000 to 100,000 levels', () => {
  for (const n of [1_000, 10_000, 100_000]) {
    for (const [what, format, ext, make] of DEEP) {
      test(`${what}, ${n.toLocaleString('en-US')} levels: one problem saying where reading stopped, no stack overflow`, () => {
        const text = make(n);
        const parsed = parseAs(format, text, `file:///deep.${ext}`);
        const deep = parsed.problems.filter((p) => /nest(ed|ing) deeper than 200 levels/.test(p.message));
        assert.equal(deep.length, 1, parsed.problems.map((p) => p.message).join('\n'));
        assert.ok(deep[0].span.start >= 0 && deep[0].span.end <= text.length);
        assert.equal(text.slice(deep[0].span.start, deep[0].span.start + 1).match(/[[{(]/)?.length, 1, 'the problem sits on the first bracket not read');
        for (const p of parsed.problems) assert.doesNotMatch(p.message, /call stack|internal error/i);
        assert.equal(parsed.text, text, 'the parsed file keeps the editor text');
        const failure = checkInput(format, `file:///deep.${ext}`, text, HANG_GUARD_MS);
        assert.equal(failure, undefined, `${failure?.kind}: ${failure?.message}`);
      });
    }
    for (const [what, format, ext, make] of FLAT) {
      test(`${what}, ${n.toLocaleString('en-US')} levels: no exception, no internal error, valid spans`, () => {
        const failure = checkInput(format, `file:///deep.${ext}`, make(n), HANG_GUARD_MS);
        assert.equal(failure, undefined, `${failure?.kind}: ${failure?.message}`);
      });
    }
  }
});

describe('maskDeepNesting', () => {
  const cases: { name: string; text: string; max: number; masked: string; at?: number }[] = [
    { name: 'shallow text is returned as is', text: 'a = { b = [1, (2)] }', max: 3, masked: 'a = { b = [1, (2)] }' },
    { name: 'the inside of a too-deep bracket is blanked, the brackets kept', text: 'x = [[[[1]]]] y', max: 2, masked: 'x = [[[   ]]] y', at: 6 },
    { name: 'line breaks stay, so lines still match', text: '{{{\na\n}}}', max: 2, masked: '{{{\n \n}}}', at: 2 },
    { name: 'unclosed to the end: the blanked tail closes every open level', text: '{[({[ abc', max: 3, masked: '{[({ })]}', at: 3 },
    { name: 'two deep places: both blanked', text: '[[[1]]] [[[2]]]', max: 2, masked: '[[[ ]]] [[[ ]]]', at: 2 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = maskDeepNesting(c.text, c.max);
      assert.equal(r.text, c.masked);
      assert.equal(r.text.length, c.text.length);
      assert.equal(r.problem?.span.start, c.at);
    });
  }
  test('the limit is the documented one', () => assert.equal(MAX_NESTING, 200));
});

describe('citrix-flows.yaml limits', () => {
  const roles = (n: number): string => `roles:\n${Array.from({ length: n }, (_, i) => `  role-${i}: [10.0.${(i >> 8) & 255}.${i & 255}]\n`).join('')}`;
  const cases: { name: string; text: string; problem: RegExp; at?: (text: string) => number; roles?: number }[] = [
    { name: 'a file over 1 MB is not read', text: `roles:\n  vda: [10.0.2.0/24]\nnote: "${'x'.repeat(TOPOLOGY_LIMITS.maxChars)}"\n`, problem: /^citrix-flows\.yaml is 1 MB; files over 1 MB are not read/, at: () => 0, roles: 0 },
    { name: 'flow nesting 1,000 deep is not parsed', text: `roles:\n  vda: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, problem: /nests \[ \] or \{ \} deeper than 64 levels here/, at: (t) => t.indexOf('[') + 64, roles: 0 },
    { name: 'flow nesting 100,000 deep is not parsed', text: `roles:\n  vda: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`, problem: /deeper than 64 levels/, at: (t) => t.indexOf('{') + 64 * 4, roles: 0 },
    { name: 'brackets in quotes and comments do not count', text: `# ${'['.repeat(100)}\nroles:\n  vda: ["10.0.2.0/24"]\nnote: '${'{'.repeat(100)}'\n`, problem: /Unknown key "note"/, roles: 1 },
    { name: 'past 10,000 entries the rest is ignored, with one problem at the first left out', text: `roles:\n  vda: [10.0.2.0/24]\n${'  vda: [10.0.2.0/24]\n'.repeat(TOPOLOGY_LIMITS.maxEntries)}`, problem: /^Only the first 10,000 role entries are read; 1 more from here are ignored$/, roles: 1 },
    { name: 'past 200 problems the rest are counted in one', text: roles(5000), problem: /^4,800 more problems in citrix-flows\.yaml are not listed \(the first 200 are\)$/, roles: 0 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = parseTopology(c.text, 'file:///w/citrix-flows.yaml', TEST_VOCABULARY);
      const hit = t.problems.find((p) => c.problem.test(p.message));
      assert.ok(hit, `no problem matching ${c.problem}; got:\n${t.problems.slice(0, 5).map((p) => p.message.slice(0, 120)).join('\n')}`);
      assert.ok(t.problems.length <= TOPOLOGY_LIMITS.maxProblems + 1);
      for (const p of t.problems) assert.doesNotMatch(p.message, /call stack/i);
      if (c.at) assert.equal(hit.span.start, c.at(c.text));
      if (c.roles !== undefined) assert.equal(t.roles.size, c.roles);
    });
  }
});
