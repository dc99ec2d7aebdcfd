import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fixturePath } from '../../helpers/fixtures';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseBicep } from '../../../server/src/formats/bicep';
import { parseArm } from '../../../server/src/formats/arm';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { AddressSet, type AddressSymbol } from '../../../server/src/net';
import type { ParsedFile } from '../../../server/src/model';

before(() => initTreeSitter());

const read = (format: 'bicep' | 'arm', name: string): ParsedFile => {
  const file = fixturePath(format, name);
  const text = fs.readFileSync(file, 'utf8');
  return format === 'bicep' ? parseBicep(text, file) : parseArm(text, file);
};

const addresses = (...items: string[]): AddressSet => {
  const parsed = AddressSet.parseList(items);
  assert.ok(parsed.ok);
  return parsed.value;
};
const VNET = addresses('10.0.0.0/16', '10.1.0.0/16');
const LOAD_BALANCER = addresses('168.63.129.16');
/** What a topology file would declare: the VNet's ranges, Azure's load-balancer probe address, Internet as the rest. */
const vnet = (s: AddressSymbol): AddressSet | undefined => {
  if (s.kind !== 'service-tag') return undefined;
  if (s.name === 'VirtualNetwork') return VNET;
  if (s.name === 'AzureLoadBalancer') return LOAD_BALANCER;
  if (s.name === 'Internet') return VNET.union(LOAD_BALANCER).complement();
  return undefined;
};

interface Row {
  readonly flow: string;
  readonly verdict: 'allowed' | 'denied' | 'partial' | 'unknown';
  readonly deciding?: string;
  readonly resolveVnet?: boolean;
}

