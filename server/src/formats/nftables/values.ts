import { AddressSet, parsePortRange, Ports, type PortSet } from '../../net';
import type { Span, Unresolved } from '../../model';
import type { Token } from './tokens';
import { type Context, Cursor, join, problem, type Table } from './context';
import type { RuleBuild } from './rules';

/**
 * Values in rule expressions: literals, `$defines`, anonymous and named sets,
 * ranges and prefixes, turned into address and port sets (unknown, with the
 * reason, when a value is only known at run time).
 */

/** Service names nft reads from /etc/services that Citrix-relevant rules use. */
const SERVICES: Readonly<Record<string, number>> = {
  ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, kerberos: 88, ntp: 123, 'netbios-ns': 137, 'netbios-dgm': 138,
  'netbios-ssn': 139, ldap: 389, https: 443, 'microsoft-ds': 445, ldaps: 636, 'ms-sql-s': 1433, 'ms-wbt-server': 3389,
  radius: 1812, snmp: 161, syslog: 514, imap: 143, pop3: 110, ftp: 21, tftp: 69, bootps: 67, bootpc: 68, rdp: 3389,
  'citrix-ica': 1494, http_alt: 8080, 'http-alt': 8080, 'kerberos-adm': 749, kpasswd: 464, 'ms-sql-m': 1434,
};

/** `{ a, b, c }` → [[a], [b], [c]]; concatenations and element options stay in their group. */
export function splitElements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'eol') continue;
    if (t.kind === 'punct' && t.text === '{') {
      if (depth++ === 0) continue;
    }
    if (t.kind === 'punct' && t.text === '}') {
      if (--depth === 0) continue;
    }
    if (t.kind === 'punct' && t.text === ',' && depth === 1) {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length) out.push(cur);
  return out;
}

export interface Value {
  /** The element groups (one token list per element). */
  readonly elements: Token[][];
  readonly setRef?: Token;
  readonly variable?: Token;
  readonly span: Span;
  readonly negated: boolean;
}

/** A match's right side: `x`, `!= x`, `{ a, b }`, `a, b`, `$define`, `@set`. */
export function readValue(ctx: Context, c: Cursor, depth = 0): Value | undefined {
  let negated = false;
  if (c.is('!=') || c.is('ne')) {
    c.next();
    negated = true;
  } else if (c.is('==') || c.is('eq')) c.next();
  const t = c.next();
  if (!t) return undefined;
  if (t.kind === 'setref') return { elements: [], setRef: t, span: t.span, negated };
  if (t.kind === 'var') {
    const def = ctx.defines.get(t.text);
    if (!def || depth > 8) return { elements: [], variable: t, span: t.span, negated };
    const inner = readValue(ctx, new Cursor(def), depth + 1);
    return inner ? { ...inner, span: t.span, negated: negated !== inner.negated } : { elements: [], variable: t, span: t.span, negated };
  }
  if (t.kind === 'punct' && t.text === '{') {
    c.i--;
    const start = c.i;
    c.skipBlock();
    const toks = c.tokens.slice(start, c.i);
    const elements = expandVars(ctx, splitElements(toks), depth);
    return { elements, span: join(t.span, toks[toks.length - 1].span), negated };
  }
  const elements: Token[][] = [[t]];
  let last = t;
  // Comma lists without braces (`ct state established,related`).
  while (c.is(',') && c.peek(1) && c.peek(1)?.kind === 'word') {
    c.next();
    last = c.next() as Token;
    elements.push([last]);
  }
  return { elements, span: join(t.span, last.span), negated };
}

export function expandVars(ctx: Context, elements: Token[][], depth: number): Token[][] {
  const out: Token[][] = [];
  for (const el of elements) {
    if (el.length === 1 && el[0].kind === 'var' && depth < 8) {
      const def = ctx.defines.get(el[0].text);
      if (def) {
        const inner = readValue(ctx, new Cursor(def), depth + 1);
        if (inner && !inner.setRef && !inner.variable) {
          out.push(...inner.elements);
          continue;
        }
      }
    }
    out.push(el);
  }
  return out;
}

export function textOf(ctx: Context, span: Span): string {
  return ctx.text.slice(span.start, span.end);
}

export function addresses(ctx: Context, value: Value, table: Table, unresolved: Unresolved[]): AddressSet {
  if (value.variable) {
    unresolved.push({ text: `$${value.variable.text}`, span: value.span, reason: `$${value.variable.text} is not defined in this file` });
    return AddressSet.symbol('variable', `$${value.variable.text}`);
  }
  let elements = value.elements;
  if (value.setRef) {
    const set = table.sets.get(value.setRef.text);
    if (!set || set.dynamic) {
      unresolved.push({ text: `@${value.setRef.text}`, span: value.span, reason: set ? 'the set is filled at run time' : 'the set is not declared in this file' });
      return AddressSet.symbol('named-set', `@${value.setRef.text}`);
    }
    elements = set.elements;
  }
  let acc = AddressSet.none();
  for (const el of elements) {
    const text = el.filter((t) => t.kind === 'word').map((t) => t.text).join('');
    const one = AddressSet.parse(text);
    if (one.ok) acc = acc.union(one.value);
    else {
      problem(ctx, 'unparsed-rule', one.error, el[0]?.span ?? value.span);
      unresolved.push({ text, span: el[0]?.span ?? value.span, reason: one.error });
      acc = acc.union(AddressSet.symbol('variable', text));
    }
  }
  return acc;
}

export function portsOf(ctx: Context, value: Value, table: Table, b: RuleBuild): PortSet | undefined {
  const unknown = (text: string, reason: string): undefined => {
    b.unresolved.push({ text, span: value.span, reason });
    b.conditions.push({ kind: 'other', text: textOf(ctx, value.span), span: value.span, effect: 'unknown' });
    return undefined;
  };
  if (value.variable) return unknown(`$${value.variable.text}`, `$${value.variable.text} is not defined in this file`);
  let elements = value.elements;
  if (value.setRef) {
    const set = table.sets.get(value.setRef.text);
    if (!set || set.dynamic) return unknown(`@${value.setRef.text}`, set ? 'the set is filled at run time' : 'the set is not declared in this file');
    elements = set.elements;
  }
  let acc = Ports.none();
  for (const el of elements) {
    const text = el.filter((t) => t.kind === 'word').map((t) => t.text).join('');
    const named = SERVICES[text];
    if (named !== undefined) {
      acc = acc.union(Ports.single(named));
      continue;
    }
    const r = parsePortRange(text, ['-']);
    if (!r.ok) {
      problem(ctx, 'unparsed-rule', /^[a-z]/i.test(text) ? `service name "${text}" is not known here; write the port number` : r.error, el[0]?.span ?? value.span);
      return unknown(text, r.error);
    }
    acc = acc.union(r.value);
  }
  return acc;
}
