import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { parseAs } from '../../../server/src/formats';
import { applyEdits } from '../../../server/src/model/edits';
import { fixturePath } from '../../helpers/fixtures';

/**
 * JSON CloudFormation templates take no comments, so no role annotation can
 * be written in them and fixes.test.ts (which also checks the "Disable" fix)
 * cannot hold them: here the VDA role is bound on the command line's way
 * (citrix-flows.yaml `bindings`), and "Allow all missing flows" must give
 * valid JSON, no new parse problem, no flow still missing, and the
 * `<input>.fixed` a person checked.
 */
const dir = fixturePath('fixes', 'cloudformation-json');
const TOPOLOGY = `${fs.readFileSync(path.join(dir, 'citrix-flows.yaml'), 'utf8')}bindings:\n  - { files: "*.json", ruleSet: VdaSecurityGroup, roles: [vda] }\n  - { files: "nacl.json", ruleSet: VdaAcl, roles: [vda] }\n`;
const FLOW_CHECKS = new Set(['missing-flow', 'partial-flow', 'edt-needs-udp']);

for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  test(`cloudformation JSON ${name}: "Allow all missing flows" writes valid JSON that re-parses with the flows allowed`, () => {
    const input = path.join(dir, name);
    const text = fs.readFileSync(input, 'utf8');
    const uri = `file:///ws/${name}`;
    const topology = readTopology(TOPOLOGY, 'file:///ws/citrix-flows.yaml');
    const first = parseAs('cloudformation', text, uri);
    const analysis = analyzeParsed([first], topology);
    const findings = analysis.findings.filter((f) => FLOW_CHECKS.has(f.checkId) && f.uri === uri);
    assert.ok(findings.length > 0, `${name} must have a blocked flow to fix: ${analysis.findings.map((f) => f.message).join('; ')}`);
    assert.equal(fixesFor(findings[0], analysis).find((f) => f.title.startsWith('Disable ')), undefined, 'a JSON template takes no comment, so no "Disable" fix');
    const all = fixesFor(findings[0], analysis, { all: true }).find((f) => f.kind === 'source.citrix-flow-lint.allowMissingFlows');
    assert.ok(all, 'no fix-all action');
    const fixed = applyEdits(text, all.edits);
    JSON.parse(fixed);
    const second = parseAs('cloudformation', fixed, uri);
    assert.deepEqual(second.problems.map((p) => p.message), first.problems.map((p) => p.message), 'the fix introduced parse problems');
    const left = analyzeParsed([second], topology).findings.filter((f) => FLOW_CHECKS.has(f.checkId) && f.uri === uri);
    assert.deepEqual(left.map((f) => f.message), [], 'flows still blocked after "allow all"');
    const snapshot = `${input}.fixed`;
    if (process.env.UPDATE_SNAPSHOTS === '1') fs.writeFileSync(snapshot, fixed);
    assert.equal(fixed, fs.readFileSync(snapshot, 'utf8'));
  });
}
