import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed } from '../../../server/src/analysis/analyze';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { detectFormat } from '../../../server/src/formats/detect';
import { parseTerraformPlan } from '../../../server/src/formats/terraform-plan';
import { generateInto } from '../../../server/src/generate';
import type { ParsedFile } from '../../../server/src/model';
import { AddressSet } from '../../../server/src/net';
import { emptyTopology } from '../../../server/src/topology/citrixFlows';
import { fixturePath, snapshotSuite } from '../../helpers/fixtures';
import { snapshotParsedFile } from '../../helpers/snapshot';

/**
 * `terraform show -json` of a plan or of the state: planned values read with
 * the Terraform readers, references put back where a value is known only
 * after apply, rule sets named by their full address, no quick fix.
 */

snapshotSuite('terraform-plan', (text, file) => snapshotParsedFile(parseTerraformPlan(text, file)));

const PLAN = fixturePath('terraform-plan', 'citrix-site-plan.json');
const plan = (): ParsedFile => parseTerraformPlan(fs.readFileSync(PLAN, 'utf8'), PLAN);

const VNET = (() => {
  const r = AddressSet.parse('10.30.0.0/16');
  if (!r.ok) throw new Error(r.error);
  return r.value;
})();

/** Hand-worked on citrix-site-plan.json, from AWS's and Azure's documented semantics. */
const VERDICTS: readonly { ruleSet: string; flow: string; verdict: Verdict; note: string }[] = [
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'in tcp 10.20.1.9 -> 10.20.8.5:1494', verdict: 'allowed', note: 'inline ingress of the planned group' },
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'in tcp 10.20.1.9 -> 10.20.8.5:2598', verdict: 'allowed', note: 'aws_security_group_rule.cgp[0]: its group id is unknown until apply; the configuration names aws_security_group.vda' },
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'in udp 10.20.1.9 -> 10.20.8.5:2598', verdict: 'denied', note: 'no UDP rule: security groups only allow' },
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'in tcp 10.99.1.9 -> 10.20.8.5:1494', verdict: 'denied', note: 'outside the Gateway subnet' },
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'out tcp 10.20.8.5 -> 10.20.2.5:80', verdict: 'allowed', note: 'registration with a controller' },
  { ruleSet: 'module.vda.aws_security_group.vda', flow: 'out tcp 10.20.8.5 -> 10.20.2.6:80', verdict: 'denied', note: 'not a controller; the provider removes AWS\'s default egress' },
  { ruleSet: 'azurerm_network_security_group.storefront', flow: 'in tcp 10.30.1.7 -> 10.30.2.4:443', verdict: 'allowed', note: 'priority 100 allow' },
  { ruleSet: 'azurerm_network_security_group.storefront', flow: 'in tcp 10.30.3.7 -> 10.30.2.4:8080', verdict: 'denied', note: 'destination_port_ranges of the deny at 200, though its singular field is ""' },
  { ruleSet: 'azurerm_network_security_group.storefront', flow: 'in tcp 10.30.3.7 -> 10.30.2.4:808', verdict: 'allowed', note: 'AllowVnetInBound' },
];

test('citrix-site-plan.json: hand-worked verdicts', () => {
  const parsed = plan();
  for (const row of VERDICTS) {
    const rs = parsed.ruleSets.find((r) => r.id === row.ruleSet);
    assert.ok(rs, `${row.ruleSet} not read; have ${parsed.ruleSets.map((r) => r.id).join(', ')}`);
    const result = evaluate(rs, flow(row.flow), { resolve: (s) => (s.kind === 'service-tag' && s.name === 'VirtualNetwork' ? VNET : undefined) });
    assert.equal(result.verdict, row.verdict, `${row.ruleSet} ${row.flow}: ${row.note}`);
  }
});

test('a value known only after apply, with no reference in the configuration, stays unknown: never joined to a group by guess', () => {
  const json = JSON.parse(fs.readFileSync(PLAN, 'utf8')) as { configuration?: unknown };
  delete json.configuration;
  const parsed = parseTerraformPlan(JSON.stringify(json, null, 2), PLAN);
  const vda = parsed.ruleSets.find((r) => r.id === 'module.vda.aws_security_group.vda');
  assert.ok(vda);
  assert.equal(evaluate(vda, flow('in tcp 10.20.1.9 -> 10.20.8.5:2598')).verdict, 'denied', 'the rule with an unknown group is not part of this group');
  const loose = parsed.ruleSets.filter((r) => r.id !== vda.id && r.kind === 'aws-security-group');
  assert.ok(loose.length + parsed.problems.length > 0, 'the rule whose group is unknown is said somewhere, not dropped');
});

