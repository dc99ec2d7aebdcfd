import { armFormat } from './arm/format';
import { asaFormat } from './asa/format';
import { bicepFormat } from './bicep/format';
import { cloudExportFormat } from './cloud-export/format';
import { cloudformationFormat } from './cloudformation/format';
import type { FormatDescriptor } from './formatDescriptor';
import { firewalldFormat } from './firewalld/format';
import { iptablesFormat } from './iptables/format';
import { netscalerFormat } from './netscaler/format';
import { nftablesFormat } from './nftables/format';
import { terraformFormat } from './terraform/format';
import { terraformPlanFormat } from './terraform-plan/format';
import { ufwFormat } from './ufw/format';
import { windowsFirewallFormat } from './windows-firewall/format';

/**
 * Every format, once. `FormatId` is read off this list, and `registry.ts`
 * must give each id its parser, emitter and skeletons (the compiler says so);
 * the client's language list and file globs, package.json's activation
 * events and languages, and docs/architecture.md are derived from it or held
 * equal to it by test/unit/formats/registry.test.ts. Order matters where
 * formats share a language or a sniff: the first that recognises a file wins
 * (an ARM template before a CloudFormation one for JSON).
 *
 * Dependency-free on purpose: the client bundles this file.
 */
export const FORMAT_DESCRIPTORS = [terraformFormat, bicepFormat, armFormat, iptablesFormat, nftablesFormat, asaFormat, windowsFirewallFormat, cloudformationFormat, netscalerFormat, terraformPlanFormat, cloudExportFormat, firewalldFormat, ufwFormat] as const satisfies readonly FormatDescriptor[];

export type FormatId = (typeof FORMAT_DESCRIPTORS)[number]['id'];

export const FORMAT_IDS: readonly FormatId[] = FORMAT_DESCRIPTORS.map((f) => f.id);

const BY_ID = new Map<string, FormatDescriptor>(FORMAT_DESCRIPTORS.map((f) => [f.id, f]));

export function descriptorOf(id: FormatId): FormatDescriptor {
  return BY_ID.get(id)!;
}

export function isFormatId(id: string): id is FormatId {
  return BY_ID.has(id);
}

/** Each item once, in first-seen order. */
function unique(items: Iterable<string>): string[] {
  return [...new Set(items)];
}

/** Language ids whose documents are ours without sniffing (activation `onLanguage:` events). */
export function claimedLanguages(): string[] {
  return unique(FORMAT_DESCRIPTORS.flatMap((f) => f.languages.claimed));
}

/** The language ids this extension contributes in package.json. */
export function contributedLanguages(): string[] {
  return unique(FORMAT_DESCRIPTORS.flatMap((f) => f.languages.contributed));
}

/**
 * Every language id the client hands to the server: claimed and sniffed ones,
 * and Plain Text, which is what VS Code makes of `.tf`, `.bicep`, `rules.v4` or
 * a name that says nothing when no other extension knows better.
 */
export function servedLanguages(): string[] {
  return unique([...FORMAT_DESCRIPTORS.flatMap((f) => [...f.languages.claimed, ...f.languages.sniffed]), 'plaintext']);
}

export function claimedGlobs(): string[] {
  return unique(FORMAT_DESCRIPTORS.flatMap((f) => f.files.claimed));
}

export function candidateGlobs(): string[] {
  return unique(FORMAT_DESCRIPTORS.flatMap((f) => f.files.candidates));
}
