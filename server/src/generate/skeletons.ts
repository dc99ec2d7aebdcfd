import type { FormatId } from '../model';
import { commentLeaderOf } from '../formats/emitters';

/**
 * Minimal files `generate` starts from: the format's container (an NSG, a
 * security group, a table and its base chains, an ACL bound with
 * access-group, a script) and the format's own "deny the rest" where its
 * default would let traffic through, never a rule for a Citrix flow. The
 * allow rules are then written into it by the format's quick-fix emitter,
 * the same code the editor's fixes use.
 */

export type GenerateFormat =
  | 'terraform-azure'
  | 'terraform-aws'
  | 'terraform-aws-nacl'
  | 'terraform-gcp'
  | 'bicep'
  | 'arm'
  | 'iptables'
  | 'nftables'
  | 'asa'
  | 'windows-firewall'
  | 'cloudformation'
  | 'cloudformation-nacl'
  | 'netscaler';

export const GENERATE_FORMATS: readonly GenerateFormat[] = ['terraform-azure', 'terraform-aws', 'terraform-aws-nacl', 'terraform-gcp', 'bicep', 'arm', 'iptables', 'nftables', 'asa', 'windows-firewall', 'cloudformation', 'cloudformation-nacl', 'netscaler'];

export const PARSER_FORMAT: Readonly<Record<GenerateFormat, FormatId>> = {
  'terraform-azure': 'terraform',
  'terraform-aws': 'terraform',
  'terraform-aws-nacl': 'terraform',
  'terraform-gcp': 'terraform',
  bicep: 'bicep',
  arm: 'arm',
  iptables: 'iptables',
  nftables: 'nftables',
  asa: 'asa',
  'windows-firewall': 'windows-firewall',
  cloudformation: 'cloudformation',
  'cloudformation-nacl': 'cloudformation',
  netscaler: 'netscaler',
};

/** The file name a generated rule set is usually saved as (its extension is what format detection reads). */
export const FILE_NAME: Readonly<Record<GenerateFormat, string>> = {
  'terraform-azure': 'citrix-nsg.tf',
  'terraform-aws': 'citrix-security-group.tf',
  'terraform-aws-nacl': 'citrix-network-acl.tf',
  'terraform-gcp': 'citrix-firewall.tf',
  bicep: 'citrix-nsg.bicep',
  arm: 'citrix-nsg.json',
  iptables: 'citrix.rules.v4',
  nftables: 'citrix.nft',
  asa: 'citrix-acl.cfg',
  'windows-firewall': 'citrix-firewall.ps1',
  cloudformation: 'citrix-security-group.yaml',
  'cloudformation-nacl': 'citrix-network-acl.yaml',
  netscaler: 'citrix-ns-acls.conf',
};

/** Host firewalls sit on the protected machine: their rules need not name its own address. */
export const HOST_FORMATS: ReadonlySet<GenerateFormat> = new Set(['iptables', 'nftables', 'windows-firewall', 'netscaler']);

export interface SkeletonOptions {
  readonly roles: readonly string[];
  readonly inbound: boolean;
  readonly outbound: boolean;
  /** The protected roles' own addresses as CIDRs, when declared (GCP scopes its deny rules with them). */
  readonly ownCidrs?: readonly string[];
}

