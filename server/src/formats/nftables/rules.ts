import { parseProtocol, Protocols, TCP, UDP, type ProtocolSet } from '../../net';
import type { MatchCondition, Rule, RuleTarget, Span, Unresolved } from '../../model';
import type { Token } from './tokens';
import { firstPacketEffect, tcpFlagBits } from '../tcpFlags';
import { type Chain, type Context, Cursor, join, type PendingRule, problem } from './context';
import { addresses, expandVars, portsOf, readValue, splitElements, textOf, type Value } from './values';

/**
 * One rule statement's tokens → its matches (selectors, lookups in sets and
 * verdict maps, TCP flag tests, protocols) and verdict. A rule with several
 * alternatives (a set of protocols, a verdict map) becomes several.
 */

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type RuleFields = Mutable<Pick<Partial<Rule>, 'protocols' | 'source' | 'destination' | 'sourcePorts' | 'destinationPorts' | 'comment'>>;

export interface RuleBuild {
  fields: RuleFields;
  conditions: MatchCondition[];
  unresolved: Unresolved[];
  target?: RuleTarget;
  l3?: 4 | 6;
  l4?: ProtocolSet;
  /** The `tcp` / `udp` of the first `tcp dport …` that set l4, where no protocol is written on its own (a quick fix edits it). */
  l4Span?: Span;
  /**
   * A lookup in a set of concatenations or a verdict map: the rule matches
   * when the packet's key is one of the elements (each with its own verdict
   * in a map), so it becomes one rule per element. Elements of a set or map
   * never overlap, so their order does not matter.
   */
  alternatives?: Alternative[];
}

interface Alternative {
  readonly label: string;
  readonly fields: RuleFields;
  readonly l3?: 4 | 6;
  readonly l4?: ProtocolSet;
  readonly target?: RuleTarget;
}

/** A packet field a set or map lookup can key on. */
interface Selector {
  readonly field: 'source' | 'destination' | 'destinationPorts' | 'sourcePorts' | 'protocols';
  readonly l3?: 4 | 6;
  readonly l4?: ProtocolSet;
}

const PORT_PROTOCOLS = ['tcp', 'udp', 'th', 'sctp', 'dccp', 'udplite'];

function transportOf(w: string): ProtocolSet {
  if (w === 'tcp') return Protocols.of(TCP);
  if (w === 'udp') return Protocols.of(UDP);
  if (w === 'th') return Protocols.of(TCP, UDP, 132, 33, 136);
  const p = parseProtocol(w);
  return p.ok ? p.value : Protocols.any();
}

/** `ip saddr`, `ip6 daddr`, `tcp dport`, `th sport`, `meta l4proto`, `ip protocol`: the selector starting at `t` (already taken). */
function readSelector(t: Token, c: Cursor): Selector | undefined {
  const w = t.text;
  if (t.kind !== 'word') return undefined;
  if ((w === 'ip' || w === 'ip6') && (c.is('saddr') || c.is('daddr'))) {
    const f = c.next() as Token;
    return { field: f.text === 'saddr' ? 'source' : 'destination', l3: w === 'ip' ? 4 : 6 };
  }
  if ((w === 'ip' && c.is('protocol')) || (w === 'ip6' && c.is('nexthdr'))) {
    c.next();
    return { field: 'protocols', l3: w === 'ip' ? 4 : 6 };
  }
  if (w === 'meta' && c.is('l4proto')) {
    c.next();
    return { field: 'protocols' };
  }
  if (PORT_PROTOCOLS.includes(w) && (c.is('dport') || c.is('sport'))) {
    const f = c.next() as Token;
    return { field: f.text === 'dport' ? 'destinationPorts' : 'sourcePorts', l4: transportOf(w) };
  }
  return undefined;
}

const isDot = (t: Token | undefined): boolean => t !== undefined && t.kind === 'word' && t.text === '.';

const ELEMENT_OPTIONS = new Set(['timeout', 'expires', 'comment', 'counter']);

