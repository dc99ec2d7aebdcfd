import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';

// Issue 17 item 3: with nothing declared, a peer's addresses come from names in the workspace (variables,
// locals, rules named for the role), and a flow from that peer is checked from those addresses, not from "any".

before(async () => {
  await initTreeSitter();
});

function run(files: { path: string; format?: FormatId; text: string }[], yaml?: string) {
  const parsed = files.map((f) => parseAs(f.format ?? 'terraform', f.text, `file:///ws/${f.path}`));
  return analyzeParsed(parsed, readTopology(yaml, yaml === undefined ? undefined : 'file:///ws/citrix-flows.yaml'), { workspaceRoot: '/ws' });
}

const rule = (name: string, priority: number, access: string, ports: string, source: string): string =>
  `  security_rule {\n    name                       = "${name}"\n    priority                   = ${priority}\n    direction                  = "Inbound"\n    access                     = "${access}"\n    protocol                   = "Tcp"\n    source_port_range          = "*"\n    destination_port_range     = "${ports}"\n    source_address_prefix      = "${source}"\n    destination_address_prefix = "*"\n  }\n`;

/** A VDA NSG that lets one controller in on TCP 80 (VDA discovery) and denies the rest. */
const vdaNsg = (registrationRuleName = 'Allow-Registration'): string =>
  `resource "azurerm_network_security_group" "vda" {\n  name                = "nsg-ctx-vda"\n  location            = "westeurope"\n  resource_group_name = "rg"\n` +
  rule(registrationRuleName, 110, 'Allow', '80', '10.0.3.10') +
  rule('Deny-All', 4000, 'Deny', '*', '*') +
  '}\n';

const CONTROLLERS_VAR = 'variable "delivery_controller_ips" {\n  type    = list(string)\n  default = ["10.0.3.10", "10.0.3.11"]\n}\n';

const discovery = (a: ReturnType<typeof run>) => a.required.find((r) => r.flow.id === 'cvad.delivery-controller-to-vda.vda-discovery' && r.direction === 'inbound');

test('a variable named for the controllers gives their addresses: discovery from the second one is blocked', () => {
  const a = run([
    { path: 'vda/main.tf', text: vdaNsg() },
    { path: 'vda/variables.tf', text: CONTROLLERS_VAR },
  ]);
  assert.deepEqual(
    a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.evidence.map((e) => `${e.kind} ${e.name}`)]),
    [['delivery-controller', '10.0.3.10/31', ['variable delivery_controller_ips']]],
  );
  const r = discovery(a);
  assert.equal(r?.query.source.toString(), '10.0.3.10/31');
  assert.equal(r?.judgement.verdict, 'partial');
  const partial = a.findings.find((f) => f.checkId === 'partial-flow' && f.flowId === 'cvad.delivery-controller-to-vda.vda-discovery');
  assert.ok(partial, a.findings.map((f) => f.message).join('\n'));
  assert.match(partial.message, /^TCP 80 from 10\.0\.3\.11 blocked by Deny-All \(priority 4000\), allowed from 10\.0\.3\.10/);
  assert.match(partial.message, /Assumed: .*Delivery Controller at 10\.0\.3\.10\/31, from the variable "delivery_controller_ips" in variables\.tf\./);
  // The controllers are located, so they are no longer "assumed, checked against any address".
  assert.deepEqual(a.inference?.peers.map((p) => p.role), []);
});

test('without the variable, the same NSG is checked against "some controller", and allowed', () => {
  const a = run([{ path: 'vda/main.tf', text: vdaNsg() }]);
  assert.equal(a.inference?.addresses, undefined);
  assert.equal(discovery(a)?.judgement.verdict, 'allowed');
  assert.deepEqual(a.inference?.peers.map((p) => p.role), ['delivery-controller']);
});

