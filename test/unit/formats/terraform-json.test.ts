import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { detectFormat, mayBeReadable } from '../../../server/src/formats/detect';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { emitAllowRules } from '../../../server/src/formats/terraform/emit';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import type { ParsedFile, Rule } from '../../../server/src/model';
import { AddressSet, formatPortSet, formatProtocolSet } from '../../../server/src/net';
import { fixtureInputs, fixturePath, snapshotSuite } from '../../helpers/fixtures';
import { snapshotParsedFile } from '../../helpers/snapshot';

/**
 * Terraform's JSON syntax (`.tf.json`, OpenTofu's `.tofu.json`) and `.tofu`
 * files. The JSON reader is checked against the HCL reader: HashiCorp's own
 * hcl2json turns every HCL fixture into JSON syntax, and both readings must
 * give the same rules (what each matches and decides), rule set by rule set.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: hcl2json } = require('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<unknown> };

before(async () => {
  await initTreeSitter();
});

/** What a rule matches and decides, without where it is written (ids of unnamed rules are line numbers, which differ). */
function facts(rule: Rule): string {
  return [
    JSON.stringify(rule.target),
    rule.direction,
    formatProtocolSet(rule.protocols.value),
    rule.source.value.toString(),
    rule.destination.value.toString(),
    formatPortSet(rule.sourcePorts.value),
    formatPortSet(rule.destinationPorts.value),
    rule.priority?.value ?? '-',
    rule.enabled.value,
    rule.implicit ? 'implicit' : 'written',
    rule.unresolved.map((u) => u.reason).sort().join(' + ') || 'resolved',
    rule.conditions.length,
  ].join(' | ');
}

function ruleFacts(parsed: ParsedFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rs of parsed.ruleSets) out.set(`${rs.id} (${rs.kind}, ${rs.semantics})`, rs.rules.map(facts).sort());
  return out;
}

let compared = 0;
for (const folder of ['terraform', 'terraform-eval']) {
  for (const file of fixtureInputs(folder).filter((f) => f.endsWith('.tf'))) {
    const name = path.basename(file);
    test(`tf.json reads as .tf does: ${folder}/${name}`, async (t) => {
      const text = fs.readFileSync(file, 'utf8');
      let json: unknown;
      try {
        json = await hcl2json(name, text);
      } catch {
        t.diagnostic(`skipped: hcl2json rejects ${name} (a deliberate syntax error)`);
        assert.ok(name.startsWith('syntax-'), `hcl2json rejects ${name}, which is not a syntax-error fixture`);
        return;
      }
      const fromHcl = parseTerraform(text, file);
      const jsonText = `${JSON.stringify(json, null, 2)}\n`;
      const fromJson = parseTerraform(jsonText, file.replace(/\.tf$/, '.tf.json'));
      assert.deepEqual(ruleFacts(fromJson), ruleFacts(fromHcl));
      assert.equal(fromJson.format, 'terraform');
      compared += fromHcl.ruleSets.reduce((n, rs) => n + rs.rules.filter((r) => !r.implicit).length, 0);
    });
  }
}

test('tf.json reads as .tf does: enough rules compared', () => {
  assert.ok(compared >= 100, `only ${compared} rules compared`);
});

snapshotSuite('terraform-json', (text, file) => snapshotParsedFile(parseTerraform(text, file)));

/** Hand-worked verdicts on the CDK for Terraform file (cdktf-vda.tf.json): what AWS and Azure would do with those rules. */
const VERDICTS: readonly { ruleSet: string; flow: string; verdict: Verdict; note: string }[] = [
  { ruleSet: 'aws_security_group.vda', flow: 'in tcp 10.20.1.10 -> 10.20.8.5:1494', verdict: 'allowed', note: 'ICA from the Gateway subnet, through ${var.gateway_cidr}' },
  { ruleSet: 'aws_security_group.vda', flow: 'in udp 10.20.1.10 -> 10.20.8.5:2598', verdict: 'allowed', note: 'EDT, from an array of two ingress objects' },
  { ruleSet: 'aws_security_group.vda', flow: 'in tcp 10.99.0.1 -> 10.20.8.5:1494', verdict: 'denied', note: 'outside the Gateway subnet: security groups only allow' },
  { ruleSet: 'aws_security_group.vda', flow: 'out tcp 10.20.8.5 -> 10.20.2.4:80', verdict: 'allowed', note: 'VDA registration with the Delivery Controllers (local.controllers)' },
  { ruleSet: 'aws_security_group.vda', flow: 'out tcp 10.20.8.5 -> 10.20.3.4:80', verdict: 'denied', note: 'not a controller address' },
  { ruleSet: 'azurerm_network_security_group.sf', flow: 'in tcp 10.30.1.7 -> 10.30.2.4:443', verdict: 'allowed', note: 'security_rule as an array, priority 100' },
  { ruleSet: 'azurerm_network_security_group.sf', flow: 'in tcp 10.30.1.7 -> 10.30.2.4:80', verdict: 'denied', note: 'the deny at 200 before AllowVnetInBound' },
  { ruleSet: 'azurerm_network_security_group.sf', flow: 'in tcp 10.30.1.7 -> 10.30.2.4:808', verdict: 'allowed', note: 'not in the deny: AllowVnetInBound (10.30.0.0/16 is the VNet here)' },
];