test('state (terraform show -json without a plan): a rule names its group by id, and joins it', () => {
  const state = {
    format_version: '1.0',
    terraform_version: '1.7.5',
    values: {
      root_module: {
        resources: [
          { address: 'aws_security_group.sf', mode: 'managed', type: 'aws_security_group', name: 'sf', values: { id: 'sg-0f1e2d3c4b5a69788', name: 'storefront', ingress: [], egress: [] } },
          {
            address: 'aws_security_group_rule.https',
            mode: 'managed',
            type: 'aws_security_group_rule',
            name: 'https',
            values: { id: 'sgrule-1', type: 'ingress', from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: ['10.40.0.0/16'], security_group_id: 'sg-0f1e2d3c4b5a69788' },
          },
          { address: 'data.aws_vpc.main', mode: 'data', type: 'aws_vpc', name: 'main', values: { id: 'vpc-1', cidr_block: '10.40.0.0/16' } },
        ],
      },
    },
  };
  const text = JSON.stringify(state, null, 2);
  assert.equal(detectFormat('file:///w/state.json', text), 'terraform-plan');
  const parsed = parseTerraformPlan(text, 'file:///w/state.json');
  const sf = parsed.ruleSets.find((r) => r.id === 'aws_security_group.sf');
  assert.ok(sf, parsed.ruleSets.map((r) => r.id).join(', '));
  assert.equal(evaluate(sf, flow('in tcp 10.40.3.3 -> 10.40.9.9:443')).verdict, 'allowed');
  assert.equal(sf.meta?.exportedFrom, 'terraform-state');
});

test('findings on a plan say which source to change, and no rule is written into it', () => {
  const parsed = plan();
  const result = analyzeParsed([parsed], emptyTopology());
  const findings = result.findings;
  assert.ok(findings.length > 0, 'the plan has findings (EDT on the VDA group)');
  for (const f of findings.filter((x) => x.checkId === 'missing-flow' || x.checkId === 'edt-needs-udp')) {
    assert.match(f.message, /This is a Terraform plan \(terraform show -json\): change module\.vda\.aws_security_group\.vda in the \.tf files of module\.vda, then plan again\./);
  }
  const generated = generateInto(parsed, 0, { roles: ['vda'], topology: emptyTopology() });
  assert.ok('error' in generated);
});

test('with the module source (.tf) in the workspace, a plan finding names the file and line, and points at it', async () => {
  const { initTreeSitter, parseAs } = await import('../../../server/src/formats');
  await initTreeSitter();
  const parsed = plan();
  const source = 'variable "x" {}\n\nresource "aws_security_group" "vda" {\n  name   = "vda"\n  vpc_id = "vpc-1"\n}\n';
  // Two modules declare aws_security_group.vda: the one in a folder named like the plan's module is the source.
  const inModule = parseAs('terraform', source, 'file:///w/modules/vda/main.tf');
  const elsewhere = parseAs('terraform', `\n\n\n${source}`, 'file:///w/modules/other/main.tf');
  const findings = analyzeParsed([parsed, inModule, elsewhere], emptyTopology()).findings.filter((x) => x.uri === parsed.uri && (x.checkId === 'missing-flow' || x.checkId === 'edt-needs-udp'));
  assert.ok(findings.length > 0);
  for (const f of findings) {
    assert.match(f.message, /change module\.vda\.aws_security_group\.vda at main\.tf line 3, then plan again\./);
    const related = f.related?.find((r) => r.message === 'module.vda.aws_security_group.vda is declared here');
    assert.equal(related?.uri, 'file:///w/modules/vda/main.tf');
    assert.equal(source.slice(related.span.start, related.span.end).includes('vda'), true);
  }
  // Two candidates and no folder to choose by: the finding names the module, not a guess.
  const ambiguous = analyzeParsed([parsed, parseAs('terraform', source, 'file:///w/a/main.tf'), parseAs('terraform', source, 'file:///w/b/main.tf')], emptyTopology()).findings;
  for (const f of ambiguous.filter((x) => x.uri === parsed.uri && x.checkId === 'missing-flow')) assert.match(f.message, /in the \.tf files of module\.vda, then plan again\./);
});

test('plan and state JSON are told apart from the other JSON formats', () => {
  const rows: [string, string, string | undefined][] = [
    ['plan.json', '{"format_version":"1.2","terraform_version":"1.7.5","planned_values":{"root_module":{}}}', 'terraform-plan'],
    ['show.json', '{"format_version":"1.0","terraform_version":"1.7.5","values":{"root_module":{}}}', 'terraform-plan'],
    // The raw state file is another shape: not read (terraform show -json turns it into the one above).
    ['terraform.tfstate.json', '{"version":4,"terraform_version":"1.7.5","serial":3,"resources":[]}', undefined],
    ['azuredeploy.json', '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0","resources":[]}', 'arm'],
    ['package.json', '{"name":"x","version":"1.0.0"}', undefined],
  ];
  for (const [name, text, expected] of rows) assert.equal(detectFormat(`file:///w/${name}`, text), expected, name);
});

test('a plan that is not one says so at its place', () => {
  const rows: [string, RegExp][] = [
    ['{"format_version":"1.2","terraform_version":"1.7.5"}', /nothing to read/],
    ['{"format_version":"1.2","terraform_version":"1.7.5","planned_values":{"root_module":{"resources":[{"mode":"managed"}]}}}', /without type or name/],
    ['{"format_version": "1.2", "planned_values": {', /./],
  ];
  for (const [text, message] of rows) {
    const parsed = parseTerraformPlan(text, 'file:///w/plan.json');
    assert.ok(parsed.problems.some((p) => message.test(p.message)), `${text}: ${JSON.stringify(parsed.problems.map((p) => p.message))}`);
  }
});
