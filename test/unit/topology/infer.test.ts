import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fixturePath } from '../../helpers/fixtures';
import { loadCatalog } from '../../../server/src/catalog';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';
import { emptyTopology, inferSite, nameWords } from '../../../server/src/topology';

before(async () => {
  await initTreeSitter();
});

interface Case {
  name: string;
  /** Workspace-relative path; its folders and file name are clues too. */
  path: string;
  format: FormatId;
  text: string;
  /** `ruleSetId: role,role` for each rule set that binds; nothing else may bind. */
  binds: string[];
  /** Roles suggested without binding (medium confidence), as `ruleSetId: role`. */
  hints?: string[];
  /** Assumed peers, as `role<-neededBy,…`. */
  peers?: string[];
}

const cases: Case[] = [
  {
    name: 'an NSG named for the VDAs (issue 17: `vda-inbound-rules`)',
    path: 'infra/network.tf',
    format: 'terraform',
    text: 'resource "azurerm_network_security_group" "vda_inbound_rules" {\n  name = "vda-inbound-rules"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n',
    binds: ['azurerm_network_security_group.vda_inbound_rules: vda'],
    peers: ['delivery-controller<-vda'],
  },
  {
    name: 'a Core_Citrix security group says Citrix but no role; ctx_ddc says Delivery Controller',
    path: 'aws/sg.tf',
    format: 'terraform',
    text:
      'resource "aws_security_group" "core_citrix" {\n  name = "Core_Citrix"\n}\n' +
      'resource "aws_security_group" "ctx_ddc" {\n  name = "ctx_ddc"\n  description = "Citrix Delivery Controllers"\n}\n',
    binds: ['aws_security_group.ctx_ddc: delivery-controller'],
    peers: ['license-server<-delivery-controller', 'vda<-delivery-controller'],
  },
  {
    name: 'a rule named for its peer does not make the rule set that peer',
    path: 'aws/sg.tf',
    format: 'terraform',
    text:
      'resource "aws_security_group" "workers" {\n  name = "workers"\n  ingress {\n    description = "Allow-From-Controllers"\n    from_port = 80\n    to_port = 80\n    protocol = "tcp"\n    cidr_blocks = ["10.0.1.0/24"]\n  }\n}\n',
    binds: [],
  },
  {
    name: 'StoreFront from what it opens: 443 and 808 inbound (Windows Firewall, no names)',
    path: 'scripts/host.ps1',
    format: 'windows-firewall',
    text:
      'New-NetFirewallRule -DisplayName "HTTPS" -Direction Inbound -Protocol TCP -LocalPort 443 -Action Allow\n' +
      'New-NetFirewallRule -DisplayName "Replication" -Direction Inbound -Protocol TCP -LocalPort 808 -Action Allow\n',
    binds: ['windows-firewall: storefront'],
    peers: ['delivery-controller<-storefront', 'license-server<-storefront'],
  },
  {
    name: 'a VDA from its group "Citrix Virtual Desktop Agent"',
    path: 'gpo/rules.ps1',
    format: 'windows-firewall',
    text: 'New-NetFirewallRule -DisplayName "HDX" -Group "Citrix Virtual Desktop Agent" -Direction Inbound -Protocol TCP -LocalPort 3389 -Action Allow\n',
    binds: ['windows-firewall: vda'],
    peers: ['delivery-controller<-vda'],
  },
  {
    name: 'a License Server from 27000 and 7279 inbound',
    path: 'hosts/box1.rules',
    format: 'iptables',
    text: '*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 27000 -j ACCEPT\n-A INPUT -p tcp --dport 7279 -j ACCEPT\nCOMMIT\n',
    binds: ['filter/INPUT: license-server'],
    peers: ['any-citrix-component<-license-server'],
  },
  {
    name: 'ICA alone (one telling port) is only a hint',
    path: 'hosts/box2.rules',
    format: 'iptables',
    text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1494 -j ACCEPT\nCOMMIT\n',
    binds: [],
    hints: ['filter/INPUT: vda'],
  },
  {
    name: 'a NetScaler security group binds the roles of the machine (ADC and its NSIP)',
    path: 'modules/citrix-adc/main.tf',
    format: 'terraform',
    text: 'resource "aws_security_group" "netscaler_mgmt" {\n  name = "netscaler-mgmt"\n}\n',
    binds: ['aws_security_group.netscaler_mgmt: adc,adc-nsip'],
  },
  {
    name: 'a database NSG in a workspace with nothing Citrix in it binds nothing',
    path: 'app/db.tf',
    format: 'terraform',
    text: 'resource "azurerm_network_security_group" "db" {\n  name = "sql-nsg"\n}\n',
    binds: [],
  },
  {
    name: 'the same database NSG in a Citrix workspace is the site database',
    path: 'citrix/db.tf',
    format: 'terraform',
    text: 'resource "azurerm_network_security_group" "db" {\n  name = "sql-nsg"\n}\n',
    binds: ['azurerm_network_security_group.db: sql-server'],
  },
  {
    name: 'a NAT gateway is not a Citrix Gateway',
    path: 'net/nat.tf',
    format: 'terraform',
    text: 'resource "aws_security_group" "nat_gateway" {\n  name = "nat-gateway"\n}\n',
    binds: [],
  },
  {
    name: 'a 3-NIC NetScaler: the management NSG binds the NSIP; the client (VIP) and server (SNIP) NSGs stay hints (netscaler-adc-azure-templates)',
    path: 'templates/standalone/3nic/network.tf',
    format: 'terraform',
    text:
      'resource "azurerm_network_security_group" "mgmt" {\n  name = "Citrix-ADC-VPX-nsg-management"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n' +
      'resource "azurerm_network_security_group" "client" {\n  name = "Citrix-ADC-VPX-nsg-client"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n' +
      'resource "azurerm_network_security_group" "server" {\n  name = "Citrix-ADC-VPX-nsg-server"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n',
    binds: ['azurerm_network_security_group.mgmt: adc,adc-nsip'],
    hints: ['azurerm_network_security_group.client: adc', 'azurerm_network_security_group.server: adc'],
    peers: ['dns-server<-adc-nsip'],
  },
  {
    name: 'the NIC numbers of Citrix\'s ADC ARM templates: nic01 (management) binds the NSIP, nic11 (client) and nic12 (server) stay hints (jameskindon-citrix)',
    path: 'azure/adc/network.tf',
    format: 'terraform',
    text: ['01', '11', '12'].map((n) => `resource "azurerm_network_security_group" "nic${n}" {\n  name = "citrix-adc-vpx-nic${n}-nsg-0"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n`).join(''),
    binds: ['azurerm_network_security_group.nic01: adc,adc-nsip'],
    hints: ['azurerm_network_security_group.nic11: adc', 'azurerm_network_security_group.nic12: adc'],
    peers: ['dns-server<-adc-nsip'],
  },
  {
    name: 'the HA templates put the NIC number last (ns-vpx-nic-nsg[copyIndex()]-11): the same sides (netscaler-adc-azure-templates)',
    path: 'templates/high_availability/3nic/network.tf',
    format: 'terraform',
    text: ['01', '11', '12'].map((n) => `resource "azurerm_network_security_group" "n${n}" {\n  name = "ns-vpx-nic-nsg[copyIndex()]-${n}"\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n`).join(''),
    binds: ['azurerm_network_security_group.n01: adc,adc-nsip'],
    hints: ['azurerm_network_security_group.n11: adc', 'azurerm_network_security_group.n12: adc'],
    peers: ['dns-server<-adc-nsip'],
  },
  {
    name: 'an ADC NSG named for nothing but its NIC: the NIC\'s subnet says the side (subnet-adc-frontend: client, whatever its VNet is called)',
    path: 'azure/adc/azuredeploy.json',
    format: 'arm',
    text: JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: [
        { type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2023-09-01', name: 'citrix-adc-nsg-a', location: 'westeurope', properties: { securityRules: [] } },
        {
          type: 'Microsoft.Network/networkInterfaces',
          apiVersion: '2023-09-01',
          name: 'citrix-adc-vm-eth1',
          location: 'westeurope',
          properties: {
            networkSecurityGroup: { id: "[resourceId('Microsoft.Network/networkSecurityGroups', 'citrix-adc-nsg-a')]" },
            ipConfigurations: [{ name: 'ip', properties: { subnet: { id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-management', 'subnet-adc-frontend')]" } } }],
          },
        },
      ],
    }, null, 2),
    binds: [],
    hints: ['citrix-adc-nsg-a: adc'],
  },
  {
    name: "a CloudFormation template's Description names the machine: its management group binds the NSIP, client and server stay hints (aws-quickstart-citrix-adc-waf)",
    path: 'quickstart-citrix-adc-waf/templates/security-group.template.yaml',
    format: 'cloudformation',
    text:
      'AWSTemplateFormatVersion: 2010-09-09\nDescription: This template creates the Security Groups related to Citrix ADC.\nResources:\n' +
      ['Management', 'Client', 'Server'].map((n) => `  ${n}SecurityGroup:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: "${n} interface"\n      VpcId: vpc-1\n`).join(''),
    binds: ['ManagementSecurityGroup: adc,adc-nsip'],
    hints: ['ClientSecurityGroup: adc', 'ServerSecurityGroup: adc'],
    peers: ['dns-server<-adc-nsip'],
  },
  {
    name: 'a Description that names two machines says which the template holds, not which group is which (aws-quickstart-citrix-daas)',
    path: 'templates/citrix-virtualapps-service-securitygroups.yaml',
    format: 'cloudformation',
    text:
      'AWSTemplateFormatVersion: 2010-09-09\nDescription: This template deploys VPC Security Groups for Citrix Cloud Connectors and Citrix VDA.\nResources:\n' +
      '  CCSecurityGroup:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: Cloud Connector\n      VpcId: vpc-1\n' +
      '  VDARegistrationHTTPSecurityGroupTCPIngress:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref CCSecurityGroup\n      IpProtocol: tcp\n      FromPort: 80\n      ToPort: 80\n      CidrIp: 10.0.0.0/16\n',
    binds: [],
    hints: ['CCSecurityGroup: cloud-connector'],
  },
  {
    name: 'without the Description the folder alone only suggests the ADC',
    path: 'quickstart-citrix-adc-waf/templates/security-group.template.yaml',
    format: 'cloudformation',
    text:
      'AWSTemplateFormatVersion: 2010-09-09\nResources:\n' +
      ['Management', 'Client', 'Server'].map((n) => `  ${n}SecurityGroup:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: "${n} interface"\n      VpcId: vpc-1\n`).join(''),
    binds: [],
    hints: ['ClientSecurityGroup: adc', 'ManagementSecurityGroup: adc', 'ServerSecurityGroup: adc'],
  },
  {
    name: 'a template called azuredeploy.json is named by its folder; a Cloud Connector needs Citrix Cloud (citrix-cloud-quickstart-arm)',
    path: 'CloudConnector/azuredeploy.tf',
    format: 'terraform',
    text: 'resource "azurerm_network_security_group" "nsg" {\n  name = var.nsg_name\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n',
    binds: ['azurerm_network_security_group.nsg: cloud-connector'],
    peers: ['citrix-cloud<-cloud-connector', 'vda<-cloud-connector'],
  },
  {
    name: "Microsoft's RDS licensing server is not a Citrix License Server",
    path: 'RDSLicenseServer/main.tf',
    format: 'terraform',
    text: 'resource "azurerm_network_security_group" "nsg" {\n  name = var.nsg_name\n  location = "westeurope"\n  resource_group_name = "rg"\n}\n',
    binds: [],
  },
  {
    name: 'groups of helper machines named after a role are not that role: Lambda functions, jump boxes, load balancers (netscaler-aws-automation, e2evc-citrix-aws)',
    path: 'modules/autoscale/resources.tf',
    format: 'terraform',
    text:
      'resource "aws_security_group" "lambda_sg" {\n  name = "netscaler_autoscale_lambda_sg"\n}\n' +
      'resource "aws_security_group" "jumpbox_sg" {\n  name = "ssh_to_jumpbox"\n}\n' +
      'resource "aws_security_group" "lb_storefront" {\n  name = "ctx_poc_lb_storefront"\n}\n',
    binds: [],
  },
  {
    name: 'Microsoft Store apps and an SSH server are neither StoreFront nor Citrix ADM (windows-firewall-ruleset)',
    path: 'Rules/Inbound/StoreApps.ps1',
    format: 'windows-firewall',
    text: '# Citrix\nNew-NetFirewallRule -DisplayName "Store Apps" -Group "Store Apps" -Direction Inbound -Protocol TCP -LocalPort 22 -Action Allow\n',
    binds: [],
  },
  {
    name: 'a jump box group in a file named for the ADC guards the jump box (netscaler-adc-aws-cloudformation citrixadc-scca.yaml)',
    path: 'netscaler-adc-aws-cloudformation/citrix-adc-scca.tf',
    format: 'terraform',
    text:
      'resource "aws_security_group" "WindowsJumpBoxSecurityGroup" {\n  description = "RDP"\n}\n' +
      'resource "aws_security_group" "ManagementSG" {\n  description = "Management"\n}\n',
    binds: ['aws_security_group.ManagementSG: adc,adc-nsip'],
    peers: ['dns-server<-adc-nsip'],
  },
  {
    name: 'a Gateway group that opens ICA (ICA proxy) is not a VDA, whatever it opens',
    path: 'aws/sg.tf',
    format: 'terraform',
    text:
      'resource "aws_security_group" "GatewaySG" {\n' +
      '  ingress {\n    from_port = 1494\n    to_port = 1494\n    protocol = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n' +
      '  ingress {\n    from_port = 2598\n    to_port = 2598\n    protocol = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n',
    binds: [],
  },
];

for (const c of cases) {
  test(`infer: ${c.name}`, () => {
    const file = parseAs(c.format, c.text, `file:///ws/${c.path}`);
    assert.ok(file.ruleSets.length > 0, `the fixture parses into rule sets (${file.problems.map((p) => p.message).join('; ')})`);
    const site = inferSite([file], { catalog: loadCatalog(), declared: [], topology: emptyTopology() });
    const shortId = (id: string): string => (c.format === 'windows-firewall' ? 'windows-firewall' : id);
    assert.deepEqual(
      site.bindings.map((b) => `${shortId(b.ruleSetId)}: ${[...b.roles].sort().join(',')}`).sort(),
      [...c.binds].sort(),
      JSON.stringify(site.bindings.map((b) => ({ id: b.ruleSetId, guesses: b.guesses.map((g) => [g.role, g.score, g.evidence.map((e) => `${e.kind}:${e.text}`)]) })), null, 1),
    );
    if (c.hints) assert.deepEqual(site.hints.map((h) => `${shortId(h.ruleSetId)}: ${h.guesses[0].role}`).sort(), [...c.hints].sort());
    if (c.peers) assert.deepEqual(site.peers.map((p) => `${p.role}<-${p.neededBy.join(',')}`).sort(), [...c.peers].sort());
    for (const b of site.bindings) for (const g of b.guesses) assert.ok(g.evidence.length > 0, 'every guess carries its evidence');
  });
}

test('infer: declarations win — a declared rule set is never inferred', () => {
  const file = parseAs('terraform', 'resource "azurerm_network_security_group" "vda" {\n  name = "vda"\n}\n', 'file:///ws/a.tf');
  const declared = [{ file, ruleSet: file.ruleSets[0], roles: ['storefront'], via: 'annotation' as const }];
  const site = inferSite([file], { catalog: loadCatalog(), declared, topology: emptyTopology() });
  assert.deepEqual(site.bindings, []);
  assert.deepEqual(site.peers.map((p) => p.role).sort(), ['delivery-controller', 'license-server']);
});

test('infer: names split at punctuation, camelCase and digits', () => {
  assert.deepEqual(nameWords('CitrixVDA-inbound_rules01'), ['citrix', 'vda', 'inbound', 'rules', '01']);
  assert.deepEqual(nameWords('StoreFrontServers'), ['store', 'front', 'servers']);
  assert.deepEqual(nameWords('VDAHost'), ['vda', 'host']);
});

test('infer: a hub firewall is no machine — its rule names ("citrix-cloud", "vda-registration") name the peers of its flows', () => {
  // test/fixtures/cloud-export/azure-firewall-rcg-list.json: before, the policy was taken for Citrix Cloud and the VDA.
  const text = fs.readFileSync(fixturePath('cloud-export', 'azure-firewall-rcg-list.json'), 'utf8');
  const file = parseAs('cloud-export', text, 'file:///ws/azure-firewall-rcg-list.json');
  assert.equal(file.ruleSets[0]?.kind, 'azure-firewall');
  const site = inferSite([file], { catalog: loadCatalog(), declared: [], topology: emptyTopology() });
  assert.deepEqual(site.bindings, []);
  assert.deepEqual(site.hints, []);
});

test('infer: a group known only by a Terraform 0.11 interpolation is named by the expression inside it (netscaler-aws-automation)', () => {
  const text = 'resource "aws_security_group_rule" "allow_lambda" {\n  type              = "ingress"\n  from_port         = 443\n  to_port           = 443\n  protocol          = "tcp"\n  cidr_blocks       = ["10.0.0.0/16"]\n  security_group_id = "${var.netscaler_security_group_id}"\n}\n';
  const file = parseAs('terraform', text, 'file:///ws/modules/weblog/lambda.tf');
  assert.equal(file.ruleSets[0]?.name, 'var.netscaler_security_group_id');
  const site = inferSite([file], { catalog: loadCatalog(), declared: [], topology: emptyTopology() });
  const evidence = site.bindings[0]?.guesses.find((g) => g.role === 'adc')?.evidence.find((e) => e.kind === 'name');
  assert.equal(evidence?.text, 'var.netscaler_security_group_id');
});
