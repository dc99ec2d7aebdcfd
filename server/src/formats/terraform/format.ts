import type { FormatDescriptor } from '../formatDescriptor';

export const terraformFormat = {
  id: 'terraform',
  name: 'Terraform',
  // VS Code has no Terraform language of its own: HashiCorp's extension gives `terraform`; without it a .tf file is Plain Text.
  languages: { claimed: ['terraform'], contributed: [], sniffed: [] },
  files: { claimed: ['**/*.tf'], candidates: [] },
  comments: { line: '#' },
} as const satisfies FormatDescriptor;
