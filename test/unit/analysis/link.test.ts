import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { LineIndex } from '../../../server/src/model';
import { fixturePath } from '../../helpers/fixtures';

test('a rule resource in another file of the module joins its group, and findings point into that file', async () => {
  await initTreeSitter();
  const dir = fixturePath('link', 'azure');
  const files = ['main.tf', 'rules.tf'].map((name) => {
    const full = path.join(dir, name);
    return parseAs('terraform', fs.readFileSync(full, 'utf8'), pathToFileURL(full).toString());
  });
  assert.equal(files[1].ruleSets[0]?.meta?.declared, 'elsewhere', 'the parser alone cannot see the group');
  const yaml = fixturePath('link', 'citrix-flows.yaml');
  const topology = readTopology(fs.readFileSync(yaml, 'utf8'), pathToFileURL(yaml).toString());
  const analysis = analyzeParsed(files, topology, { workspaceRoot: fixturePath('link') });
  assert.deepEqual(analysis.files.map((f) => f.ruleSets.map((rs) => rs.id)), [['azurerm_network_security_group.vda'], []]);
  const missing = analysis.findings.filter((f) => f.checkId === 'missing-flow');
  assert.ok(missing.length >= 3, `expected the deny in rules.tf to block flows, got ${missing.length}`);
  for (const f of missing) {
    assert.equal(path.basename(f.uri), 'rules.tf');
    // The squiggle is on the deciding rule's name (line 2 of rules.tf); the whole rule, from line 1, is related information.
    assert.equal(new LineIndex(files[1].text).positionAt(f.span.start).line, 1);
    assert.equal(files[1].text.slice(f.span.start, f.span.end), 'DenyAllInbound');
    assert.ok(f.related?.some((r) => path.basename(r.uri) === 'rules.tf' && new LineIndex(files[1].text).positionAt(r.span.start).line === 0));
    assert.match(f.message, /blocked by DenyAllInbound \(priority 4000\)/);
  }
  assert.ok(!analysis.findings.some((f) => f.checkId === 'internal-error'));
});
