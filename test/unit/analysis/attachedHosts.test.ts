// Where AWS network ACLs and security groups sit, read from the template itself: an ACL in front of the subnets it
// is associated with (literal CIDRs), a group in front of the instances and interfaces it is the only group of
// (literal private addresses), an Azure NSG only on NICs in front of their static addresses. The hand-worked
// site test/fixtures/sites/attached-hosts/aws.tf: the ACL admits only 1494 from the DMZ, the group 1494 from the SNIP.
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { pathHops, walkPath, type PathQuery } from '../../../server/src/analysis/sitePath';
import { flow } from '../../../server/src/analysis/evaluate';
import { loadAndAnalyze } from '../../../server/src/engine/batch';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId, ParsedFile } from '../../../server/src/model';
import * as fs from 'node:fs';
import { fixturePath } from '../../helpers/fixtures';

const readFixture = (...parts: string[]): string => fs.readFileSync(fixturePath(...parts), 'utf8');

before(async () => {
  await initTreeSitter();
});

const SITE = fixturePath('sites', 'attached-hosts');

function guardsOf(file: ParsedFile): Record<string, string[]> {
  return Object.fromEntries(file.ruleSets.map((rs) => [rs.name, (rs.guardedNetworks ?? []).map((g) => `${g.kind ?? 'subnet'} ${g.name} ${g.addresses}`)]));
}

test('aws.tf: the ACL guards its subnet, the group the one instance it is attached to', () => {
  const file = parseAs('terraform' as FormatId, readFixture('sites', 'attached-hosts', 'aws.tf'), 'file:///ws/aws.tf');
  assert.deepEqual(guardsOf(file), {
    'aws_network_acl.apps': ['subnet aws_subnet.apps 10.0.2.0/24'],
    'aws_security_group.app_host': ['host aws_instance.app_a 10.0.2.10'],
  });
});

const TWO_GROUPS = `
resource "aws_security_group" "app_host" {
  vpc_id = "vpc-0abc"
}
resource "aws_security_group" "monitoring" {
  vpc_id = "vpc-0abc"
}
resource "aws_instance" "app_b" {
  ami                    = "ami-0abc"
  private_ip             = "10.0.2.11"
  vpc_security_group_ids = [aws_security_group.app_host.id, aws_security_group.monitoring.id]
}
`;

