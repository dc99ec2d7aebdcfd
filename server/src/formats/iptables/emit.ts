import type { AddressSet } from '../../net';
import type { AllowRuleEmitter, AllowRuleRequest, Rule, TextEdit } from '../../model';
import { chainLayout, clipWords } from '../emitSupport';
import { breakBeforeEnd, indentOf, lineEndOf, lineStart, nextLineStart } from '../lineText';

/**
 * Writes ACCEPT rules into an iptables-save file or a script of iptables
 * commands, in the file's own style:
 * - save files: a `-A CHAIN …` line just above the line that drops the flow,
 *   or after the chain's last rule (before COMMIT when it has none) when the
 *   chain policy drops it;
 * - scripts: an `iptables -A` line above an appended blocking rule, an
 *   `iptables -I CHAIN [N]` line just after an inserted one (so it lands
 *   above it), or an `-A` after the chain's last command; the script's own
 *   binary word (`$IPT`, `/sbin/iptables`) and indentation are reused.
 * A peer whose addresses are not declared becomes an ipset match
 * (`-m set --match-set citrix-<role> src`) in save files and an unset shell
 * variable (`"$CITRIX_<ROLE>_ADDRESSES"`) in scripts, each with a TODO line:
 * both stay valid syntax, match nothing until filled in, and read back as
 * unknown, never as "any".
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  const inserts: Insertion[] = [];
  const errors: string[] = [];
  requests.forEach((request, seq) => {
    const r = emitOne(request, seq);
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
}

type Family = 4 | 6;

function emitOne(original: AllowRuleRequest, seq: number): { inserts: Insertion[] } | { error: string } {
  let request = original;
  const { file, ruleSet } = request;
  const text = file.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const save = ruleSet.meta?.style === 'iptables-save';
  const table = ruleSet.meta?.table ?? 'filter';
  if (table !== 'filter') return { error: `${ruleSet.name} is in table ${table}; only the filter table decides whether a flow passes` };
  const base = ruleSet.meta?.chain ?? ruleSet.name;
  request = { ...request, before: entryRule(request.before, ruleSet.rules, base) };
  const chain = request.before?.chain ?? base;
  request = { ...request, before: denyTailStart(request, chain, request.before, save) };
  const fileFamilies = familiesOf(ruleSet.meta?.family);
  const families = familiesFor(request.source, request.destination).filter((f) => fileFamilies.includes(f));
  if (families.length === 0) {
    return { error: `the flow's addresses (${request.source} → ${request.destination}) are not of the address family this ${save ? 'file' : 'script'} filters` };
  }
  const { usesModuleWord, usesCommentMatch } = styleOf(file);
  const placeholders: string[] = [];
  const specs: { family: Family; args: string }[] = [];
  for (const family of families) {
    const src = addressOption('-s', 'src', request.source, family, save, placeholders);
    const dst = addressOption('-d', 'dst', request.destination, family, save, placeholders);
    for (const protocol of request.protocols) {
      const protoWord = protocol === 'icmp' ? (family === 6 ? 'ipv6-icmp' : 'icmp') : protocol;
      const portChunks = protocol === 'icmp' ? [''] : portOptions(protocol, request.ports, usesModuleWord);
      for (const ports of portChunks) {
        const parts = [src, dst, `-p ${protoWord}`, ports];
        if (usesCommentMatch) parts.push(`-m comment --comment ${quote(commentText(request.comment, 250))}`);
        parts.push('-j ACCEPT');
        specs.push({ family, args: parts.filter((p) => p !== '').join(' ') });
      }
    }
  }
  const notes: string[] = [];
  if (!usesCommentMatch) notes.push(`# ${commentText(request.comment, 400)}`);
  for (const p of unique(placeholders)) notes.push(`# TODO(citrix-flow-lint): ${p}`);

  if (save) return { inserts: [saveInsertion(request, chain, specs, notes, eol, seq)] };
  return { inserts: [scriptInsertion(request, chain, specs, notes, eol, seq)] };
}

// Asked for every request of a batch; each is a scan of the whole text when the file does not use the style.
const styles = new WeakMap<AllowRuleRequest['file'], { usesModuleWord: boolean; usesCommentMatch: boolean }>();

/** Whether the file writes `-m tcp` before `--dport`, and says why in `-m comment`: new rules do as it does. */
function styleOf(file: AllowRuleRequest['file']): { usesModuleWord: boolean; usesCommentMatch: boolean } {
  let style = styles.get(file);
  if (!style) styles.set(file, (style = { usesModuleWord: /\s-m\s+(tcp|udp)\s/.test(file.text), usesCommentMatch: /--comment\s/.test(file.text) }));
  return style;
}

