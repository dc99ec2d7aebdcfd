import type { PortSet } from '../../net';
import { LineIndex, type Action, type Direction, type Field, type MatchCondition, type ParseProblem, type Rule, type Span, type Unresolved } from '../../model';
import type { ShellWord } from '../shell';
import type { BuiltRule } from './convert';

/**
 * What the iptables readers share: the chains read so far (per table), the
 * rules waiting to become Rules, and the problems found on the way.
 */

export type Family = 4 | 6;

export const BUILTIN_DIRECTION: ReadonlyMap<string, Direction> = new Map(Object.entries({
  INPUT: 'inbound',
  OUTPUT: 'outbound',
  FORWARD: 'forward',
  PREROUTING: 'inbound',
  POSTROUTING: 'outbound',
}));

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type RuleFields = Mutable<Pick<Partial<Rule>, 'protocols' | 'source' | 'destination' | 'sourcePorts' | 'destinationPorts' | 'comment'>>;

export interface PendingRule {
  readonly table: string;
  readonly chain: string;
  readonly family: Family;
  /** Normalised rule text, to find the rule a `-D CHAIN rule…` names. */
  readonly key: string;
  readonly span: Span;
  /** 1-based line of the rule's start, when the reader counted it (save files); else found from the span. */
  readonly line?: number;
  readonly iteration?: string;
  readonly targetName?: { readonly name: string; readonly span: Span; readonly goto: boolean; readonly unresolved: boolean };
  readonly fields: RuleFields;
  readonly conditions: MatchCondition[];
  readonly unresolved: Unresolved[];
  readonly command: string;
  /** The rule's meta, shared by every rule with the same table, chain, family and command. */
  readonly meta: Readonly<Record<string, string>>;
  /** A `--ports` rule matches either port; it is written as a destination-port rule then a source-port one. */
  readonly sourceTwin?: Field<PortSet>;
  /** What toRule made of this pending rule, per direction it was built for; reused while its inputs stay the same. */
  built?: BuiltRule[];
}

export interface ChainState {
  readonly name: string;
  readonly table: string;
  readonly builtin: boolean;
  rules: PendingRule[];
  policy: Partial<Record<Family, { field: Field<Action>; text: string }>>;
  span: Span;
  nameSpan: Span;
}

export interface Context {
  readonly text: string;
  readonly problems: ParseProblem[];
  readonly tables: Map<string, Map<string, ChainState>>;
  readonly families: Set<Family>;
  /** Built on first use: save files count their lines as they read them. */
  lines?: LineIndex;
}

export function chainOf(ctx: Context, table: string, name: string, span: Span, nameSpan: Span): ChainState {
  let chains = ctx.tables.get(table);
  if (!chains) ctx.tables.set(table, (chains = new Map()));
  let chain = chains.get(name);
  if (!chain) {
    chain = { name, table, builtin: BUILTIN_DIRECTION.has(name), rules: [], policy: {}, span, nameSpan };
    chains.set(name, chain);
  }
  return chain;
}

export function problem(ctx: Context, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): undefined {
  ctx.problems.push({ code, message, span, severity });
  return undefined;
}

export const spanOf = (words: readonly ShellWord[]): Span => ({ start: words[0].span.start, end: words[words.length - 1].span.end });
