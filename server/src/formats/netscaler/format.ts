import type { FormatDescriptor } from '../formatDescriptor';

export const netscalerFormat = {
  id: 'netscaler',
  name: 'NetScaler ADC configuration',
  // CLI batch files have no name of their own: they come as Plain Text and their first lines decide.
  languages: { claimed: ['netscaler'], contributed: ['netscaler'], sniffed: [] },
  files: { claimed: ['**/ns.conf'], candidates: [] },
  comments: { line: '#' },
} as const satisfies FormatDescriptor;
