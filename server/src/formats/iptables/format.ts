import type { FormatDescriptor } from '../formatDescriptor';

export const iptablesFormat = {
  id: 'iptables',
  name: 'iptables',
  languages: { claimed: ['iptables'], contributed: ['iptables'], sniffed: ['shellscript'] },
  files: {
    claimed: ['**/*.iptables', '**/rules.v4', '**/rules.v6', '**/*iptables*.rules', '**/*ip6tables*.rules', '**/iptables/*.rules', '**/sysconfig/iptables', '**/sysconfig/ip6tables'],
    // udev, polkit, audit and Suricata use `.rules` too; scripts are named after what they set up.
    candidates: ['**/*.rules', '**/*{iptables,netfilter}*'],
  },
  comments: { line: '#' },
} as const satisfies FormatDescriptor;