// The same NSG written in Bicep and in ARM JSON must give the same verdicts.
const inlineBasic: Row[] = [
  // DenyIcaFromInternet (100) shadows AllowIca (200) for Internet sources; the tag is unresolved, so unknown…
  { flow: 'in tcp 203.0.113.9 -> 10.1.0.7:1494', verdict: 'unknown' },
  // …and with nothing resolving Internet a VNet source is unknown too (it may be in Internet).
  { flow: 'in tcp 10.0.5.10 -> 10.1.0.7:1494', verdict: 'unknown' },
  { flow: 'in tcp 10.0.5.10 -> 10.1.0.7:1494', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true },
  // An Internet source on 1494 meets DenyIcaFromInternet first.
  { flow: 'in tcp 192.0.2.1 -> 10.2.0.7:1494', verdict: 'denied', deciding: 'DenyIcaFromInternet', resolveVnet: true },
  // Nothing user-written matches port 22 from outside: DenyAllInBound decides once the tags are resolved.
  { flow: 'in tcp 192.0.2.1 -> 10.2.0.7:22', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
  { flow: 'in tcp 168.63.129.16 -> 10.2.0.7:22', verdict: 'allowed', deciding: 'AllowAzureLoadBalancerInBound', resolveVnet: true },
  // AllowVnetInBound lets intra-VNet traffic through when VirtualNetwork is resolved…
  { flow: 'in tcp 10.0.0.4 -> 10.1.0.9:8080', verdict: 'allowed', deciding: 'AllowVnetInBound', resolveVnet: true },
  // …and is unknown when it is not.
  { flow: 'in tcp 10.0.0.4 -> 10.1.0.9:8080', verdict: 'unknown' },
  { flow: 'out tcp 10.0.0.4 -> 10.1.0.9:445', verdict: 'allowed', deciding: 'AllowVnetOutBound', resolveVnet: true },
];

function check(file: ParsedFile, rows: readonly Row[]): void {
  assert.equal(file.ruleSets.length, 1);
  for (const row of rows) {
    const result = evaluate(file.ruleSets, flow(row.flow), row.resolveVnet ? { resolve: vnet } : {});
    assert.equal(result.verdict, row.verdict, `${row.flow} (${row.resolveVnet ? 'resolved' : 'unresolved'}): ${result.reasons.join('; ')}`);
    if (row.deciding) assert.deepEqual(result.decidingRules.map((r) => r.id), [row.deciding], row.flow);
  }
}

test('bicep inline-basic: priorities, shadowing deny, default rules', () => check(read('bicep', 'inline-basic.bicep'), inlineBasic));
test('arm inline-basic: the same verdicts as Bicep', () => check(read('arm', 'inline-basic.json'), inlineBasic));

test('a deny at a lower priority number shadows an allow', () => {
  for (const file of [read('bicep', 'inline-basic.bicep'), read('arm', 'inline-basic.json')]) {
    const result = evaluate(file.ruleSets, flow('in tcp 198.51.100.7 -> 10.1.0.7:1494'), {
      resolve: vnet,
    });
    assert.equal(result.verdict, 'denied', result.reasons.join('; '));
    assert.deepEqual(result.decidingRules.map((r) => r.id), ['DenyIcaFromInternet']);
  }
});

const more: { name: string; format: 'bicep' | 'arm'; file: string; ruleSet?: string; rows: Row[] }[] = [
  {
    name: 'ARM: a rule whose condition is false is not deployed; one known only at deployment is unknown',
    format: 'arm',
    file: 'conditions.json',
    ruleSet: 'nsg-vda',
    rows: [
      // AllowRdp's condition is parameters('enableRdp'), false by default: the custom deny decides.
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:3389', verdict: 'denied', deciding: 'DenyAllInboundCustom', resolveVnet: true },
      // and(true, not(equals('dev', 'prod'))) is true: AllowIca is deployed.
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true },
      // allowSsh has no default: AllowSsh may or may not exist.
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:22', verdict: 'unknown', resolveVnet: true },
    ],
  },
  {
    name: 'ARM: an NSG whose condition is false is on no path',
    format: 'arm',
    file: 'conditions.json',
    ruleSet: 'nsg-prod-lockdown',
    rows: [{ flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', resolveVnet: true }],
  },
  {
    name: 'an NSG whose condition is false is on no path',
    format: 'bicep',
    file: 'condition-false-nsg.bicep',
    ruleSet: 'lockdown',
    rows: [{ flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', resolveVnet: true }],
  },
  {
    name: 'the deployed NSG beside one that is not',
    format: 'bicep',
    file: 'condition-false-nsg.bicep',
    ruleSet: 'vda',
    rows: [
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true },
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:1494', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
    ],
  },
  {
    name: 'plural fields and an empty singular beside the plural',
    format: 'bicep',
    file: 'plural-fields.bicep',
    rows: [
      { flow: 'in udp 10.0.1.20 -> 10.1.0.5:16505', verdict: 'allowed', deciding: 'AllowEdt', resolveVnet: true },
      { flow: 'in udp 10.0.1.20 -> 10.1.0.6:16505', verdict: 'allowed', deciding: 'AllowVnetInBound', resolveVnet: true },
      { flow: 'in udp 192.0.2.1 -> 10.1.0.5:16510', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
      { flow: 'in tcp 10.9.1.1 -> 10.50.0.1:80', verdict: 'allowed', deciding: 'BothStyles', resolveVnet: true },
    ],
  },
  {
    name: 'a parameter without default makes its rule unknown',
    format: 'bicep',
    file: 'params-vars.bicep',
    rows: [
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true },
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:3389', verdict: 'unknown', resolveVnet: true },
    ],
  },
  {
    name: 'a rule under an unknown condition is unknown; one under a false condition is disabled',
    format: 'bicep',
    file: 'conditions-modules.bicep',
    rows: [
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:3389', verdict: 'unknown', resolveVnet: true },
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:22', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
    ],
  },
  {
    name: 'loops: one rule per element, priorities from the index',
    format: 'bicep',
    file: 'for-loops.bicep',
    rows: [
      // The rule from the loop over a parameter without default may allow anything: unknown.
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:2598', verdict: 'unknown', resolveVnet: true },
      // That rule is TCP only, so UDP reaches the loop over literal ports (priority 200 + index).
      { flow: 'in udp 10.0.0.9 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'AllowEdt2598', resolveVnet: true },
      // The unknown rule can only allow, and AllowIca allows: allowed whichever way it resolves.
      { flow: 'in tcp 10.0.0.9 -> 10.1.0.8:1494', verdict: 'allowed', resolveVnet: true },
    ],
  },
  {
    name: 'spread: a base object spread into each rule, a shared list spread into the NSG, a later key overriding the spread',
    format: 'bicep',
    file: 'spread.bicep',
    ruleSet: 'vdaNsg',
    rows: [
      // Access, direction and the destination come only from the spread object: without it the rule is unknown.
      { flow: 'in tcp 10.30.0.5 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'Allow-HDX-TCP', resolveVnet: true },
      { flow: 'in udp 10.30.0.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'Allow-HDX-UDP', resolveVnet: true },
      // `access: 'Deny'` after `...inboundAllow` wins.
      { flow: 'in tcp 10.0.0.9 -> 10.1.0.8:3389', verdict: 'denied', deciding: 'Deny-RDP', resolveVnet: true },
    ],
  },
  {
    name: 'spread of a parameter without default: the list is not known',
    format: 'bicep',
    file: 'spread.bicep',
    ruleSet: 'extraNsg',
    rows: [{ flow: 'in tcp 10.30.0.5 -> 10.1.0.8:2598', verdict: 'unknown', resolveVnet: true }],
  },
  {
    name: 'ARM: variables, format() and add() resolve; reference() stays unknown',
    format: 'arm',
    file: 'params-vars.json',
    rows: [
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true },
      // The destination is unknown, but the rule and AllowInternetOutBound after it both allow: allowed either way.
      { flow: 'out tcp 10.1.0.8 -> 192.0.2.1:1495', verdict: 'allowed', resolveVnet: true },
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:3389', verdict: 'unknown', resolveVnet: true },
    ],
  },
  {
    name: 'ARM copy: a securityRules property copy over an array parameter gives one rule per element',
    format: 'arm',
    file: 'copy-rules-property.json',
    ruleSet: 'nsg-vda',
    rows: [
      // Only element 1 of vdaRules opens 2598: read one instance (or none) and this is not allowed.
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:2598', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'AllowSessionReliability' },
      // Element 2 is a deny at priority 100, written after the allow at 300: it decides first.
      { flow: 'in tcp 10.0.1.7 -> 10.1.0.8:3389', verdict: 'denied', deciding: 'DenyRdpFromGateway' },
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:3389', verdict: 'allowed', deciding: 'AllowRdpFromAdmins' },
    ],
  },
  {
    name: 'ARM copy: a property copy over a variable copy, with copyIndex(name, offset)',
    format: 'arm',
    file: 'copy-rules-property.json',
    ruleSet: 'nsg-mgmt',
    rows: [
      { flow: 'in tcp 10.0.9.4 -> 10.1.0.8:8008', verdict: 'allowed', deciding: 'AllowMgmt0' },
      { flow: 'in tcp 10.0.9.4 -> 10.1.0.8:8009', verdict: 'allowed', deciding: 'AllowMgmt1' },
    ],
  },
  {
    name: 'ARM copy: a property copy whose count has no default is one instance that decides nothing for certain',
    format: 'arm',
    file: 'copy-rules-property.json',
    ruleSet: 'nsg-extra',
    rows: [{ flow: 'in tcp 192.0.2.1 -> 10.1.0.8:443', verdict: 'unknown', resolveVnet: true }],
  },
  {
    name: 'ARM copy: rule resources copied over an array, priority add(110, copyIndex()), come before a later allow',
    format: 'arm',
    file: 'copy-child-rules.json',
    ruleSet: 'nsg-vda',
    rows: [
      { flow: 'in tcp 10.0.1.5 -> 10.1.0.8:22', verdict: 'denied', deciding: 'deny-mgmt-1' },
      { flow: 'in tcp 10.0.1.5 -> 10.1.0.8:3389', verdict: 'denied', deciding: 'deny-mgmt-2' },
      { flow: 'in tcp 10.0.1.5 -> 10.1.0.8:5985', verdict: 'denied', deciding: 'deny-mgmt-3' },
      { flow: 'in tcp 10.0.1.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'AllowFromVnet' },
      { flow: 'in tcp 10.0.2.5 -> 10.1.0.8:3389', verdict: 'allowed', deciding: 'AllowFromVnet' },
    ],
  },
  {
    name: 'ARM copy: one NSG per tier, each with its own tier\'s ports (a property copy in a resource copy)',
    format: 'arm',
    file: 'copy-nsg-per-tier.json',
    ruleSet: 'nsg-vda',
    rows: [
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'allow-vda-2598' },
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'allow-vda-1494' },
    ],
  },
  {
    name: 'ARM copy: the StoreFront tier does not get the VDA tier\'s ports',
    format: 'arm',
    file: 'copy-nsg-per-tier.json',
    ruleSet: 'nsg-storefront',
    rows: [
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:443', verdict: 'allowed', deciding: 'allow-storefront-443' },
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:2598', verdict: 'allowed', deciding: 'AllowVnetInBound', resolveVnet: true },
      { flow: 'in tcp 10.0.5.5 -> 10.1.0.8:2598', verdict: 'unknown' },
    ],
  },
  {
    name: 'ARM copy: a resource copy whose count has no default is one instance that decides nothing for certain',
    format: 'arm',
    file: 'copy-loops.json',
    ruleSet: 'resources[2] (copy ?)',
    rows: [{ flow: 'in tcp 192.0.2.1 -> 10.1.0.8:8443', verdict: 'unknown', resolveVnet: true }],
  },
  {
    name: 'ARM copy: copied rule resources join the NSG copy named from the same parameter without default',
    format: 'arm',
    file: 'copy-rules-into-copied-nsg.json',
    ruleSet: 'resources[0]',
    rows: [
      // Read into "(unknown NSG)", the NSG would have only its defaults and deny this.
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:22', verdict: 'allowed', deciding: 'ssh-22-rule', resolveVnet: true },
      { flow: 'in tcp 192.0.2.1 -> 10.1.0.8:80', verdict: 'denied', deciding: 'DenyAllInBound', resolveVnet: true },
    ],
  },
  {
    name: 'ARM: the resource after a missing brace is still read',
    format: 'arm',
    file: 'syntax-missing-brace.json',
    ruleSet: 'nsg-after',
    rows: [{ flow: 'in tcp 192.0.2.1 -> 10.1.0.8:1494', verdict: 'allowed', deciding: 'AllowIca', resolveVnet: true }],
  },
];

for (const c of more) {
  test(`${c.format} ${c.file}: ${c.name}`, () => {
    const file = read(c.format, c.file);
    // Several NSGs in one file are separate rule sets, not stages of one path: evaluate the one named.
    const ruleSets = c.ruleSet ? file.ruleSets.filter((r) => r.id === c.ruleSet) : file.ruleSets;
    assert.ok(ruleSets.length > 0);
    for (const row of c.rows) {
      const result = evaluate(ruleSets, flow(row.flow), row.resolveVnet ? { resolve: vnet } : {});
      assert.equal(result.verdict, row.verdict, `${row.flow}: ${result.reasons.join('; ')}`);
      if (row.deciding) assert.deepEqual(result.decidingRules.map((r) => r.id), [row.deciding], row.flow);
    }
  });
}
