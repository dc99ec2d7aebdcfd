import type { ParsedFile, ParseOptions, ParseProblem, RuleSet } from '../../model';
import { parseJsonTolerant } from '../arm/json';
import { awsExportRuleSets } from './aws';
import { azureExportRuleSets } from './azure';
import { cloudExportProvider } from './detect';
import { gcpExportRuleSets } from './gcp';

export { cloudExportProvider } from './detect';

/**
 * Live state as the clouds' CLIs print it, read with the same provider
 * semantics as the IaC readers (azure/, aws/, gcp/), so a finding on an
 * export reads like one on code. An export is a snapshot, not a source: it
 * gets no quick fix, and its rule sets say where the change belongs.
 */
export function parseCloudExport(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const parsed = parseJsonTolerant(text);
  const problems: ParseProblem[] = [...parsed.problems];
  let ruleSets: RuleSet[] = [];
  const provider = cloudExportProvider(text);
  if (!parsed.root) {
    // parseJsonTolerant has said why.
  } else if (provider === 'azure') ruleSets = azureExportRuleSets(parsed.root, text, problems);
  else if (provider === 'aws') ruleSets = awsExportRuleSets(parsed.root, text, problems);
  else if (provider === 'gcp') ruleSets = gcpExportRuleSets(parsed.root, text, problems);
  else {
    problems.push({
      code: 'unparsed-rule',
      severity: 'info',
      span: { start: 0, end: Math.min(text.length, 1) },
      message: 'Not an export Citrix Flow Lint reads: expected the JSON of `az network nsg show|list`, `az network firewall policy rule-collection-group list`, `aws ec2 describe-security-groups` or `gcloud compute firewall-rules list --format=json`',
    });
  }
  return { uri, format: 'cloud-export', text, ruleSets, problems, comments: [] };
}

const SOURCES: Record<string, string> = {
  azure: 'the Terraform, Bicep or ARM code that deploys this NSG (or the portal)',
  aws: 'the Terraform or CloudFormation code that deploys this security group (or the console)',
  gcp: 'the Terraform code that deploys these firewall rules (or the console)',
};

/** Where a change to an exported rule set belongs: live state is read, not edited. */
export function exportSourceHint(ruleSet: RuleSet): string | undefined {
  const cloud = ruleSet.meta?.exportedFrom;
  if (!cloud) return undefined;
  const source = ruleSet.kind === 'azure-firewall' ? 'the Terraform, Bicep or ARM code that deploys this firewall policy (or Firewall Manager)' : SOURCES[cloud];
  return `This is live state exported from ${cloud === 'azure' ? 'Azure' : cloud === 'aws' ? 'AWS' : 'Google Cloud'}: change ${source}, then export again.`;
}
