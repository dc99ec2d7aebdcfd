import type { FormatDescriptor } from '../formatDescriptor';

export const firewalldFormat = {
  id: 'firewalld',
  name: 'firewalld',
  // Zone files are XML (another extension's language, or Plain Text); firewall-cmd lives in shell scripts.
  languages: { claimed: [], contributed: [], sniffed: ['xml', 'shellscript'] },
  files: { claimed: ['**/firewalld/zones/*.xml'], candidates: [] },
  // XML has no line comment: annotations go in `<!-- -->`, which the reader reads but nothing writes.
  comments: { line: '#', leaderIn: (file) => (/^\s*(?:\uFEFF)?\s*</.test(file.text) ? undefined : '#') },
} as const satisfies FormatDescriptor;