test('an allow rule named for the peer gives the peer end of that rule, with the rule as evidence', () => {
  const a = run([{ path: 'vda/main.tf', text: vdaNsg('Allow-From-Controllers') }]);
  assert.deepEqual(a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.evidence.map((e) => `${e.kind} ${e.name}`)]), [['delivery-controller', '10.0.3.10', ['rule Allow-From-Controllers']]]);
  assert.equal(discovery(a)?.query.source.toString(), '10.0.3.10');
  // The other controller flows (TCP 89, local host cache) are now checked from 10.0.3.10, and blocked.
  const lhc = a.findings.find((f) => f.checkId === 'missing-flow' && f.flowId === 'cvad.delivery-controller-to-vda.local-host-cache');
  assert.match(lhc?.message ?? '', /Assumed: .*Delivery Controller at 10\.0\.3\.10, from the rule "Allow-From-Controllers" in main\.tf/);
});

test('a variable beats a rule name, and a name that mentions two roles or none says nothing', () => {
  const a = run([
    { path: 'vda/main.tf', text: vdaNsg('Allow-From-Controllers') },
    { path: 'vda/variables.tf', text: `${CONTROLLERS_VAR}variable "storefront_and_controller_ips" {\n  default = ["10.0.9.1"]\n}\nvariable "mgmt_cidr" {\n  default = "10.0.8.0/24"\n}\n` },
  ]);
  assert.deepEqual(a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.evidence.length]), [['delivery-controller', '10.0.3.10/31', 1]]);
});

test('nothing is read into a role a rule set here protects, into "any", or past a declaration', () => {
  // vda_subnet_cidr names the protected role: its addresses come from its own rule sets, not from a variable.
  const a = run([
    { path: 'vda/main.tf', text: vdaNsg() },
    { path: 'vda/variables.tf', text: 'variable "vda_subnet_cidr" {\n  default = "10.0.2.0/24"\n}\nvariable "delivery_controller_ips" {\n  default = ["0.0.0.0/0"]\n}\nvariable "license_server_ip" {\n  default = var.location\n}\n' },
  ]);
  assert.equal(a.inference?.addresses, undefined);
  // A citrix-flows.yaml that declares the site's roles says where they are: nothing is inferred beside it.
  const declared = run([{ path: 'vda/main.tf', text: `# citrix-role: vda\n${vdaNsg()}` }, { path: 'vda/variables.tf', text: CONTROLLERS_VAR }], 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.20]\n');
  assert.equal(declared.inference?.addresses, undefined);
  assert.equal(discovery(declared)?.query.source.toString(), '10.0.3.20');
});

test('a tfvars value wins over the default, and says where it comes from', () => {
  const parsed = parseAs('terraform', CONTROLLERS_VAR, 'file:///ws/vda/variables.tf', { siblingFiles: new Map([['/ws/vda/terraform.tfvars', 'delivery_controller_ips = ["10.0.3.20"]\n']]) });
  assert.deepEqual(parsed.namedAddresses?.map((n) => [n.name, n.kind, n.addresses.toString(), n.valueFrom]), [['delivery_controller_ips', 'variable', '10.0.3.20', 'terraform.tfvars']]);
});

