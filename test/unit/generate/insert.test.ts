import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { analyzeParsed } from '../../../server/src/analysis/analyze';
import { generateInto } from '../../../server/src/generate';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { applyEdits, type FormatId } from '../../../server/src/model';
import { fixturePath } from '../../helpers/fixtures';
import { examplesTopology } from './harness';

/**
 * "Insert rules for role…" on the examples' own files: the rules go into the
 * rule set under the cursor in the file's style, ahead of every deny the
 * file already has, with priorities that collide with none of its own, and
 * afterwards every required flow of the role is allowed.
 */
before(async () => {
  await initTreeSitter();
});

const topology = examplesTopology();
const examples = path.join(fixturePath(), '..', '..', 'examples');

const CASES: { file: string; format: FormatId; role: string; cursorAfter: string }[] = [
  { file: 'terraform/azure/main.tf', format: 'terraform', role: 'vda', cursorAfter: 'security_rule {' },
  { file: 'bicep/vda-pool-b.bicep', format: 'bicep', role: 'vda', cursorAfter: 'securityRules' },
  { file: 'linux/linux-vda/rules.v4', format: 'iptables', role: 'vda', cursorAfter: ':INPUT' },
  { file: 'windows/storefront.ps1', format: 'windows-firewall', role: 'storefront', cursorAfter: 'New-NetFirewallRule' },
];

for (const c of CASES) {
  test(`insert rules for ${c.role} into examples/${c.file}`, () => {
    const text = fs.readFileSync(path.join(examples, c.file), 'utf8');
    const uri = `file:///examples/${c.file}`;
    const file = parseAs(c.format, text, uri);
    const offset = text.indexOf(c.cursorAfter) + c.cursorAfter.length;
    const result = generateInto(file, offset, { roles: [c.role], topology });
    if ('error' in result) assert.fail(result.error);
    const after = parseAs(c.format, applyEdits(text, result.edits), uri);
    assert.deepEqual(after.problems.filter((p) => p.severity === 'error').map((p) => p.message), file.problems.filter((p) => p.severity === 'error').map((p) => p.message), 'no new parse error');
    for (const rs of after.ruleSets) {
      for (const dir of rs.directions) {
        const priorities = rs.rules.filter((r) => !r.implicit && r.direction === dir && r.priority).map((r) => r.priority!.value);
        assert.equal(new Set(priorities).size, priorities.length, `${rs.name} ${dir}: priorities collide: ${priorities.join(',')}`);
      }
    }
    const analysis = analyzeParsed([after], topology, { commandLineRoles: [c.role] });
    // The role's own flows: another role's flows that merely cross this rule set on their way (onPath) are not what was generated.
    const notAllowed = analysis.required.filter((r) => !r.onPath && r.result.verdict !== 'allowed').map((r) => `${r.flow.id} ${r.direction}: ${r.result.verdict}`);
    assert.deepEqual(notAllowed, []);
  });
}
