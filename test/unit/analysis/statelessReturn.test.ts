import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';

/**
 * An AWS network ACL is stateless: a flow it lets in still fails when the
 * replies (the other direction, to the client's ephemeral ports 1024-65535)
 * are not allowed. Each case: an ACL, a flow, the verdict and what the
 * reasons must name.
 */
before(async () => {
  await initTreeSitter();
});

const cfnAcl = (egress: string): string =>
  [
    "AWSTemplateFormatVersion: '2010-09-09'",
    'Resources:',
    '  Acl:',
    '    Type: AWS::EC2::NetworkAcl',
    '    Properties: { VpcId: vpc-1 }',
    '  In:',
    '    Type: AWS::EC2::NetworkAclEntry',
    '    Properties: { NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow, CidrBlock: 10.0.0.0/24, PortRange: { From: 1494, To: 1494 } }',
    egress,
    '',
  ].join('\n');

const tfAcl = (egress: string): string =>
  `resource "aws_network_acl" "a" {\n  ingress {\n    protocol   = "tcp"\n    rule_no    = 100\n    action     = "allow"\n    cidr_block = "10.0.0.0/24"\n    from_port  = 1494\n    to_port    = 1494\n  }\n${egress}}\n`;

const cases: { name: string; format: FormatId; text: string; flow: string; verdict: string; reason?: RegExp }[] = [
  { name: 'CloudFormation: no egress entry, the replies hit the final deny', format: 'cloudformation', text: cfnAcl(''), flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494', verdict: 'denied', reason: /return path is denied: Acl is stateless.*outbound rule for TCP to ports 1024-65535/ },
  {
    name: 'CloudFormation: egress to the ephemeral ports lets the replies out',
    format: 'cloudformation',
    text: cfnAcl('  Out:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: { NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: 6, RuleAction: allow, CidrBlock: 10.0.0.0/24, PortRange: { From: 1024, To: 65535 } }'),
    flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494',
    verdict: 'allowed',
  },
  {
    name: 'CloudFormation: egress to 32768-65535 only covers part of the replies',
    format: 'cloudformation',
    text: cfnAcl('  Out:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: { NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: 6, RuleAction: allow, CidrBlock: 10.0.0.0/24, PortRange: { From: 32768, To: 65535 } }'),
    flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494',
    verdict: 'partial',
    reason: /return path is only partly allowed/,
  },
  { name: 'CloudFormation: a flow the ACL denies on the way in stays denied', format: 'cloudformation', text: cfnAcl(''), flow: 'in tcp 192.0.2.1 -> 10.0.2.5:1494', verdict: 'denied' },
  { name: 'Terraform: no egress block', format: 'terraform', text: tfAcl(''), flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494', verdict: 'denied', reason: /ports 1024-65535/ },
  {
    name: 'Terraform: an egress deny before the allow blocks the replies',
    format: 'terraform',
    text: tfAcl('  egress {\n    protocol   = "-1"\n    rule_no    = 10\n    action     = "deny"\n    cidr_block = "0.0.0.0/0"\n    from_port  = 0\n    to_port    = 0\n  }\n  egress {\n    protocol   = "tcp"\n    rule_no    = 20\n    action     = "allow"\n    cidr_block = "0.0.0.0/0"\n    from_port  = 1024\n    to_port    = 65535\n  }\n'),
    flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494',
    verdict: 'denied',
    reason: /return path is denied/,
  },
  {
    name: 'Terraform: egress allows the replies',
    format: 'terraform',
    text: tfAcl('  egress {\n    protocol   = "tcp"\n    rule_no    = 20\n    action     = "allow"\n    cidr_block = "0.0.0.0/0"\n    from_port  = 1024\n    to_port    = 65535\n  }\n'),
    flow: 'in tcp 10.0.0.5 -> 10.0.2.5:1494',
    verdict: 'allowed',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const file = parseAs(c.format, c.text, `file:///ws/acl.${c.format === 'terraform' ? 'tf' : 'yaml'}`);
    assert.deepEqual(file.problems.filter((p) => p.severity !== 'info').map((p) => p.message), []);
    assert.equal(file.ruleSets.length, 1);
    const result = evaluate(file.ruleSets, flow(c.flow));
    assert.equal(result.verdict, c.verdict, result.reasons.join('; '));
    if (c.reason) assert.match(result.reasons.join('\n'), c.reason);
  });
}

test('a security group is stateful: its verdict is not touched by the return path', () => {
  const file = parseAs('cloudformation', "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - { IpProtocol: tcp, FromPort: 1494, ToPort: 1494, CidrIp: 10.0.0.0/24 }\n      SecurityGroupEgress:\n        - { IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.9.0.0/16 }\n", 'file:///ws/sg.yaml');
  assert.equal(evaluate(file.ruleSets, flow('in tcp 10.0.0.5 -> 10.0.2.5:1494')).verdict, 'allowed');
});

import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';

test('a required flow whose replies a stateless ACL drops is missing, and the message says it is the way back', () => {
  // Before, the replies' denials were cut by the flow's port and vanished, so a StoreFront on 443 behind an
  // ACL without egress read "allowed" (the replies go to 1024-65535, not to 443).
  const acl =
    '# citrix-role: storefront\nresource "aws_network_acl" "sf" {\n  ingress {\n    protocol   = "tcp"\n    rule_no    = 100\n    action     = "allow"\n    cidr_block = "10.0.0.0/16"\n    from_port  = 443\n    to_port    = 443\n  }\n}\n';
  const file = parseAs('terraform', acl, 'file:///ws/sf.tf');
  const topology = readTopology('roles:\n  storefront: [10.0.1.10]\n  workspace-app: [10.0.50.0/24]\n', 'file:///ws/citrix-flows.yaml');
  const a = analyzeParsed([file], topology, { workspaceRoot: '/ws' });
  const https = a.required.find((c) => c.flow.id === 'cvad.workspace-app-to-storefront.storefront-https');
  assert.equal(https?.result.verdict, 'denied', https?.result.reasons.join('; '));
  const finding = a.findings.find((f) => f.checkId === 'missing-flow' && f.flowId === 'cvad.workspace-app-to-storefront.storefront-https');
  assert.match(finding?.message ?? '', /TCP 443 not allowed by any rule of aws_network_acl\.sf on the way back|TCP 443 blocked by .* on the way back/);
  // With the egress rule for the replies, the flow is allowed.
  const fixed = acl.replace(/\n}\n$/, '\n  egress {\n    protocol   = "tcp"\n    rule_no    = 100\n    action     = "allow"\n    cidr_block = "10.0.0.0/16"\n    from_port  = 1024\n    to_port    = 65535\n  }\n}\n');
  const b = analyzeParsed([parseAs('terraform', fixed, 'file:///ws/sf.tf')], topology, { workspaceRoot: '/ws' });
  assert.equal(b.required.find((c) => c.flow.id === 'cvad.workspace-app-to-storefront.storefront-https')?.result.verdict, 'allowed');
});

