import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { doCompletion } from '../../../server/src/service/completion';
import { IPTABLES, NSG_TF, TOPOLOGY, cut, stateWith, uri } from './helpers';

interface Case {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** Labels that must be offered; empty: nothing may be offered. */
  readonly labels: readonly string[];
  readonly notLabels?: readonly string[];
  /** What the items replace. */
  readonly replaces?: string;
}

const CASES: readonly Case[] = [
  { name: 'role ids after citrix-role:', file: 'azure/vda.tf', text: NSG_TF.replace('citrix-role: vda', 'citrix-role: deliv|'), labels: ['delivery-controller', 'vda', 'storefront'], replaces: 'deliv' },
  { name: 'a second role id after a comma', file: 'linux/storefront-iptables.rules', text: IPTABLES.replace('citrix-role: storefront', 'citrix-role: storefront, |'), labels: ['vda', 'license-server'], replaces: '' },
  { name: 'check ids after the disable directive', file: 'linux/storefront-iptables.rules', text: IPTABLES.replace('*filter', '*filter\n# citrix-flow-lint-disable-next-line mis|'), labels: ['missing-flow', 'unparsed-rule', 'unused-suppression'], notLabels: ['vda'] },
  { name: 'nothing in the reason after --', file: 'linux/storefront-iptables.rules', text: IPTABLES.replace('*filter', '*filter\n# citrix-flow-lint-disable-next-line missing-flow -- because |'), labels: [] },
  { name: 'directives while typing citrix in a comment', file: 'azure/vda.tf', text: NSG_TF.replace('# citrix-role: vda', '# citr|'), labels: ['citrix-role:', 'citrix-flow-lint-disable-next-line'] },
  { name: 'Citrix ports in a Terraform port list', file: 'azure/vda.tf', text: NSG_TF.replace('["1494", "2598"]', '["1494", "|"]'), labels: ['1494', '2598', '16500-16509', '27000'] },
  { name: 'Citrix ports after --dport before the parser knows the rule', file: 'linux/storefront-iptables.rules', text: IPTABLES.replace('COMMIT', '-A INPUT -p tcp --dport 27|\nCOMMIT'), labels: ['27000', '1494'], replaces: '27' },
  { name: 'nothing in an address field', file: 'azure/vda.tf', text: NSG_TF.replace('"10.0.0.20"', '"10.0.0.|"'), labels: [] },
  { name: 'nothing in plain rule text', file: 'linux/storefront-iptables.rules', text: IPTABLES.replace('-j ACCEPT\n-A INPUT -p tcp -m', '-j ACC|EPT\n-A INPUT -p tcp -m'), labels: [] },
];

const YAML: readonly Case[] = [
  { name: 'top-level keys', file: 'citrix-flows.yaml', text: `${TOPOLOGY}bin|`, labels: ['bindings', 'networks', 'checks'] },
  { name: 'role ids under roles:', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('  storefront:', '  lic|\n  storefront:'), labels: ['license-server', 'sql-server'], notLabels: ['edt'], replaces: 'lic' },
  { name: 'feature ids in a flow map', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('{ edt: true }', '{ edt: true, ses| }'), labels: ['session-reliability', 'html5-client'], notLabels: ['vda'] },
  { name: 'true/false as a feature value', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('{ edt: true }', '\n  edt: |'), labels: ['true', 'false'] },
  { name: 'role ids in a binding', file: 'citrix-flows.yaml', text: `${TOPOLOGY}bindings:\n  - files: "azure/*.tf"\n    roles: [vda, |]\n`, labels: ['vda', 'storefront'] },
  { name: 'binding keys in a new list item', file: 'citrix-flows.yaml', text: `${TOPOLOGY}bindings:\n  - files: "azure/*.tf"\n    roles: [vda]\n  - |\n`, labels: ['files', 'ruleSet', 'roles'], notLabels: ['vda'] },
  { name: 'check ids and severities under checks:', file: 'citrix-flows.yaml', text: `${TOPOLOGY}checks:\n  shadowed-rule: |\n`, labels: ['off', 'info', 'warning', 'error'] },
  { name: 'check ids as keys under checks:', file: 'citrix-flows.yaml', text: `${TOPOLOGY}checks:\n  sha|\n`, labels: ['shadowed-rule', 'missing-flow'] },
  { name: 'machine keys inside a machine', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  adc-01:\n    n|\n`, labels: ['netscaler', 'roles', 'addresses'], notLabels: ['nsip', 'vda'] },
  { name: 'NetScaler address keys', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  adc-01:\n    netscaler:\n      s|\n`, labels: ['nsip', 'snip', 'vip', 'peer'], notLabels: ['roles'] },
  { name: 'role ids for a machine', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  ddc-01:\n    roles: [delivery-controller, |]\n`, labels: ['license-server'] },
  { name: 'machines among the roles of a binding', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  adc-01:\n    netscaler: { nsip: 10.0.0.10 }\nbindings:\n  - files: "adc/*.rules"\n    roles: [|]\n`, labels: ['adc-01', 'vda'] },
  { name: 'role detail keys inside a role map', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('  vda: [10.0.2.0/24]', '  vda: { addresses: [10.0.2.0/24], n| }'), labels: ['addresses', 'name'], notLabels: ['vda'] },
];

describe('doCompletion', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { text, offset } = cut(c.text);
      const state = await stateWith({ [c.file]: text });
      const items = doCompletion(state, uri(c.file), offset);
      check(c, items, text);
    });
  }
  for (const c of YAML) {
    it(`citrix-flows.yaml: ${c.name}`, async () => {
      const { text, offset } = cut(c.text);
      const state = await stateWith({}, text);
      check(c, doCompletion(state, uri(c.file), offset), text);
    });
  }
});

function check(c: Case, items: ReturnType<typeof doCompletion>, text: string): void {
  const labels = items.map((i) => i.label);
  if (c.labels.length === 0) assert.deepEqual(labels, []);
  for (const l of c.labels) assert.ok(labels.includes(l), `missing ${l} in ${labels.join(', ')}`);
  for (const l of c.notLabels ?? []) assert.ok(!labels.includes(l), `unexpected ${l}`);
  if (c.replaces !== undefined && items.length) assert.equal(text.slice(items[0].span.start, items[0].span.end), c.replaces);
}
