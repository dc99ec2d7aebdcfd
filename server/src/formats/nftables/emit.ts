import type { AddressSet } from '../../net';
import type { AllowRuleEmitter, AllowRuleRequest, Rule, RuleSet, TextEdit } from '../../model';
import { chainLayout, clipWords } from '../emitSupport';
import { breakBeforeEnd, indentOf, lineEndOf, lineStart, nextLineStart } from '../lineText';

/**
 * Writes accept rules into nftables text in the file's own shape:
 * - a rule line inside `chain NAME { … }`, with the chain's indentation
 *   (tabs or spaces), just above the rule that drops the flow or at the end
 *   of the chain when its policy drops it;
 * - an `add rule FAMILY TABLE CHAIN …` line (`insert rule` just after an
 *   inserted blocking rule) where the file or script writes commands, with
 *   the script's own `nft` word (`$NFT`) and `{ … }` quoted for the shell.
 * Several ports become an anonymous set (`tcp dport { 1494, 2598 }`), as do
 * several addresses. A peer whose addresses are not declared becomes a named
 * set declared empty in the table (`set citrix_gateway_snip { type
 * ipv4_addr; flags interval; }`) with a TODO: the file still loads, the rule
 * matches nothing until the set is filled, and it never reads as "any".
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  const inserts: Insertion[] = [];
  const errors: string[] = [];
  const declared = new Set<string>();
  requests.forEach((request, seq) => {
    const r = emitOne(request, seq, declared);
    if ('error' in r) errors.push(r.error);
    else inserts.push(...r.inserts);
  });
  if (inserts.length === 0) return { error: errors.join('; ') || 'nothing to write' };
  return { edits: mergeInsertions(requests[0].file.uri, inserts) };
};

interface Insertion {
  readonly at: number;
  readonly text: string;
  readonly seq: number;
  /** Orders blocks at one offset: set declarations (0) before rules (1). */
  readonly rank: number;
  /** Written once after all blocks at this offset: the indentation a chain's closing brace moved to its own line needs. */
  readonly closeIndent?: string;
}

type Family = 4 | 6;
type Mode = 'block' | 'command' | 'shell';

