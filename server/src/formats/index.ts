import type { FormatId, ParsedFile, ParseOptions, Parser } from '../model';
import { parseArm } from './arm';
import { parseAsa } from './asa';
import { parseBicep } from './bicep';
import { parseIptables } from './iptables';
import { parseNftables } from './nftables';
import { parseTerraform } from './terraform';
import { parseWindowsFirewall } from './windows-firewall';
import { detectFormat } from './detect';
import { initTreeSitter } from './treeSitter';

export { detectFormat, initTreeSitter };

export const PARSERS: Readonly<Record<FormatId, Parser>> = {
  terraform: parseTerraform,
  bicep: parseBicep,
  arm: parseArm,
  iptables: parseIptables,
  nftables: parseNftables,
  asa: parseAsa,
  'windows-firewall': parseWindowsFirewall,
};

export const FORMAT_NAMES: Readonly<Record<FormatId, string>> = {
  terraform: 'Terraform',
  bicep: 'Bicep',
  arm: 'ARM template',
  iptables: 'iptables',
  nftables: 'nftables',
  asa: 'Cisco ASA',
  'windows-firewall': 'Windows Firewall',
};

/**
 * Parses with the format's parser. Parsers promise never to throw; if one
 * does anyway, the file gets one problem saying so instead of taking the
 * whole analysis down.
 */
export function parseAs(format: FormatId, text: string, uri: string, options?: ParseOptions): ParsedFile {
  try {
    return PARSERS[format](text, uri, options);
  } catch (error) {
    return {
      uri,
      format,
      text,
      ruleSets: [],
      comments: [],
      problems: [
        {
          code: 'syntax-error',
          severity: 'error',
          span: { start: 0, end: Math.min(text.length, 1) },
          message: `internal error while parsing this ${FORMAT_NAMES[format]} file: ${(error as Error).message}`,
        },
      ],
    };
  }
}
