import type { FormatId, ParsedFile, ParseProblem, Span } from '../model';

/**
 * A file that looks like a firewall file but gives no rule set would
 * otherwise pass every check in silence ("No problems"). This adds one
 * information problem saying why nothing was read: the resource types it
 * declares that are not read, the file its rules are loaded from, or the
 * problems that stopped the parser. Files that name nothing of a firewall
 * (a Terraform `variables.tf`, a Bicep module of storage accounts) get
 * nothing: they are not firewall files.
 */
export function noRuleSetProblem(format: FormatId, file: ParsedFile): ParseProblem | undefined {
  // A file that hands its rules to another already says so, once.
  if (file.ruleSets.length > 0 || file.loads?.length) return undefined;
  const text = file.text;
  const named = firewallMention(format, text);
  if (!named) return undefined;
  const stopping = file.problems.filter((p) => p.severity !== 'info').length;
  let why: string;
  if (stopping > 0) {
    why = `${stopping === 1 ? 'the problem' : `the ${stopping} problems`} reported in this file stopped the parser`;
  } else if (named.unsupported.length) {
    const list = named.unsupported.slice(0, 4).join(', ') + (named.unsupported.length > 4 ? ', …' : '');
    why = `it declares ${list}, which Citrix Flow Lint does not read yet`;
  } else {
    why = named.fallback;
  }
  return { code: 'unparsed-rule', severity: 'info', span: named.span, message: `No rule set was read from this file: ${why}. No flow is checked against it.` };
}

interface Mention {
  readonly span: Span;
  readonly unsupported: string[];
  readonly fallback: string;
}

/** Terraform resource types that filter traffic; the ones the Terraform reader turns into rule sets are left out. */
const TF_FIREWALL_TYPE = /\bresource\s+"([a-z0-9]+_[a-z0-9_]*(?:firewall|security_group|network_acl|nacl|security_rule|network_security|acl|ingress|egress|security_policy)[a-z0-9_]*)"/g;
const TF_READ = new Set([
  'aws_security_group',
  'aws_security_group_rule',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
  'aws_network_acl',
  'aws_default_network_acl',
  'aws_network_acl_rule',
  'azurerm_network_security_group',
  'azurerm_network_security_rule',
  'azurerm_subnet_network_security_group_association',
  'azurerm_network_interface_security_group_association',
  'google_compute_firewall',
]);
/** Access lists of storage and identity, not of network traffic. */
const TF_NOT_NETWORK = /bucket|object|storage|_iam_|kms|container_registry|key_vault|redis|cache|elasticsearch|opensearch|kafka/;
/** Azure resource types that filter traffic (Bicep and ARM). */
const AZURE_FIREWALL_TYPE = /Microsoft\.Network\/(networkSecurityGroups(?:\/securityRules)?|azureFirewalls|firewallPolicies(?:\/ruleCollectionGroups)?|applicationSecurityGroups|networkManagers\/securityAdminConfigurations[\w/]*|ApplicationGatewayWebApplicationFirewallPolicies|FrontDoorWebApplicationFirewallPolicies)\b/gi;
/** CloudFormation resource types that filter traffic. */
const CFN_FIREWALL_TYPE = /\bAWS::(?:EC2::(?:SecurityGroup(?:Ingress|Egress)?|NetworkAcl(?:Entry)?)|NetworkFirewall::\w+|WAFv2::WebACL)\b/g;
const CFN_READ = /^AWS::EC2::SecurityGroup(?:Ingress|Egress)?$/;
const AZURE_READ = /^networkSecurityGroups(?:\/securityRules)?$/i;
/** A CLI command, table or section: any line that is not a comment. */
const CONTENT_LINE = /^[ \t]*[^\s#!;/<]/m;

function firewallMention(format: FormatId, text: string): Mention | undefined {
  switch (format) {
    case 'terraform': {
      const unsupported: string[] = [];
      let first: Span | undefined;
      for (const m of text.matchAll(TF_FIREWALL_TYPE)) {
        if (TF_NOT_NETWORK.test(m[1])) continue;
        first ??= { start: m.index, end: m.index + m[0].length };
        if (!TF_READ.has(m[1]) && !unsupported.includes(m[1])) unsupported.push(m[1]);
      }
      if (!first) return undefined;
      return { span: first, unsupported, fallback: 'the rule sets it names are defined elsewhere (a module, a data source or another file)' };
    }
    case 'bicep':
    case 'arm': {
      const unsupported: string[] = [];
      let first: Span | undefined;
      for (const m of text.matchAll(AZURE_FIREWALL_TYPE)) {
        first ??= { start: m.index, end: m.index + m[0].length };
        const name = `Microsoft.Network/${m[1]}`;
        if (!AZURE_READ.test(m[1]) && !unsupported.includes(name)) unsupported.push(name);
      }
      if (!first) return undefined;
      return { span: first, unsupported, fallback: 'the security groups it names are not defined in it (existing resources, modules or parameters)' };
    }
    case 'cloudformation': {
      const unsupported: string[] = [];
      let first: Span | undefined;
      for (const m of text.matchAll(CFN_FIREWALL_TYPE)) {
        first ??= { start: m.index, end: m.index + m[0].length };
        if (!CFN_READ.test(m[0]) && !unsupported.includes(m[0])) unsupported.push(m[0]);
      }
      if (!first) return undefined;
      return { span: first, unsupported, fallback: 'the security groups it names are not declared in it (parameters, imports or other stacks)' };
    }
    default: {
      const m = CONTENT_LINE.exec(text);
      if (!m) return undefined;
      const start = m.index + m[0].length - 1;
      const lineEnd = text.indexOf('\n', start);
      const end = lineEnd < 0 ? text.length : text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      return { span: { start, end }, unsupported: [], fallback: 'none of its commands adds a rule Citrix Flow Lint reads' };
    }
  }
}
