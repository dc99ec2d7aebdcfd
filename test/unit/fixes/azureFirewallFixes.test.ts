// Where an Azure Firewall quick fix cannot place its rule by editing one array, it says why instead of writing a
// rule that would never match: in Bicep and ARM a new collection is not written (Terraform writes one: see
// test/fixtures/fixes/terraform/azure-firewall-deny-first.tf.fixed), and classic collections are left to a person.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { emitterFor } from '../../../server/src/formats/emitters';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';
import type { AllowRuleRequest } from '../../../server/src/model/edits';
import { AddressSet } from '../../../server/src/net';

before(async () => {
  await initTreeSitter();
});

const TOPOLOGY = 'roles:\n  vda: [10.0.2.0/24]\n  gateway-snip: [10.0.0.20]\nfeatures: { edt: false }\n';

// The Deny collection (priority 100) runs before the only Allow one (300).
const DENY_FIRST_BICEP = `// citrix-role: vda
resource policy 'Microsoft.Network/firewallPolicies@2023-09-01' = {
  name: 'afwp'
  location: 'westeurope'
}
resource rcg 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2023-09-01' = {
  parent: policy
  name: 'rcg'
  properties: {
    priority: 200
    ruleCollections: [
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'deny-to-spoke'
        priority: 100
        action: { type: 'Deny' }
        rules: [
          { ruleType: 'NetworkRule', name: 'deny-all', ipProtocols: ['Any'], sourceAddresses: ['*'], destinationAddresses: ['10.0.2.0/24'], destinationPorts: ['*'] }
        ]
      }
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'allow-citrix'
        priority: 300
        action: { type: 'Allow' }
        rules: [
          { ruleType: 'NetworkRule', name: 'ica', ipProtocols: ['TCP'], sourceAddresses: ['10.0.0.20'], destinationAddresses: ['10.0.2.0/24'], destinationPorts: ['1494'] }
        ]
      }
    ]
  }
}
`;

function addresses(text: string): AddressSet {
  const parsed = AddressSet.parse(text);
  assert.ok(parsed.ok);
  return parsed.value;
}

function requestFor(format: FormatId, text: string, uri: string, port: number): { request: AllowRuleRequest; offered: string[] } {
  const file = parseAs(format, text, uri);
  const analysis = analyzeParsed([file], readTopology(TOPOLOGY, 'file:///ws/citrix-flows.yaml'));
  const finding = analysis.findings.find((f) => f.checkId === 'missing-flow' && f.message.includes(`TCP ${port} `));
  assert.ok(finding, analysis.findings.map((f) => f.message).join('\n'));
  const ruleSet = file.ruleSets[0];
  const deny = ruleSet.rules.find((r) => r.target.kind === 'deny' && !r.implicit);
  const request: AllowRuleRequest = {
    file,
    ruleSet,
    direction: 'inbound',
    protocols: ['tcp'],
    ports: [{ from: port, to: port }],
    source: addresses('10.0.0.20'),
    destination: addresses('10.0.2.0/24'),
    name: 'Allow-Citrix-session-reliability',
    comment: 'Citrix: Gateway SNIP → VDA',
    ...(deny ? { before: deny } : {}),
  };
  return { request, offered: fixesFor(finding, analysis).map((f) => f.title) };
}

test('Bicep: with no Allow collection before the deny, no Allow fix is offered, and the emitter says what to add', () => {
  const { request, offered } = requestFor('bicep' as FormatId, DENY_FIRST_BICEP, 'file:///ws/hub.bicep', 2598);
  assert.deepEqual(offered.filter((t) => t.startsWith('Allow ')), []);
  const result = emitterFor('bicep' as FormatId)!([request]);
  assert.deepEqual(result, { error: 'no Allow network rule collection of policy runs before deny-all (network, group 200, collection 100): add one with a lower priority, then use the quick fix again' });
});

test('Terraform: classic rule collections are left to a person, with the reason', () => {
  const classic = `# citrix-role: vda
resource "azurerm_firewall" "hub" {
  name                = "afw"
  location            = "westeurope"
  resource_group_name = "rg"
}
resource "azurerm_firewall_network_rule_collection" "citrix" {
  name                = "citrix"
  azure_firewall_name = azurerm_firewall.hub.name
  resource_group_name = "rg"
  priority            = 100
  action              = "Allow"
  rule {
    name                  = "ica"
    source_addresses      = ["10.0.0.20"]
    destination_addresses = ["10.0.2.0/24"]
    destination_ports     = ["1494"]
    protocols             = ["TCP"]
  }
}
`;
  const { request } = requestFor('terraform' as FormatId, classic, 'file:///ws/hub.tf', 2598);
  const result = emitterFor('terraform' as FormatId)!([request]);
  assert.ok('error' in result);
  assert.match(result.error, /uses classic rule collections \(azurerm_firewall_network_rule_collection\); add the rule to one by hand/);
});
