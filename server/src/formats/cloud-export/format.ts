import type { FormatDescriptor } from '../formatDescriptor';

export const cloudExportFormat = {
  id: 'cloud-export',
  name: 'cloud export',
  // `az … -o json`, `aws ec2 describe-security-groups`, `gcloud … --format=json` write JSON under any name; the content decides.
  languages: { claimed: [], contributed: [], sniffed: ['json', 'jsonc'] },
  files: {
    claimed: [],
    candidates: ['**/*{security-group,security_group,securitygroup,SecurityGroup,firewall-rule,firewall_rule,firewallrule}*.json'],
  },
  // Live state is read, never edited: nothing writes a comment into it.
  comments: { line: undefined },
} as const satisfies FormatDescriptor;
