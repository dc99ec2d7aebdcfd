import { AddressSet, Ports, Protocols, type PortSet, type ProtocolSet } from '../net';
import type { Action, Direction, Field, MatchCondition, ParseProblem, Rule, Span, Unresolved } from './types';

/**
 * Builds a rule with the "matches everything" defaults a format leaves out
 * (no protocol = any, no port = any), so parsers state only what the source
 * says.
 */
// Sets are immutable, so every rule can share the same "matches everything" values.
const ANY_PROTOCOL = { value: Protocols.any() };
const ANY_ADDRESS = { value: AddressSet.any() };
const ANY_PORT = { value: Ports.any() };
const ENABLED = { value: true };
const NONE: readonly never[] = [];

export function makeRule(fields: Partial<Rule> & Pick<Rule, 'id' | 'target' | 'direction' | 'span' | 'raw' | 'order'>): Rule {
  return unorderedRule(fields) as Rule;
}

/** makeRule for a rule whose parser numbers it later, when it joins its list (implicit rules built ahead of it). */
export function unorderedRule(fields: Partial<Rule> & Pick<Rule, 'id' | 'target' | 'direction' | 'span' | 'raw'>): Omit<Rule, 'order'> {
  return {
    protocols: ANY_PROTOCOL,
    source: ANY_ADDRESS,
    destination: ANY_ADDRESS,
    sourcePorts: ANY_PORT,
    destinationPorts: ANY_PORT,
    enabled: ENABLED,
    conditions: NONE,
    unresolved: NONE,
    ...fields,
  };
}

/**
 * The shared "matches everything" fields makeRule fills in, for parsers that
 * build many rules and write them as one object literal of a fixed shape
 * (spreading a partial rule makes every rule a differently shaped object).
 */
export const RULE_DEFAULTS = {
  protocols: ANY_PROTOCOL as Field<ProtocolSet>,
  source: ANY_ADDRESS as Field<AddressSet>,
  destination: ANY_ADDRESS as Field<AddressSet>,
  sourcePorts: ANY_PORT as Field<PortSet>,
  destinationPorts: ANY_PORT as Field<PortSet>,
  enabled: ENABLED as Field<boolean>,
  none: NONE,
} as const;

// Parsers that reuse the work of a previous version move what an unchanged line produced by the offset it moved.
export function shiftSpan(span: Span, delta: number): Span {
  return { start: span.start + delta, end: span.end + delta };
}

export function shiftField<T>(field: Field<T>, delta: number): Field<T> {
  if (!field.span || delta === 0) return field;
  return field.text === undefined ? { value: field.value, span: shiftSpan(field.span, delta) } : { value: field.value, span: shiftSpan(field.span, delta), text: field.text };
}

export function shiftConditions(list: readonly MatchCondition[], delta: number): readonly MatchCondition[] {
  if (list.length === 0 || delta === 0) return list;
  return list.map((c) => (c.span ? { kind: c.kind, text: c.text, span: shiftSpan(c.span, delta), effect: c.effect } : c));
}

export function shiftUnresolved(list: readonly Unresolved[], delta: number): readonly Unresolved[] {
  if (list.length === 0 || delta === 0) return list;
  return list.map((u) => (u.span ? { text: u.text, span: shiftSpan(u.span, delta), reason: u.reason } : u));
}

export function shiftProblems(list: readonly ParseProblem[], delta: number): readonly ParseProblem[] {
  if (list.length === 0 || delta === 0) return list;
  return list.map((p) => ({ code: p.code, message: p.message, span: shiftSpan(p.span, delta), severity: p.severity }));
}

export function defaultAction(action: Action, span?: Span): Field<Action> {
  return { value: action, span };
}

export const ALL_DIRECTIONS: readonly Direction[] = ['inbound', 'outbound', 'forward'];

/** Offsets of line starts, for converting offsets to 0-based line/character pairs and back. */
export class LineIndex {
  // The parser, the annotations, suppressions and each code action all index the same text: indexing a 2 MB file
  // takes ~10 ms, so the last few texts' indexes are kept (a text is immutable; one compared by reference is the same).
  private static readonly recent: LineIndex[] = [];
  private static readonly RECENT = 4;

  /** The index of `text`, shared with whoever indexed the same text last. */
  static of(text: string): LineIndex {
    const recent = LineIndex.recent;
    const at = recent.findIndex((index) => index.text === text);
    if (at >= 0) return recent[at];
    const index = new LineIndex(text);
    recent.unshift(index);
    if (recent.length > LineIndex.RECENT) recent.pop();
    return index;
  }

  private readonly starts: number[];
  constructor(readonly text: string) {
    this.starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }
  get lineCount(): number {
    return this.starts.length;
  }
  positionAt(offset: number): { line: number; character: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }
  offsetAt(line: number, character: number): number {
    if (line >= this.starts.length) return this.text.length;
    if (line < 0) return 0;
    return Math.min(this.starts[line] + character, this.lineEnd(line));
  }
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }
  /** Offset of the end of the line's content, before its line break. */
  lineEnd(line: number): number {
    const next = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    let end = next;
    if (end > this.starts[line] && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > this.starts[line] && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }
  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }
}
