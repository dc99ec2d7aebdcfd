import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { addressesInWords } from '../../../server/src/analysis/checks/pieceWords';
import { initTreeSitter } from '../../../server/src/formats';
import { AddressSet } from '../../../server/src/net';
import { assumptionNote } from '../../../server/src/service/requiredFlows';
import { loadCatalog } from '../../../server/src/catalog';

/** Partial versus missing, judged per protocol and port range (issue 15, class 3). */

const nsg = (rules: string): string =>
  `# citrix-role: vda\nresource "azurerm_network_security_group" "vda" {\n  name                = "vda"\n  location            = "westeurope"\n  resource_group_name = "rg"\n${rules}}\n`;
const rule = (name: string, priority: number, access: string, protocol: string, ports: string, source: string, destination = '*'): string =>
  `  security_rule {\n    name                       = "${name}"\n    priority                   = ${priority}\n    direction                  = "Inbound"\n    access                     = "${access}"\n    protocol                   = "${protocol}"\n    source_port_range          = "*"\n    destination_port_range     = "${ports}"\n    source_address_prefix      = "${source}"\n    destination_address_prefix = "${destination}"\n  }\n`;

async function analyse(text: string, topology?: string) {
  await initTreeSitter();
  const parsed = parseSource({ uri: 'file:///site/vda.tf', text });
  assert.ok(parsed);
  const t = readTopology(topology, topology === undefined ? undefined : 'file:///site/citrix-flows.yaml');
  return analyzeParsed([parsed], t, { workspaceRoot: '/site', reportUnmatchedBindings: false });
}

// A VDA role in two pools, each behind its own NSG.
const TWO_POOLS = 'roles:\n  vda: [10.30.1.0/24, 10.31.1.0/24]\n  workspace-app: [10.60.0.0/16]\nfeatures:\n  edt: false\n';

const SITE = 'roles:\n  vda: [10.30.1.0/24]\n  workspace-app: [10.60.0.0/16]\nfeatures:\n  edt: true\n  session-reliability: true\n';

