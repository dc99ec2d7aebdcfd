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

test('a subnet ACL and a group become stages only when the group is all the subnet holds', async () => {
  const { parseAs } = await import('../../../server/src/formats');
  const base = fs.readFileSync(fixturePath('cloudformation', 'subnet-acl-stages.yaml'), 'utf8');
  const stagesOf = (text: string): string[] =>
    parseAs('cloudformation', text, 'file:///ws/t.yaml')
      .ruleSets.filter((rs) => rs.stage)
      .map((rs) => `${rs.id}:${rs.stage?.group}:${rs.stage?.order}`)
      .sort();
  assert.deepEqual(stagesOf(base), ['VdaGroup:subnets of VdaSubnetAcl:1', 'VdaSubnetAcl:subnets of VdaSubnetAcl:0']);
  // A second group's instance in the same subnet: an instance's groups are not stages of each other, so none are joined.
  const otherGroup = `${base}  OtherGroup:\n    Type: AWS::EC2::SecurityGroup\n    Properties: { GroupDescription: other, VpcId: vpc-0abc }\n  Other1:\n    Type: AWS::EC2::Instance\n    Properties: { ImageId: ami-0abc, SubnetId: !Ref VdaSubnet, SecurityGroupIds: [!Ref OtherGroup] }\n`;
  assert.deepEqual(stagesOf(otherGroup), []);
  // The group also in a subnet with no ACL association here: which ACL its instances meet is not one.
  const twoSubnets = `${base}  OtherSubnet:\n    Type: AWS::EC2::Subnet\n    Properties: { VpcId: vpc-0abc, CidrBlock: 10.2.0.0/24 }\n  Vda2:\n    Type: AWS::EC2::Instance\n    Properties: { ImageId: ami-0abc, SubnetId: !Ref OtherSubnet, SecurityGroupIds: [!Ref VdaGroup] }\n`;
  assert.deepEqual(stagesOf(twoSubnets), []);
  // Through a network interface, as ADC templates attach their groups.
  const viaNic = base.replace(/  Vda1:\n[\s\S]*?(?=# Hand-worked)/, '  VdaNic:\n    Type: AWS::EC2::NetworkInterface\n    Properties: { SubnetId: !Ref VdaSubnet, GroupSet: [!Ref VdaGroup] }\n');
  assert.notEqual(viaNic, base);
  assert.deepEqual(stagesOf(viaNic), stagesOf(base));
});