test('a flow half let in (TCP yes, UDP no) whose TCP replies the ACL drops is denied, not "partly allowed"', () => {
  // Before, the TCP part carried both the allowing entry and the replies' denial, which reads as partly open.
  const file = parseAs('terraform', tfAcl(''), 'file:///ws/acl.tf');
  const result = evaluate(file.ruleSets, flow('in tcp,udp 10.0.0.5 -> 10.0.2.5:1494'));
  assert.equal(result.verdict, 'denied', result.reasons.join('; '));
  const tcp = result.decisions.filter((d) => d.part.protocols.has(6));
  assert.deepEqual([...new Set(tcp.map((d) => `${d.outcome}${d.reply ? ' (reply)' : ''}`))], ['deny (reply)']);
  // UDP is denied on the way in; its replies would be dropped too, so both denials are there for a fix to answer.
  const udp = result.decisions.filter((d) => d.part.protocols.has(17));
  assert.deepEqual([...new Set(udp.map((d) => `${d.outcome}${d.reply ? ' (reply)' : ''}`))].sort(), ['deny', 'deny (reply)']);
});

test('a flow the ACL denies both ways carries both denials', () => {
  const file = parseAs('terraform', tfAcl(''), 'file:///ws/acl.tf');
  const result = evaluate(file.ruleSets, flow('in tcp 192.0.2.1 -> 10.0.2.5:1494'));
  assert.equal(result.verdict, 'denied');
  assert.deepEqual(result.decisions.map((d) => `${d.outcome}${d.reply ? ' (reply)' : ''}`).sort(), ['deny', 'deny (reply)']);
});
