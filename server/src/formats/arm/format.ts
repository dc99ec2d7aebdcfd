import type { CommentedFile, FormatDescriptor } from '../formatDescriptor';

export const armFormat = {
  id: 'arm',
  name: 'ARM template',
  languages: { claimed: [], contributed: [], sniffed: ['json', 'jsonc'] },
  files: { claimed: [], candidates: ['**/*{nsg,Nsg,NSG}*.json', '**/azuredeploy*.json', '**/*[tT]emplate*.json'] },
  comments: {
    line: '//',
    // Azure's deployment engine and our reader accept `//` in a template, but JSON has no comments and the other tools
    // of a pipeline (jq, JSON schema validators, Python's json) reject them: a comment is written only into a template
    // that already has one, where its toolchain evidently copes.
    leaderIn: (file: CommentedFile) => (file.comments?.length ? '//' : undefined),
  },
} as const satisfies FormatDescriptor;