function emitOne(original: AllowRuleRequest, seq: number, declared: Set<string>): { inserts: Insertion[] } | { error: string } {
  let request = original;
  const { file, ruleSet } = request;
  const text = file.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const family = ruleSet.meta?.family ?? 'inet';
  const table = ruleSet.meta?.table;
  if (!table) return { error: `${ruleSet.name}: the table of this chain is not known` };
  if (ruleSet.meta?.evaluated === 'false') return { error: `${ruleSet.name} is not a filter chain on the input, output or forward hook` };
  const base = ruleSet.meta?.chain ?? ruleSet.name;
  request = { ...request, before: entryRule(request.before, ruleSet.rules, base) };
  const chain = request.before?.chain ?? base;
  const allowed: Family[] = family === 'ip' ? [4] : family === 'ip6' ? [6] : [4, 6];
  const families = familiesFor(request.source, request.destination).filter((f) => allowed.includes(f));
  if (families.length === 0) return { error: `the flow's addresses (${request.source} → ${request.destination}) are not of the family table ${family} ${table} filters` };

  const before = request.before && !request.before.implicit ? request.before : undefined;
  const anchorRule = before ?? lastRuleOfChain(request, chain) ?? request.ruleSet.rules.find((r) => !r.implicit);
  const mode = modeOf(text, request, anchorRule);
  const nft = mode === 'shell' ? (anchorRule ? /^\S+/.exec(anchorRule.raw)?.[0] : /^\S+/.exec(text.slice(ruleSet.span.start, ruleSet.span.end))?.[0]) ?? 'nft' : '';
  const usesComment = chainUsesComments(ruleSet);

  const sets: { name: string; role: string }[] = [];
  const bodies: string[] = [];
  for (const f of families) {
    const src = addressMatch('saddr', request.source, f, sets);
    const dst = addressMatch('daddr', request.destination, f, sets);
    for (const protocol of request.protocols) {
      const l4 = protocol === 'icmp' ? `meta l4proto ${f === 6 ? 'ipv6-icmp' : 'icmp'}` : request.ports.length ? `${protocol} dport ${portsText(request.ports)}` : `meta l4proto ${protocol}`;
      const parts = [src, dst, l4, 'accept'].filter((p) => p !== '');
      if (usesComment && mode !== 'shell') parts.push(`comment "${commentText(request.name, 120)}"`);
      bodies.push(parts.join(' '));
    }
  }
  const notes = usesComment && mode !== 'shell' ? [] : [`# ${commentText(request.comment, 400)}`];
  const inserts: Insertion[] = [];

  const newSets = sets.filter((s) => !declared.has(`${family} ${table} ${s.name}`) && !new RegExp(`\\bset\\s+(?:${family}\\s+)?(?:${table}\\s+)?${s.name}\\b`).test(text));
  for (const s of newSets) declared.add(`${family} ${table} ${s.name}`);
  const setNote = (s: { name: string; role: string }): string => `# TODO(citrix-flow-lint): add the ${s.role} addresses to set ${s.name} (or declare them in citrix-flows.yaml)`;

  if (mode === 'block') {
    if (newSets.length) {
      const chainLine = aboveComments(text, lineStart(text, ruleSet.span.start));
      const indent = indentOf(text, chainLine);
      const lines = newSets.flatMap((s) => [setNote(s), `set ${s.name} { type ipv4_addr; flags interval; }`]);
      inserts.push({ at: chainLine, text: lines.map((l) => indent + l + eol).join(''), seq, rank: 0 });
    }
    inserts.push(blockInsertion(request, before, [...notes, ...bodies], eol, seq));
    return { inserts };
  }

  const prefix = mode === 'shell' ? `${nft} ` : '';
  const q = (s: string): string => (mode === 'shell' ? s.replace(/\{[^}]*\}/g, (m) => `'${m}'`) : s);
  const setLines = newSets.flatMap((s) => [setNote(s), `${prefix}add set ${family} ${table} ${s.name} ${q('{ type ipv4_addr; flags interval; }')}`]);
  const verbInsert = before ? /\binsert\s+rule\b/.test(before.raw) : false;
  const ruleLines = bodies.map((b) => `${prefix}${verbInsert ? 'insert' : 'add'} rule ${family} ${table} ${chain} ${q(b)}`);
  if (before) {
    const anchor = loopAround(text, before) ?? before.span;
    const indent = indentOf(text, lineStart(text, anchor.start));
    if (verbInsert) {
      // `insert rule` puts a rule first: run ours after the blocking one and it lands above it.
      inserts.push({ at: lineStart(text, anchor.start), text: setLines.map((l) => indent + l + eol).join(''), seq, rank: 0 });
      inserts.push({ at: nextLineStart(text, anchor.end), text: prefixFor(text, anchor.end) + [...notes, ...ruleLines].map((l) => indent + l + eol).join(''), seq, rank: 1 });
    } else {
      inserts.push({ at: lineStart(text, anchor.start), text: [...setLines, ...notes, ...ruleLines].map((l) => indent + l + eol).join(''), seq, rank: 1 });
    }
    return { inserts };
  }
  const last = lastRuleOfChain(request, chain);
  const anchor = last ? loopAround(text, last) ?? last.span : ruleSet.span;
  const indent = indentOf(text, lineStart(text, anchor.start));
  inserts.push({ at: nextLineStart(text, anchor.end), text: prefixFor(text, anchor.end) + [...setLines, ...notes, ...ruleLines].map((l) => indent + l + eol).join(''), seq, rank: 1 });
  return { inserts };
}

/**
 * A blocking rule in a regular chain is reached by a `jump`/`goto` from the
 * base chain: the new rule goes before that, in the base chain, so chains
 * other paths share are left alone.
 */
