import type { FormatDescriptor } from '../formatDescriptor';

export const nftablesFormat = {
  id: 'nftables',
  name: 'nftables',
  languages: { claimed: ['nftables'], contributed: ['nftables'], sniffed: ['shellscript'] },
  files: { claimed: ['**/*.nft', '**/nftables.conf'], candidates: ['**/*nftables*'] },
  comments: { line: '#' },
} as const satisfies FormatDescriptor;
