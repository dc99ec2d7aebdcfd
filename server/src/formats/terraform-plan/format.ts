import type { FormatDescriptor } from '../formatDescriptor';

export const terraformPlanFormat = {
  id: 'terraform-plan',
  name: 'Terraform plan',
  // `terraform show -json plan.out > plan.json`: any name; the content (`format_version`, `planned_values`) decides.
  languages: { claimed: [], contributed: [], sniffed: ['json', 'jsonc'] },
  files: { claimed: [], candidates: ['**/*{plan,Plan,PLAN}*.json'] },
  // A plan is computed from the .tf files: nothing is written into it.
  comments: { line: undefined },
} as const satisfies FormatDescriptor;