function entryRule(before: Rule | undefined, baseRules: readonly Rule[], base: string): Rule | undefined {
  if (!before || before.implicit || before.chain === undefined || before.chain === base) return before;
  const jump = baseRules.find((r) => !r.implicit && (r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain === before.chain);
  return jump ?? before;
}

function modeOf(text: string, request: AllowRuleRequest, anchor: Rule | undefined): Mode {
  const raw = anchor?.raw ?? text.slice(request.ruleSet.span.start, request.ruleSet.span.end);
  if (/^(add|insert|create)\s+(rule|chain)\b/.test(raw)) return 'command';
  if (/^\S+\s+(?:-\S+\s+)*(add|insert|create)\s+(rule|chain)\b/.test(raw)) return 'shell';
  return 'block';
}

/** A line in the chain block: above the blocking rule, or last before the chain's closing brace. */
function blockInsertion(request: AllowRuleRequest, before: Rule | undefined, lines: readonly string[], eol: string, seq: number): Insertion {
  const text = request.file.text;
  if (before) {
    const start = lineStart(text, before.span.start);
    if (text.slice(start, before.span.start).trim() === '') {
      const indent = indentOf(text, start);
      return { at: start, text: lines.map((l) => indent + l + eol).join(''), seq, rank: 1 };
    }
    // The blocking rule shares its line with other statements: ours goes in front of it on that line.
    return { at: before.span.start, text: `${lines.filter((l) => !l.startsWith('#')).join('; ')}; `, seq, rank: 1 };
  }
  const close = chainClosingBrace(request.ruleSet, text);
  const chainIndent = indentOf(text, lineStart(text, request.ruleSet.span.start));
  const last = lastRuleOfChain(request, request.ruleSet.meta?.chain ?? request.ruleSet.name);
  const lastOwnLine = last && text.slice(lineStart(text, last.span.start), last.span.start).trim() === '';
  const indent = lastOwnLine ? indentOf(text, lineStart(text, last.span.start)) : chainIndent + (chainIndent.includes('\t') || chainIndent === '' ? '\t' : chainIndent);
  if (close === undefined) return { at: text.length, text: prefixFor(text, text.length) + lines.map((l) => indent + l + eol).join(''), seq, rank: 1 };
  const closeLine = lineStart(text, close);
  if (text.slice(closeLine, close).trim() === '') return { at: closeLine, text: lines.map((l) => indent + l + eol).join(''), seq, rank: 1 };
  // `chain input { …; policy drop; }` on one line: the rule goes on its own line before the brace.
  return { at: close, text: eol + lines.map((l) => indent + l + eol).join(''), seq, rank: 1, closeIndent: chainIndent };
}

/** The `}` closing the block that opens after `from`, skipping comments and strings. */
function closingBrace(text: string, from: number): number | undefined {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return undefined;
      i = nl;
    } else if (c === '"') {
      const q = text.indexOf('"', i + 1);
      if (q < 0) return undefined;
      i = q;
    } else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
      if (depth < 0) return undefined;
    }
  }
  return undefined;
}

function addressMatch(key: 'saddr' | 'daddr', set: AddressSet, family: Family, sets: { name: string; role: string }[]): string {
  const proto = family === 4 ? 'ip' : 'ip6';
  if (set.symbols.length) {
    const s = set.symbols[0];
    const role = (s.name.startsWith('role:') ? s.name.slice(5) : s.name).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'peer';
    const name = `citrix_${role.replace(/-/g, '_')}`;
    sets.push({ name, role });
    return `ip ${key} @${name}`;
  }
  const range = family === 4 ? set.v4 : set.v6;
  if (range.isFull) return '';
  const items = set.toStrings().filter((c) => (family === 6 ? c.includes(':') : !c.includes(':')));
  return `${proto} ${key} ${items.length === 1 ? items[0] : `{ ${items.join(', ')} }`}`;
}

