// Generated inputs for the bench: one big rule file per format (about `lines`
// lines, every rule a distinct port and source so nothing is trivially
// shadowed) and workspaces of many small files. Deterministic.

const ip = (i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`;
const port = (i) => 20000 + (i % 40000);

export const TOPOLOGY = 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n  gateway-snip: [10.0.0.20]\n  workspace-app: [10.60.0.0/16]\n  storefront: [10.0.4.0/24]\n';

/** Line numbers (0-based) whose text holds a port digit we can edit, and the column of that digit. */
function portLines(out, marker) {
  const where = [];
  out.forEach((l, n) => {
    const c = l.indexOf(marker);
    if (c >= 0) where.push({ line: n, character: c + marker.length });
  });
  return where;
}

export function terraform(lines) {
  const out = ['# citrix-role: vda', 'resource "azurerm_network_security_group" "big" {', '  name                = "big"', '  location            = "westeurope"', '  resource_group_name = "rg"'];
  for (let i = 0; out.length < lines - 1; i++) {
    out.push('  security_rule {', `    name                       = "r${i}"`, `    priority                   = ${100 + (i % 4000)}`, '    direction                  = "Inbound"', '    access                     = "Allow"', '    protocol                   = "Tcp"', '    source_port_range          = "*"', `    destination_port_range     = "${port(i)}"`, `    source_address_prefix      = "${ip(i)}"`, '    destination_address_prefix = "*"', '  }');
  }
  out.push('}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'destination_port_range     = "2'), languageId: 'terraform', file: 'big.tf' };
}

export function bicep(lines) {
  const out = ['// citrix-role: vda', "resource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {", "  name: 'big'", "  location: 'westeurope'", '  properties: {', '    securityRules: ['];
  for (let i = 0; out.length < lines - 4; i++) {
    out.push('      {', `        name: 'r${i}'`, '        properties: {', `          priority: ${100 + (i % 4000)}`, "          direction: 'Inbound'", "          access: 'Allow'", "          protocol: 'Tcp'", "          sourcePortRange: '*'", `          destinationPortRange: '${port(i)}'`, `          sourceAddressPrefix: '${ip(i).slice(0, -3)}/24'`, "          destinationAddressPrefix: '*'", '        }', '      }');
  }
  out.push('    ]', '  }', '}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, "destinationPortRange: '2"), languageId: 'bicep', file: 'big.bicep' };
}

export function iptables(lines) {
  const out = ['# citrix-role: vda', '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; out.length < lines - 1; i++) out.push(`-A INPUT -s ${ip(i)} -p tcp -m tcp --dport ${port(i)} -j ACCEPT`);
  out.push('COMMIT');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, '--dport 2'), languageId: 'iptables', file: 'big-iptables.rules' };
}

export function nftables(lines) {
  const out = ['#!/usr/sbin/nft -f', '# citrix-role: vda', 'table inet filter {', '  chain input {', '    type filter hook input priority filter; policy drop;'];
  for (let i = 0; out.length < lines - 2; i++) out.push(`    ip saddr ${ip(i)} tcp dport ${port(i)} accept`);
  out.push('  }', '}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'tcp dport 2'), languageId: 'nftables', file: 'big.nft' };
}

export function cloudformation(lines) {
  const out = ["AWSTemplateFormatVersion: '2010-09-09'", 'Resources:', '  # citrix-role: vda', '  Big:', '    Type: AWS::EC2::SecurityGroup', '    Properties:', '      GroupDescription: big', '      VpcId: vpc-0abc1234', '      SecurityGroupIngress:'];
  for (let i = 0; out.length < lines - 4; i++) out.push('        - IpProtocol: tcp', `          FromPort: ${port(i)}`, `          ToPort: ${port(i)}`, `          CidrIp: ${ip(i)}`);
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'FromPort: 2'), languageId: 'yaml', file: 'big.template.yaml' };
}

export function netscaler(lines) {
  const out = ['#NS13.1 Build 52.19', '# citrix-role: gateway-snip', 'set ns config -IPAddress 10.0.0.10 -netmask 255.255.255.0', 'add ns ip 10.0.0.20 255.255.255.0 -type SNIP'];
  for (let i = 0; out.length < lines - 1; i++) {
    const net = ip(i).slice(0, -5);
    out.push(`add ns acl r${i} ALLOW -srcIP = ${net}.0-${net}.255 -destPort = ${port(i)} -protocol TCP -priority ${10 + i}`);
  }
  out.push('add ns acl deny-all DENY -priority 100000');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, '-destPort = 2'), languageId: 'netscaler', file: 'ns.conf' };
}

/** Terraform JSON syntax as CDK for Terraform writes it: one security group, its rules an array of objects. */
export function terraformJson(lines) {
  const out = ['{', '  "resource": {', '    "aws_security_group": {', '      "big": {', '        "name": "citrix-vda",', '        "ingress": ['];
  for (let i = 0; out.length < lines - 6; i++) {
    out.push('          {', `            "from_port": ${port(i)},`, `            "to_port": ${port(i)},`, '            "protocol": "tcp",', `            "cidr_blocks": ["${ip(i)}"]`, '          },');
  }
  out[out.length - 1] = '          }';
  out.push('        ]', '      }', '    }', '  }', '}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, '"from_port": 2'), languageId: 'json', file: 'cdktf.tf.json' };
}

/** `aws ec2 describe-security-groups` output: one group, a permission per port. */
export function cloudExport(lines) {
  const out = ['{', '  "SecurityGroups": [', '    {', '      "GroupId": "sg-0a1b2c3d4e5f60718",', '      "GroupName": "citrix-vda",', '      "VpcId": "vpc-0abc1234",', '      "IpPermissions": ['];
  for (let i = 0; out.length < lines - 6; i++) {
    out.push('        {', '          "IpProtocol": "tcp",', `          "FromPort": ${port(i)},`, `          "ToPort": ${port(i)},`, `          "IpRanges": [{ "CidrIp": "${ip(i)}" }]`, '        },');
  }
  out[out.length - 1] = '        }';
  out.push('      ],', '      "IpPermissionsEgress": []', '    }', '  ]', '}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, '"FromPort": 2'), languageId: 'json', file: 'describe-security-groups.json' };
}

/** A firewalld zone file: a rich rule per source and port. */
export function firewalld(lines) {
  const out = ['<?xml version="1.0" encoding="utf-8"?>', '<!-- citrix-role: vda -->', '<zone>', '  <interface name="eth0"/>'];
  for (let i = 0; out.length < lines - 1; i++) out.push(`  <rule family="ipv4"><source address="${ip(i)}"/><port port="${port(i)}" protocol="tcp"/><accept/></rule>`);
  out.push('</zone>');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'port port="2'), languageId: 'xml', file: 'public-zone.xml' };
}

/** A ufw script: a rule per source and port. */
export function ufw(lines) {
  const out = ['#!/bin/sh', '# citrix-role: vda', 'ufw --force reset', 'ufw default deny incoming'];
  for (let i = 0; out.length < lines - 1; i++) out.push(`ufw allow proto tcp from ${ip(i)} to any port ${port(i)}`);
  out.push('ufw --force enable');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'to any port 2'), languageId: 'shellscript', file: 'ufw-setup.sh' };
}

/** An Azure Firewall policy: one rule collection group, network rules in collections of 50 (Azure's own limits are far higher). */
export function azureFirewall(lines) {
  const out = ['# citrix-role: vda', 'resource "azurerm_firewall_policy" "hub" {', '  name                = "afwp-hub"', '  resource_group_name = "rg-hub"', '  location            = "westeurope"', '}', '', 'resource "azurerm_firewall_policy_rule_collection_group" "big" {', '  name               = "rcg-big"', '  firewall_policy_id = azurerm_firewall_policy.hub.id', '  priority           = 200'];
  let i = 0;
  for (let c = 0; out.length < lines - 10; c++) {
    out.push('', '  network_rule_collection {', `    name     = "c${c}"`, `    priority = ${100 + c}`, '    action   = "Allow"');
    for (let k = 0; k < 50 && out.length < lines - 9; k++, i++) {
      out.push('    rule {', `      name                  = "r${i}"`, '      protocols             = ["TCP"]', `      source_addresses      = ["${ip(i)}"]`, '      destination_addresses = ["10.0.2.0/24"]', `      destination_ports     = ["${port(i)}"]`, '    }');
    }
    out.push('  }');
  }
  out.push('}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, 'destination_ports     = ["2'), languageId: 'terraform', file: 'hub-firewall.tf' };
}

/** `terraform show -json` of a plan: one NSG in planned_values, a rule object per port. */
export function terraformPlan(lines) {
  const out = ['{', '  "format_version": "1.2",', '  "terraform_version": "1.7.5",', '  "planned_values": {', '    "root_module": {', '      "resources": [', '        {', '          "address": "azurerm_network_security_group.big",', '          "mode": "managed",', '          "type": "azurerm_network_security_group",', '          "name": "big",', '          "values": {', '            "name": "nsg-big",', '            "security_rule": ['];
  // ICA open to the internet: a finding, so the server publishes diagnostics (an unchanged empty list is not sent).
  out.push('              {', '                "access": "Allow",', '                "direction": "Inbound",', '                "name": "ica-anywhere",', '                "priority": 4090,', '                "protocol": "Tcp",', '                "source_port_range": "*",', '                "destination_port_range": "1494",', '                "source_address_prefix": "*",', '                "destination_address_prefix": "*"', '              },');
  for (let i = 0; out.length < lines - 10; i++) {
    out.push('              {', '                "access": "Allow",', '                "direction": "Inbound",', `                "name": "r${i}",`, `                "priority": ${100 + (i % 4000)},`, '                "protocol": "Tcp",', '                "source_port_range": "*",', `                "destination_port_range": "${port(i)}",`, `                "source_address_prefix": "${ip(i)}",`, '                "destination_address_prefix": "*"', '              },');
  }
  out[out.length - 1] = '              }';
  out.push('            ]', '          }', '        }', '      ]', '    }', '  }', '}');
  return { text: `${out.join('\n')}\n`, edits: portLines(out, '"destination_port_range": "2'), languageId: 'json', file: 'plan.json' };
}

export const GENERATORS = { terraform, 'azure-firewall': azureFirewall, 'terraform-plan': terraformPlan, 'terraform-json': terraformJson, bicep, iptables, nftables, cloudformation, netscaler, 'cloud-export': cloudExport, firewalld, ufw };

/** A workspace of `files` small files in the four formats, a tenth of each in its own folder, plus citrix-flows.yaml. */
export function workspaceFiles(files) {
  const out = [{ path: 'citrix-flows.yaml', text: TOPOLOGY }];
  const kinds = ['terraform', 'bicep', 'iptables', 'nftables'];
  for (let f = 0; f < files; f++) {
    const kind = kinds[f % kinds.length];
    const g = GENERATORS[kind](40 + (f % 7) * 5);
    const dir = `d${Math.floor(f / 100)}`;
    const name = kind === 'terraform' ? `nsg${f}.tf` : kind === 'bicep' ? `nsg${f}.bicep` : kind === 'iptables' ? `host${f}-iptables.rules` : `host${f}.nft`;
    // Distinct resource names per Terraform module folder.
    const text = kind === 'terraform' ? g.text.replace('"big"', `"nsg${f}"`).replace('"big"', `"nsg${f}"`) : g.text;
    out.push({ path: `${dir}/${name}`, text });
  }
  return out;
}
