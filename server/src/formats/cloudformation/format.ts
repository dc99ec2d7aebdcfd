import type { CommentedFile, FormatDescriptor } from '../formatDescriptor';
import { templateStyle } from './style';

export const cloudformationFormat = {
  id: 'cloudformation',
  name: 'CloudFormation template',
  languages: { claimed: [], contributed: [], sniffed: ['yaml', 'json', 'jsonc'] },
  files: {
    claimed: [],
    // Citrix's and AWS's quick starts name them *.template, *.template.yaml, cft-*.yaml.
    candidates: ['**/*.template', '**/*[tT]emplate*.{yaml,yml}', '**/*{cloudformation,CloudFormation,cfn,cft,CFT}*.{yaml,yml,json}'],
  },
  comments: {
    line: '#',
    // CloudFormation rejects a JSON template with comments.
    leaderIn: (file: CommentedFile) => (templateStyle(file.text) === 'yaml' ? '#' : undefined),
  },
} as const satisfies FormatDescriptor;
