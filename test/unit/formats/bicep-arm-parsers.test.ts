import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fixturePath } from '../../helpers/fixtures';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseBicep } from '../../../server/src/formats/bicep';
import { parseArm } from '../../../server/src/formats/arm';
import { HANG_GUARD_MS } from '../../helpers/hangGuard';

before(() => initTreeSitter());

const fixture = (format: string, name: string): string => fs.readFileSync(fixturePath(format, name), 'utf8');

test('comments are collected with their leader stripped (Bicep and ARM, CRLF and BOM)', () => {
  const bicep = parseBicep(fixture('bicep', 'crlf-bom-unicode.bicep'), 'x.bicep');
  assert.deepEqual(bicep.comments.map((c) => c.text), ['Règles pour les VDA — 日本語 😀', 'citrix-flow-lint-disable-next-line missing-flow']);
  const arm = parseArm(fixture('arm', 'crlf-bom-unicode.json'), 'x.json');
  assert.deepEqual(arm.comments.map((c) => c.text), ['Règles pour les VDA — 日本語 😀', 'citrix-role: vda']);
  // Spans are UTF-16 offsets into the text as given (BOM included).
  const c = bicep.comments[0];
  assert.equal(bicep.text.slice(c.span.start, c.span.end), '// Règles pour les VDA — 日本語 😀');
});

test('comment-like text inside Bicep strings and interpolation is not a comment', () => {
  const text = "var a = 'http://x/${concat('a', '//b')}'\n/* real */\nvar b = '''\n// not a comment\n'''\n";
  assert.deepEqual(parseBicep(text, 'x.bicep').comments.map((c) => c.text), ['real']);
});

test('every field of a rule has a span that covers its text', () => {
  for (const file of [parseBicep(fixture('bicep', 'inline-basic.bicep'), 'a'), parseArm(fixture('arm', 'inline-basic.json'), 'b')]) {
    for (const rule of file.ruleSets[0].rules.filter((r) => !r.implicit)) {
      for (const f of [rule.protocols, rule.source, rule.destination, rule.sourcePorts, rule.destinationPorts, rule.priority!]) {
        assert.ok(f.span, `${rule.id} field without span`);
        assert.equal(file.text.slice(f.span.start, f.span.end), f.text);
      }
      assert.equal(file.text.slice(rule.span.start, rule.span.end), rule.raw);
    }
  }
});

test('meta tells emitters the style a rule is written in', () => {
  const bicep = parseBicep(fixture('bicep', 'child-parent.bicep'), 'a');
  const styles = Object.fromEntries(bicep.ruleSets[0].rules.filter((r) => !r.implicit).map((r) => [r.id, r.meta?.style]));
  assert.deepEqual(styles, { AllowVdaRegistration: 'child-nested', AllowHttps: 'child-parent' });
  const inline = parseBicep(fixture('bicep', 'inline-basic.bicep'), 'a').ruleSets[0];
  assert.equal(inline.meta?.symbolicName, 'vdaNsg');
  assert.equal(inline.rules[0].meta?.style, 'inline');
  assert.equal(inline.rules[0].meta?.indent, '      ');
  assert.equal(inline.rules[0].meta?.addressStyle, 'source:singular destination:singular');
  const plural = parseArm(fixture('arm', 'plural-fields.json'), 'b').ruleSets[0];
  assert.equal(plural.rules[0].meta?.portStyle, 'source:singular destination:plural');
  assert.equal(plural.meta?.resourceIndex, 'resources[0]');
});

test('a broken resource does not lose the resources after it', () => {
  assert.deepEqual(parseBicep(fixture('bicep', 'syntax-errors.bicep'), 'a').ruleSets.map((r) => r.id), ['good']);
  assert.deepEqual(parseArm(fixture('arm', 'syntax-missing-brace.json'), 'b').ruleSets.map((r) => r.id), ['nsg-broken', 'nsg-after']);
  assert.deepEqual(parseArm(fixture('arm', 'syntax-unterminated-string.json'), 'c').ruleSets.map((r) => r.id), ['nsg-broken,', 'nsg-after']);
});

test('parsers never throw: every prefix of every fixture parses', () => {
  for (const [format, parse] of [['bicep', parseBicep], ['arm', parseArm]] as const) {
    for (const name of fs.readdirSync(fixturePath(format)).filter((f) => !f.endsWith('.expected.json'))) {
      const text = fixture(format, name);
      for (let cut = 0; cut < text.length; cut += 97) {
        const out = parse(text.slice(0, cut), name);
        assert.equal(out.format, format);
      }
    }
  }
});

test('10,000-line Bicep and ARM files are read whole, well within a hang guard', () => {
  const rule = (i: number): string =>
    `      {\n        name: 'r${i}'\n        properties: {\n          access: 'Allow'\n          direction: 'Inbound'\n          priority: ${100 + i}\n          protocol: 'Tcp'\n          sourceAddressPrefix: '10.0.${i % 250}.0/24'\n          sourcePortRange: '*'\n          destinationAddressPrefix: '*'\n          destinationPortRange: '${1000 + i}'\n        }\n      }\n`;
  const bicep = (n: number): string => `resource nsg 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: 'big'\n  properties: {\n    securityRules: [\n${Array.from({ length: n }, (_, i) => rule(i)).join('')}    ]\n  }\n}\n`;
  const big = bicep(770); // ≈ 10,000 lines
  assert.ok(big.split('\n').length >= 10_000);
  let t0 = performance.now();
  parseBicep(big, 'big.bicep');
  const coldMs = performance.now() - t0;
  t0 = performance.now();
  const parsed = parseBicep(big, 'big.bicep');
  const bicepMs = performance.now() - t0;
  assert.equal(parsed.ruleSets[0].rules.length, 776);
  const armText = JSON.stringify({ resources: [{ type: 'Microsoft.Network/networkSecurityGroups', name: 'big', properties: { securityRules: Array.from({ length: 700 }, (_, i) => ({ name: `r${i}`, properties: { access: 'Allow', direction: 'Inbound', priority: 100 + i, protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: `${1000 + i}` } })) } }] }, null, 2);
  const t1 = performance.now();
  const arm = parseArm(armText, 'big.json');
  const armMs = performance.now() - t1;
  assert.equal(arm.ruleSets[0].rules.length, 706);
  console.log(`bicep ${big.split('\n').length} lines: ${coldMs.toFixed(1)} ms cold, ${bicepMs.toFixed(1)} ms warm; arm ${armText.split('\n').length} lines: ${armMs.toFixed(1)} ms`);
  // A hang guard only: speed and growth are measured in the bench (bench/growth.mjs, bench/parsers.mjs).
  assert.ok(bicepMs < HANG_GUARD_MS && armMs < HANG_GUARD_MS, `bicep ${bicepMs.toFixed(0)} ms, arm ${armMs.toFixed(0)} ms`);
});
