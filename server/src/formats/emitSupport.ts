import type { Rule, RuleSet, Span } from '../model';
import type { TextEdit } from '../model/edits';
import { rangeToCidrs4, rangeToCidrs6, type AddressSet, type AddressSymbol } from '../net';

/**
 * What every rule writer needs whatever its syntax: the file's line ending
 * and indentation, insertions merged per offset, rule names in the
 * neighbours' style, a free priority, addresses split into literals and
 * placeholders.
 */

export function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

export function lineStartAt(text: string, offset: number): number {
  let i = Math.max(0, Math.min(offset, text.length));
  while (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== '\r') i--;
  return i;
}

/** Offset of the line's end, before its line break. */
export function lineEndAt(text: string, offset: number): number {
  let i = Math.max(0, Math.min(offset, text.length));
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

/** Leading blanks of the line holding `offset`, as written (tabs stay tabs). */
export function indentAt(text: string, offset: number): string {
  const start = lineStartAt(text, offset);
  let i = start;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return text.slice(start, i);
}

/** One indentation step as the file writes it: the difference between a line's indent and its child's, else two spaces. */
export function indentUnit(outer: string, inner: string): string {
  if (inner.length > outer.length && inner.startsWith(outer)) return inner.slice(outer.length);
  return outer.includes('\t') || inner.includes('\t') ? '\t' : '  ';
}

/**
 * Insertions collected per offset and returned as one edit per offset in the
 * order they were added (two edits at one offset would be applied in reverse).
 */
export class Insertions {
  private readonly at = new Map<number, string[]>();

  add(offset: number, text: string): void {
    const list = this.at.get(offset) ?? [];
    list.push(text);
    this.at.set(offset, list);
  }

  edits(uri: string): TextEdit[] {
    return [...this.at.entries()].sort((a, b) => a[0] - b[0]).map(([offset, texts]) => ({ uri, span: { start: offset, end: offset }, newText: texts.join('') }));
  }

  get isEmpty(): boolean {
    return this.at.size === 0;
  }
}

export type NameStyle = 'pascal' | 'camel' | 'kebab' | 'lower-kebab' | 'snake' | 'lower-snake' | 'upper-snake';

/** `Allow-Citrix-ICA-from-gateway-snip`, `AllowIcaFromGateway`, `allow_ica` → their words. */
export function nameWords(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split(/[^A-Za-z0-9]+/)) {
    if (!part) continue;
    // Split camel case, keeping acronyms whole: `AllowICAFromGW` → Allow, ICA, From, GW.
    let word = '';
    for (let i = 0; i < part.length; i++) {
      const c = part[i];
      const next = part[i + 1] ?? '';
      const isUpper = c >= 'A' && c <= 'Z';
      const prev = part[i - 1] ?? '';
      const boundary =
        word.length > 0 &&
        isUpper &&
        ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') || (prev >= 'A' && prev <= 'Z' && next >= 'a' && next <= 'z'));
      if (boundary) {
        out.push(word);
        word = '';
      }
      word += c;
    }
    if (word) out.push(word);
  }
  return out;
}

/** The style most of the existing names share; `fallback` when there are none. */
export function detectNameStyle(names: readonly string[], fallback: NameStyle): NameStyle {
  const counts = new Map<NameStyle, number>();
  for (const n of names) {
    const style = styleOf(n);
    if (style) counts.set(style, (counts.get(style) ?? 0) + 1);
  }
  let best: NameStyle | undefined;
  for (const [s, c] of counts) if (!best || c > (counts.get(best) ?? 0)) best = s;
  return best ?? fallback;
}

function styleOf(name: string): NameStyle | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return undefined;
  const hasUpper = /[A-Z]/.test(name);
  const hasLower = /[a-z]/.test(name);
  if (name.includes('-')) return hasUpper ? 'kebab' : 'lower-kebab';
  if (name.includes('_')) return hasLower ? (hasUpper ? 'snake' : 'lower-snake') : 'upper-snake';
  if (hasUpper && hasLower) return /^[A-Z]/.test(name) ? 'pascal' : 'camel';
  return hasUpper ? 'upper-snake' : 'lower-kebab';
}

const ACRONYMS = new Set(['ica', 'tcp', 'udp', 'icmp', 'edt', 'hdx', 'tls', 'rdp', 'ldap', 'http', 'https', 'sql', 'dns', 'snip', 'nsip', 'vda', 'fas', 'wem', 'adc', 'rtp', 'html5', 'smb', 'ntp', 'kms', 'mcs', 'pvs']);

const capital = (w: string): string => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());

