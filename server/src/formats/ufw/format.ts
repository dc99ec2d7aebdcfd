import type { FormatDescriptor } from '../formatDescriptor';

export const ufwFormat = {
  id: 'ufw',
  name: 'ufw',
  // Scripts of `ufw …` commands; ufw's own user.rules is iptables-save text and is read as iptables.
  languages: { claimed: [], contributed: [], sniffed: ['shellscript'] },
  files: { claimed: [], candidates: [] },
  comments: { line: '#' },
} as const satisfies FormatDescriptor;