const cases: readonly { name: string; text: string; format: string; guards: Record<string, string[]> }[] = [
  {
    // An instance's groups are one union of allows: walking them one after the other would be an intersection.
    name: 'an instance with two groups places neither',
    format: 'terraform',
    text: TWO_GROUPS,
    guards: { 'aws_security_group.app_host': [], 'aws_security_group.monitoring': [] },
  },
  {
    name: 'an address that is not a literal places nothing',
    format: 'terraform',
    text: 'variable "ip" {}\nresource "aws_security_group" "g" {\n  vpc_id = "v"\n}\nresource "aws_instance" "i" {\n  private_ip = var.ip\n  vpc_security_group_ids = [aws_security_group.g.id]\n}\n',
    guards: { 'aws_security_group.g': [] },
  },
  {
    name: 'a group on one interface and on an instance with a variable address is placed nowhere: part of its hosts is not known',
    format: 'terraform',
    text: 'variable "ip" {}\nresource "aws_security_group" "g" {\n  vpc_id = "v"\n}\nresource "aws_network_interface" "n" {\n  private_ips = ["10.0.2.20"]\n  security_groups = [aws_security_group.g.id]\n}\nresource "aws_instance" "i" {\n  private_ip = var.ip\n  vpc_security_group_ids = [aws_security_group.g.id]\n}\n',
    guards: { 'aws_security_group.g': [] },
  },
  {
    name: 'an interface with its addresses, and a group attached by aws_network_interface_sg_attachment',
    format: 'terraform',
    text: 'resource "aws_security_group" "g" {\n  vpc_id = "v"\n}\nresource "aws_network_interface" "n" {\n  private_ips = ["10.0.2.20", "10.0.2.21"]\n}\nresource "aws_network_interface_sg_attachment" "a" {\n  security_group_id    = aws_security_group.g.id\n  network_interface_id = aws_network_interface.n.id\n}\n',
    guards: { 'aws_security_group.g': ['host aws_network_interface.n 10.0.2.20/31'] },
  },
  {
    name: 'an ACL with one subnet whose CIDR is not known places nothing',
    format: 'terraform',
    text: 'variable "apps_cidr" {}\nresource "aws_subnet" "a" {\n  cidr_block = "10.0.2.0/24"\n}\nresource "aws_subnet" "b" {\n  cidr_block = var.apps_cidr\n}\nresource "aws_network_acl" "n" {\n  vpc_id = "v"\n  subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]\n}\n',
    guards: { 'aws_network_acl.n': [] },
  },
  {
    name: 'CloudFormation: a subnet\'s ACL, an instance\'s only group, an interface\'s group',
    format: 'cloudformation',
    text: [
      'AWSTemplateFormatVersion: "2010-09-09"',
      'Resources:',
      '  Apps:',
      '    Type: AWS::EC2::Subnet',
      '    Properties: { VpcId: vpc-0abc, CidrBlock: 10.0.2.0/24 }',
      '  AppsAcl:',
      '    Type: AWS::EC2::NetworkAcl',
      '    Properties: { VpcId: vpc-0abc }',
      '  AppsAclAssociation:',
      '    Type: AWS::EC2::SubnetNetworkAclAssociation',
      '    Properties: { SubnetId: !Ref Apps, NetworkAclId: !Ref AppsAcl }',
      '  HostGroup:',
      '    Type: AWS::EC2::SecurityGroup',
      '    Properties: { GroupDescription: app hosts, VpcId: vpc-0abc }',
      '  NicGroup:',
      '    Type: AWS::EC2::SecurityGroup',
      '    Properties: { GroupDescription: nic, VpcId: vpc-0abc }',
      '  AppA:',
      '    Type: AWS::EC2::Instance',
      '    Properties: { ImageId: ami-0abc, SubnetId: !Ref Apps, PrivateIpAddress: 10.0.2.10, SecurityGroupIds: [!Ref HostGroup] }',
      '  AppB:',
      '    Type: AWS::EC2::Instance',
      '    Properties:',
      '      ImageId: ami-0abc',
      '      NetworkInterfaces:',
      '        - { DeviceIndex: "0", SubnetId: !Ref Apps, PrivateIpAddress: 10.0.2.11, GroupSet: [!Ref NicGroup] }',
      '',
    ].join('\n'),
    guards: { AppsAcl: ['subnet Apps 10.0.2.0/24'], HostGroup: ['host AppA 10.0.2.10'], NicGroup: ['host AppB NetworkInterfaces[0] 10.0.2.11'] },
  },
  {
    name: 'Azure: an NSG only on a NIC with a static address guards that host; a dynamic one places nothing',
    format: 'terraform',
    text: [
      'resource "azurerm_network_security_group" "nic" {',
      '  name = "nsg-nic"',
      '  location = "westeurope"',
      '  resource_group_name = "rg"',
      '}',
      'resource "azurerm_network_security_group" "dyn" {',
      '  name = "nsg-dyn"',
      '  location = "westeurope"',
      '  resource_group_name = "rg"',
      '}',
      'resource "azurerm_network_interface" "a" {',
      '  name = "nic-a"',
      '  ip_configuration {',
      '    name = "ip"',
      '    private_ip_address_allocation = "Static"',
      '    private_ip_address = "10.0.2.30"',
      '  }',
      '}',
      'resource "azurerm_network_interface" "b" {',
      '  name = "nic-b"',
      '  ip_configuration {',
      '    name = "ip"',
      '    private_ip_address_allocation = "Dynamic"',
      '  }',
      '}',
      'resource "azurerm_network_interface_security_group_association" "a" {',
      '  network_interface_id = azurerm_network_interface.a.id',
      '  network_security_group_id = azurerm_network_security_group.nic.id',
      '}',
      'resource "azurerm_network_interface_security_group_association" "b" {',
      '  network_interface_id = azurerm_network_interface.b.id',
      '  network_security_group_id = azurerm_network_security_group.dyn.id',
      '}',
      '',
    ].join('\n'),
    guards: { 'azurerm_network_security_group.nic': ['host azurerm_network_interface.a 10.0.2.30'], 'azurerm_network_security_group.dyn': [] },
  },
];

for (const c of cases) {
  test(`placement: ${c.name}`, () => {
    const file = parseAs(c.format as FormatId, c.text, `file:///ws/t.${c.format === 'terraform' ? 'tf' : 'yaml'}`);
    const found = guardsOf(file);
    assert.deepEqual(Object.fromEntries(Object.keys(c.guards).map((k) => [k, found[k]])), c.guards, JSON.stringify(found));
  });
}