const VNET = (() => {
  const r = AddressSet.parse('10.30.0.0/16');
  if (!r.ok) throw new Error(r.error);
  return r.value;
})();

test('cdktf-vda.tf.json: hand-worked verdicts', () => {
  const file = fixturePath('terraform-json', 'cdktf-vda.tf.json');
  const parsed = parseTerraform(fs.readFileSync(file, 'utf8'), file);
  for (const row of VERDICTS) {
    const rs = parsed.ruleSets.find((r) => r.id === row.ruleSet);
    assert.ok(rs, `${row.ruleSet} not read; have ${parsed.ruleSets.map((r) => r.id).join(', ')}`);
    const result = evaluate(rs, flow(row.flow), { resolve: (s) => (s.kind === 'service-tag' && s.name === 'VirtualNetwork' ? VNET : undefined) });
    assert.equal(result.verdict, row.verdict, `${row.ruleSet} ${row.flow}: ${row.note}`);
  }
});

test('a .tf.json file gets no quick fix, and says where the rule belongs', () => {
  const file = fixturePath('terraform-json', 'cdktf-vda.tf.json');
  const parsed = parseTerraform(fs.readFileSync(file, 'utf8'), file);
  const rs = parsed.ruleSets.find((r) => r.id === 'aws_security_group.vda')!;
  const result = emitAllowRules([
    { file: parsed, ruleSet: rs, direction: 'inbound', protocols: ['tcp'], ports: [{ from: 443, to: 443 }], source: AddressSet.any(), destination: AddressSet.any(), name: 'Allow-Citrix-HTTPS', comment: 'test' },
  ]);
  assert.ok('error' in result && /generator/.test(result.error), JSON.stringify(result));
});

test('OpenTofu and Terraform JSON files are Terraform, whatever the editor calls them', () => {
  const rows: [string, string | undefined, string | undefined][] = [
    ['main.tofu', undefined, 'terraform'],
    ['main.tofu', 'opentofu', 'terraform'],
    ['main.tf.json', undefined, 'terraform'],
    ['main.tf.json', 'json', 'terraform'],
    ['cdk.tf.json', 'jsonc', 'terraform'],
    ['main.tofu.json', 'json', 'terraform'],
    ['package.json', 'json', undefined],
  ];
  for (const [name, languageId, expected] of rows) {
    assert.equal(detectFormat(`file:///w/${name}`, '{}', languageId), expected, `${name} (${languageId ?? 'no language id'})`);
    if (expected) assert.ok(mayBeReadable(`file:///w/${name}`), name);
  }
});

test('a .tofu file reads as HCL, and a sibling .tf.json gives it its variables', () => {
  const text = 'resource "aws_security_group" "vda" {\n  ingress {\n    from_port   = var.ica_port\n    to_port     = var.ica_port\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/16"]\n  }\n}\n';
  const siblings = new Map([['/w/variables.tf.json', '{"variable": {"ica_port": {"type": "number", "default": 1494}}}']]);
  const parsed = parseTerraform(text, 'file:///w/main.tofu', { siblingFiles: siblings });
  const rule = parsed.ruleSets[0]?.rules[0];
  assert.ok(rule, 'no rule read');
  assert.equal(formatPortSet(rule.destinationPorts.value), '1494');
  assert.equal(rule.unresolved.length, 0);
});

test('OpenTofu reads x.tofu instead of x.tf: a shadowed sibling gives no values', () => {
  const text = 'resource "aws_security_group" "vda" {\n  ingress {\n    from_port   = var.p\n    to_port     = var.p\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/16"]\n  }\n}\n';
  const siblings = new Map([
    ['/w/variables.tf', 'variable "p" {\n  default = 80\n}\n'],
    ['/w/variables.tofu', 'variable "p" {\n  default = 443\n}\n'],
  ]);
  const parsed = parseTerraform(text, 'file:///w/main.tofu', { siblingFiles: siblings });
  const rule = parsed.ruleSets[0]?.rules[0];
  assert.ok(rule, 'no rule read');
  assert.equal(formatPortSet(rule.destinationPorts.value), '443');
});

test('Terraform JSON that is not what the syntax allows is reported where it is, never dropped silently', () => {
  const rows: [string, RegExp][] = [
    ['[1, 2]', /must be an object/],
    ['{"resourse": {}}', /"resourse" is not a Terraform block type/],
    ['{"resource": {"aws_security_group": {"vda": 7}}}', /aws_security_group\.vda: expected an object/],
    ['{"resource": {"aws_security_group": {"vda": {"ingress": {"from_port": 1}}}', /./],
  ];
  for (const [text, message] of rows) {
    const parsed = parseTerraform(text, 'file:///w/bad.tf.json');
    assert.ok(parsed.problems.some((p) => message.test(p.message)), `${text}: ${JSON.stringify(parsed.problems.map((p) => p.message))}`);
  }
});