export function styleName(words: readonly string[], style: NameStyle): string {
  const ws = words.filter(Boolean);
  switch (style) {
    case 'pascal':
      return ws.map(capital).join('');
    case 'camel':
      return ws.map((w, i) => (i === 0 ? w.toLowerCase() : capital(w))).join('');
    case 'kebab':
      return ws.map(capital).join('-');
    case 'lower-kebab':
      return ws.map((w) => w.toLowerCase()).join('-');
    case 'snake':
      return ws.map(capital).join('_');
    case 'lower-snake':
      return ws.map((w) => w.toLowerCase()).join('_');
    case 'upper-snake':
      return ws.map((w) => w.toUpperCase()).join('_');
  }
}

/** `base`, or `base-2`, `base-3`… in the same style, not in `used` (compared case-insensitively, as Azure does); adds it. */
export function uniqueName(base: string, used: Set<string>, joiner = '-', maxLength = 80): string {
  const lower = new Set([...used].map((u) => u.toLowerCase()));
  let name = base.slice(0, maxLength);
  for (let n = 2; lower.has(name.toLowerCase()); n++) {
    const suffix = `${joiner}${n}`;
    name = `${base.slice(0, maxLength - suffix.length)}${suffix}`;
  }
  used.add(name);
  return name;
}

/** Terraform/Bicep identifiers: letters, digits, underscores, not starting with a digit. */
export function identifier(words: readonly string[], style: 'lower-snake' | 'camel'): string {
  const id = styleName(words, style).replace(/[^A-Za-z0-9_]/g, '');
  return /^[0-9]/.test(id) ? `r_${id}` : id || 'citrix_rule';
}

export interface PriorityChoice {
  /** Priorities taken in this direction (existing rules and earlier requests of the batch). */
  readonly used: ReadonlySet<number>;
  /** The new rule must come before this one (exclusive). */
  readonly upper: number;
  readonly min: number;
  /** Where a list with nothing below `upper` starts (Azure 100, GCP 1000). */
  readonly start: number;
  /** Every priority the rule set uses, to learn its step (10 or 100). */
  readonly all: readonly number[];
}

/**
 * A free priority below `upper`: right after the last rule below it in the
 * file's own step (100, 110 → 120; 100, 200 → 300), else ten after it, else
 * halfway, else any free number. Undefined when every number in range is taken.
 */
export function choosePriority(c: PriorityChoice): number | undefined {
  const step = c.all.length > 0 && c.all.every((p) => p % 100 === 0) ? 100 : 10;
  let prev: number | undefined;
  for (const p of c.used) if (p < c.upper && p >= c.min && (prev === undefined || p > prev)) prev = p;
  const candidates: number[] = [];
  if (prev !== undefined) candidates.push(prev + step, prev + 10, Math.floor((prev + c.upper) / 2));
  else candidates.push(c.start, c.upper - step, Math.floor((c.min + c.upper) / 2));
  for (const x of candidates) if (Number.isInteger(x) && x >= c.min && x < c.upper && (prev === undefined || x > prev) && !c.used.has(x)) return x;
  for (let x = c.upper - 1; x >= c.min; x--) if (!c.used.has(x)) return x;
  return undefined;
}

/** Addresses as literals a rule can hold, and the names it cannot write (undeclared roles, unresolved symbols). */
export interface AddressPlan {
  readonly any: boolean;
  /** Minimal CIDRs, single hosts with their /32 or /128. */
  readonly cidrs4: readonly string[];
  readonly cidrs6: readonly string[];
  readonly symbols: readonly AddressSymbol[];
}

export function addressPlan(set: AddressSet): AddressPlan {
  const any = set.isAny;
  const cidrs4: string[] = [];
  const cidrs6: string[] = [];
  if (!any) {
    for (const r of set.v4.ranges) cidrs4.push(...rangeToCidrs4(r.from, r.to));
    for (const r of set.v6.ranges) cidrs6.push(...rangeToCidrs6(r.from, r.to));
  }
  return { any, cidrs4, cidrs6, symbols: set.symbols.filter((s) => !s.negated) };
}

/** A single host without its prefix length, as Azure and people write it. */
export function shortCidr(cidr: string): string {
  if (cidr.endsWith('/32') && !cidr.includes(':')) return cidr.slice(0, -3);
  if (cidr.endsWith('/128') && cidr.includes(':')) return cidr.slice(0, -4);
  return cidr;
}

