import type { FormatDescriptor } from '../formatDescriptor';

export const terraformFormat = {
  id: 'terraform',
  name: 'Terraform',
  // OpenTofu reads the same language from `.tofu`; both have a JSON syntax (`.tf.json`, `.tofu.json`).
  // VS Code has no Terraform language of its own: HashiCorp's extension gives `terraform`; without it a .tf file is Plain Text.
  languages: { claimed: ['terraform', 'opentofu'], contributed: [], sniffed: [] },
  files: { claimed: ['**/*.tf', '**/*.tofu', '**/*.tf.json', '**/*.tofu.json'], candidates: [] },
  // JSON has no comments (a `"//"` property is Terraform's stand-in, not a place for a suppression).
  comments: { line: '#', leaderIn: (file) => (/\.json$/i.test(file.uri) ? undefined : '#') },
} as const satisfies FormatDescriptor;

/**
 * The files of a Terraform or OpenTofu module: HCL (`.tf`, `.tofu`) and the
 * JSON syntax of each (`.tf.json`, `.tofu.json`).
 */
export const TERRAFORM_MODULE_FILE = /\.(?:tf|tofu)(?:\.json)?$/;