/** A map element `key : verdict` (also written `key: verdict` or `key:verdict`), split at its colon. */
function splitMapElement(el: Token[]): { key: Token[]; value: Token[] } | undefined {
  const at = el.findIndex((t) => t.kind === 'word' && t.text === ':');
  if (at >= 0) return { key: el.slice(0, at), value: el.slice(at + 1) };
  for (let i = 0; i < el.length; i++) {
    const t = el[i];
    if (t.kind !== 'word') continue;
    const m = /^(.*[^:]):([a-z]+)?$/.exec(t.text);
    if (!m || (m[2] !== undefined && !VERDICTS.has(m[2]))) continue;
    const keyTok: Token = { kind: 'word', text: m[1], span: { start: t.span.start, end: t.span.start + m[1].length } };
    const rest: Token[] = m[2] ? [{ kind: 'word', text: m[2], span: { start: t.span.end - m[2].length, end: t.span.end } }] : [];
    return { key: [...el.slice(0, i), keyTok], value: [...rest, ...el.slice(i + 1)] };
  }
  return undefined;
}

/**
 * A lookup keyed on one or more selectors joined by `.`: `ip saddr . tcp
 * dport @pairs`, `… { 10.0.0.1 . 1494 }`, `tcp dport vmap { 1494 : accept,
 * 2598 : drop }`, `… vmap @name`. The first selector is already read.
 */
