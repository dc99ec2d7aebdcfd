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

// Stateless reply rules on a host firewall (issue 15 item 1): a rule that admits packets by a server's source port lets
// replies back to this host's own connections; it is not ICA or management opened to the Internet. Rules by destination
// port beside them still are.
test('exposed-to-internet: rules that match replies by source port are not exposure; the rules beside them still are', () => {
  const text = [
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -s 203.0.113.0/8 -p tcp --sport 6666:6668 -j ACCEPT',
    '-A INPUT -p tcp --sport 443 -j ACCEPT',
    '-A INPUT -p udp --sport 53 -j ACCEPT',
    '-A INPUT -p tcp --dport 3389 -j ACCEPT',
    '-A INPUT -p tcp --sport 1024:65535 --dport 22 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');
  const parsed = parseSource({ uri: 'file:///site/vda.rules', text });
  assert.ok(parsed);
  const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { workspaceRoot: '/site', reportUnmatchedBindings: false });
  const at = new LineIndex(text);
  const lines = analysis.findings.filter((f) => f.checkId === 'exposed-to-internet').map((f) => at.positionAt(f.span.start).line + 1);
  assert.deepEqual(lines.sort((a, b) => a - b), [8, 9]);
});
