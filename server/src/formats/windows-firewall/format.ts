import type { CommentedFile, FormatDescriptor } from '../formatDescriptor';

export const windowsFirewallFormat = {
  id: 'windows-firewall',
  name: 'Windows Firewall',
  languages: { claimed: [], contributed: [], sniffed: ['powershell', 'bat'] },
  files: { claimed: [], candidates: ['**/*{firewall,Firewall,FIREWALL}*'] },
  comments: {
    line: '#',
    // Rules live in PowerShell (`#`) or in cmd scripts of netsh commands, where only `REM` and `::` are comments:
    // `::` when the script writes its comments so, `REM` otherwise (it is also the one safe inside a bracketed block).
    leaderIn: (file: CommentedFile) => {
      if (!/\.(cmd|bat)$/i.test(file.uri)) return '#';
      return /^\s*::/m.test(file.text) && !/^\s*rem\s/im.test(file.text) ? '::' : 'REM';
    },
  },
} as const satisfies FormatDescriptor;
