import type { FormatId, ParsedFile, ParseOptions, Parser } from '../model';
import { parseArm } from './arm';
import { parseAsa } from './asa';
import { parseCloudFormation } from './cloudformation';
import { parseNetscaler } from './netscaler';
import { parseBicep } from './bicep';
import { parseIptables } from './iptables';
import { parseNftables } from './nftables';
import { parseTerraform } from './terraform';
import { parseWindowsFirewall } from './windows-firewall';
import { detectFormat } from './detect';
import { noRuleSetProblem } from './noRuleSet';
import { initTreeSitter } from './treeSitter';
import { maskDeepNesting } from './nesting';

export { detectFormat, initTreeSitter };

export const PARSERS: Readonly<Record<FormatId, Parser>> = {
  terraform: parseTerraform,
  bicep: parseBicep,
  arm: parseArm,
  iptables: parseIptables,
  nftables: parseNftables,
  asa: parseAsa,
  'windows-firewall': parseWindowsFirewall,
  cloudformation: parseCloudFormation,
  netscaler: parseNetscaler,
};

export const FORMAT_NAMES: Readonly<Record<FormatId, string>> = {
  terraform: 'Terraform',
  bicep: 'Bicep',
  arm: 'ARM template',
  iptables: 'iptables',
  nftables: 'nftables',
  asa: 'Cisco ASA',
  'windows-firewall': 'Windows Firewall',
  cloudformation: 'CloudFormation template',
  netscaler: 'NetScaler ADC configuration',
};

/**
 * Files larger than this (UTF-8 bytes) are not parsed: the file gets one
 * `limit` problem instead, so a 50 MB dump opened by mistake cannot freeze
 * the editor. Rule files people edit are far smaller (10,000 lines of
 * iptables-save is about 0.7 MB). `parseAs(…, { maxAnalyzedBytes })` overrides it.
 */
export const MAX_ANALYZED_BYTES = 16 * 1024 * 1024;

export interface ParseAsOptions extends ParseOptions {
  /** Size limit for this call; defaults to MAX_ANALYZED_BYTES. */
  readonly maxAnalyzedBytes?: number;
}

function utf8Length(text: string, stopAbove: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stopAbove; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function tooLarge(format: FormatId, text: string, uri: string, bytes: number, limit: number): ParsedFile {
  const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  const firstLineEnd = text.search(/\r|\n/);
  return {
    uri,
    format,
    text,
    ruleSets: [],
    comments: [],
    problems: [
      {
        code: 'limit',
        severity: 'warning',
        span: { start: 0, end: firstLineEnd < 0 ? Math.min(text.length, 200) : Math.min(firstLineEnd, 200) },
        message: `Analysis is limited: this ${FORMAT_NAMES[format]} file is ${mb(bytes)}, more than the ${mb(limit)} Citrix Flow Lint analyses, so its rules are not read and no flow is checked against it.`,
      },
    ],
  };
}

/**
 * Parses with the format's parser. Parsers promise never to throw; if one
 * does anyway, the file gets one problem saying so instead of taking the
 * whole analysis down.
 */
export function parseAs(format: FormatId, text: string, uri: string, options?: ParseAsOptions): ParsedFile {
  const limit = options?.maxAnalyzedBytes ?? MAX_ANALYZED_BYTES;
  // UTF-8 takes at least one byte per UTF-16 unit and at most three: only the middle band needs counting.
  if (text.length > limit || (text.length * 3 > limit && utf8Length(text, limit) > limit)) {
    return tooLarge(format, text, uri, utf8Length(text, Infinity), limit);
  }
  try {
    let parsed: ParsedFile;
    // Their readers recurse per bracket: past the limit the deep part is blanked, not overflowing the stack.
    const masked = format === 'terraform' || format === 'bicep' ? maskDeepNesting(text) : { text };
    if (masked.problem) {
      const read = PARSERS[format](masked.text, uri, options);
      parsed = capProblems({ ...read, text, problems: [masked.problem, ...read.problems] });
    } else {
      parsed = capProblems(PARSERS[format](text, uri, options));
    }
    const none = noRuleSetProblem(format, parsed);
    return none ? { ...parsed, problems: [...parsed.problems, none] } : parsed;
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

/**
 * A file broken in one place can yield thousands of problems (500 unclosed
 * braces, each an empty rule missing every property). Past this many, more
 * squiggles help nobody and only slow the editor, so the rest are summed up
 * in one.
 */
export const MAX_PROBLEMS_PER_FILE = 200;

function capProblems(file: ParsedFile): ParsedFile {
  if (file.problems.length <= MAX_PROBLEMS_PER_FILE) return file;
  const kept = [...file.problems].sort((a, b) => a.span.start - b.span.start).slice(0, MAX_PROBLEMS_PER_FILE);
  const last = kept[kept.length - 1].span;
  const more = file.problems.length - kept.length;
  return {
    ...file,
    problems: [
      ...kept,
      {
        code: 'limit',
        severity: 'warning',
        span: { start: last.start, end: last.end },
        message: `${more} more problem${more === 1 ? '' : 's'} in this file ${more === 1 ? 'is' : 'are'} not shown: fix the ones above first (only the first ${MAX_PROBLEMS_PER_FILE} are reported)`,
      },
    ],
  };
}

