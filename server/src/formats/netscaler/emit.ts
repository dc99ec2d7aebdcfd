import { formatIPv4, formatIPv6, type AddressSet } from '../../net';
import type { AllowRuleEmitter, AllowRuleRequest, Rule, TextEdit } from '../../model';
import { lineStart, nextLineStart } from '../lineText';
import { MAX_ACL_PRIORITY, splitCommands } from './commands';

/**
 * Writes `add ns acl NAME ALLOW …` commands into a NetScaler configuration:
 * - with a priority the file does not use yet, just below the ACL that
 *   drops the flow (the ADC matches lower numbers first), or above every
 *   other one when nothing drops it; several fixes in one batch get
 *   priorities that avoid each other;
 * - for a flow the ADC opens (outbound), the rule its replies need, since
 *   NetScaler ACLs keep no state: from the peer's port back to the ADC, with
 *   `-established` so it admits no new connection;
 * - `apply ns acls` after them in a batch file that has none after that
 *   place (extended ACLs are not in force before it); a saved ns.conf needs
 *   none, the ADC applies what it loads;
 * - one command per address range, port range and protocol: the CLI takes
 *   one range each. A peer whose addresses are not declared cannot be
 *   written (NetScaler has no placeholder that matches nothing) and is never
 *   written as any: the fix says what to declare instead.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { error: 'nothing to write' };
  const file = requests[0].file;
  const text = file.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const rs = requests[0].ruleSet;
  if (rs.kind !== 'netscaler-acl') return { error: `${rs.name} is not a set of NetScaler ACLs` };
  const saved = rs.meta?.saved === 'true';
  const used = new Set<string>();
  const names = new Set(rs.rules.map((r) => r.name?.toLowerCase() ?? ''));
  const usedPriorities = new Map<number, Set<number>>([
    [4, new Set(rs.rules.filter((r) => r.meta?.family === '4').map((r) => r.priority?.value ?? 0))],
    [6, new Set(rs.rules.filter((r) => r.meta?.family === '6').map((r) => r.priority?.value ?? 0))],
  ]);
  const layout = layoutOf(text);
  const datasets = layout.datasets;
  const afterAcls = layout.lastAclEnd >= 0 ? nextLineStart(text, layout.lastAclEnd) : layout.firstApply >= 0 ? layout.firstApply : text.length;
  const inserts: { at: number; text: string; order: number; family: 4 | 6 }[] = [];
  const errors: string[] = [];
  requests.forEach((request, seq) => {
    const written = commandsFor(request, names, used, usedPriorities, rs.rules, datasets);
    if ('error' in written) {
      errors.push(written.error);
      return;
    }
    const before = request.before && !request.before.implicit && rs.rules.includes(request.before) ? request.before : undefined;
    const at = before ? lineStart(text, before.span.start) : afterAcls;
    const comment = request.comment ? `# ${request.comment.replace(/[\r\n]+/g, ' ')}${eol}` : '';
    inserts.push({ at, text: comment + written.lines.map((l) => l + eol).join(''), order: seq, family: written.family });
  });
  if (inserts.length === 0) return { error: errors.join('; ') || 'nothing to write' };
  const edits: TextEdit[] = [];
  const byPlace = new Map<number, string>();
  for (const ins of inserts.sort((a, b) => a.at - b.at || a.order - b.order)) byPlace.set(ins.at, (byPlace.get(ins.at) ?? '') + ins.text);
  for (const [at, newText] of byPlace) edits.push({ uri: file.uri, span: { start: at, end: at }, newText: at === text.length && text.length && !text.endsWith('\n') ? eol + newText : newText });
  if (!saved) {
    for (const family of [4, 6] as const) {
      const mine = inserts.filter((i) => i.family === family);
      if (!mine.length) continue;
      const last = Math.max(...mine.map((i) => i.at));
      if (!layout.applyStarts[family].some((start) => start >= last)) {
        const end = text.length;
        const lead = end && !text.endsWith('\n') && !byPlace.has(end) ? eol : '';
        edits.push({ uri: file.uri, span: { start: end, end }, newText: `${lead}${family === 6 ? 'apply ns acls6' : 'apply ns acls'}${eol}` });
      }
    }
  }
  return { edits: mergeSamePlace(edits) };
};

/** Edits at one offset become one, in order, so applying them never reorders the text. */
function mergeSamePlace(edits: TextEdit[]): TextEdit[] {
  const out = new Map<number, TextEdit>();
  for (const e of edits) {
    const seen = out.get(e.span.start);
    out.set(e.span.start, seen ? { ...seen, newText: seen.newText + e.newText } : e);
  }
  return [...out.values()];
}