function readLookup(ctx: Context, b: RuleBuild, c: Cursor, start: Token, first: Selector, rule: PendingRule, chains: ReadonlyMap<string, Chain>): void {
  const selectors = [first];
  const fail = (message: string): void => {
    const last = c.tokens[Math.max(0, c.i - 1)] ?? start;
    const span = join(start.span, last.span);
    problem(ctx, 'unparsed-rule', message, span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
  };
  while (isDot(c.peek())) {
    c.next();
    const t = c.next();
    const next = t ? readSelector(t, c) : undefined;
    if (!next) return fail(`"${t?.text ?? ''}" in a concatenation is not a field read here (ip saddr, tcp dport, meta l4proto, …); flows this rule may decide are unknown`);
    selectors.push(next);
  }
  const isMap = c.is('vmap');
  if (isMap) c.next();
  else if (c.is('map')) return fail('a data map (map …) gives a value, not a verdict; flows this rule may decide are unknown');
  const negated = !isMap && (c.is('!=') || c.is('ne'));
  if (negated || c.is('==') || c.is('eq')) c.next();
  const v = c.peek();
  let elements: Token[][];
  let what: string;
  if (v?.kind === 'setref') {
    c.next();
    const set = rule.table.sets.get(v.text);
    what = `@${v.text}`;
    if (!set || set.dynamic || set.isMap !== isMap) {
      const reason = !set ? `the ${isMap ? 'map' : 'set'} is not declared in this file` : set.dynamic ? `the ${isMap ? 'map' : 'set'} is filled at run time` : `@${v.text} is ${set.isMap ? 'a map' : 'a set'}`;
      b.unresolved.push({ text: what, span: v.span, reason });
      b.conditions.push({ kind: 'other', text: textOf(ctx, join(start.span, v.span)), span: join(start.span, v.span), effect: 'unknown' });
      return;
    }
    elements = set.elements;
  } else if (v?.kind === 'punct' && v.text === '{') {
    const from = c.i;
    c.skipBlock();
    elements = expandVars(ctx, splitElements(c.tokens.slice(from, c.i)), 0);
    what = 'the anonymous set';
  } else if (!isMap && v && v.kind === 'word') {
    // One concatenated value written inline: `ip saddr . tcp dport 10.0.0.1 . 1494`.
    const el: Token[] = [c.next() as Token];
    while (isDot(c.peek())) {
      el.push(c.next() as Token);
      const w = c.next();
      if (w) el.push(w);
    }
    elements = [el];
    what = 'the value';
  } else return fail('a set or map lookup needs @name or { … }; flows this rule may decide are unknown');
  if (negated) return fail(`"!=" on a concatenation is not modelled; flows this rule may decide are unknown`);
  const alternatives: Alternative[] = [];
  for (const raw of elements) {
    let el = raw.filter((t) => t.kind !== 'string');
    const optionAt = el.findIndex((t) => t.kind === 'word' && ELEMENT_OPTIONS.has(t.text));
    let target: RuleTarget | undefined;
    if (isMap) {
      const kv = splitMapElement(el);
      const vc = kv ? new Cursor(kv.value) : undefined;
      const vt = vc?.next();
      if (!kv || !vt || !VERDICTS.has(vt.text)) return fail(`an element of ${what} is not "key : verdict"; flows this rule may decide are unknown`);
      target = readVerdict(ctx, b, vc as Cursor, vt, chains);
      el = kv.key;
    } else if (optionAt >= 0) el = el.slice(0, optionAt);
    const parts: Token[][] = [[]];
    for (const t of el) {
      if (isDot(t)) parts.push([]);
      else parts[parts.length - 1].push(t);
    }
    if (parts.length !== selectors.length || parts.some((p) => p.length === 0)) {
      return fail(`an element of ${what} has ${parts.length} part(s) for ${selectors.length} field(s); flows this rule may decide are unknown`);
    }
    const fields: RuleFields = {};
    let l3: 4 | 6 | undefined;
    let l4: ProtocolSet | undefined;
    for (let k = 0; k < selectors.length; k++) {
      const sel = selectors[k];
      const part = parts[k];
      const span = join(part[0].span, part[part.length - 1].span);
      const value: Value = { elements: [part], span, negated: false };
      if (sel.l3) l3 = sel.l3;
      if (sel.l4) l4 = l4 ? l4.intersect(sel.l4) : sel.l4;
      const text = textOf(ctx, span);
      if (sel.field === 'source' || sel.field === 'destination') {
        fields[sel.field] = { value: addresses(ctx, value, rule.table, b.unresolved), span, text };
      } else if (sel.field === 'protocols') {
        const p = parseProtocol(part[0].text === 'ipv6-icmp' ? 'icmpv6' : part[0].text);
        if (!p.ok) return fail(`${part[0].text}: ${p.error}`);
        fields.protocols = { value: p.value, span, text };
        l4 = l4 ? l4.intersect(p.value) : p.value;
      } else {
        const ports = portsOf(ctx, value, rule.table, b);
        if (!ports) return;
        fields[sel.field] = { value: ports, span, text };
      }
    }
    alternatives.push({ label: parts.map((p) => p.map((t) => t.text).join('')).join(' . '), fields, l3, l4, target });
  }
  b.alternatives = b.alternatives ? combineAlternatives(b.alternatives, alternatives) : alternatives;
}

/** Two lookups in one rule: every pair of elements, as both must match. */
function combineAlternatives(a: readonly Alternative[], b: readonly Alternative[]): Alternative[] {
  const out: Alternative[] = [];
  for (const x of a) {
    for (const y of b) {
      out.push({ label: `${x.label}, ${y.label}`, fields: mergeFields(x.fields, y.fields), l3: y.l3 ?? x.l3, l4: x.l4 && y.l4 ? x.l4.intersect(y.l4) : (x.l4 ?? y.l4), target: y.target ?? x.target });
      if (out.length > 4096) return out;
    }
  }
  return out;
}

/** The fields of a rule's plain matches together with one lookup element's: both hold, so each field is the intersection. */
export function mergeFields(base: RuleFields, extra: RuleFields): RuleFields {
  const out: RuleFields = { ...base };
  for (const k of ['protocols', 'sourcePorts', 'destinationPorts'] as const) {
    const e = extra[k];
    if (!e) continue;
    const have = out[k];
    out[k] = have ? { ...e, value: have.value.intersect(e.value) } : e;
  }
  for (const k of ['source', 'destination'] as const) {
    const e = extra[k];
    if (!e) continue;
    const have = out[k];
    if (!have) out[k] = e;
    else if (have.value.isConcrete && e.value.isConcrete) out[k] = { ...e, value: have.value.intersect(e.value) };
    // With a name on either side the intersection cannot be written: the narrower concrete one stands.
    else out[k] = e.value.isConcrete ? e : have;
  }
  return out;
}

const LOOKUP_START = new Set(['ip', 'ip6', 'meta', ...PORT_PROTOCOLS]);

const VERDICTS = new Set(['accept', 'drop', 'reject', 'jump', 'goto', 'return', 'queue', 'continue']);

/** Statements that act on the packet without deciding its fate, with the number of words their arguments take. */
const STATEMENT_WORDS = new Set(['counter', 'log', 'limit', 'notrack', 'meter', 'set', 'update', 'add', 'quota', 'dnat', 'snat', 'masquerade', 'redirect']);

/** Reads the tokens of one rule into matches and a verdict. Unknown expressions make the rule's verdict unknown, not wrong. */
export function readRuleTokens(ctx: Context, rule: PendingRule, chains: ReadonlyMap<string, Chain>): RuleBuild {
  const b: RuleBuild = { fields: {}, conditions: [], unresolved: [] };
  const c = new Cursor(rule.tokens);
  const unknownExpr = (from: Token, to: Token, message: string): void => {
    const span = join(from.span, to.span);
    problem(ctx, 'unparsed-rule', message, span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
  };
  while (!c.done) {
    const t = c.next() as Token;
    const w = t.text;
    if (t.kind === 'string') continue;
    if (t.kind === 'word' && LOOKUP_START.has(w)) {
      const mark = c.i;
      const selector = readSelector(t, c);
      if (selector && (isDot(c.peek()) || c.is('vmap'))) {
        readLookup(ctx, b, c, t, selector, rule, chains);
        continue;
      }
      c.i = mark;
    }
    if (w === 'ip' || w === 'ip6') {
      const field = c.next();
      if (!field) return b;
      if (w === 'ip' && field.text === 'protocol') {
        readProtocol(ctx, b, c, t);
        b.l3 = 4;
        continue;
      }
      if (w === 'ip6' && field.text === 'nexthdr') {
        readProtocol(ctx, b, c, t);
        b.l3 = 6;
        continue;
      }
      b.l3 = w === 'ip' ? 4 : 6;
      if (field.text === 'saddr' || field.text === 'daddr') {
        const value = readValue(ctx, c);
        if (!value) return b;
        const set = addresses(ctx, value, rule.table, b.unresolved);
        const f = { value: value.negated ? set.complement() : set, span: value.span, text: textOf(ctx, value.span) };
        if (field.text === 'saddr') b.fields.source = f;
        else b.fields.destination = f;
        continue;
      }
      const value = readValue(ctx, c);
      unknownExpr(t, value ? { ...t, span: value.span } : field, `"${w} ${field.text}" is not modelled; flows this rule may decide are unknown`);
      continue;
    }
    if (w === 'tcp' && c.is('flags')) {
      c.next();
      const from = c.i;
      const test = readTcpFlagsTest(c);
      const last = c.tokens[c.i - 1] ?? t;
      b.l4 = b.l4 ? b.l4.intersect(Protocols.of(TCP)) : Protocols.of(TCP);
      if (!test) {
        c.i = Math.max(c.i, from);
        unknownExpr(t, last, `"${textOf(ctx, join(t.span, last.span))}" is not a tcp flags test read here; flows this rule may decide are unknown`);
        continue;
      }
      const span = join(t.span, last.span);
      b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: firstPacketEffect(test) });
      continue;
    }
    if (['tcp', 'udp', 'th', 'sctp', 'dccp', 'udplite'].includes(w) && (c.is('dport') || c.is('sport'))) {
      const which = (c.next() as Token).text;
      const proto = w === 'tcp' ? Protocols.of(TCP) : w === 'udp' ? Protocols.of(UDP) : w === 'th' ? Protocols.of(TCP, UDP, 132, 33, 136) : (parseProtocol(w).ok ? (parseProtocol(w) as { value: ProtocolSet }).value : Protocols.any());
      if (!b.l4 && (w === 'tcp' || w === 'udp')) b.l4Span = t.span;
      b.l4 = b.l4 ? b.l4.intersect(proto) : proto;
      const value = readValue(ctx, c);
      if (!value) return b;
      const ports = portsOf(ctx, value, rule.table, b);
      if (!ports) continue;
      const f = { value: value.negated ? ports.complement() : ports, span: value.span, text: textOf(ctx, value.span) };
      if (which === 'dport') b.fields.destinationPorts = f;
      else b.fields.sourcePorts = f;
      continue;
    }
    if (w === 'meta' && (c.is('l4proto') || c.is('protocol') || c.is('nfproto'))) {
      const key = (c.next() as Token).text;
      if (key === 'l4proto') readProtocol(ctx, b, c, t);
      else {
        const value = readValue(ctx, c);
        const v = value?.elements[0]?.[0]?.text;
        if (key === 'nfproto' && (v === 'ipv4' || v === 'ipv6') && !value?.negated) b.l3 = v === 'ipv4' ? 4 : 6;
        else if (key === 'protocol' && (v === 'ip' || v === 'ip6') && !value?.negated) b.l3 = v === 'ip' ? 4 : 6;
        else unknownExpr(t, value ? { ...t, span: value.span } : t, `"meta ${key}" with this value is not modelled`);
      }
      continue;
    }
    if (w === 'ct' && c.is('state')) {
      c.next();
      const value = readValue(ctx, c);
      if (!value) return b;
      const states = value.elements.map((e) => e[0]?.text ?? '');
      const resolved = value.setRef || value.variable ? [] : states;
      const known = resolved.length > 0 && resolved.every((s) => ['new', 'established', 'related', 'invalid', 'untracked'].includes(s));
      const matchesNew = resolved.includes('new') !== value.negated;
      const span = join(t.span, value.span);
      b.conditions.push({ kind: 'conntrack', text: textOf(ctx, span), span, effect: !known ? 'unknown' : matchesNew ? 'assume-match' : 'never-matches-new' });
      continue;
    }
    if (w === 'iifname' || w === 'oifname' || w === 'iif' || w === 'oif' || (w === 'meta' && ['iifname', 'oifname', 'iif', 'oif'].some((k) => c.is(k)))) {
      const key = w === 'meta' ? (c.next() as Token).text : w;
      const value = readValue(ctx, c);
      if (!value) return b;
      const names = value.elements.map((e) => e[0]?.text ?? '');
      const isLo = names.length === 1 && names[0] === 'lo';
      const effect: MatchCondition['effect'] = isLo ? (value.negated ? 'assume-match' : 'never-matches-new') : value.negated ? 'unknown' : 'assume-match';
      const span = join(t.span, value.span);
      b.conditions.push({ kind: key.startsWith('i') ? 'interface-in' : 'interface-out', text: textOf(ctx, span), span, effect });
      continue;
    }
    if (w === 'comment') {
      const s = c.next();
      if (s) b.fields.comment = s.text;
      continue;
    }
    if (VERDICTS.has(w) && t.kind === 'word') {
      b.target = readVerdict(ctx, b, c, t, chains);
      continue;
    }
    if (STATEMENT_WORDS.has(w) && t.kind === 'word') {
      // Statement arguments: everything up to the next verdict or statement keyword.
      while (!c.done && !(VERDICTS.has(c.peek()?.text ?? '') && c.peek()?.kind === 'word') && !(STATEMENT_WORDS.has(c.peek()?.text ?? '') && c.peek()?.kind === 'word') && !c.is('comment')) {
        if (c.is('{')) {
          c.skipBlock();
          continue;
        }
        c.next();
      }
      if (w === 'limit') b.conditions.push({ kind: 'other', text: 'limit', span: t.span, effect: 'assume-match' });
      continue;
    }
    // Something we do not model: take it and its value as one unknown match.
    let last = t;
    while (!c.done) {
      const p = c.peek() as Token;
      if (p.kind === 'word' && (VERDICTS.has(p.text) || STATEMENT_WORDS.has(p.text) || ['ip', 'ip6', 'tcp', 'udp', 'th', 'meta', 'ct', 'iifname', 'oifname', 'comment'].includes(p.text))) break;
      if (p.kind === 'punct' && p.text === '{') {
        c.skipBlock();
        last = c.tokens[c.i - 1] ?? p;
        continue;
      }
      last = c.next() as Token;
    }
    unknownExpr(t, last, `"${textOf(ctx, join(t.span, last.span))}" is not modelled; flows this rule may decide are unknown`);
  }
  return b;
}