/**
 * A blocking rule inside a user chain (`-A LOGDROP -j DROP`) is reached from
 * the base chain by a jump: the new rule goes before that jump, in the base
 * chain, so it neither changes a chain other paths share nor runs after the
 * chain's logging.
 */
function entryRule(before: Rule | undefined, baseRules: readonly Rule[], base: string): Rule | undefined {
  if (!before || before.implicit || before.chain === undefined || before.chain === base) return before;
  const jump = baseRules.find((r) => !r.implicit && (r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain === before.chain);
  return jump ?? before;
}

function saveInsertion(request: AllowRuleRequest, chain: string, specs: { args: string }[], notes: string[], eol: string, seq: number): Insertion {
  const text = request.file.text;
  const lines = [...notes, ...specs.map((s) => `-A ${chain} ${s.args}`)];
  const block = lines.map((l) => l + eol).join('');
  if (request.before && !request.before.implicit) return { at: lineStart(text, request.before.span.start), text: block, seq };
  const last = lastRuleOfChain(request, chain);
  if (last) return { at: nextLineStart(text, last.span.end), text: block, seq };
  // An empty chain: its rules go at the end of the table, before COMMIT.
  const commit = findCommit(text, request.ruleSet.span.end);
  return { at: commit ?? text.length, text: block, seq };
}

function scriptInsertion(request: AllowRuleRequest, chain: string, specs: { family: Family; args: string }[], notes: string[], eol: string, seq: number): Insertion {
  const text = request.file.text;
  const before = request.before && !request.before.implicit ? request.before : undefined;
  if (before) {
    const insert = /(?:^|\s)(?:-I|--insert)\s+(\S+)(?:\s+(\d+))?/.exec(before.raw);
    const anchor = loopAround(text, before) ?? before.span;
    const indent = indentOf(text, lineStart(text, anchor.start));
    const binary = (family: Family): string => binaryFor(request, before, family);
    if (insert && before.meta?.command !== '-A') {
      // `-I CHAIN [N]` puts a rule at position N: run ours after it, with the same N, and it lands just above.
      const position = insert[2] ? ` ${insert[2]}` : '';
      const ordered = [...notes, ...specs.map((s) => `${binary(s.family)} -I ${chain}${position} ${s.args}`)];
      return { at: nextLineStart(text, anchor.end), text: prefixFor(text, anchor.end) + ordered.map((l) => indent + l + eol).join(''), seq };
    }
    const lines = [...notes, ...specs.map((s) => `${binary(s.family)} -A ${chain} ${s.args}`)];
    return { at: lineStart(text, anchor.start), text: lines.map((l) => indent + l + eol).join(''), seq };
  }
  const last = lastCommandOfChain(request, chain);
  const anchorEnd = last?.end ?? text.length;
  const indent = last ? indentOf(text, lineStart(text, last.start)) : '';
  const model = lastRuleOfChain(request, chain) ?? request.ruleSet.rules.find((r) => !r.implicit);
  const lines = [...notes, ...specs.map((s) => `${binaryFor(request, model, s.family)} -A ${chain} ${s.args}`)];
  return { at: nextLineStart(text, anchorEnd), text: prefixFor(text, anchorEnd) + lines.map((l) => indent + l + eol).join(''), seq };
}

const LOGGING = /(?:^|\s)-j\s+(?:LOG|NFLOG|ULOG)\b/;

/**
 * The rules that end a chain by logging and dropping (`-j LOG --log-prefix
 * "vda-drop: "`, `-j REJECT`, `-j DROP`): a new ACCEPT goes above all of
 * them, or traffic it accepts is logged as dropped. Walks back from the rule
 * that denies the flow (or from the chain's end when its policy does) over
 * the LOG and deny rules right before it. Moving above a deny rule that did
 * not decide the flow changes nothing for the flow, since the new rule
 * matches only the part that rule let through to the deciding one. In
 * scripts only `-A` lines outside loops are walked: their order in the text
 * is their order in the chain.
 */
function denyTailStart(request: AllowRuleRequest, chain: string, before: Rule | undefined, save: boolean): Rule | undefined {
  if (before?.implicit) return before;
  const { ordered: rules, position } = chainLayout(request.ruleSet, chain);
  const tail = (r: Rule): boolean =>
    (r.target.kind === 'deny' || (r.target.kind === 'continue' && LOGGING.test(r.raw))) && (save || (r.meta?.command === '-A' && !loopAround(request.file.text, r)));
  let i = before ? position.get(before) ?? -1 : rules.length;
  if (i < 0) return before;
  if (before && !save && !tail(before)) return before;
  let start = before;
  while (i > 0 && tail(rules[i - 1])) start = rules[--i];
  return start;
}

/** A rule written inside a `for … do … done` loop: new lines go around the loop, not into it. */
function loopAround(text: string, rule: Rule): { start: number; end: number } | undefined {
  if (!/\(.+=.*\)/.test(rule.id)) return undefined;
  let start = lineStart(text, rule.span.start);
  let found: number | undefined;
  while (start > 0) {
    start = lineStart(text, start - 1);
    const line = text.slice(start, lineEndOf(text, start));
    if (/^\s*for\s/.test(line)) {
      found = start;
      break;
    }
  }
  if (found === undefined) return undefined;
  const done = /(^|\n)[ \t]*done\b[^\n]*/g;
  done.lastIndex = rule.span.end;
  const m = done.exec(text);
  return { start: found, end: m ? m.index + m[0].length : rule.span.end };
}

function lastRuleOfChain(request: AllowRuleRequest, chain: string): Rule | undefined {
  return chainLayout(request.ruleSet, chain).last;
}

/** The last command in the script that adds a rule to the chain or sets its policy. */
function lastCommandOfChain(request: AllowRuleRequest, chain: string): { start: number; end: number } | undefined {
  const rule = lastRuleOfChain(request, chain);
  let best: { start: number; end: number } | undefined = rule ? loopAround(request.file.text, rule) ?? rule.span : undefined;
  const policy = request.ruleSet.defaults[request.direction]?.span;
  if (policy && (!best || policy.end > best.end)) best = { start: policy.start, end: policy.end };
  return best;
}

/** The word that runs iptables in this script (`iptables`, `$IPT`, `/sbin/iptables`), for the wanted family. */
function binaryFor(request: AllowRuleRequest, model: Rule | undefined, family: Family): string {
  const wordOf = (r: Rule): string => /^\S+/.exec(r.raw)?.[0] ?? 'iptables';
  const all = [...request.ruleSet.rules, ...Object.values(request.ruleSet.chains ?? {}).flat()].filter((r) => !r.implicit);
  const sameFamily = (r: Rule): boolean => r.meta?.family === `ipv${family}`;
  if (model && sameFamily(model)) return wordOf(model);
  const other = all.find(sameFamily);
  if (other) return wordOf(other);
  const base = model ? wordOf(model) : 'iptables';
  if (family === 6 && /(^|\/)iptables/.test(base)) return base.replace(/(^|\/)iptables/, '$1ip6tables');
  return family === 6 ? 'ip6tables' : base;
}

function familiesOf(meta: string | undefined): Family[] {
  if (meta === 'ipv6') return [6];
  if (meta === 'ipv4+ipv6') return [4, 6];
  return [4];
}

/** Families a rule between these two sets needs: a symbol (unknown peer) is taken as IPv4. */
function familiesFor(source: AddressSet, destination: AddressSet): Family[] {
  const of = (s: AddressSet): Set<Family> => {
    const out = new Set<Family>();
    if (!s.v4.isEmpty || s.symbols.length) out.add(4);
    if (!s.v6.isEmpty) out.add(6);
    return out;
  };
  const a = of(source);
  const b = of(destination);
  return ([4, 6] as const).filter((f) => a.has(f) && b.has(f));
}

function addressOption(flag: string, side: 'src' | 'dst', set: AddressSet, family: Family, save: boolean, placeholders: string[]): string {
  const range = family === 4 ? set.v4 : set.v6;
  if (range.isFull && set.symbols.length === 0) return '';
  if (set.symbols.length) {
    const role = placeholderName(set);
    if (save) {
      const name = `citrix-${role}`;
      placeholders.push(`create ipset ${name} (hash:net) with the ${role} addresses, or declare them in citrix-flows.yaml`);
      return `-m set --match-set ${name} ${side}`;
    }
    const variable = `CITRIX_${role.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_ADDRESSES`;
    placeholders.push(`set ${variable} to the ${role} addresses (comma-separated), or declare them in citrix-flows.yaml`);
    return `${flag} "$${variable}"`;
  }
  const cidrs = cidrList(set, family).map((c) => (save && !c.includes('/') ? `${c}/${family === 4 ? 32 : 128}` : c));
  return `${flag} ${cidrs.join(',')}`;
}

function placeholderName(set: AddressSet): string {
  const s = set.symbols[0];
  const name = s.name.startsWith('role:') ? s.name.slice(5) : s.name;
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'peer';
}

function cidrList(set: AddressSet, family: Family): string[] {
  return set.toStrings().filter((c) => (family === 6 ? c.includes(':') : !c.includes(':')) && c !== 'any');
}

/** `--dport N` for one port, `-m multiport --dports …` for several (15 slots a rule, a range takes two). */
function portOptions(protocol: 'tcp' | 'udp', ports: AllowRuleRequest['ports'], moduleWord: boolean): string[] {
  if (ports.length === 0) return [''];
  const item = (p: { from: number; to: number }): string => (p.from === p.to ? String(p.from) : `${p.from}:${p.to}`);
  if (ports.length === 1) return [`${moduleWord ? `-m ${protocol} ` : ''}--dport ${item(ports[0])}`];
  const chunks: string[][] = [[]];
  let used = 0;
  for (const p of ports) {
    const cost = p.from === p.to ? 1 : 2;
    if (used + cost > 15) {
      chunks.push([]);
      used = 0;
    }
    chunks[chunks.length - 1].push(item(p));
    used += cost;
  }
  return chunks.map((c) => `-m multiport --dports ${c.join(',')}`);
}

/** A comment safe inside double quotes in both a save file and a shell script. */
function commentText(comment: string, max: number): string {
  const flat = comment
    .replace(/[\r\n]+/g, ' ')
    .replace(/["`$\\]/g, '')
    .replace(/citrix-(role|flow-lint-disable)/gi, 'citrix $1')
    .trim();
  return clipWords(flat, max);
}

function quote(s: string): string {
  return `"${s}"`;
}

function findCommit(text: string, from: number): number | undefined {
  const re = /^[ \t]*COMMIT[ \t]*\r?$/gm;
  re.lastIndex = from;
  const m = re.exec(text);
  return m ? m.index : undefined;
}

function prefixFor(text: string, anchorEnd: number): string {
  return breakBeforeEnd(text, nextLineStart(text, anchorEnd));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** One edit per offset, texts in request order (applyEdits would reverse two insertions at one offset). */
function mergeInsertions(uri: string, inserts: readonly Insertion[]): TextEdit[] {
  const byOffset = new Map<number, Insertion[]>();
  for (const i of inserts) byOffset.set(i.at, [...(byOffset.get(i.at) ?? []), i]);
  return [...byOffset.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, list]) => {
      const sorted = [...list].sort((a, b) => a.seq - b.seq);
      // Only the first block needs the line break a file without a final newline lacks.
      const body = sorted.map((i, k) => (k === 0 ? i.text : i.text.replace(/^\r?\n/, ''))).join('');
      return { uri, span: { start: at, end: at }, newText: body };
    });
}