function commandsFor(
  request: AllowRuleRequest,
  names: Set<string>,
  used: Set<string>,
  usedPriorities: Map<number, Set<number>>,
  rules: readonly Rule[],
  datasets: Set<string>,
): { lines: string[]; family: 4 | 6 } | { error: string } {
  if (request.before?.meta?.simple === 'true') {
    return { error: `the simple ACL ${request.before.name} drops these packets before any extended ACL is looked at: remove it (rm ns simpleacl ${request.before.name}) or narrow it` };
  }
  if (request.direction === 'forward') return { error: 'NetScaler ACLs are read here for what reaches the ADC, not what it routes' };
  // ACLs see nothing the ADC sends: what an outbound flow needs from them is always the rule for its replies.
  const reply = request.reply === true || request.direction === 'outbound';
  // The replies to a connection the ADC opened come back from the peer, from the port the ADC connected to.
  const from = reply ? request.destination : request.source;
  const to = reply ? request.source : request.destination;
  const fromLabel = reply ? request.destinationLabel : request.sourceLabel;
  const family: 4 | 6 = from.v4.isEmpty && to.v4.isEmpty && (!from.v6.isEmpty || !to.v6.isEmpty) ? 6 : 4;
  const fromTerms = addressTerms(from, family);
  const toTerms = addressTerms(to, family);
  if ('error' in fromTerms) return { error: `${fromTerms.error}${fromLabel ? ` (${fromLabel})` : ''}` };
  const datasetLines: string[] = [];
  for (const term of [...fromTerms.terms, ...('terms' in toTerms ? toTerms.terms : [])]) {
    if (!term || !('dataset' in term) || datasets.has(term.dataset.toLowerCase())) continue;
    datasets.add(term.dataset.toLowerCase());
    // An empty dataset matches nothing, so the ACL is valid and opens nothing until the peer's addresses are bound to it.
    datasetLines.push(
      `# ${term.role}: its addresses are not declared; bind each one (bind policy dataset ${term.dataset} <address>) or declare them in citrix-flows.yaml`,
      `add policy dataset ${term.dataset} ${family === 6 ? 'ipv6' : 'ipv4'}`,
    );
  }
  if ('error' in toTerms) return { error: toTerms.error };
  const priorities = usedPriorities.get(family) ?? new Set<number>();
  const beforePriority = request.before?.priority?.value;
  const previous = beforePriority === undefined ? undefined : Math.max(0, ...rules.filter((r) => r.meta?.family === String(family) && r.meta?.simple !== 'true' && (r.priority?.value ?? 0) < beforePriority).map((r) => r.priority?.value ?? 0));
  const lines: string[] = [];
  const protocols = request.protocols.length ? request.protocols : (['tcp'] as const);
  const ports = request.ports.length ? request.ports : [undefined];
  for (const protocol of protocols) {
    for (const port of protocol === 'icmp' ? [undefined] : ports) {
      for (const f of fromTerms.terms) {
        for (const t of toTerms.terms) {
          const priority = pickPriority(priorities, beforePriority, previous);
          if (priority === undefined) return { error: `no free priority between ${previous} and ${beforePriority}, where the rule must go: renumber the ACLs first (renumber ns acls)` };
          priorities.add(priority);
          const name = uniqueName(aclName(request.name), names, used);
          const v6 = family === 6 ? '6' : '';
          const term = (x: AddressTerm, side: 'src' | 'dest'): string => (!x ? '' : 'ip' in x ? ` -${side}IP${v6} = ${x.ip}` : ` -${side}IPDataset ${x.dataset}`);
          const src = term(f, 'src');
          const dst = term(t, 'dest');
          const portText = port ? (port.from === port.to ? `${port.from}` : `${port.from}-${port.to}`) : undefined;
          const portPart = portText ? (reply ? ` -srcPort = ${portText}` : ` -destPort = ${portText}`) : '';
          const established = reply && protocol === 'tcp' ? ' -established' : '';
          lines.push(`add ns acl${v6} ${name} ALLOW${src}${dst}${portPart} -protocol ${protocol.toUpperCase()}${established} -priority ${priority}`);
        }
      }
    }
  }
  return { lines: [...datasetLines, ...lines], family };
}

