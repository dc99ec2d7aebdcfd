import type { FormatDescriptor } from '../formatDescriptor';

export const bicepFormat = {
  id: 'bicep',
  name: 'Bicep',
  // The Bicep extension gives the language id; without it a .bicep file is Plain Text, still claimed by name.
  languages: { claimed: ['bicep'], contributed: [], sniffed: [] },
  files: { claimed: ['**/*.bicep'], candidates: [] },
  comments: { line: '//' },
} as const satisfies FormatDescriptor;
