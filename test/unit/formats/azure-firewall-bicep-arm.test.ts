import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { parseArm } from '../../../server/src/formats/arm';
import { parseBicep } from '../../../server/src/formats/bicep';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import type { ParsedFile } from '../../../server/src/model';
import { formatPortSet } from '../../../server/src/net';
import { fixturePath } from '../../helpers/fixtures';

/**
 * Azure Firewall from Bicep and ARM (`firewallPolicies/ruleCollectionGroups`,
 * classic collections inline in `azureFirewalls`), through the same semantics
 * as Terraform: DNAT, then network, then application rules; groups, then
 * collections by priority; first match; deny when nothing matches.
 */

before(async () => {
  await initTreeSitter();
});

const files = new Map<string, ParsedFile>();
function read(format: 'arm' | 'bicep'): ParsedFile {
  let p = files.get(format);
  if (!p) {
    const path = fixturePath(format, format === 'arm' ? 'azure-firewall.json' : 'azure-firewall.bicep');
    const text = fs.readFileSync(path, 'utf8');
    p = format === 'arm' ? parseArm(text, path) : parseBicep(text, path);
    files.set(format, p);
  }
  return p;
}

/** The rule set ids differ by format: ARM names resources, Bicep by symbol. */
const POLICY = { arm: 'afwp-citrix-hub', bicep: 'policy' };
const CLASSIC = { arm: 'afw-legacy', bicep: 'legacy' };

interface Row {
  readonly ruleSet: { arm: string; bicep: string };
  readonly flow: string;
  readonly verdict: Verdict;
  readonly deciding: readonly string[];
  readonly note: string;
}

