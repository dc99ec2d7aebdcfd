// "Allow <flow>" writes the protected side the way the rule set's own rules do: open ("*", no -d) where
// they all leave it open, else only the part of the role this rule set protects, never the role's whole
// address list across the site.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { applyEdits } from '../../../server/src/model/edits';
import type { FormatId } from '../../../server/src/model';

// A VDA role in six subnets over three clouds; each rule set below protects one of them.
const TOPOLOGY = `roles:
  vda: [10.30.1.0/24, 10.30.2.0/24, 10.40.1.0/24, 10.40.2.0/24, 10.50.1.0/24, 10.50.2.0/24]
  gateway-snip: [10.20.0.20]
features: { edt: false, session-reliability: false }
`;

const nsg = (destination: string) => `# citrix-role: vda
resource "azurerm_network_security_group" "vda_a" {
  name                = "nsg-vda-a"
  location            = "westeurope"
  resource_group_name = "rg"

  security_rule {
    name                       = "Allow-CGP"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "2598"
    source_address_prefix      = "10.20.0.20"
    destination_address_prefix = "${destination}"
  }

  security_rule {
    name                       = "Deny-All-Inbound"
    priority                   = 4096
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
`;

const chain = (dest: string) => `# citrix-role: vda
*filter
:INPUT DROP [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.20.0.20/32 ${dest}-p tcp -m tcp --dport 2598 -j ACCEPT
-A INPUT -j DROP
COMMIT
`;

const CASES: { name: string; format: FormatId; file: string; text: string; added: RegExp; never: RegExp }[] = [
  { name: 'NSG whose rules write "*": the new rule writes "*"', format: 'terraform', file: 'vda.tf', text: nsg('*'), added: /destination_port_range\s+= "1494"[\s\S]*?destination_address_prefix = "\*"/, never: /10\.40\./ },
  { name: 'NSG whose rules name its subnet: only that subnet', format: 'terraform', file: 'vda.tf', text: nsg('10.30.1.0/24'), added: /destination_port_range\s+= "1494"[\s\S]*?destination_address_prefix = "10\.30\.1\.0\/24"/, never: /10\.(?:30\.2|40|50)\./ },
  { name: 'host INPUT chain without -d: no -d', format: 'iptables', file: 'vda.rules', text: chain(''), added: /-A INPUT -s 10\.20\.0\.20\/32 -p tcp -m tcp --dport 1494 -j ACCEPT/, never: /-d / },
  { name: 'host INPUT chain with -d: the same -d only', format: 'iptables', file: 'vda.rules', text: chain('-d 10.30.1.0/24 '), added: /-A INPUT -s 10\.20\.0\.20\/32 -d 10\.30\.1\.0\/24 -p tcp -m tcp --dport 1494 -j ACCEPT/, never: /10\.(?:30\.2|40|50)\./ },
];

before(async () => {
  await initTreeSitter();
});

describe('the protected side of an added rule', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const uri = `file:///ws/${c.file}`;
      const file = parseAs(c.format, c.text, uri);
      const analysis = analyzeParsed([file], readTopology(TOPOLOGY, 'file:///ws/citrix-flows.yaml'));
      const finding = analysis.findings.find((f) => f.checkId === 'missing-flow' && String(f.data?.flowId).endsWith('.ica'));
      assert.ok(finding, analysis.findings.map((f) => `${f.checkId} ${f.data?.flowId}`).join('\n'));
      const allow = fixesFor(finding, analysis).find((f) => f.isPreferred && f.title.startsWith('Allow'));
      assert.ok(allow);
      const after = applyEdits(c.text, allow.edits);
      const added = after.slice(0, after.length - (c.text.length - allow.edits[0].span.start)).slice(allow.edits[0].span.start);
      assert.match(after, c.added);
      assert.doesNotMatch(added, c.never, `the new rule lists addresses this rule set does not protect:\n${added}`);
    });
  }
});
