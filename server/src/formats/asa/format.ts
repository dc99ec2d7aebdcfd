import type { FormatDescriptor } from '../formatDescriptor';

export const asaFormat = {
  id: 'asa',
  name: 'Cisco ASA',
  languages: { claimed: ['cisco-asa'], contributed: ['cisco-asa'], sniffed: [] },
  files: { claimed: ['**/*.asa'], candidates: ['**/*running-config*'] },
  comments: { line: '!' },
} as const satisfies FormatDescriptor;