function portsText(ports: AllowRuleRequest['ports']): string {
  const items = ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}-${p.to}`));
  return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

function familiesFor(source: AddressSet, destination: AddressSet): Family[] {
  const of = (s: AddressSet): Set<Family> => {
    const out = new Set<Family>();
    if (!s.v4.isEmpty || s.symbols.length) out.add(4);
    if (!s.v6.isEmpty) out.add(6);
    return out;
  };
  const a = of(source);
  const b = of(destination);
  // any → any is one rule with no address match, not one per family.
  if (source.isAny && destination.isAny) return [4];
  return ([4, 6] as const).filter((f) => a.has(f) && b.has(f));
}

// A batch ("allow all missing flows") asks the same questions of one chain for every request; on a 50,000-rule
// ruleset each answer is a walk of every rule or of the text, so each is worked out once per parsed rule set.
const commentStyle = new WeakMap<RuleSet, boolean>();
const closingBraces = new WeakMap<RuleSet, number | undefined>();

function lastRuleOfChain(request: AllowRuleRequest, chain: string): Rule | undefined {
  return chainLayout(request.ruleSet, chain).last;
}

/** Whether the chain's rules carry `comment "…"`: new rules then say why in a comment of their own. */
function chainUsesComments(ruleSet: RuleSet): boolean {
  let uses = commentStyle.get(ruleSet);
  if (uses === undefined) commentStyle.set(ruleSet, (uses = ruleSet.rules.some((r) => /\bcomment\s+"/.test(r.raw))));
  return uses;
}

function chainClosingBrace(ruleSet: RuleSet, text: string): number | undefined {
  if (!closingBraces.has(ruleSet)) closingBraces.set(ruleSet, closingBrace(text, ruleSet.span.end));
  return closingBraces.get(ruleSet);
}

/** A command inside a `for … do … done` loop: new commands go around the loop, not into it. */
function loopAround(text: string, rule: Rule): { start: number; end: number } | undefined {
  if (!/\(.+=.*\)/.test(rule.id)) return undefined;
  let start = lineStart(text, rule.span.start);
  while (start > 0) {
    start = lineStart(text, start - 1);
    if (/^\s*for\s/.test(text.slice(start, lineEndOf(text, start)))) {
      const done = /(^|\n)[ \t]*done\b[^\n]*/g;
      done.lastIndex = rule.span.end;
      const m = done.exec(text);
      return { start, end: m ? m.index + m[0].length : rule.span.end };
    }
  }
  return undefined;
}

function commentText(comment: string, max: number): string {
  const flat = comment
    .replace(/[\r\n]+/g, ' ')
    .replace(/["`$\\']/g, '')
    .replace(/citrix-(role|flow-lint-disable)/gi, 'citrix $1')
    .trim();
  return clipWords(flat, max);
}

/** Comment lines right above a chain (its `# citrix-role:` annotation) stay attached to it. */
function aboveComments(text: string, start: number): number {
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (!/^[ \t]*#/.test(text.slice(prev, start))) break;
    start = prev;
  }
  return start;
}

function prefixFor(text: string, anchorEnd: number): string {
  return breakBeforeEnd(text, nextLineStart(text, anchorEnd));
}

function mergeInsertions(uri: string, inserts: readonly Insertion[]): TextEdit[] {
  const byOffset = new Map<number, Insertion[]>();
  for (const i of inserts) byOffset.set(i.at, [...(byOffset.get(i.at) ?? []), i]);
  return [...byOffset.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, list]) => {
      const sorted = [...list].sort((a, b) => a.rank - b.rank || a.seq - b.seq);
      const body = sorted.map((i, k) => (k === 0 ? i.text : i.text.replace(/^\r?\n/, ''))).join('');
      const close = sorted.find((i) => i.closeIndent !== undefined)?.closeIndent ?? '';
      return { uri, span: { start: at, end: at }, newText: body + close };
    });
}
