import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import { repoRoot } from '../../helpers/fixtures';

/** Roles at both ends of many catalog flows, so every check has work to do on every rule set. */
const ROLES = ['vda', 'storefront', 'delivery-controller', 'gateway-snip', 'adc-nsip', 'license-server', 'wem-infrastructure'];

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full);
    return e.name.endsWith('.expected.json') ? [] : [full];
  });
}

test('no check fails on any fixture of any format', async () => {
  await initTreeSitter();
  const root = path.join(repoRoot(), 'test', 'fixtures');
  let analysed = 0;
  const failures: string[] = [];
  for (const file of walk(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const parsed = parseSource({ uri: pathToFileURL(file).toString(), text });
    if (!parsed) continue;
    analysed++;
    // With every role bound and with none: some checks only run on roles, some only without.
    for (const commandLineRoles of [ROLES, []]) {
      const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { commandLineRoles, reportUnmatchedBindings: false });
      for (const f of analysis.findings.filter((x) => x.checkId === 'internal-error')) failures.push(`${path.relative(root, file)}: ${f.message.split('\n')[0]}`);
    }
  }
  assert.ok(analysed > 100, `only ${analysed} fixture files were read`);
  assert.deepEqual(failures, []);
});