test('Bicep params and vars, ARM parameters and variables, CloudFormation parameters name addresses too', () => {
  const cases: [FormatId, string, string, string[][]][] = [
    ['bicep', 'main.bicep', "param deliveryControllerIps array = [\n  '10.0.3.10'\n  '10.0.3.11'\n]\nvar storefrontIp = '10.0.1.5'\nvar subnetMask = '255.255.255.0'\nparam location string = 'westeurope'\n", [['deliveryControllerIps', 'parameter', '10.0.3.10/31'], ['storefrontIp', 'variable', '10.0.1.5']]],
    ['arm', 'azuredeploy.json', JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#', parameters: { deliveryControllerIps: { type: 'array', defaultValue: ['10.0.3.10'] }, adminUser: { type: 'string' } }, variables: { storefrontIp: '10.0.1.5', sfMask: '255.255.255.0' }, resources: [] }), [['deliveryControllerIps', 'parameter', '10.0.3.10'], ['storefrontIp', 'variable', '10.0.1.5']]],
    ['cloudformation', 'template.yaml', 'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  ControllerIPs:\n    Type: CommaDelimitedList\n    Default: "10.0.3.10,10.0.3.11"\n  VpcCidr:\n    Type: String\n    Default: 10.0.0.0/16\n  AnyCidr:\n    Type: String\n    Default: 0.0.0.0/0\nResources: {}\n', [['ControllerIPs', 'parameter', '10.0.3.10/31'], ['VpcCidr', 'parameter', '10.0.0.0/16']]],
  ];
  for (const [format, name, text, expected] of cases) {
    const parsed = parseAs(format, text, `file:///ws/${name}`);
    assert.deepEqual(parsed.namedAddresses?.map((n) => [n.name, n.kind, n.addresses.toString()]), expected, format);
    // Each span is the name as written, for the evidence in messages.
    for (const n of parsed.namedAddresses ?? []) assert.ok(text.slice(n.span.start, n.span.end).includes(n.name), `${format}: ${n.name} at ${JSON.stringify(text.slice(n.span.start, n.span.end))}`);
  }
});

test('a security group referenced by a rule, named for a role, stands for that role as the peer only', () => {
  const text = `resource "aws_security_group" "ddc" {\n  name   = "ctx-ddc"\n  vpc_id = "vpc-1"\n}\n\nresource "aws_security_group" "vda" {\n  name   = "ctx-vda"\n  vpc_id = "vpc-1"\n  ingress {\n    protocol        = "tcp"\n    from_port       = 80\n    to_port         = 80\n    security_groups = [aws_security_group.ddc.id]\n  }\n}\n`;
  const a = run([{ path: 'aws/main.tf', text }]);
  // Both groups are inferred from their names; the controllers' group is protected here, so its members are a peer-only fact.
  assert.deepEqual(a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.peerOnly, x.evidence.map((e) => `${e.kind} ${e.name}`)]), [['delivery-controller', 'aws_security_group.ddc', true, ['group aws_security_group.ddc']]]);
  const discovery = a.required.find((r) => r.flow.id === 'cvad.delivery-controller-to-vda.vda-discovery' && r.bound.ruleSet.id === 'aws_security_group.vda');
  assert.equal(discovery?.query.source.toString(), 'aws_security_group.ddc');
  assert.equal(discovery?.judgement.verdict, 'allowed');
  // On the controllers' own group the controllers are the protected end: not the group symbol.
  const ownEnds = a.required.filter((r) => r.bound.ruleSet.id === 'aws_security_group.ddc' && r.role === 'delivery-controller').map((r) => (r.direction === 'inbound' ? r.query.destination : r.query.source).toString());
  assert.ok(ownEnds.length > 0);
  assert.ok(ownEnds.every((e) => e !== 'aws_security_group.ddc'), JSON.stringify(ownEnds));
});

/** Two subnets of one VNet, each with an NSG named for its role; only the controllers' NSG has rules. */
const subnetsSite = (registrationSource: string): string => `resource "azurerm_subnet" "vda" {
  name                 = "snet-vda"
  resource_group_name  = "rg"
  virtual_network_name = "vnet"
  address_prefixes     = ["10.20.1.0/24"]
}

resource "azurerm_subnet" "ddc" {
  name                 = "snet-ddc"
  resource_group_name  = "rg"
  virtual_network_name = "vnet"
  address_prefixes     = ["10.20.0.0/24"]
}

resource "azurerm_network_security_group" "vda" {
  name                = "nsg-ctx-vda"
  location            = "westeurope"
  resource_group_name = "rg"
}

resource "azurerm_network_security_group" "ddc" {
  name                = "nsg-ctx-ddc"
  location            = "westeurope"
  resource_group_name = "rg"
${rule('Allow-Registration', 110, 'Allow', '80', registrationSource)}${rule('Deny-All', 4000, 'Deny', '*', '*')}}

resource "azurerm_subnet_network_security_group_association" "vda" {
  subnet_id                 = azurerm_subnet.vda.id
  network_security_group_id = azurerm_network_security_group.vda.id
}

resource "azurerm_subnet_network_security_group_association" "ddc" {
  subnet_id                 = azurerm_subnet.ddc.id
  network_security_group_id = azurerm_network_security_group.ddc.id
}
`;

const registration = (a: ReturnType<typeof run>) => a.required.find((r) => r.flow.id === 'cvad.vda-to-delivery-controller.registration' && r.bound.ruleSet.id === 'azurerm_network_security_group.ddc');

