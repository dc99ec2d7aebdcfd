import * as path from 'node:path';
import type { ParsedFile, Rule, RuleSet, Span } from '../model';
import { lineOf, ruleShort } from './describe';
import type { Decision, Verdict } from './evaluate';
import { ruleFile } from './link';
import { uriToPath } from '../topology/bind';
import type { HopPlace, HopResult } from './sitePath';

const PLACE_WORDS: Readonly<Record<HopPlace, string>> = {
  'source-host': "the sender's own firewall",
  'source-network': "in front of the sender's network",
  between: 'between the networks',
  'destination-network': "in front of the receiver's network",
  'destination-host': "the receiver's own firewall",
};

const VERDICT_WORDS: Readonly<Record<Verdict, string>> = { allowed: 'allows', denied: 'blocks', partial: 'partly allows', unknown: 'may or may not allow' };

export function placeInWords(place: HopPlace): string {
  return PLACE_WORDS[place];
}

/** The decision that says the most about a hop's verdict: the deny of a blocked part, else what let the flow through. */
export function decidingDecision(h: HopResult): Decision | undefined {
  const r = h.result;
  if (!r) return undefined;
  const wanted = r.verdict === 'denied' || r.verdict === 'partial' ? 'deny' : r.verdict === 'unknown' ? 'unknown' : 'allow';
  return r.decisions.find((d) => d.outcome === wanted && d.rule && !d.rule.implicit) ?? r.decisions.find((d) => d.outcome === wanted);
}

/** The file a hop's deciding rule is written in (a Terraform module's rule may be in another file of the folder). */
function writtenIn(h: HopResult, rule: Rule | undefined, files: readonly ParsedFile[]): ParsedFile {
  return rule ? ruleFile(rule, h.hop.file, files) : h.hop.file;
}

/** "dmz-fw outside_in allows (line 40)"; "azurerm_network_security_group.vda blocks (DenyAll, priority 4000)". */
export function hopInWords(context: { readonly allFiles?: readonly ParsedFile[]; readonly files: readonly ParsedFile[] }, h: HopResult): string {
  if (!h.result) return `${h.hop.ruleSet.name}: not walked`;
  const d = decidingDecision(h);
  const file = writtenIn(h, d?.rule, context.allFiles ?? context.files);
  const ruleSet: RuleSet = d?.ruleSet ?? h.hop.ruleSet;
  const rule = d ? ruleShort(file, ruleSet, d.rule) : undefined;
  const note = !rule && ruleSet.meta?.note ? ruleSet.meta.note : undefined;
  const decides = `${VERDICT_WORDS[h.result.verdict]}${rule ? ` (${rule})` : note ? ` (${note})` : ''}`;
  return h.reached ? `${ruleSet.name} ${decides}` : `${ruleSet.name}: not reached; alone it ${decides}`;
}

/** Where a hop is shown: its deciding written rule, else the rule set's name. */
export function hopLocation(context: { readonly allFiles?: readonly ParsedFile[]; readonly files: readonly ParsedFile[] }, h: HopResult): { uri: string; span: Span; line: number; file: ParsedFile } {
  const d = decidingDecision(h);
  const rule = d?.rule && !d.rule.implicit ? d.rule : undefined;
  const file = writtenIn(h, rule, context.allFiles ?? context.files);
  const ownsRuleSet = file.ruleSets.includes(d?.ruleSet ?? h.hop.ruleSet);
  const span = rule ? rule.span : ownsRuleSet ? ((d?.ruleSet ?? h.hop.ruleSet).nameSpan ?? (d?.ruleSet ?? h.hop.ruleSet).span) : (h.hop.ruleSet.nameSpan ?? h.hop.ruleSet.span);
  return { uri: file.uri, span, line: lineOf(file, span.start), file };
}

/** A file's name for a list of hops: relative to the folder asked about when it is inside it. */
export function fileLabel(file: ParsedFile, root: string | undefined): string {
  const p = file.uri.startsWith('file:') ? uriToPath(file.uri) : file.uri;
  if (!root) return p;
  const rel = path.relative(root, p);
  return rel.startsWith('..') ? p : rel;
}
