import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS, ENGINE_DIAGNOSTICS, allCheckIds } from '../../../server/src/analysis/checks';
import { assertSnapshot, repoRoot } from '../../helpers/fixtures';
import { analyzeExample, exampleFiles, findingLine, shown, type ShownFinding } from './checkCases';

/** internal-error cannot be provoked from a file: its page says so, and a unit test provokes it instead. */
const NO_EXAMPLE = new Set(['internal-error']);

const FENCE_LANGUAGE: Record<string, string> = { tf: 'hcl', bicep: 'bicep', json: 'json', yaml: 'yaml', ps1: 'powershell', rules: 'text', asa: 'text', nft: 'text' };

function docPath(id: string): string {
  return path.join(repoRoot(), 'docs', 'checks', `${id}.md`);
}

/**
 * The fenced block after `<!-- <kind>: <name> -->` in a doc page. With
 * UPDATE_SNAPSHOTS=1 the block is rewritten from the fixture instead, so the
 * page is generated from the very files the tests run.
 */
function docBlock(id: string, kind: 'example' | 'findings', name: string, expected: string, language: string): void {
  const file = docPath(id);
  const doc = fs.readFileSync(file, 'utf8');
  const marker = `<!-- ${kind}: ${name} -->`;
  const at = doc.indexOf(marker);
  assert.ok(at >= 0, `docs/checks/${id}.md has no ${marker}`);
  const open = doc.indexOf('\n', at) + 1;
  const fenceEnd = doc.indexOf('\n', open);
  const fence = /^(`{3,})/.exec(doc.slice(open, fenceEnd))?.[1];
  assert.ok(fence, `${marker} in docs/checks/${id}.md must be followed by a fenced code block`);
  const close = doc.indexOf(`\n${fence}\n`, fenceEnd);
  const body = close === fenceEnd ? '' : doc.slice(fenceEnd + 1, close + 1);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    const updated = `${doc.slice(0, open)}${fence}${language}\n${expected}${doc.slice(close + 1)}`;
    fs.writeFileSync(file, updated);
    return;
  }
  assert.equal(body, expected, `the ${kind} block "${name}" in docs/checks/${id}.md differs from the fixture; run with UPDATE_SNAPSHOTS=1`);
}

for (const id of allCheckIds()) {
  if (NO_EXAMPLE.has(id)) continue;
  const { bad, good, topology } = exampleFiles(id);

  test(`${id}: the bad example produces exactly its findings`, async () => {
    assert.ok(bad, `test/fixtures/checks/${id}/bad.* is missing`);
    const { analysis, texts } = await analyzeExample(bad, topology);
    const mine = shown(analysis.findings, texts).filter((f) => f.checkId === id);
    assert.ok(mine.length > 0, `${path.basename(bad)} produces no ${id} finding`);
    assertSnapshot(bad, mine);
    assert.deepEqual(analysis.findings.filter((f) => f.checkId === 'internal-error'), []);
  });

  test(`${id}: the good example produces none of them`, async () => {
    assert.ok(good, `test/fixtures/checks/${id}/good.* is missing`);
    const { analysis, texts } = await analyzeExample(good, topology);
    assert.deepEqual(shown(analysis.findings, texts).filter((f) => f.checkId === id || f.checkId === 'internal-error'), []);
  });

  test(`${id}: the doc page shows the examples and their findings as they are`, () => {
    assert.ok(bad && good);
    for (const file of [topology, bad, good]) {
      if (!file) continue;
      const name = path.basename(file);
      docBlock(id, 'example', name, fs.readFileSync(file, 'utf8'), FENCE_LANGUAGE[name.slice(name.lastIndexOf('.') + 1)] ?? 'text');
    }
    const expected = JSON.parse(fs.readFileSync(`${bad}.expected.json`, 'utf8')) as ShownFinding[];
    docBlock(id, 'findings', path.basename(bad), `${expected.map(findingLine).join('\n')}\n`, 'text');
  });
}

test('every check and engine diagnostic has a doc page, and every page a check', () => {
  const pages = fs
    .readdirSync(path.join(repoRoot(), 'docs', 'checks'))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -3))
    .sort();
  assert.deepEqual(pages, [...allCheckIds()].sort());
  for (const def of [...CHECKS, ...ENGINE_DIAGNOSTICS]) {
    const doc = fs.readFileSync(docPath(def.id), 'utf8');
    assert.ok(doc.startsWith(`# ${def.id}\n`), `docs/checks/${def.id}.md starts with "# ${def.id}"`);
    assert.ok(doc.includes(`Default severity: **${def.defaultSeverity}**`), `docs/checks/${def.id}.md states its default severity ${def.defaultSeverity}`);
  }
});

test('every check folder under test/fixtures/checks is a registered check', () => {
  const folders = fs.readdirSync(path.join(repoRoot(), 'test', 'fixtures', 'checks')).sort();
  assert.deepEqual(folders, allCheckIds().filter((id) => !NO_EXAMPLE.has(id)).sort());
});

/**
 * package.json `contributes.configuration` gets a `citrixFlowLint.checks.<id>`
 * setting per check from the editor work; until that block exists only the
 * registry and docs are compared.
 */
test('the settings in package.json match the registry', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    contributes?: { configuration?: { properties?: Record<string, unknown> } | { properties?: Record<string, unknown> }[] };
  };
  const blocks = manifest.contributes?.configuration;
  const properties = Object.assign({}, ...(Array.isArray(blocks) ? blocks : blocks ? [blocks] : []).map((b) => b.properties ?? {})) as Record<string, unknown>;
  const prefix = 'citrixFlowLint.checks.';
  // Either one setting per check, or one `citrixFlowLint.checks` object whose properties are the checks.
  const nested = (properties['citrixFlowLint.checks'] as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const settings = [...Object.keys(properties).filter((k) => k.startsWith(prefix)), ...Object.keys(nested).map((k) => `${prefix}${k}`)];
  assert.deepEqual(settings.map((k) => k.slice(prefix.length)).sort(), [...allCheckIds()].sort());
});