test("the subnet an inferred role's NSG guards gives that role's addresses to the other NSGs: registration from the wrong subnet is blocked", () => {
  const a = run([{ path: 'azure/main.tf', text: subnetsSite('10.20.9.0/24') }]);
  assert.deepEqual(
    a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.peerOnly, x.evidence.map((e) => `${e.kind} ${e.name}`)]),
    [['delivery-controller', '10.20.0.0/24', true, ['subnet azurerm_subnet.ddc']], ['vda', '10.20.1.0/24', true, ['subnet azurerm_subnet.vda']]],
  );
  const r = registration(a);
  assert.equal(r?.query.source.toString(), '10.20.1.0/24');
  assert.equal(r?.judgement.verdict, 'denied');
  const finding = a.findings.find((f) => f.checkId === 'missing-flow' && f.flowId === 'cvad.vda-to-delivery-controller.registration');
  assert.match(finding?.message ?? '', /^TCP 80 blocked by Deny-All \(priority 4000\): VDA → Delivery Controller registration\./);
  assert.match(finding?.message ?? '', /Virtual Delivery Agent \(VDA\) at 10\.20\.1\.0\/24, from the subnet "azurerm_subnet\.vda" in main\.tf/);
  // Before subnets were read, the same NSG was checked against "some VDA" and the rule from 10.20.9.0/24 passed it.
  const right = run([{ path: 'azure/main.tf', text: subnetsSite('10.20.1.0/24') }]);
  assert.equal(registration(right)?.judgement.verdict, 'allowed');
});

test("two subnets of one VNet meet the VDA NSG's AllowVnetInBound for sure, not \"may match\"", () => {
  const a = run([{ path: 'azure/main.tf', text: subnetsSite('10.20.1.0/24') }]);
  const discovery = a.required.find((r) => r.flow.id === 'cvad.delivery-controller-to-vda.vda-discovery' && r.bound.ruleSet.id === 'azurerm_network_security_group.vda' && r.direction === 'inbound');
  assert.equal(discovery?.query.source.toString(), '10.20.0.0/24');
  assert.equal(discovery?.judgement.verdict, 'allowed');
  assert.equal(discovery?.result.decisions.find((d) => d.outcome === 'allow')?.rule?.name, 'AllowVnetInBound');
  assert.deepEqual(a.findings.filter((f) => f.checkId === 'unresolved-value').map((f) => f.message), []);
  // Subnets of VNets of the same name in two resource groups are two VNets: nothing is known to be in the other's.
  const apart = run([{ path: 'azure/main.tf', text: subnetsSite('10.20.1.0/24').replace('resource_group_name  = "rg"\n  virtual_network_name = "vnet"\n  address_prefixes     = ["10.20.0.0/24"]', 'resource_group_name  = "rg-other"\n  virtual_network_name = "vnet"\n  address_prefixes     = ["10.20.0.0/24"]') }]);
  const unknown = apart.required.find((r) => r.flow.id === 'cvad.delivery-controller-to-vda.vda-discovery' && r.bound.ruleSet.id === 'azurerm_network_security_group.vda' && r.direction === 'inbound');
  assert.equal(unknown?.judgement.verdict, 'unknown');
});

/** The same two subnets in one Bicep template (subnets inline in the VNet); ARM is its JSON. */
const BICEP_SITE = `resource nsgVda 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-ctx-vda'
  location: 'westeurope'
  properties: {
    securityRules: []
  }
}

resource nsgDdc 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-ctx-ddc'
  location: 'westeurope'
  properties: {
    securityRules: [
      {
        name: 'Allow-Registration'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourcePortRange: '*'
          destinationPortRange: '80'
          sourceAddressPrefix: '10.20.9.0/24'
          destinationAddressPrefix: '*'
        }
      }
      {
        name: 'Deny-All'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourcePortRange: '*'
          destinationPortRange: '*'
          sourceAddressPrefix: '*'
          destinationAddressPrefix: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-citrix'
  location: 'westeurope'
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.20.0.0/16'
      ]
    }
    subnets: [
      {
        name: 'snet-vda'
        properties: {
          addressPrefix: '10.20.1.0/24'
          networkSecurityGroup: {
            id: nsgVda.id
          }
        }
      }
      {
        name: 'snet-ddc'
        properties: {
          addressPrefix: '10.20.0.0/24'
          networkSecurityGroup: {
            id: nsgDdc.id
          }
        }
      }
    ]
  }
}
`;

