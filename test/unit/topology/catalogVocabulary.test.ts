import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allCheckIds } from '../../../server/src/analysis/checks';
import { loadCatalog } from '../../../server/src/catalog';
import { parseTopology, roleLookup, vocabularyFromCatalog } from '../../../server/src/topology';
import { repoRoot } from '../../helpers/fixtures';

// What citrix-flows.yaml's `checks:` accepts is the registry's list (analyze.ts builds the vocabulary from it), so the schema offers the same.
const CHECK_IDS = allCheckIds();

test('the catalog vocabulary knows the fixed role ids and reads aliases', () => {
  const vocabulary = vocabularyFromCatalog(loadCatalog(), CHECK_IDS);
  const lookup = roleLookup(vocabulary);
  const fixed = ['vda', 'delivery-controller', 'storefront', 'workspace-app', 'gateway', 'gateway-snip', 'gateway-plugin', 'adc-nsip', 'adc', 'adm', 'adm-agent', 'license-server', 'sql-server', 'domain-controller', 'dns-server', 'ldap-server', 'radius-server', 'tacacs-server', 'ntp-server', 'pvs-server', 'pvs-target', 'fas-server', 'certificate-authority', 'director', 'admin-workstation', 'hypervisor', 'vcenter', 'scvmm', 'cloud-connector', 'citrix-cloud', 'gateway-service', 'wem-infrastructure', 'wem-agent', 'session-recording-server'];
  for (const id of fixed) assert.deepEqual(lookup.resolve(id), { id, viaAlias: false }, id);
  const table: [string, string | undefined][] = [['DDC', 'delivery-controller'], ['Delivery Controller', 'delivery-controller'], ['NetScaler ADC', 'adc'], ['Virtual Delivery Agent', 'vda']];
  for (const [alias, id] of table) assert.equal(lookup.resolve(alias)?.id, id, alias);
  assert.equal(lookup.suggest('storefrnt'), 'storefront');
  const t = parseTopology('roles: { vda: [10.0.0.0/24] }\nfeatures: { edt: false }\nversions: { wem: "2203" }\n', 'x', vocabulary);
  assert.deepEqual(t.problems, []);
});

/**
 * The schema lists every catalog role and feature (and every check) as a
 * property, so the YAML extension completes them with their descriptions.
 * UPDATE_SNAPSHOTS=1 rewrites those lists from the catalog.
 */
test('the JSON Schema lists the catalog roles, features and checks', () => {
  const file = path.join(repoRoot(), 'schemas', 'citrix-flows.schema.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  const catalog = loadCatalog();
  const roleRef = { $ref: '#/definitions/roleValue' };
  const roles = Object.fromEntries(catalog.roles.map((r) => [r.id, { ...roleRef, description: `${r.name}. ${r.description}`.trim() }]));
  const features = Object.fromEntries(
    catalog.features.map((f) => [f.id, { type: 'boolean', description: `${f.name} (default: ${f.default ? 'on' : 'off'}). ${f.description}`.trim() }]),
  );
  const checks = Object.fromEntries(CHECK_IDS.map((id) => [id, { $ref: '#/definitions/severity' }]));
  const versions = Object.fromEntries(catalog.products.map((p) => [p.id, { type: ['string', 'number'], description: p.name }]));
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    schema.properties.roles.properties = roles;
    schema.properties.features.properties = features;
    schema.properties.checks.properties = checks;
    schema.properties.versions.properties = versions;
    fs.writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
    return;
  }
  assert.deepEqual(schema.properties.roles.properties, roles);
  assert.deepEqual(schema.properties.features.properties, features);
  assert.deepEqual(schema.properties.checks.properties, checks);
  assert.deepEqual(schema.properties.versions.properties, versions);
});
