import assert from 'node:assert/strict';
import { test } from 'node:test';
import { covers, hostOfUrl, namesCoverage, neededNames } from '../../../server/src/analysis/hostNames';

// Azure Firewall's leading wildcard matches anything to its left, subdomains at any depth included.
const COVERS: [string, string, boolean][] = [
  ['*.nssvc.net', '*.nssvc.net', true],
  ['*.nssvc.net', '*.c.nssvc.net', true],
  ['*.nssvc.net', 'a.b.nssvc.net', true],
  ['*.nssvc.net', 'nssvc.net', false],
  ['*nssvc.net', 'nssvc.net', true],
  ['*.c.nssvc.net', '*.nssvc.net', false],
  ['global-s.nssvc.net', '*.nssvc.net', false],
  ['*', '*.cloud.com', true],
  ['*.CLOUD.com', 'x.cloud.COM', true],
  ['*.cloud.com', '*.citrixworkspacesapi.net', false],
  ['login.cloud.com', 'login.cloud.com', true],
  // A name without a wildcard is no suffix: xcloud.com does not hold cloud.com.
  ['xcloud.com', 'cloud.com', false],
  ['*.nssvc.net', '*nssvc.net', false],
];
for (const [pattern, name, expected] of COVERS) {
  test(`host names: ${pattern} ${expected ? 'covers' : 'does not cover'} ${name}`, () => assert.equal(covers(pattern, name), expected));
}

test('host names: the catalog\'s URLs give their hosts, and the narrower alternatives are what a rule must cover', () => {
  assert.equal(hostOfUrl('https://dl.cacerts.digicert.com/DigiCertAssuredIDRootCA.crt'), 'dl.cacerts.digicert.com');
  assert.equal(hostOfUrl('not a url'), undefined);
  assert.equal(hostOfUrl('  https://A.Example.com:8443/x '), 'a.example.com');
  assert.equal(hostOfUrl('see https://a.example.com'), undefined);
  assert.deepEqual(neededNames(['https://*.nssvc.net', 'https://*.c.nssvc.net', 'https://*.g.nssvc.net']), ['*.c.nssvc.net', '*.g.nssvc.net']);
  assert.deepEqual(neededNames(['not a url', 'https://x.example.com']), ['x.example.com']);
});

test('host names: a rule covers all, none or some of what a flow needs', () => {
  const needed = ['*.c.nssvc.net', '*.g.nssvc.net'];
  assert.equal(namesCoverage(['*.nssvc.net'], needed), 'all');
  assert.equal(namesCoverage(['*.c.nssvc.net', '*.g.nssvc.net'], needed), 'all');
  assert.equal(namesCoverage(['*.c.nssvc.net'], needed), 'some');
  assert.equal(namesCoverage(['x.c.nssvc.net'], needed), 'some');
  assert.equal(namesCoverage(['*.cloud.com', 'login.microsoftonline.com'], needed), 'none');
  // A rule name narrower than a needed wildcard shares hosts with it: some, never none.
  assert.equal(namesCoverage(['*.x.c.nssvc.net'], needed), 'some');
  assert.equal(namesCoverage(['*.nssvc.net'], ['global.nssvc.net', '*.cloud.com']), 'some');
});

import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter, parseAs } from '../../../server/src/formats';

test('host names: a required flow to a service the catalog names by URL carries the names it is reached by', async () => {
  await initTreeSitter();
  const nsg = '# citrix-role: vda\nresource "azurerm_network_security_group" "vda" {\n  name                = "nsg-vda"\n  location            = "westeurope"\n  resource_group_name = "rg"\n}\n';
  const file = parseAs('terraform', nsg, 'file:///ws/vda.tf');
  const topology = readTopology('roles:\n  vda: [10.20.1.0/24]\n  gateway-service: []\nfeatures: { rendezvous: true, edt: false }\n', 'file:///ws/citrix-flows.yaml');
  const a = analyzeParsed([file], topology, { workspaceRoot: '/ws' });
  const rendezvous = a.required.find((c) => c.flow.id === 'cvad.vda-to-gateway-service.rendezvous' || c.flow.id === 'cloud.vda-to-gateway-service.rendezvous');
  assert.ok(rendezvous, a.required.map((c) => c.flow.id).join(', '));
  assert.deepEqual(rendezvous.query.destinationNames, ['*.c.nssvc.net', '*.g.nssvc.net']);
  const registration = a.required.find((c) => c.flow.destinationUrls.length === 0);
  assert.equal(registration?.query.destinationNames, undefined);
});