function armSite(): string {
  const rule = (name: string, priority: number, access: string, port: string, source: string) => ({ name, properties: { priority, direction: 'Inbound', access, protocol: access === 'Allow' ? 'Tcp' : '*', sourcePortRange: '*', destinationPortRange: port, sourceAddressPrefix: source, destinationAddressPrefix: '*' } });
  const nsg = (name: string, rules: unknown[]) => ({ type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2023-09-01', name, location: 'westeurope', properties: { securityRules: rules } });
  const subnet = (name: string, prefix: string, nsgName: string) => ({ name, properties: { addressPrefix: prefix, networkSecurityGroup: { id: `[resourceId('Microsoft.Network/networkSecurityGroups', '${nsgName}')]` } } });
  return JSON.stringify({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    resources: [
      nsg('nsg-ctx-vda', []),
      nsg('nsg-ctx-ddc', [rule('Allow-Registration', 110, 'Allow', '80', '10.20.9.0/24'), rule('Deny-All', 4000, 'Deny', '*', '*')]),
      { type: 'Microsoft.Network/virtualNetworks', apiVersion: '2023-09-01', name: 'vnet-citrix', location: 'westeurope', properties: { addressSpace: { addressPrefixes: ['10.20.0.0/16'] }, subnets: [subnet('snet-vda', '10.20.1.0/24', 'nsg-ctx-vda'), subnet('snet-ddc', '10.20.0.0/24', 'nsg-ctx-ddc')] } },
    ],
  }, null, 2);
}

/** The subnets as child resources (`parent: vnet`) instead of inline. */
const BICEP_CHILD_SUBNETS = BICEP_SITE.slice(0, BICEP_SITE.indexOf('    subnets: [')) + `  }
}

resource snetVda 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' = {
  parent: vnet
  name: 'snet-vda'
  properties: {
    addressPrefix: '10.20.1.0/24'
    networkSecurityGroup: {
      id: nsgVda.id
    }
  }
}

resource snetDdc 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' = {
  parent: vnet
  name: 'snet-ddc'
  properties: {
    addressPrefix: '10.20.0.0/24'
    networkSecurityGroup: {
      id: nsgDdc.id
    }
  }
}
`;

for (const [format, path, text, ddc] of [['bicep', 'azure/main.bicep', BICEP_SITE, 'nsgDdc'], ['bicep', 'azure/child-subnets.bicep', BICEP_CHILD_SUBNETS, 'nsgDdc'], ['arm', 'azure/azuredeploy.json', armSite(), 'nsg-ctx-ddc']] as const) {
  test(`${path}: subnets give the inferred roles' addresses, and the VNet's address space is in VirtualNetwork`, () => {
    const a = run([{ path, format, text }]);
    assert.deepEqual(
      a.inference?.addresses?.map((x) => [x.role, x.addresses.toString(), x.evidence.map((e) => `${e.kind} ${e.name}`)]),
      [['delivery-controller', '10.20.0.0/24', ['subnet vnet-citrix/snet-ddc']], ['vda', '10.20.1.0/24', ['subnet vnet-citrix/snet-vda']]],
    );
    const r = a.required.find((c) => c.flow.id === 'cvad.vda-to-delivery-controller.registration' && c.bound.ruleSet.id === ddc);
    assert.equal(r?.judgement.verdict, 'denied');
    const discovery = a.required.find((c) => c.flow.id === 'cvad.delivery-controller-to-vda.vda-discovery' && c.bound.ruleSet.id !== ddc && c.direction === 'inbound');
    assert.equal(discovery?.judgement.verdict, 'allowed');
    assert.deepEqual(a.findings.filter((f) => f.checkId === 'unresolved-value').map((f) => f.message), []);
  });
}