/** The highest free number below the denying ACL (closest to it, so ours is evaluated just before it), or after all. */
function pickPriority(used: Set<number>, before: number | undefined, previous: number | undefined): number | undefined {
  if (before === undefined) {
    const max = Math.max(0, ...used);
    for (let p = Math.ceil((max + 1) / 10) * 10; p <= MAX_ACL_PRIORITY; p += 10) if (!used.has(p)) return p;
    return undefined;
  }
  for (let p = before - 1; p > (previous ?? 0) && p >= 1; p--) if (!used.has(p)) return p;
  return undefined;
}

/** One CLI term per range (`10.0.1.0-10.0.1.255`, `10.0.1.5`); none for "any address of the family". */
type AddressTerm = { readonly ip: string } | { readonly dataset: string; readonly role: string } | undefined;

function addressTerms(set: AddressSet, family: 4 | 6): { terms: AddressTerm[] } | { error: string } {
  if (set.symbols.length) {
    if (set.symbols.length > 1 || !set.v4.isEmpty || !set.v6.isEmpty || set.symbols[0].negated) return { error: `cannot write ${set.toString()} as one NetScaler address term` };
    const role = set.symbols[0].name.replace(/^role:/, '');
    return { terms: [{ dataset: `CITRIX-${role.toUpperCase().replace(/[^A-Z0-9]+/g, '-')}`, role }] };
  }
  const ranges = family === 4 ? set.v4 : set.v6;
  if (ranges.isFull) return { terms: [undefined] };
  if (ranges.isEmpty) return { error: `no IPv${family} address to write` };
  const fmt = (v: number | bigint): string => (family === 4 ? formatIPv4(v as number) : formatIPv6(v as bigint));
  return { terms: ranges.ranges.map((r) => ({ ip: r.from === r.to ? fmt(r.from) : `${fmt(r.from)}-${fmt(r.to)}` })) };
}

/** Names begin with a letter or `_` and hold letters, digits and `_#.:@=-`. */
function aclName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_#.:@=-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const start = /^[A-Za-z_]/.test(clean) ? clean : `Allow-${clean}`;
  return start.slice(0, 120) || 'Allow-Citrix';
}

function uniqueName(base: string, names: Set<string>, used: Set<string>): string {
  let name = base;
  for (let k = 2; names.has(name.toLowerCase()) || used.has(name.toLowerCase()); k++) name = `${base}-${k}`;
  used.add(name.toLowerCase());
  return name;
}

/**
 * What the emitter needs to know about the file, in one pass: the datasets it
 * defines, where its last ACL command ends and its first `apply ns acls`
 * starts (new ACLs go after the one, else before the other, else at the end),
 * and where each family's ACLs are applied.
 */
function layoutOf(text: string): { datasets: Set<string>; lastAclEnd: number; firstApply: number; applyStarts: Record<4 | 6, number[]> } {
  const out = { datasets: new Set<string>(), lastAclEnd: -1, firstApply: -1, applyStarts: { 4: [] as number[], 6: [] as number[] } };
  for (const line of splitCommands(text)) {
    const [verb, group, object, name] = line.tokens.map((x) => x.text.toLowerCase());
    if (verb === 'add' && group === 'policy' && object === 'dataset' && name) out.datasets.add(name);
    if (group !== 'ns') continue;
    if (verb === 'add' && (object === 'acl' || object === 'acl6')) out.lastAclEnd = line.end;
    else if (verb === 'apply' && (object === 'acls' || object === 'acls6')) {
      if (out.firstApply < 0) out.firstApply = line.start;
      out.applyStarts[object === 'acls6' ? 6 : 4].push(line.start);
    }
  }
  return out;
}
