import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { repoRoot } from './repo';

const root = repoRoot();
const catalogDir = path.join(root, 'catalog');
const schema = JSON.parse(readFileSync(path.join(catalogDir, 'schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const yamlFiles = readdirSync(catalogDir).filter((f) => f.endsWith('.yaml')).sort();
const read = (name: string): unknown => parse(readFileSync(path.join(catalogDir, name), 'utf8'));

test('the catalog has one file per seed section plus roles and features', () => {
  assert.equal(yamlFiles.length, 15 + 2, yamlFiles.join(', '));
  assert.ok(yamlFiles.includes('roles.yaml') && yamlFiles.includes('features.yaml'));
});

for (const name of yamlFiles) {
  test(`schema accepts catalog/${name}`, () => {
    const ok = validate(read(name));
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });
}

const adc = read('adc.yaml') as { flows: Record<string, unknown>[] };
const broken: [string, (flow: Record<string, unknown>) => void][] = [
  ['an unknown protocol', (f) => { f.protocols = ['sctp']; }],
  ['a port above 65535', (f) => { f.ports = [70000]; }],
  ['a misspelled condition', (f) => { f.conditions = ['feat:ha']; }],
  ['an unknown tag', (f) => { f.tags = ['secure']; }],
  ['a flow without its seed row', (f) => { delete f.seedRow; }],
  ['an unexpected field', (f) => { f.port = 80; }],
];
for (const [what, breakIt] of broken) {
  test(`schema rejects ${what}`, () => {
    const copy = structuredClone(adc);
    breakIt(copy.flows[0]);
    assert.equal(validate(copy), false);
  });
}

test('the catalog build fails, naming the problem, on a dangling role and a duplicate flow id', (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cfl-catalog-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  cpSync(catalogDir, path.join(tmp, 'catalog'), { recursive: true });
  const wemFile = path.join(tmp, 'catalog', 'wem.yaml');
  const wem = readFileSync(wemFile, 'utf8')
    .replace('destination: wem-agent\n', 'destination: wem-agnet\n')
    .replace('id: wem.wem-agent-to-wem-infrastructure.cached-data-sync', 'id: wem.wem-agent-to-wem-infrastructure.cache-sync');
  writeFileSync(wemFile, wem);
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-catalog.mjs'), '--root', tmp, '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /unknown role 'wem-agnet'/);
  assert.match(run.stderr, /duplicate flow id 'wem\.wem-agent-to-wem-infrastructure\.cache-sync'/);
  assert.match(run.stderr, /catalog\/wem\.yaml:\d+/);
});

test('the real catalog passes the build checks', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-catalog.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('docs/catalog.md is regenerated from the current catalog', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'gen-catalog-doc.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stderr}${run.stdout}`);
});

test('package.json offers the schema for catalog files', () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const entries: { fileMatch: string | string[]; url: string }[] = manifest.contributes?.yamlValidation ?? [];
  assert.ok(entries.some((e) => [e.fileMatch].flat().includes('catalog/*.yaml') && e.url === './catalog/schema.json'), JSON.stringify(entries));
});
