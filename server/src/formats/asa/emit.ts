import type { AddressSet } from '../../net';
import type { AllowRuleEmitter, AllowRuleRequest, TextEdit } from '../../model';
import { breakBeforeEnd, lineStart, nextLineStart } from '../lineText';
import { clipWords } from '../emitSupport';

/**
 * Writes `access-list NAME … permit …` entries into a Cisco ASA
 * configuration:
 * - before a denying entry: `access-list NAME line N remark …` and
 *   `access-list NAME line N+1 extended permit …`, placed in the file just
 *   above that entry (above the remarks that belong to it), N being the
 *   entry's position so the device evaluates ours first; several fixes in one
 *   batch get numbers that account for each other;
 * - when the implicit deny decides: un-numbered entries after the ACL's last.
 * Several addresses or ports become `object-group network|service`
 * definitions when the file already uses object-groups or has no entries
 * yet (a new configuration), else one entry per combination. A comment
 * in several `; `-separated parts gets one remark per part. A peer whose addresses are not declared becomes an
 * `object-group network CITRIX-<ROLE>` defined with only a description: the
 * configuration stays valid, the entry matches nothing until the group is
 * filled, and it is never written as `any`.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { error: 'nothing to write' };
  const file = requests[0].file;
  const text = file.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const style = styleOf(text);
  const groups = new Map<string, string>(); // definition key → group name, so a batch defines each once
  const groupTexts: { aclStart: number; text: string }[] = [];
  const planned: Planned[] = [];
  const errors: string[] = [];
  requests.forEach((request, seq) => {
    if (request.ruleSet.kind !== 'asa-acl') {
      errors.push(`${request.ruleSet.name} is not an ASA access-list`);
      return;
    }
    const acl = request.ruleSet.meta?.acl ?? request.ruleSet.name;
    const aclStart = aboveComments(text, lineStart(text, request.ruleSet.span.start));
    const define = (key: string, name: string, lines: string[]): string => {
      const seen = groups.get(key);
      if (seen) return seen;
      let unique = name;
      for (let k = 2; new RegExp(`^object-group\\s+\\S+\\s+${escapeRe(unique)}\\b`, 'm').test(text) || [...groups.values()].includes(unique); k++) unique = `${name}-${k}`;
      groups.set(key, unique);
      groupTexts.push({ aclStart, text: lines.map((l) => l.replace('$NAME', unique) + eol).join('') });
      return unique;
    };
    const sources = addressTerms(request.source, request, 'SRC', style, define, request.sourceLabel);
    const destinations = addressTerms(request.destination, request, 'DST', style, define, request.destinationLabel);
    const aces: string[] = [];
    for (const protocol of request.protocols) {
      const portTerms = protocol === 'icmp' ? ['echo'] : servicePorts(request, protocol, style, define);
      for (const s of sources) for (const d of destinations) for (const p of portTerms) aces.push(['extended permit', protocol, s, d, p].filter((x) => x !== '').join(' '));
    }
    const before = request.before && !request.before.implicit ? request.before : undefined;
    const beforeLine = before ? Number(before.meta?.aclLine) : NaN;
    if (before && Number.isFinite(beforeLine)) {
      const remarks = remarksAbove(text, acl, before.span.start);
      planned.push({ seq, acl, at: remarks.start, target: beforeLine - remarks.count, remarks: remarkLines(request.comment), aces });
    } else {
      planned.push({ seq, acl, at: nextLineStart(text, request.ruleSet.span.end), remarks: remarkLines(request.comment), aces, append: true });
    }
  });
  if (planned.length === 0) return { error: errors.join('; ') || 'nothing to write' };

  // Entries inserted earlier in an ACL push the numbers of later targets down.
  const inserts: { at: number; text: string; order: number }[] = [];
  const byAcl = new Map<string, Planned[]>();
  for (const p of planned) byAcl.set(p.acl, [...(byAcl.get(p.acl) ?? []), p]);
  for (const [acl, list] of byAcl) {
    let shift = 0;
    const numbered = list.filter((p) => !p.append).sort((a, b) => (a.target ?? 0) - (b.target ?? 0) || a.seq - b.seq);
    for (const p of numbered) {
      let n = (p.target ?? 1) + shift;
      const lines = [...p.remarks.map((r) => `access-list ${acl} line ${n++} remark ${r}`), ...p.aces.map((a) => `access-list ${acl} line ${n++} ${a}`)];
      shift += lines.length;
      inserts.push({ at: p.at, text: lines.map((l) => l + eol).join(''), order: 1000 + p.seq });
    }
    for (const p of list.filter((x) => x.append).sort((a, b) => a.seq - b.seq)) {
      const lines = [...p.remarks.map((r) => `access-list ${acl} remark ${r}`), ...p.aces.map((a) => `access-list ${acl} ${a}`)];
      inserts.push({ at: p.at, text: breakBeforeEnd(text, p.at) + lines.map((l) => l + eol).join(''), order: 1000 + p.seq });
    }
  }
  groupTexts.forEach((g, k) => inserts.push({ at: g.aclStart, text: g.text, order: k }));
  return { edits: merge(file.uri, inserts) };
};

interface Planned {
  readonly seq: number;
  readonly acl: string;
  readonly at: number;
  /** The `line N` the first new entry takes; undefined when appended. */
  readonly target?: number;
  readonly remarks: readonly string[];
  readonly aces: readonly string[];
  readonly append?: boolean;
}

