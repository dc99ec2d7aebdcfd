import type { AddressSet } from '../net';
import type { Direction, ParsedFile, Rule, RuleSet, Span } from './types';

/** A change to one file; `span` is in the text the analysis saw (an insertion has start === end). */
export interface TextEdit {
  readonly uri: string;
  readonly span: Span;
  readonly newText: string;
}

/** One rule to add so that a flow is allowed, in terms every format can write. */
export interface AllowRuleRequest {
  readonly file: ParsedFile;
  readonly ruleSet: RuleSet;
  readonly direction: Direction;
  readonly protocols: readonly ('tcp' | 'udp' | 'icmp')[];
  /** Empty for ICMP. */
  readonly ports: readonly { readonly from: number; readonly to: number }[];
  /** Addresses from the topology; a symbol (unknown peer) must be written as a clearly marked placeholder, never as "any". */
  readonly source: AddressSet;
  readonly destination: AddressSet;
  /** A rule name in the format's style is derived from it (e.g. `Allow-Citrix-ICA-from-Gateway`). */
  readonly name: string;
  /** Catalog flow ids and purpose, written as a comment or description on the new rule. */
  readonly comment: string;
  /**
   * The flow works only once its replies pass a stateless filter: the rule to
   * write admits the replies (from the destination and its ports back to the
   * source), not the flow. Emitters that cannot write it refuse.
   */
  readonly reply?: boolean;
  /** The rule the new one must be evaluated before (the one that denies the flow); undefined when a default policy denies it. */
  readonly before?: Rule;
  /** Words naming the source / destination addresses (role ids, `vda`), for object names such as ASA object-groups; optional. */
  readonly sourceLabel?: string;
  readonly destinationLabel?: string;
}

/**
 * Writes rules in the file's own syntax and style. Several requests at once
 * (a "fix all") get priorities that collide neither with the file nor with
 * each other. Returns edits, or why it cannot write the rule here.
 */
export type AllowRuleEmitter = (requests: readonly AllowRuleRequest[]) => { edits: TextEdit[] } | { error: string };

/** Applies non-overlapping edits to a text (used by tests and by the CLI's --fix, never by the editor). */
export function applyEdits(text: string, edits: readonly Pick<TextEdit, 'span' | 'newText'>[]): string {
  const sorted = [...edits].sort((a, b) => b.span.start - a.span.start || b.span.end - a.span.end);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.span.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
    limit = e.span.start;
  }
  return out;
}
