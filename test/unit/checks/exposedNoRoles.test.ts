// exposed-to-internet must work with no roles at all (the common first run):
// its port list then comes from the catalog's ICA/HDX and management ports.
// A mutant that dropped 2598 from that list survived the suite before this
// test, because the only 2598 case declared a role.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import { LineIndex } from '../../../server/src/model';

const NSG = `resource "azurerm_network_security_group" "pool" {
  name                = "nsg-pool"
  location            = "westeurope"
  resource_group_name = "rg"

  security_rule {
    name                       = "Allow-Port-From-Anywhere"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "PORT"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}
`;

for (const port of ['1494', '2598', '3389', '22']) {
  test(`exposed-to-internet with no roles declared: TCP ${port} from Internet is reported on its rule`, async () => {
    await initTreeSitter();
    const text = NSG.replace('PORT', port);
    const parsed = parseSource({ uri: 'file:///site/pool.tf', text });
    assert.ok(parsed);
    const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { workspaceRoot: '/site', reportUnmatchedBindings: false });
    const exposed = analysis.findings.filter((f) => f.checkId === 'exposed-to-internet');
    assert.equal(exposed.length, 1, JSON.stringify(analysis.findings.map((f) => `${f.checkId}: ${f.message}`), null, 1));
    const line = new LineIndex(text).positionAt(exposed[0].span.start).line + 1;
    assert.ok(line >= 6 && line <= 16, `on the rule (lines 6-16), got line ${line}`);
    assert.ok(exposed[0].message.includes(port), exposed[0].message);
  });
}

test('exposed-to-internet with no roles declared: a port that is neither ICA nor management is not reported', async () => {
  await initTreeSitter();
  const parsed = parseSource({ uri: 'file:///site/pool.tf', text: NSG.replace('PORT', '8443') });
  assert.ok(parsed);
  const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { workspaceRoot: '/site', reportUnmatchedBindings: false });
  assert.deepEqual(analysis.findings.filter((f) => f.checkId === 'exposed-to-internet').map((f) => f.message), []);
});
