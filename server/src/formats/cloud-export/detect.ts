/**
 * Which cloud wrote a JSON export, from its first bytes. Each test names a
 * key only that CLI's output has, so an ARM template (checked before this),
 * a package.json or a Terraform state file does not match.
 */
export type CloudExportProvider = 'azure' | 'aws' | 'gcp';

const AWS_GROUPS = /"SecurityGroups"\s*:\s*\[/;
const AWS_GROUP_RULES = /"SecurityGroupRules"\s*:\s*\[/;
const AWS_PERMISSIONS = /"IpPermissions(?:Egress)?"\s*:|"IsEgress"\s*:/;
const AWS_NACLS = /"NetworkAcls"\s*:\s*\[/;
const AWS_NACL_ENTRY = /"RuleAction"\s*:|"Entries"\s*:/;
const GCP_KIND = /"kind"\s*:\s*"compute#firewall"/;
const GCP_SHAPE = /"(?:allowed|denied)"\s*:\s*\[\s*\{\s*"IPProtocol"/;
const AZURE_TYPE = /"type"\s*:\s*"Microsoft\.Network\/networkSecurityGroups(?:\/securityRules)?"/i;
const AZURE_RULE_KEYS = /"(?:securityRules|defaultSecurityRules|destinationPortRanges?|sourceAddressPrefix(?:es)?)"\s*:/;
const AZURE_FIREWALL_GROUP = /"type"\s*:\s*"Microsoft\.Network\/firewallPolicies\/ruleCollectionGroups"/i;
const AZURE_FIREWALL_KEYS = /"ruleCollections"\s*:/;

export function cloudExportProvider(head: string): CloudExportProvider | undefined {
  if ((AWS_GROUPS.test(head) || AWS_GROUP_RULES.test(head)) && AWS_PERMISSIONS.test(head)) return 'aws';
  if (AWS_NACLS.test(head) && AWS_NACL_ENTRY.test(head)) return 'aws';
  if (GCP_KIND.test(head) || GCP_SHAPE.test(head)) return 'gcp';
  if (AZURE_TYPE.test(head) && AZURE_RULE_KEYS.test(head)) return 'azure';
  if (AZURE_FIREWALL_GROUP.test(head) && AZURE_FIREWALL_KEYS.test(head)) return 'azure';
  return undefined;
}