/** Words naming the placeholder for an address the topology does not give: `role:gateway-snip` → citrix gateway snip addresses. */
export function placeholderWords(symbol: AddressSymbol): string[] {
  const base = symbol.name.startsWith('role:') ? symbol.name.slice(5) : symbol.name;
  return ['citrix', ...nameWords(base).map((w) => w.toLowerCase()), 'addresses'];
}

/** What a placeholder stands for, for the comment beside its declaration. */
export function placeholderMeaning(symbol: AddressSymbol): string {
  if (symbol.name.startsWith('role:')) return `Addresses of the Citrix role "${symbol.name.slice(5)}": declare them in citrix-flows.yaml (roles:) or set this value`;
  return `Addresses of "${symbol.name}", which could not be resolved`;
}

/**
 * The order properties are written in a neighbour rule, so a new rule lists
 * them the same way; names the neighbour lacks keep their place in `names`.
 */
export function orderLike(raw: string | undefined, names: readonly string[], find: (raw: string, name: string) => number): string[] {
  if (!raw) return [...names];
  const positions = new Map<string, number>();
  for (const n of names) {
    const at = find(raw, n);
    if (at >= 0) positions.set(n, at);
  }
  if (positions.size === 0) return [...names];
  // Names the neighbour lacks go right after the name before them in the default order.
  const keyed = names.map((n, i) => {
    if (positions.has(n)) return { n, key: positions.get(n)!, i };
    let before = -1;
    for (let j = i - 1; j >= 0; j--) if (positions.has(names[j])) {
      before = positions.get(names[j])!;
      break;
    }
    return { n, key: before + 0.5, i };
  });
  return keyed.sort((a, b) => a.key - b.key || a.i - b.i).map((k) => k.n);
}

/** Index of `name` as a whole word followed (after blanks) by `sep`, or -1. */
export function findKey(raw: string, name: string, sep: string, quote = ''): number {
  const needle = `${quote}${name}${quote}`;
  let from = 0;
  for (;;) {
    const i = raw.indexOf(needle, from);
    if (i < 0) return -1;
    const before = raw[i - 1] ?? ' ';
    let j = i + needle.length;
    while (raw[j] === ' ' || raw[j] === '\t') j++;
    if (!/[A-Za-z0-9_]/.test(before) && raw.startsWith(sep, j)) return i;
    from = i + 1;
  }
}

/** A comment's text on one line: no line breaks, no directive words that would bind or silence something. */
/** At most `max` characters, cut at a word boundary with "…" (never inside a word, never a lone "…"). */
export function clipWords(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  const room = text.slice(0, Math.max(0, max - ellipsis.length + 1));
  const cut = room.search(/\s\S*$/);
  const kept = (cut > 0 ? room.slice(0, cut) : room.slice(0, max - ellipsis.length)).replace(/[\s,;:·–-]+$/, '');
  return `${kept}${ellipsis}`;
}

export function oneLine(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/citrix-role\s*:/gi, 'citrix role')
    .replace(/citrix-flow-lint-disable/gi, 'citrix flow lint disable')
    .trim();
}

export function portText(r: { from: number; to: number }): string {
  return r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`;
}

/** Whether `span` holds `offset`. */
export const within = (span: Span, offset: number): boolean => span.start <= offset && offset <= span.end;

/** A chain's own written rules in text order, where each stands, and the one written last. */
export interface ChainLayout {
  readonly ordered: readonly Rule[];
  readonly position: ReadonlyMap<Rule, number>;
  readonly last: Rule | undefined;
}

// A batch ("allow all missing flows") places every request in the same chains; on a 50,000-rule chain sorting
// and scanning it per request was most of a code action's time. Rule sets are immutable once parsed.
const chainLayouts = new WeakMap<RuleSet, Map<string, ChainLayout>>();

/** The layout of `chain` in an iptables or nftables rule set: its base chain's rules, or a user chain's from `chains`. */
export function chainLayout(ruleSet: RuleSet, chain: string): ChainLayout {
  let byChain = chainLayouts.get(ruleSet);
  if (!byChain) chainLayouts.set(ruleSet, (byChain = new Map()));
  const known = byChain.get(chain);
  if (known) return known;
  const all = chain === (ruleSet.meta?.chain ?? ruleSet.name) ? ruleSet.rules : ruleSet.chains?.[chain] ?? [];
  const ordered = all.filter((r) => !r.implicit && r.chain === chain).sort((a, b) => a.span.start - b.span.start);
  let last: Rule | undefined;
  for (const r of ordered) if (!last || r.span.end > last.span.end) last = r;
  const layout = { ordered, position: new Map(ordered.map((r, i) => [r, i])), last };
  byChain.set(chain, layout);
  return layout;
}