/**
 * `tcp flags …` as a test of the flag byte, the way nft compiles it:
 * `syn` (implicit) is `flags & syn != 0`, `! syn` is `flags & syn == 0`,
 * `== syn` / `!= syn` compare the whole byte, `syn / fin,syn,rst,ack` and
 * `& (fin|syn|rst|ack) == syn` compare under a mask, `{ syn, syn|ack }` is
 * one of the values. Undefined when the expression is not one of these.
 */
function readTcpFlagsTest(c: Cursor): ((flags: number) => boolean) | undefined {
  const flagValue = (): number | undefined => {
    const names: string[] = [];
    const open = c.is('(');
    if (open) c.next();
    // Whether a flag name may come next: at the start, and after `,` or `|`.
    let want = true;
    for (;;) {
      const t = c.peek();
      if (!t) break;
      if (open && t.kind === 'punct' && t.text === ')') {
        c.next();
        break;
      }
      if (t.kind === 'punct' && t.text === ',' && !want) {
        c.next();
        want = true;
        continue;
      }
      if (t.kind !== 'word' || (!want && !t.text.startsWith('|'))) break;
      names.push(...t.text.split('|').filter((p) => p !== ''));
      want = t.text.endsWith('|');
      c.next();
    }
    return names.length ? tcpFlagBits(names) : undefined;
  };
  if (c.is('&')) {
    c.next();
    const mask = flagValue();
    const op = c.is('==') || c.is('eq') ? '==' : c.is('!=') || c.is('ne') ? '!=' : undefined;
    if (mask === undefined || !op) return undefined;
    c.next();
    const value = flagValue();
    if (value === undefined) return undefined;
    return (f) => ((f & mask) === value) !== (op === '!=');
  }
  if (c.is('{')) {
    const start = c.i;
    c.skipBlock();
    const values = new Set<number>();
    for (const el of splitElements(c.tokens.slice(start, c.i))) {
      const bits = tcpFlagBits(el.filter((t) => t.kind === 'word').flatMap((t) => t.text.split('|')));
      if (bits === undefined) return undefined;
      values.add(bits);
    }
    return (f) => values.has(f);
  }
  let op: '==' | '!=' | '!' | 'implicit' = 'implicit';
  if (c.is('==') || c.is('eq')) op = '==';
  else if (c.is('!=') || c.is('ne')) op = '!=';
  else if (c.is('!')) op = '!';
  if (op !== 'implicit') c.next();
  const value = flagValue();
  if (value === undefined) return undefined;
  if (c.is('/')) {
    c.next();
    const mask = flagValue();
    if (mask === undefined || op === '!') return undefined;
    return (f) => ((f & mask) === value) !== (op === '!=');
  }
  if (op === '==') return (f) => f === value;
  if (op === '!=') return (f) => f !== value;
  if (op === '!') return (f) => (f & value) === 0;
  return (f) => (f & value) !== 0;
}

