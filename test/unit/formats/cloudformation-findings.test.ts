import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { assertSnapshot, fixtureInputs, fixturePath } from '../../helpers/fixtures';
import { findingLine, shown } from '../checks/checkCases';

/**
 * The findings each CloudFormation fixture gives with the roles its
 * `# citrix-role:` comments declare (no citrix-flows.yaml), as the CLI shows
 * them; the snapshots sit in test/fixtures/cloudformation-findings/<fixture>.expected.json.
 */
for (const file of fixtureInputs('cloudformation')) {
  test(`cloudformation findings: ${path.basename(file)}`, () => {
    const text = fs.readFileSync(file, 'utf8');
    const uri = pathToFileURL(file).toString();
    const parsed = parseSource({ uri, text });
    if (!parsed) throw new Error(`${file} is not detected as a format we read`);
    // Declared roles only: what inference assumes is tested in test/unit/topology and test/unit/analysis/zeroconf.test.ts.
    const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { workspaceRoot: path.dirname(file), reportUnmatchedBindings: false, infer: false });
    const lines = shown(analysis.findings, new Map([[uri, text]])).map((f) => `${f.checkId} ${findingLine(f)}`);
    assertSnapshot(fixturePath('cloudformation-findings', path.basename(file)), { format: parsed.format, findings: lines });
  });
}

test('a JSON template declares a role in a resource Metadata string, which binds that group only', () => {
  const group = (id: string, metadata: string): string =>
    `"${id}": {"Type": "AWS::EC2::SecurityGroup",${metadata} "Properties": {"GroupDescription": "pool", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 1494, "ToPort": 1494, "CidrIp": "10.30.0.0/24"}]}}`;
  const text = `{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {${group('PoolOne', ' "Metadata": {"Comment": "citrix-role: vda"},')}, ${group('PoolTwo', '')}}}`;
  const parsed = parseSource({ uri: 'file:///ws/pools.json', text });
  assert.ok(parsed);
  const analysis = analyzeParsed([parsed], readTopology(undefined, undefined), { workspaceRoot: '/ws', reportUnmatchedBindings: false, infer: false });
  assert.deepEqual(analysis.binding.bound.map((b) => [b.ruleSet.id, b.roles, b.via]), [['PoolOne', ['vda'], 'annotation']]);
});
