import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { AddressSet } from '../../../server/src/net';
import { emptyTopology, featureEnabled, parseTopology, topologyResolver } from '../../../server/src/topology';
import { fixtureInputs, repoRoot, snapshotSuite } from '../../helpers/fixtures';
import { TEST_VOCABULARY } from './testVocabulary';
import { problemSummary, topologySummary } from './summary';
import { HANG_GUARD_MS } from '../../helpers/hangGuard';

snapshotSuite('topology/citrix-flows', (text, file) => topologySummary(text, parseTopology(text, `file://${file}`, TEST_VOCABULARY)));

const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schemas', 'citrix-flows.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

/** What the JSON Schema must say of each fixture; YAML syntax errors never reach the schema. */
const SCHEMA_VERDICT: Record<string, 'valid' | 'invalid' | 'not-yaml'> = {
  'aliases.yaml': 'valid',
  'broken-addresses.yaml': 'invalid', // a nested list, a number, a misspelt key
  'broken-bindings.yaml': 'invalid',
  'broken-duplicates.yaml': 'valid',
  'broken-machines.yaml': 'invalid', // a role's name passes (any key may be a machine), the rest do not // duplicate keys are invisible once YAML is loaded; the parser reports them
  'broken-shapes.yaml': 'invalid',
  'broken-syntax.yaml': 'not-yaml',
  'broken-unknown-words.yaml': 'invalid', // unknown ids pass (aliases must), but "yes", "warn", false do not
  'valid-crlf-bom-unicode.yaml': 'valid',
  'valid-empty.yaml': 'valid',
  'valid-full.yaml': 'valid',
  'valid-machines.yaml': 'valid',
  'valid-sections-null.yaml': 'valid',
};

test('every citrix-flows fixture has a schema verdict', () => {
  const names = fixtureInputs('topology/citrix-flows').map((f) => path.basename(f));
  assert.deepEqual(names, Object.keys(SCHEMA_VERDICT).sort());
});

for (const file of fixtureInputs('topology/citrix-flows')) {
  const name = path.basename(file);
  test(`schema: ${name} is ${SCHEMA_VERDICT[name]}`, () => {
    const text = fs.readFileSync(file, 'utf8');
    const doc = parseDocument(text, { uniqueKeys: false });
    if (SCHEMA_VERDICT[name] === 'not-yaml') {
      assert.ok(doc.errors.length > 0);
      return;
    }
    assert.equal(doc.errors.length, 0, `YAML errors in ${name}`);
    const ok = validate(doc.toJS() ?? {});
    assert.equal(ok, SCHEMA_VERDICT[name] === 'valid', JSON.stringify(validate.errors));
    if (name.startsWith('valid-')) {
      const problems = parseTopology(text, name, TEST_VOCABULARY).problems;
      assert.deepEqual(problems.map((p) => problemSummary(text, p)), [], 'a valid fixture has no problems');
    }
  });
}

test('emptyTopology has nothing and no problems', () => {
  const t = emptyTopology('file:///w/citrix-flows.yaml');
  assert.equal(t.uri, 'file:///w/citrix-flows.yaml');
  assert.equal(t.roles.size + t.features.size + t.versions.size + t.networks.size + t.checks.size, 0);
  assert.deepEqual([t.bindings, t.interfaces, t.problems], [[], [], []]);
});

test('features not mentioned take the vocabulary default', () => {
  const t = parseTopology('features: { edt: false, fas: true }\n', 'x', TEST_VOCABULARY);
  const table: [string, boolean][] = [['edt', false], ['fas', true], ['session-reliability', true], ['html5-client', false], ['no-such', false]];
  for (const [id, on] of table) assert.equal(featureEnabled(t, TEST_VOCABULARY, id), on, id);
});

test('the resolver maps rule symbols through networks', () => {
  const t = parseTopology('networks:\n  VirtualNetwork: [10.0.0.0/16]\n  sg-0abc: [10.0.2.0/24]\n  tag:web: [10.0.7.0/24]\n', 'x', TEST_VOCABULARY);
  const resolve = topologyResolver(t);
  const table: [Parameters<typeof resolve>[0], string | undefined][] = [
    [{ kind: 'service-tag', name: 'VirtualNetwork' }, '10.0.0.0/16'],
    [{ kind: 'service-tag', name: 'virtualnetwork' }, '10.0.0.0/16'],
    [{ kind: 'security-group', name: 'sg-0abc' }, '10.0.2.0/24'],
    [{ kind: 'network-tag', name: 'web' }, '10.0.7.0/24'],
    [{ kind: 'service-tag', name: 'Internet' }, undefined],
  ];
  for (const [symbol, expected] of table) assert.equal(resolve(symbol)?.toString(), expected, symbol.name);
  const rule = AddressSet.symbol('service-tag', 'VirtualNetwork').union(AddressSet.symbol('service-tag', 'Internet'));
  assert.equal(rule.resolve(resolve).toString(), '10.0.0.0/16, Internet', 'unknown tags stay symbolic');
});

test('never throws, whatever the text', () => {
  const inputs = [
    '', '\uFEFF', ':', '- - -', '[', '{', '"', 'roles: *nope', 'a: &x [*x]', 'roles: &r { vda: *r }', '? [a, b]\n: c\n',
    'roles:\n  vda: !!binary aGk=\n', 'bindings:\n  - *missing\n', '\t\troles:', 'roles: { vda: { addresses: { a: 1 } } }',
    '%YAML 1.2\n---\nroles: {}\n---\nroles: {}\n', 'checks: { missing-flow: [error] }', 'versions: { wem: [1] }',
    'x'.repeat(10000), 'roles:\n' + '  vda: [10.0.0.1]\n'.repeat(2000),
  ];
  for (const text of inputs) {
    const t = parseTopology(text, 'x', TEST_VOCABULARY);
    assert.ok(Array.isArray(t.problems), JSON.stringify(text.slice(0, 40)));
    for (const p of t.problems) assert.ok(p.span.start >= 0 && p.span.end <= text.length && p.span.start <= p.span.end, `${p.message} in bounds`);
  }
});

test('a large citrix-flows.yaml is read whole, well within a hang guard', () => {
  const roles = Array.from({ length: 5000 }, (_, i) => `  vda: [10.${i >> 8}.${i & 255}.0/24]`).join('\n');
  const bindings = Array.from({ length: 5000 }, (_, i) => `  - { files: "f${i}/*.tf", roles: [vda] }`).join('\n');
  const text = `roles:\n${roles.replace('  vda', '  vda')}\nbindings:\n${bindings}\n`;
  const t0 = performance.now();
  const t = parseTopology(text, 'x', TEST_VOCABULARY);
  const ms = performance.now() - t0;
  assert.equal(t.bindings.length, 5000);
  // 4,999 duplicates: the first 200 are listed (TOPOLOGY_LIMITS.maxProblems), the rest counted in one.
  assert.equal(t.problems.filter((p) => p.code === 'duplicate-key').length, 200);
  assert.equal(t.problems.filter((p) => p.code === 'limit').map((p) => p.message).join(), '4,799 more problems in citrix-flows.yaml are not listed (the first 200 are)');
  // A hang guard only: growth with size is measured in the bench (bench/growth.mjs).
  assert.ok(ms < HANG_GUARD_MS, `took ${ms.toFixed(0)} ms`);
});
