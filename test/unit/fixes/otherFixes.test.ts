import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { addAnnotation, fixesFor } from '../../../server/src/analysis/fixes';
import type { Finding } from '../../../server/src/analysis/findings';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { choosePriority, nameWords, styleName } from '../../../server/src/formats/emitSupport';
import { commentLine } from '../../../server/src/formats/emitters';
import { applyEdits } from '../../../server/src/model/edits';
import { fixturePath } from '../../helpers/fixtures';

before(async () => {
  await initTreeSitter();
});

const TOPOLOGY_URI = 'file:///ws/citrix-flows.yaml';
const topologyText = fs.readFileSync(fixturePath('fixes', 'terraform', 'citrix-flows.yaml'), 'utf8');
const exposed = fs.readFileSync(fixturePath('fixes', 'other', 'exposed.tf'), 'utf8');

function analyse(text: string, yaml = topologyText) {
  const file = parseAs('terraform', text, 'file:///ws/main.tf');
  return { file, analysis: analyzeParsed([file], readTopology(yaml, TOPOLOGY_URI)) };
}

test('exposed-to-internet: "Narrow source" replaces only the source value, and the finding goes', () => {
  const { analysis } = analyse(exposed);
  const finding = analysis.findings.find((f) => f.checkId === 'exposed-to-internet');
  assert.ok(finding);
  const fix = fixesFor(finding, analysis).find((f) => f.title.startsWith('Narrow source'));
  assert.ok(fix);
  assert.equal(fix.title, 'Narrow source to 10.0.0.20');
  const fixed = applyEdits(exposed, fix.edits);
  assert.equal(fixed, exposed.replace('source_address_prefix      = "Internet"', 'source_address_prefix      = "10.0.0.20"'));
  assert.equal(analyse(fixed).analysis.findings.filter((f) => f.checkId === 'exposed-to-internet').length, 0);
});

test('insecure-variant: "Use port" swaps the whole port number only', () => {
  const text = exposed.replace('"1494"', '"80"');
  const { file, analysis } = analyse(text);
  const rs = file.ruleSets[0];
  const finding: Finding = {
    checkId: 'insecure-variant',
    severity: 'warning',
    uri: file.uri,
    span: rs.rules[0].destinationPorts.span!,
    message: 'synthetic',
    data: { insecurePort: 80, securePort: 443, ruleSetId: rs.id, ruleId: 'Allow-ICA-Anywhere' },
  };
  const fix = fixesFor(finding, analysis).find((f) => f.title.startsWith('Use port'));
  assert.ok(fix);
  assert.equal(applyEdits(text, fix.edits), exposed.replace('"1494"', '"443"'));
});

test('unknown-role in citrix-flows.yaml: "Change to" takes the suggestion; "Disable" writes a YAML comment', () => {
  const yaml = topologyText.replace('  vda: [10.0.2.0/24]', '  vdaa: [10.0.2.0/24]');
  const { analysis } = analyse(exposed, yaml);
  const finding = analysis.findings.find((f) => f.checkId === 'unknown-role' && f.uri === TOPOLOGY_URI);
  assert.ok(finding, 'no unknown-role finding for "vdaa"');
  const fixes = fixesFor(finding, analysis, { textOf: (uri) => (uri === TOPOLOGY_URI ? yaml : undefined) });
  const change = fixes.find((f) => f.title.startsWith('Change to'));
  assert.ok(change);
  assert.equal(applyEdits(yaml, change.edits), topologyText);
  const disable = fixes.find((f) => f.title.startsWith('Disable'));
  assert.ok(disable);
  assert.match(applyEdits(yaml, disable.edits), /^ {2}# citrix-flow-lint-disable-next-line unknown-role\n {2}vdaa:/m);
  // Without the YAML text there is nothing to insert into, so no disable fix (rather than a wrong one).
  assert.equal(fixesFor(finding, analysis).filter((f) => f.title.startsWith('Disable')).length, 0);
});

test('addAnnotation binds an unannotated rule set to the role', () => {
  const bare = exposed.replace('# citrix-role: vda\n', '');
  const { file } = analyse(bare);
  // Inferred from its name, not declared: the annotation turns the assumption into a declaration.
  assert.deepEqual(analyse(bare).analysis.binding.bound.map((b) => b.via), ['inferred']);
  const fixed = applyEdits(bare, [addAnnotation(file, file.ruleSets[0], 'vda')]);
  assert.equal(fixed, exposed);
  assert.deepEqual(analyse(fixed).analysis.binding.bound.map((b) => [b.via, b.roles]), [['annotation', ['vda']]]);
});

test('commentLine uses each format\'s comment leader', () => {
  const table: [Parameters<typeof commentLine>[0], string][] = [
    ['terraform', '  # x'],
    ['bicep', '  // x'],
    ['arm', '  // x'],
    ['iptables', '  # x'],
    ['nftables', '  # x'],
    ['asa', '  ! x'],
    ['windows-firewall', '  # x'],
    ['citrix-flows', '  # x'],
  ];
  for (const [format, expected] of table) assert.equal(commentLine(format, 'x', '  '), expected, format);
});

test('choosePriority: after the last rule below the blocker, in the file\'s step, never taken', () => {
  const table: { used: number[]; upper: number; min: number; start: number; expected: number | undefined }[] = [
    { used: [100, 4000], upper: 4000, min: 100, start: 100, expected: 200 },
    { used: [100, 110, 4000], upper: 4000, min: 100, start: 100, expected: 120 },
    { used: [900, 1000], upper: 1000, min: 0, start: 1000, expected: 910 },
    { used: [150], upper: 150, min: 100, start: 100, expected: 100 },
    { used: [], upper: 4097, min: 100, start: 100, expected: 100 },
    { used: [100, 101], upper: 102, min: 100, start: 100, expected: undefined },
    { used: [100, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119], upper: 120, min: 100, start: 100, expected: 109 },
    { used: [4000], upper: 4000, min: 100, start: 100, expected: 100 },
  ];
  for (const row of table) {
    const got = choosePriority({ used: new Set(row.used), upper: row.upper, min: row.min, start: row.start, all: row.used });
    assert.equal(got, row.expected, JSON.stringify(row));
    if (got !== undefined) assert.ok(got < row.upper && got >= row.min && !row.used.includes(got));
  }
});

test('rule names follow the neighbours\' style', () => {
  const words = nameWords('Allow-Citrix-ica-session-reliability-from-gateway-snip');
  const table: [Parameters<typeof styleName>[1], string][] = [
    ['pascal', 'AllowCitrixICASessionReliabilityFromGatewaySNIP'],
    ['kebab', 'Allow-Citrix-ICA-Session-Reliability-From-Gateway-SNIP'],
    ['lower-kebab', 'allow-citrix-ica-session-reliability-from-gateway-snip'],
    ['lower-snake', 'allow_citrix_ica_session_reliability_from_gateway_snip'],
    ['upper-snake', 'ALLOW_CITRIX_ICA_SESSION_RELIABILITY_FROM_GATEWAY_SNIP'],
  ];
  for (const [style, expected] of table) assert.equal(styleName(words, style), expected, style);
  assert.deepEqual(nameWords('AllowICAFromGW'), ['Allow', 'ICA', 'From', 'GW']);
});