interface Style {
  readonly objectGroups: boolean;
  readonly memberIndent: string;
}

function styleOf(text: string): Style {
  const member = /^([ \t]+)(?:network-object|port-object|service-object|description|group-object)\b/m.exec(text);
  // A configuration with no entries yet has no style to follow: object-groups keep one entry per service readable.
  const noEntries = !/^access-list\s+\S+\s+(?:line\s+\d+\s+)?(?:extended\s+)?(?:permit|deny)\s/m.test(text);
  return { objectGroups: noEntries || /^object-group\s+(network|service)\s/m.test(text), memberIndent: member?.[1] ?? ' ' };
}

type Define = (key: string, name: string, lines: string[]) => string;

function addressTerms(set: AddressSet, request: AllowRuleRequest, side: string, style: Style, define: Define, label?: string): string[] {
  if (set.symbols.length) {
    const s = set.symbols[0];
    const role = (s.name.startsWith('role:') ? s.name.slice(5) : s.name).replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toUpperCase() || 'PEER';
    const lower = role.toLowerCase();
    const name = define(`placeholder ${role}`, `CITRIX-${role}`, [
      'object-group network $NAME',
      `${style.memberIndent}description TODO citrix-flow-lint: add network-object lines for the ${lower} addresses (or declare them in citrix-flows.yaml)`,
    ]);
    return [`object-group ${name}`];
  }
  if (set.isAny) return ['any'];
  const items = set.toStrings().map(addressTerm);
  if (items.length === 1 || !style.objectGroups) return items;
  // Named after what the addresses are (`CITRIX-VDA`) when the request says so, else after the rule.
  const named = label ? `CITRIX-${label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toUpperCase().slice(0, 56)}` : groupName(request.name, side);
  const name = define(`network ${items.join(',')}`, named, [
    'object-group network $NAME',
    ...items.map((i) => `${style.memberIndent}network-object ${i}`),
  ]);
  return [`object-group ${name}`];
}

/** `host A`, `A MASK` (IPv4 writes masks), `A/len` (IPv6). */
function addressTerm(cidr: string): string {
  if (cidr.includes(':')) return cidr.includes('/') ? cidr : `host ${cidr}`;
  const [ip, len] = cidr.split('/');
  if (len === undefined || len === '32') return `host ${ip}`;
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${ip} ${[mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join('.')}`;
}

function servicePorts(request: AllowRuleRequest, protocol: 'tcp' | 'udp', style: Style, define: Define): string[] {
  const items = request.ports.map((p) => (p.from === p.to ? `eq ${p.from}` : `range ${p.from} ${p.to}`));
  if (items.length === 0) return [''];
  if (items.length === 1 || !style.objectGroups) return items;
  const both = request.protocols.includes('tcp') && request.protocols.includes('udp');
  const kind = both ? 'tcp-udp' : protocol;
  const name = define(`service ${kind} ${items.join(',')}`, groupName(request.name, 'PORTS'), [
    `object-group service $NAME ${kind}`,
    ...items.map((i) => `${style.memberIndent}port-object ${i}`),
  ]);
  return [`object-group ${name}`];
}

function groupName(requestName: string, suffix: string): string {
  const base = requestName.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toUpperCase().slice(0, 56);
  return `${base}-${suffix}`;
}

/** Remark lines of the same ACL directly above an entry belong to it: new entries go above them. */
function remarksAbove(text: string, acl: string, entryStart: number): { start: number; count: number } {
  let start = lineStart(text, entryStart);
  let count = 0;
  const re = new RegExp(`^access-list\\s+${escapeRe(acl)}\\s+(?:line\\s+\\d+\\s+)?remark\\b`);
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (!re.test(text.slice(prev, start))) break;
    start = prev;
    count++;
  }
  return { start, count };
}

/**
 * ASA remarks hold at most 100 characters, and plain ASCII is safest on the
 * device. A comment made of several parts (`a: x, y; b: z`, as `generate`
 * lists the flows a rule serves) gets one remark per part.
 */
function remarkLines(comment: string): string[] {
  const flat = comment
    .replace(/[\r\n]+/g, ' ')
    .replace(/\u2192/g, '->')
    .replace(/\u2026/g, '...')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/citrix-(role|flow-lint-disable)/gi, 'citrix $1')
    .trim();
  const parts = flat
    .split(/;\s+/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => clipWords(part, 100, '...'));
  return parts.length ? parts : [''];
}

/** Comment lines right above a line (its `! citrix-role:` annotation) stay attached to it. */
function aboveComments(text: string, start: number): number {
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (!/^[ \t]*!/.test(text.slice(prev, start))) break;
    start = prev;
  }
  return start;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function merge(uri: string, inserts: readonly { at: number; text: string; order: number }[]): TextEdit[] {
  const byOffset = new Map<number, { text: string; order: number }[]>();
  for (const i of inserts) byOffset.set(i.at, [...(byOffset.get(i.at) ?? []), i]);
  return [...byOffset.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, list]) => ({ uri, span: { start: at, end: at }, newText: [...list].sort((a, b) => a.order - b.order).map((i) => i.text).join('') }));
}