/** `vda`, `vda-storefront`: the words every name in the skeleton is built from. */
function baseName(roles: readonly string[]): string {
  return ['citrix', ...roles].join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

const snake = (s: string): string => s.replace(/-/g, '_');

/** The skeleton's text without a header; lines end with `\n`. */
export function skeletonText(format: GenerateFormat, o: SkeletonOptions): string {
  const base = baseName(o.roles);
  const lines: string[] = [];
  switch (format) {
    case 'terraform-azure': {
      lines.push(
        `resource "azurerm_network_security_group" "${snake(base)}" {`,
        `  name                = "nsg-${base}"`,
        '  location            = var.location',
        '  resource_group_name = var.resource_group_name',
      );
      // Azure's defaults allow the whole virtual network in (AllowVnetInBound) and everything out: a deny at the
      // last user priority makes the allow rules the only way through.
      for (const [on, dir] of [[o.inbound, 'Inbound'], [o.outbound, 'Outbound']] as const) {
        if (!on) continue;
        lines.push(
          '',
          '  security_rule {',
          `    name                       = "Deny-All-${dir}"`,
          '    priority                   = 4096',
          `    direction                  = "${dir}"`,
          '    access                     = "Deny"',
          '    protocol                   = "*"',
          '    source_port_range          = "*"',
          '    destination_port_range     = "*"',
          '    source_address_prefix      = "*"',
          '    destination_address_prefix = "*"',
          '  }',
        );
      }
      lines.push('}', '', 'variable "location" {', '  type = string', '}', '', 'variable "resource_group_name" {', '  type = string', '}');
      break;
    }
    case 'terraform-aws':
      // A security group allows nothing in; declared in Terraform with no egress block it allows nothing out either.
      lines.push(
        `resource "aws_security_group" "${snake(base)}" {`,
        `  name        = "${base}"`,
        `  description = "Citrix flows for ${o.roles.join(', ')}"`,
        '  vpc_id      = var.vpc_id',
        '}',
        '',
        'variable "vpc_id" {',
        '  type = string',
        '}',
      );
      break;
    case 'terraform-aws-nacl':
      // A network ACL with no entries denies everything both ways (its final `*` entry); every entry is written.
      lines.push(`resource "aws_network_acl" "${snake(base)}" {`, '  vpc_id = var.vpc_id', '}', '', 'variable "vpc_id" {', '  type = string', '}');
      break;
    case 'cloudformation-nacl':
      lines.push(
        "AWSTemplateFormatVersion: '2010-09-09'",
        `Description: Citrix flows for ${o.roles.join(', ')} in a subnet's network ACL`,
        'Parameters:',
        '  VpcId:',
        '    Type: AWS::EC2::VPC::Id',
        'Resources:',
        `  ${camel(base).charAt(0).toUpperCase()}${camel(base).slice(1)}NetworkAcl:`,
        '    Type: AWS::EC2::NetworkAcl',
        '    Properties:',
        '      VpcId: !Ref VpcId',
      );
      break;
    case 'cloudformation':
      // A group allows nothing in. CloudFormation keeps AWS's allow-all egress unless egress rules are listed, so one
      // that opens nothing real (all protocols to the loopback address, which never leaves the host) replaces it.
      lines.push(
        "AWSTemplateFormatVersion: '2010-09-09'",
        `Description: Citrix flows for ${o.roles.join(', ')}`,
        'Parameters:',
        '  VpcId:',
        '    Type: AWS::EC2::VPC::Id',
        'Resources:',
        `  ${camel(base).charAt(0).toUpperCase()}${camel(base).slice(1)}SecurityGroup:`,
        '    Type: AWS::EC2::SecurityGroup',
        '    Properties:',
        `      GroupDescription: Citrix flows for ${o.roles.join(', ')}`,
        '      VpcId: !Ref VpcId',
        ...(o.outbound ? ['      SecurityGroupEgress:', "        - IpProtocol: '-1'", '          CidrIp: 127.0.0.1/32', "          Description: 'Replaces the AWS default allow-all egress rule'"] : []),
      );
      break;
    case 'terraform-gcp': {
      // Ingress is denied by GCP's implied rule; the explicit deny scopes the rule set to the role's machines and
      // gives the emitter its network. Egress is allowed by default, so it needs its own deny.
      const own = o.ownCidrs?.length ? o.ownCidrs : undefined;
      const rules: string[][] = [];
      if (o.inbound || !o.outbound) {
        rules.push([
          `resource "google_compute_firewall" "${snake(base)}_deny_all_ingress" {`,
          `  name               = "${base}-deny-all-ingress"`,
          '  network            = var.network',
          '  direction          = "INGRESS"',
          '  priority           = 65534',
          '  source_ranges      = ["0.0.0.0/0"]',
          ...(own ? [`  destination_ranges = [${own.map((c) => `"${c}"`).join(', ')}]`] : []),
          '',
          '  deny {',
          '    protocol = "all"',
          '  }',
          '}',
        ]);
      }
      if (o.outbound) {
        rules.push([
          `resource "google_compute_firewall" "${snake(base)}_deny_all_egress" {`,
          `  name               = "${base}-deny-all-egress"`,
          '  network            = var.network',
          '  direction          = "EGRESS"',
          '  priority           = 65534',
          '  destination_ranges = ["0.0.0.0/0"]',
          `  target_tags        = ["${base}"]`,
          '',
          '  deny {',
          '    protocol = "all"',
          '  }',
          '}',
        ]);
      }
      for (const r of rules) lines.push(...r, '');
      lines.push('variable "network" {', '  description = "The VPC network (name or self link) the rules apply to"', '  type        = string', '}');
      break;
    }
    case 'bicep':
      lines.push(
        'param location string = resourceGroup().location',
        '',
        `resource ${camel(base)}Nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {`,
        `  name: 'nsg-${base}'`,
        '  location: location',
        '  properties: {',
        '    securityRules: [',
        ...[[o.inbound, 'Inbound'], [o.outbound, 'Outbound']].flatMap(([on, dir]) =>
          on
            ? [
                '      {',
                `        name: 'Deny-All-${dir}'`,
                '        properties: {',
                "          protocol: '*'",
                "          sourcePortRange: '*'",
                "          destinationPortRange: '*'",
                "          sourceAddressPrefix: '*'",
                "          destinationAddressPrefix: '*'",
                "          access: 'Deny'",
                '          priority: 4096',
                `          direction: '${dir}'`,
                '        }',
                '      }',
              ]
            : [],
        ),
        '    ]',
        '  }',
        '}',
      );
      break;
    case 'arm': {
      const denies = [[o.inbound, 'Inbound'], [o.outbound, 'Outbound']]
        .filter(([on]) => on)
        .map(([, dir]) =>
          [
            '          {',
            `            "name": "Deny-All-${dir}",`,
            '            "properties": {',
            `              "description": "Everything the rules above do not allow",`,
            '              "protocol": "*",',
            '              "sourcePortRange": "*",',
            '              "destinationPortRange": "*",',
            '              "sourceAddressPrefix": "*",',
            '              "destinationAddressPrefix": "*",',
            '              "access": "Deny",',
            '              "priority": 4096,',
            `              "direction": "${dir}"`,
            '            }',
            '          }',
          ].join('\n'),
        );
      lines.push(
        '{',
        '  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",',
        '  "contentVersion": "1.0.0.0",',
        '  "parameters": {',
        '    "location": {',
        '      "type": "string",',
        '      "defaultValue": "[resourceGroup().location]"',
        '    }',
        '  },',
        '  "resources": [',
        '    {',
        '      "type": "Microsoft.Network/networkSecurityGroups",',
        '      "apiVersion": "2023-09-01",',
        `      "name": "nsg-${base}",`,
        `      "location": "[parameters('location')]",`,
        '      "properties": {',
        `        "securityRules": [${denies.length ? `\n${denies.join(',\n')}\n        ` : ''}]`,
        '      }',
        '    }',
        '  ]',
        '}',
      );
      break;
    }
    case 'iptables':
      // Replies and loopback are part of any host firewall, not of a Citrix flow.
      lines.push(
        '*filter',
        `:INPUT ${o.inbound ? 'DROP' : 'ACCEPT'} [0:0]`,
        ':FORWARD DROP [0:0]',
        `:OUTPUT ${o.outbound ? 'DROP' : 'ACCEPT'} [0:0]`,
        ...(o.inbound ? ['-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'] : []),
        ...(o.outbound ? ['-A OUTPUT -o lo -j ACCEPT', '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'] : []),
        'COMMIT',
      );
      break;
    case 'nftables': {
      const table = snake(base);
      const chain = (name: string, on: boolean, lo: string): string[] => [
        `\tchain ${name} {`,
        `\t\ttype filter hook ${name} priority filter; policy ${on ? 'drop' : 'accept'};`,
        ...(on ? [`\t\t${lo} "lo" accept`, '\t\tct state established,related accept'] : []),
        '\t}',
      ];
      // Declaring the table first and flushing it makes the file loadable again without touching other tables.
      lines.push(`table inet ${table}`, `flush table inet ${table}`, '', `table inet ${table} {`, ...chain('input', o.inbound, 'iifname'), '', ...chain('output', o.outbound, 'oifname'), '}');
      break;
    }
    case 'asa': {
      const acl = `${base.toUpperCase()}-ACL`;
      // One global ACL sees the role's traffic in both directions; its implicit deny ends it.
      lines.push(`access-list ${acl} remark Citrix flows for ${o.roles.join(', ')}`, `access-group ${acl} global`);
      break;
    }
    case 'netscaler':
      // A batch of CLI commands (`batch -fileName …`); extended ACLs take effect only once applied.
      lines.push('# NetScaler ACLs filter what the ADC receives; a packet no ACL matches is processed (allowed).', 'apply ns acls');
      break;
    case 'windows-firewall':
      lines.push('#Requires -Modules NetSecurity');
      if (o.outbound) {
        lines.push(
          '# Outbound rules only restrict traffic when the profiles block outbound connections by default:',
          '# Set-NetFirewallProfile -Profile Domain,Private,Public -DefaultOutboundAction Block',
        );
      }
      break;
  }
  return lines.map((l) => `${l}\n`).join('');
}

function camel(kebab: string): string {
  return kebab
    .split('-')
    .map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
}

/** Comment lines in the format's syntax (`#`, `//`, `!`), one per text line. */
export function commentBlock(format: GenerateFormat, lines: readonly string[]): string {
  const leader = commentLeaderOf(PARSER_FORMAT[format]);
  return lines.map((l) => (l === '' ? `${leader}\n` : `${leader} ${l.replace(/[\r\n]+/g, ' ')}\n`)).join('');
}
