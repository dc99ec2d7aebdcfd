import type { FormatId } from '../model';
import type { AllowRuleEmitter } from '../model/edits';
import { emitAllowRules as arm } from './arm/emit';
import { emitAllowRules as bicep } from './bicep/emit';
import { emitAllowRules as terraform } from './terraform/emit';
import { emitAllowRules as iptables } from './iptables/emit';
import { emitAllowRules as nftables } from './nftables/emit';
import { emitAllowRules as asa } from './asa/emit';
import { emitAllowRules as windowsFirewall } from './windows-firewall/emit';
import { emitAllowRules as cloudformation } from './cloudformation/emit';
import { emitAllowRules as netscaler } from './netscaler/emit';

/**
 * The one writer per format: quick fixes, "fix all" and `generate` all go
 * through these. A format without an emitter yet gets no "Allow …" fix.
 */
export const EMITTERS: Partial<Record<FormatId, AllowRuleEmitter>> = {
  terraform,
  bicep,
  arm,
  iptables,
  nftables,
  asa,
  'windows-firewall': windowsFirewall,
  cloudformation,
  netscaler,
};

export function emitterFor(format: FormatId): AllowRuleEmitter | undefined {
  return EMITTERS[format];
}

/** Where a line comment starts in each format; `citrix-flows` is the YAML topology file. */
export const COMMENT_LEADERS: Readonly<Record<FormatId | 'citrix-flows', string>> = {
  terraform: '#',
  bicep: '//',
  // ARM templates are JSON with comments (Azure's deployment engine and our reader accept them).
  arm: '//',
  iptables: '#',
  nftables: '#',
  asa: '!',
  'windows-firewall': '#',
  // YAML templates; JSON ones take no comments (see commentLeaderOf).
  cloudformation: '#',
  netscaler: '#',
  'citrix-flows': '#',
};

/** One comment line (without its line break) at `indent`: `  # citrix-role: vda`. */
/**
 * The line-comment leader of one file. Windows Firewall rules live in
 * PowerShell (`#`) or in cmd scripts of netsh commands, where only `REM` and
 * `::` are comments.
 */
export function commentLeaderOf(format: FormatId | 'citrix-flows', source?: { readonly uri: string; readonly text: string }): string {
  if (format === 'windows-firewall' && source && /\.(cmd|bat)$/i.test(source.uri)) {
    return /^\s*::/m.test(source.text) && !/^\s*rem\s/im.test(source.text) ? '::' : 'REM';
  }
  return COMMENT_LEADERS[format];
}

export function commentLine(format: FormatId | 'citrix-flows', text: string, indent: string, source?: { readonly uri: string; readonly text: string }): string {
  return `${indent}${commentLeaderOf(format, source)} ${text.replace(/[\r\n]+/g, ' ')}`;
}