function readVerdict(ctx: Context, b: RuleBuild, c: Cursor, t: Token, chains: ReadonlyMap<string, Chain>): RuleTarget {
  switch (t.text) {
    case 'accept':
      return { kind: 'allow' };
    case 'drop':
      return { kind: 'deny' };
    case 'reject':
      if (c.is('with')) {
        c.next();
        while (!c.done && c.peek()?.kind === 'word' && !VERDICTS.has(c.peek()?.text ?? '')) c.next();
      }
      return { kind: 'deny', reject: true };
    case 'return':
      return { kind: 'return' };
    case 'continue':
      return { kind: 'continue', note: 'continue' };
    case 'queue':
      while (!c.done && c.peek()?.kind === 'word') c.next();
      b.conditions.push({ kind: 'other', text: 'queue', span: t.span, effect: 'unknown' });
      return { kind: 'continue', note: 'queue hands the packet to a user-space program, which decides' };
    default: {
      const name = c.next();
      if (!name || name.kind === 'var') {
        b.conditions.push({ kind: 'other', text: `${t.text} ${name ? '$' + name.text : ''}`, span: t.span, effect: 'unknown' });
        return { kind: 'continue', note: `${t.text} target is not known` };
      }
      const target = chains.get(name.text);
      if (!target || target.base) {
        problem(ctx, 'unparsed-rule', `${t.text} ${name.text}: no regular chain of that name in this table`, name.span);
        b.conditions.push({ kind: 'other', text: `${t.text} ${name.text}`, span: join(t.span, name.span), effect: 'unknown' });
        return { kind: 'continue', note: `unknown chain ${name.text}` };
      }
      return t.text === 'jump' ? { kind: 'jump', chain: name.text } : { kind: 'goto', chain: name.text };
    }
  }
}

function readProtocol(ctx: Context, b: RuleBuild, c: Cursor, start: Token): void {
  const value = readValue(ctx, c);
  if (!value) return;
  let set = Protocols.none();
  let ok = true;
  for (const el of value.elements) {
    const p = parseProtocol(el[0]?.text === 'ipv6-icmp' ? 'icmpv6' : el[0]?.text ?? '');
    if (p.ok) set = set.union(p.value);
    else ok = false;
  }
  if (!ok || value.setRef || value.variable) {
    const span = join(start.span, value.span);
    b.conditions.push({ kind: 'other', text: textOf(ctx, span), span, effect: 'unknown' });
    return;
  }
  const proto = value.negated ? set.complement() : set;
  b.l4 = b.l4 ? b.l4.intersect(proto) : proto;
  b.fields.protocols = { value: proto, span: value.span, text: textOf(ctx, value.span) };
}