const ROWS: readonly Row[] = [
  { ruleSet: POLICY, flow: 'forward tcp 198.51.100.7 -> 10.10.2.10:443', verdict: 'allowed', deciding: ['gateway-https'], note: 'DNAT before the network deny of the group with the lower number' },
  { ruleSet: POLICY, flow: 'forward tcp 10.30.0.1 -> 10.10.2.10:443', verdict: 'unknown', deciding: ['gateway-https (private sources)'], note: 'a private source may address the Gateway directly, which the deny group denies' },
  { ruleSet: POLICY, flow: 'forward tcp 10.20.1.5 -> 10.10.1.10:80,443', verdict: 'allowed', deciding: ['vda-registration'], note: 'a parameter default gives the VDA subnet' },
  { ruleSet: POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:443', verdict: 'unknown', deciding: ['citrix-cloud'], note: 'Citrix Cloud by FQDN: not matched by address' },
  { ruleSet: POLICY, flow: 'forward udp 10.20.1.5 -> 52.1.2.3:443', verdict: 'denied', deciding: [], note: 'application rules are TCP only' },
  { ruleSet: CLASSIC, flow: 'forward tcp 10.1.0.5 -> 10.2.0.10:80', verdict: 'allowed', deciding: ['vda-to-ddc'], note: 'classic network rule collection, `protocols` read as IP protocols' },
  { ruleSet: CLASSIC, flow: 'forward tcp 10.1.0.5 -> 10.2.0.11:80', verdict: 'denied', deciding: [], note: 'default deny' },
];

for (const format of ['arm', 'bicep'] as const) {
  for (const row of ROWS) {
    test(`azure firewall ${format}: ${row.flow} → ${row.verdict} (${row.note})`, () => {
      const p = read(format);
      const rs = p.ruleSets.find((s) => s.id === row.ruleSet[format]);
      assert.ok(rs, `rule set ${row.ruleSet[format]}; have ${p.ruleSets.map((s) => s.id).join(', ')}`);
      const result = evaluate([rs], flow(row.flow), {});
      assert.equal(result.verdict, result.verdict === row.verdict ? row.verdict : `${row.verdict} (got ${result.verdict}: ${result.reasons.join('; ')})`);
      assert.deepEqual(result.decidingRules.map((r) => r.id).sort(), [...row.deciding].sort());
    });
  }
  test(`azure firewall ${format}: the policy is on afw-hub and reads without problems`, () => {
    const p = read(format);
    assert.deepEqual(p.problems.filter((x) => x.severity !== 'info'), []);
    const rs = p.ruleSets.find((s) => s.id === POLICY[format]);
    assert.equal(rs?.kind, 'azure-firewall');
    assert.deepEqual(rs?.appliesTo, ['firewall afw-hub']);
  });
}

test('azure firewall: Bicep and ARM give the same rules for the same policy', () => {
  const shape = (p: ParsedFile, id: string): string[] =>
    (p.ruleSets.find((s) => s.id === id)?.rules ?? []).map((r) => [r.id, r.target.kind, r.priority?.value, r.source.value.toString(), r.destination.value.toString(), formatPortSet(r.destinationPorts.value), r.conditions.length].join(' | '));
  assert.deepEqual(shape(read('bicep'), POLICY.bicep), shape(read('arm'), POLICY.arm));
  assert.deepEqual(shape(read('bicep'), CLASSIC.bicep), shape(read('arm'), CLASSIC.arm));
});

test('azure firewall arm: rule collections that are not a literal list make the policy unknown', () => {
  const text = JSON.stringify({
    parameters: { collections: { type: 'array' } },
    resources: [
      { type: 'Microsoft.Network/firewallPolicies', apiVersion: '2023-09-01', name: 'p', properties: {} },
      { type: 'Microsoft.Network/firewallPolicies/ruleCollectionGroups', apiVersion: '2023-09-01', name: 'p/g', properties: { priority: 100, ruleCollections: "[parameters('collections')]" } },
    ],
  });
  const p = parseArm(text, 'param.json');
  const rs = p.ruleSets.find((s) => s.id === 'p');
  assert.ok(rs);
  assert.ok(p.problems.some((x) => /rule collections .* are not known/.test(x.message)));
  assert.equal(evaluate([rs], flow('forward tcp 10.0.0.1 -> 10.0.0.2:443'), {}).verdict, 'unknown');
});

test('azure firewall arm: items of a rules list that are not rule objects are reported and left out, not read as rules', () => {
  const rule = { ruleType: 'NetworkRule', name: 'ica', ipProtocols: ['TCP'], sourceAddresses: ['10.1.0.0/16'], destinationAddresses: ['10.2.0.0/24'], destinationPorts: ['1494'] };
  const group = (rules: unknown[], classic = false) =>
    JSON.stringify({
      resources: classic
        ? [{ type: 'Microsoft.Network/azureFirewalls', apiVersion: '2023-09-01', name: 'fw', properties: { networkRuleCollections: [{ name: 'c', properties: { priority: 100, action: { type: 'Allow' }, rules } }] } }]
        : [
            { type: 'Microsoft.Network/firewallPolicies', apiVersion: '2023-09-01', name: 'p', properties: {} },
            { type: 'Microsoft.Network/firewallPolicies/ruleCollectionGroups', apiVersion: '2023-09-01', name: 'p/g', properties: { priority: 100, ruleCollections: [{ ruleCollectionType: 'FirewallPolicyFilterRuleCollection', name: 'c', priority: 100, action: { type: 'Allow' }, rules }] } },
          ],
    });
  for (const classic of [false, true]) {
    const { protocols, ...classicRule } = { ...rule, protocols: ['TCP'] };
    const written = classic ? { ...classicRule, ipProtocols: undefined, protocols } : rule;
    const p = parseArm(group(['', 42, written, ''], classic), 'strings.json');
    const rs = p.ruleSets[0];
    assert.ok(rs, `classic: ${classic}`);
    assert.deepEqual(rs.rules.filter((r) => !r.implicit).map((r) => r.name), ['ica'], `classic: ${classic}`);
    const reported = p.problems.filter((x) => /items of its rules are not a rule object/.test(x.message));
    assert.equal(reported.length, 1, JSON.stringify(p.problems.map((x) => x.message)));
    assert.match(reported[0].message, /3 items .* \(string\); Azure rejects the template/);
    // The one rule still decides: ICA from the VDAs' clients is allowed, anything else meets the firewall's deny.
    assert.equal(evaluate([rs], flow('forward tcp 10.1.0.5 -> 10.2.0.4:1494'), {}).verdict, 'allowed');
    assert.equal(evaluate([rs], flow('forward tcp 10.1.0.5 -> 10.2.0.4:22'), {}).verdict, 'denied');
  }
});