const CASES: { name: string; text: string; topology?: string; flow: string; missing: string[]; partial: string[]; verdict: string; note?: string }[] = [
  {
    name: 'TCP 2598 blocked outright while UDP 2598 is open from the users: missing-flow names TCP 2598',
    text: nsg(rule('Deny-SR', 150, 'Deny', 'Tcp', '2598', '*') + rule('Allow-ICA', 160, 'Allow', '*', '2598', '10.60.0.0/16') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: SITE,
    flow: 'cvad.workspace-app-to-vda.ica-session-reliability',
    missing: ['TCP 2598 blocked by Deny-SR (priority 150): User device → VDA ICA session reliability. UDP 2598 (EDT) allowed.'],
    partial: [],
    verdict: 'partial',
  },
  {
    name: 'declared users partly blocked by address: partial-flow, in words people use',
    text: nsg(rule('Deny-Branch', 150, 'Deny', '*', '1494', '10.60.128.0/17') + rule('Allow-ICA', 160, 'Allow', '*', '1494', '10.60.0.0/16') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: SITE,
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: ['TCP 1494 from 10.60.128.0/17 blocked by Deny-Branch (priority 150), allowed from 10.60.0.0/17', 'UDP 1494 (EDT) from 10.60.128.0/17 blocked by Deny-Branch (priority 150)'],
    verdict: 'partial',
  },
  {
    name: 'user devices not declared: a rule from one subnet is the normal least-privilege rule, allowed with the assumption said',
    text: nsg(rule('Allow-ICA', 160, 'Allow', '*', '1494', '10.20.0.0/24') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: [],
    verdict: 'allowed',
    note: 'from 10.20.0.0/24 (user device addresses not declared)',
  },
  {
    name: 'open to 0.0.0.0/0 with ::/0 closed, no IPv6 declared: not partial',
    text: nsg(rule('Allow-ICA', 160, 'Allow', '*', '1494', '0.0.0.0/0') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: [],
    verdict: 'allowed',
    note: 'from any IPv4 address (user device addresses not declared)',
  },
  {
    name: 'IPv6 users declared: ::/0 closed is a real gap',
    text: nsg(rule('Allow-ICA', 160, 'Allow', '*', '1494', '0.0.0.0/0') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: 'roles:\n  vda: [10.30.1.0/24]\n  workspace-app: [10.60.0.0/16, "2001:db8:60::/48"]\nfeatures:\n  edt: true\n',
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: ['TCP 1494 from 2001:db8:60::/48 blocked by Deny-All (priority 4096), allowed from 10.60.0.0/16'],
    verdict: 'partial',
  },
  {
    name: "one pool's NSG (its rules name its subnet, then deny all): judged for that pool only, not partial for the other",
    text: nsg(rule('Allow-ICA', 160, 'Allow', 'Tcp', '1494', '10.60.0.0/16', '10.30.1.0/24') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: TWO_POOLS,
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: [],
    verdict: 'allowed',
  },
  {
    name: 'an NSG whose rules name both pools and let the users reach one: the blocked pool named, not the users twice',
    text: nsg(rule('Deny-Pool2', 150, 'Deny', '*', '1494', '*', '10.31.1.0/24') + rule('Allow-ICA', 160, 'Allow', 'Tcp', '1494', '10.60.0.0/16', '10.30.1.0/24') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: TWO_POOLS,
    flow: 'cvad.workspace-app-to-vda.ica',
    missing: [],
    partial: ['TCP 1494 to 10.31.1.0/24 blocked by Deny-Pool2 (priority 150), allowed to 10.30.1.0/24'],
    verdict: 'partial',
  },
];

// Outbound, and by port: the other two shapes a partial flow takes.
const outRule = (name: string, priority: number, access: string, protocol: string, ports: string, destination: string): string =>
  `  security_rule {\n    name                       = "${name}"\n    priority                   = ${priority}\n    direction                  = "Outbound"\n    access                     = "${access}"\n    protocol                   = "${protocol}"\n    source_port_range          = "*"\n    destination_port_range     = "${ports}"\n    source_address_prefix      = "*"\n    destination_address_prefix = "${destination}"\n  }\n`;
CASES.push(
  {
    name: 'registration allowed to one of two declared controllers: the blocked one named, "to" it',
    text: nsg(outRule('Allow-Registration', 100, 'Allow', 'Tcp', '80', '10.0.3.10') + outRule('Deny-Out', 4000, 'Deny', '*', '*', '*')),
    topology: 'roles:\n  vda: [10.30.1.0/24]\n  delivery-controller: [10.0.3.10, 10.0.3.11]\n',
    flow: 'cvad.vda-to-delivery-controller.registration',
    missing: [],
    partial: ['TCP 80 to 10.0.3.11 blocked by Deny-Out (priority 4000), allowed to 10.0.3.10'],
    verdict: 'partial',
  },
  {
    name: 'HDX audio allowed on half its UDP range: the blocked ports named, then the open ones',
    text: nsg(rule('Allow-Audio', 150, 'Allow', 'Udp', '16500-16504', '10.60.0.0/16') + rule('Deny-All', 4096, 'Deny', '*', '*', '*')),
    topology: 'roles:\n  vda: [10.30.1.0/24]\n  workspace-app: [10.60.0.0/16]\nfeatures:\n  udp-audio: true\n',
    flow: 'cvad.workspace-app-to-vda.ica-audio-rtp',
    missing: [],
    partial: ['UDP 16505–16509 blocked by Deny-All (priority 4096), UDP 16500–16504 allowed'],
    verdict: 'partial',
  },
);

for (const c of CASES) {
  test(c.name, async () => {
    const analysis = await analyse(c.text, c.topology);
    const check = analysis.required.find((r) => r.flow.id === c.flow);
    assert.ok(check, `${c.flow} is required`);
    assert.equal(check.result.verdict, c.verdict);
    const of = (id: string) => analysis.findings.filter((f) => f.checkId === id && f.flowId === c.flow).map((f) => f.message);
    const missing = of('missing-flow');
    assert.equal(missing.length, c.missing.length, missing.join('\n'));
    c.missing.forEach((m, i) => assert.ok(missing[i].startsWith(m) || missing[i].includes(m), `${missing[i]}\n  should say: ${m}`));
    const partial = of('partial-flow');
    assert.equal(partial.length, c.partial.length ? 1 : 0, partial.join('\n'));
    for (const p of c.partial) assert.ok(partial[0].includes(p), `${partial[0]}\n  should say: ${p}`);
    if (c.partial.length) {
      // The squiggle's deciding rule and the related places (the deciding rule, the role's declaration) travel with it.
      const finding = analysis.findings.find((f) => f.checkId === 'partial-flow' && f.flowId === c.flow);
      assert.ok(finding?.decidingRule, 'a deciding rule');
      assert.ok((finding?.related ?? []).length >= 1, 'related places');
    }
    if (c.note) assert.equal(assumptionNote(loadCatalog(), check), c.note);
  });
}

test('the first sentence of a missing-flow message fits the Problems panel (about 100 characters)', async () => {
  const analysis = await analyse(CASES[0].text, CASES[0].topology);
  for (const f of analysis.findings.filter((x) => x.checkId === 'missing-flow')) {
    const first = f.message.slice(0, f.message.indexOf('. ') + 1);
    assert.ok(first.length <= 110, `${first.length}: ${first}`);
    assert.match(first, /^(TCP|UDP)[^:]* blocked by /);
  }
});

const words: [string[], string][] = [
  [['0.0.0.0/0', '::/0'], 'anywhere'],
  [['10.20.0.0/24'], '10.20.0.0/24'],
  [['0.0.0.0/0'], 'any IPv4 address'],
  [['0.0.0.0/5', '8.0.0.0/7', '10.0.0.0/12', '10.16.0.0/16', '10.17.0.0/19', '10.17.32.0/20', '10.17.48.0/21', '10.17.56.0/22', '10.17.60.0/23', '10.17.62.0/24', '10.17.64.0/18', '10.17.128.0/17', '10.18.0.0/15', '10.20.1.0/24', '10.20.2.0/23', '10.20.4.0/22', '10.20.8.0/21', '10.20.16.0/20', '10.20.32.0/19', '10.20.64.0/18', '10.20.128.0/17', '10.21.0.0/16', '10.22.0.0/15', '10.24.0.0/13', '10.32.0.0/11', '10.64.0.0/10', '10.128.0.0/9', '11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1', '::/0'], 'anywhere except 10.17.63.0/24, 10.20.0.0/24'],
  [['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7'], '10.0.0.1, 10.0.0.3, 10.0.0.5 and 1 more'],
];
for (const [items, expected] of words) {
  test(`addresses in words: ${expected}`, () => {
    const r = AddressSet.parseList(items);
    assert.ok(r.ok);
    assert.equal(addressesInWords(r.value), expected);
  });
}