test('attached-hosts site: the SNIP\'s ICA crosses the subnet\'s ACL, then the instance\'s group; 2598 stops at the ACL', async () => {
  const loaded = await loadAndAnalyze([SITE], {});
  assert.ok(!('error' in loaded));
  const { analysis } = loaded;
  const s = { files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology };
  const ask = (spec: string) => {
    const q = flow(spec);
    const query: PathQuery = { protocols: q.protocols, source: q.source, destination: q.destination, destinationPorts: q.destinationPorts };
    const { hops } = pathHops(s, query);
    return { hops, walk: walkPath(hops, query, {}) };
  };
  const ica = ask('inbound tcp 10.0.1.10 -> 10.0.2.10:1494');
  assert.deepEqual(ica.hops.map((h) => `${h.ruleSet.name} ${h.place} ${h.why}`), [
    'aws_network_acl.apps destination-network associated with aws_subnet.apps (10.0.2.0/24)',
    'aws_security_group.app_host destination-network attached to aws_instance.app_a (10.0.2.10)',
  ]);
  assert.deepEqual(ica.walk.hops.map((h) => h.result?.verdict), ['allowed', 'allowed']);
  assert.equal(ica.walk.verdict, 'allowed');
  const reliability = ask('inbound tcp 10.0.1.10 -> 10.0.2.10:2598');
  assert.equal(reliability.walk.verdict, 'denied');
  assert.equal(reliability.walk.blockedAt?.hop.ruleSet.name, 'aws_network_acl.apps');
  assert.deepEqual(reliability.walk.hops.map((h) => `${h.reached} ${h.result?.verdict}`), ['true denied', 'false denied']);
  // Another host of the subnet meets the ACL only: the group is not attached to it.
  assert.deepEqual(ask('inbound tcp 10.0.1.10 -> 10.0.2.99:1494').hops.map((h) => h.ruleSet.name), ['aws_network_acl.apps']);

  // check: both hops, bound to no role, would each stop 2598, and each is reported: fixing the ACL alone leaves the group.
  const found = analysis.findings.filter((f) => f.checkId === 'blocked-on-path').map((f) => {
    const text = loaded.texts.get(f.uri) ?? '';
    return `${path.basename(f.uri)}:${text.slice(0, f.span.start).split('\n').length} ${f.flowId} ${f.message.split('.')[0]}`;
  });
  assert.deepEqual(found, [
    'aws.tf:9 gateway.gateway-snip-to-vda.ica-session-reliability TCP 2598 blocked by the default of aws_network_acl',
    'aws.tf:31 gateway.gateway-snip-to-vda.ica-session-reliability TCP 2598 not allowed by any rule of aws_security_group',
  ]);
});

test('inference: a group bound to the VDAs by its name gives them the address of the instance it is attached to', () => {
  const text = readFixture('sites', 'attached-hosts', 'aws.tf').replace('"app_host"', '"vda"').replace(/aws_security_group\.app_host/g, 'aws_security_group.vda');
  const analysis = analyzeParsed([parseAs('terraform' as FormatId, text, 'file:///ws/aws.tf')], readTopology('', 'file:///ws/citrix-flows.yaml'), { workspaceRoot: '/ws' });
  const vda = analysis.inference?.addresses?.find((a) => a.role === 'vda');
  assert.ok(vda, `inferred: ${analysis.inference?.addresses?.map((a) => `${a.role} ${a.addresses}`).join(', ')}; bound: ${analysis.binding.bound.map((b) => `${b.ruleSet.name}=${b.roles}`).join(', ')}`);
  assert.equal(vda.addresses.toString(), '10.0.2.10');
  assert.deepEqual(vda.evidence.map((e) => `${e.kind} ${e.name}`), ['host aws_instance.app_a']);
});

test('Terraform: an NSG in nsg.tf is placed in front of the subnet network.tf declares and associates it with', () => {
  const nsg = 'resource "azurerm_network_security_group" "apps" {\n  name                = "nsg-apps"\n  location            = "westeurope"\n  resource_group_name = "rg"\n}\n';
  const network =
    'resource "azurerm_subnet" "apps" {\n  name                 = "snet-apps"\n  resource_group_name  = "rg"\n  virtual_network_name = "vnet"\n  address_prefixes     = ["10.0.2.0/24"]\n}\n' +
    'resource "azurerm_subnet_network_security_group_association" "apps" {\n  subnet_id                 = azurerm_subnet.apps.id\n  network_security_group_id = azurerm_network_security_group.apps.id\n}\n';
  const files = [parseAs('terraform' as FormatId, nsg, 'file:///ws/nsg.tf'), parseAs('terraform' as FormatId, network, 'file:///ws/network.tf')];
  const analysis = analyzeParsed(files, readTopology('roles:\n  gateway-snip: [10.0.1.10]\n  vda: [10.0.2.0/24]\n', 'file:///ws/citrix-flows.yaml'), { workspaceRoot: '/ws' });
  const placed = analysis.files.find((f) => f.uri === 'file:///ws/nsg.tf')?.ruleSets[0];
  assert.deepEqual(placed?.guardedNetworks?.map((g) => `${g.name} ${g.addresses} ${g.uri}`), ['azurerm_subnet.apps 10.0.2.0/24 file:///ws/network.tf']);
  assert.deepEqual(placed?.appliesTo, ['subnet azurerm_subnet.apps']);
  const q = flow('inbound tcp 10.0.1.10 -> 10.0.2.5:1494');
  const { hops } = pathHops({ files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology }, { protocols: q.protocols, source: q.source, destination: q.destination, destinationPorts: q.destinationPorts });
  assert.deepEqual(hops.map((h) => `${h.file.uri} ${h.why}`), ['file:///ws/nsg.tf associated with azurerm_subnet.apps (10.0.2.0/24)']);
  // With the subnet and its association in the NSG's own file, nothing is added a second time.
  const one = analyzeParsed([parseAs('terraform' as FormatId, nsg + network, 'file:///ws/main.tf'), parseAs('terraform' as FormatId, network.replace(/apps/g, 'other'), 'file:///ws/other.tf')], readTopology('', 'file:///ws/citrix-flows.yaml'), { workspaceRoot: '/ws' });
  assert.deepEqual(one.files.find((f) => f.uri === 'file:///ws/main.tf')?.ruleSets[0].guardedNetworks?.map((g) => g.name), ['azurerm_subnet.apps']);
});
