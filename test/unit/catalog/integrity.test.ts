import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog, parseCondition, type CatalogProtocol } from '../../../server/src/catalog';

const catalog = loadCatalog();

const FIXED_ROLE_IDS = [
  'vda', 'delivery-controller', 'storefront', 'workspace-app', 'gateway', 'gateway-snip', 'gateway-plugin',
  'adc-nsip', 'adc', 'adm', 'adm-agent', 'license-server', 'sql-server', 'domain-controller', 'dns-server',
  'ldap-server', 'radius-server', 'tacacs-server', 'ntp-server', 'pvs-server', 'pvs-target', 'fas-server',
  'certificate-authority', 'director', 'admin-workstation', 'hypervisor', 'vcenter', 'scvmm', 'cloud-connector',
  'citrix-cloud', 'gateway-service', 'wem-infrastructure', 'wem-agent', 'session-recording-server',
];

test('loadCatalog is memoized', () => {
  assert.equal(loadCatalog(), catalog);
});

test('flow ids are unique and follow <product>.<source>-to-<destination>.<purpose>', () => {
  const seen = new Set<string>();
  for (const f of catalog.flows) {
    assert.ok(!seen.has(f.id), `duplicate flow id ${f.id}`);
    seen.add(f.id);
    assert.ok(f.id.startsWith(`${f.product}.${f.source}-to-${f.destination}.`), f.id);
    assert.equal(catalog.flowById(f.id), f);
  }
  assert.ok(catalog.flows.length >= 180, `only ${catalog.flows.length} flows`);
});

test('every role, feature, product and secure alternative a flow names exists', () => {
  for (const f of catalog.flows) {
    assert.ok(catalog.roleById(f.source), `${f.id}: source ${f.source}`);
    assert.ok(catalog.roleById(f.destination), `${f.id}: destination ${f.destination}`);
    assert.ok(catalog.productById(f.product), `${f.id}: product ${f.product}`);
    for (const c of [...f.conditions, ...Object.values(f.protocolConditions).flat()]) {
      const parsed = parseCondition(c);
      assert.ok(parsed, `${f.id}: condition ${c}`);
      if (parsed.kind === 'feature') assert.ok(catalog.featureById(parsed.feature), `${f.id}: feature ${parsed.feature}`);
    }
    if (f.secureAlternative) {
      const alt = catalog.flowById(f.secureAlternative);
      assert.ok(alt, `${f.id}: secureAlternative ${f.secureAlternative}`);
      assert.ok(!alt.tags.includes('insecure'), `${f.id}: its secure alternative is tagged insecure`);
    }
    assert.equal(f.tags.includes('insecure'), f.secureAlternative !== undefined, `${f.id}: insecure tag without secureAlternative or the reverse`);
  }
});

test('the fixed role ids exist, and every role is used by some flow', () => {
  for (const id of FIXED_ROLE_IDS) assert.ok(catalog.roleById(id), id);
  for (const r of catalog.roles) assert.ok(catalog.flowsForRole(r.id, 'any').length > 0, `role ${r.id} is in no flow`);
});

test('role names resolve case-insensitively through aliases', () => {
  const cases: [string, string][] = [
    ['VDA', 'vda'], ['virtual delivery agent', 'vda'], ['Citrix Virtual Apps and Desktops VDAs', 'vda'],
    ['DDC Controller', 'delivery-controller'], ['  ddc   controller ', 'delivery-controller'],
    ['NetScaler Gateway', 'gateway'], ['Citrix Gateway SNIP', 'gateway-snip'], ['NetScaler Console', 'adm'],
    ['NetScaler ADC', 'adc'], ['Citrix ADC NSIP', 'adc-nsip'], ['Receiver', 'workspace-app'], ['User Device', 'workspace-app'],
    ['Cloud Connectors', 'cloud-connector'], ['XenCenter', 'admin-workstation'], ['Microsoft SQL Server', 'sql-server'],
  ];
  for (const [text, id] of cases) assert.equal(catalog.resolveRole(text)?.id, id, text);
  assert.equal(catalog.resolveRole('not a role'), undefined);
});

test('suggestRole offers the role a typo meant', () => {
  const cases: [string, string][] = [
    ['vdaa', 'vda'], ['delivery-controler', 'delivery-controller'], ['storefornt', 'storefront'],
    ['gateway-snp', 'gateway-snip'], ['licence-server', 'license-server'], ['deliv', 'delivery-controller'],
  ];
  for (const [typo, id] of cases) assert.equal(catalog.suggestRole(typo)[0], id, typo);
  assert.deepEqual(catalog.suggestRole('zzzzzzzzzzzz'), []);
});

test('flowsOnPort agrees with a scan of every flow, for every port and protocol', () => {
  const protocols: (CatalogProtocol | undefined)[] = [undefined, 'tcp', 'udp'];
  for (let port = 0; port <= 65535; port++) {
    for (const protocol of protocols) {
      const expected = catalog.flows.filter((f) => (!protocol || f.protocols.includes(protocol)) && f.ports.some((r) => r.from <= port && port <= r.to));
      const actual = catalog.flowsOnPort(port, protocol);
      if (actual.length !== expected.length || actual.some((f, i) => f !== expected[i])) {
        assert.fail(`port ${port}/${protocol ?? 'any'}: ${actual.map((f) => f.id)} != ${expected.map((f) => f.id)}`);
      }
    }
  }
  assert.deepEqual(catalog.flowsOnPort(-1), []);
  assert.deepEqual(catalog.flowsOnPort(65536), []);
});

test('flowsForRole splits by direction', () => {
  for (const r of catalog.roles) {
    const inbound = catalog.flowsForRole(r.id, 'inbound');
    const outbound = catalog.flowsForRole(r.id, 'outbound');
    assert.ok(inbound.every((f) => f.destination === r.id));
    assert.ok(outbound.every((f) => f.source === r.id));
    assert.equal(catalog.flowsForRole(r.id, 'any').length, new Set([...inbound, ...outbound]).size);
  }
  assert.deepEqual(catalog.flowsForRole('no-such-role', 'any'), []);
});

test('features have the defaults the design relies on', () => {
  assert.equal(catalog.featureById('edt')?.default, true);
  assert.equal(catalog.featureById('session-reliability')?.default, true);
  assert.equal(catalog.featureById('html5-client')?.default, false);
});

test('products: 15 seed sections, 13 with tables holding 16 tables', () => {
  assert.equal(catalog.products.length, 15);
  const withTables = catalog.products.filter((p) => p.tables.length > 0);
  assert.equal(withTables.length, 13);
  assert.equal(withTables.reduce((n, p) => n + p.tables.length, 0), 16);
  for (const id of ['endpoint-management', 'app-layering']) {
    const p = catalog.productById(id);
    assert.ok(p?.reference, `${id} keeps the seed's link`);
    assert.equal(catalog.flows.filter((f) => f.product === id).length, 0);
  }
});
