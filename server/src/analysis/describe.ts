import type { Catalog, CatalogFlow } from '../catalog';
import { LineIndex, type ParsedFile, type Rule, type RuleSet } from '../model';
import { formatPortSet, protocolName, type PortSet, type ProtocolSet } from '../net';
import type { Decision } from './evaluate';

const lineIndexes = new WeakMap<ParsedFile, LineIndex>();

export function lineIndexOf(file: ParsedFile): LineIndex {
  let index = lineIndexes.get(file);
  if (!index) {
    index = LineIndex.of(file.text);
    lineIndexes.set(file, index);
  }
  return index;
}

/** 1-based line of an offset, as people read it in the editor. */
export function lineOf(file: ParsedFile, offset: number): number {
  return lineIndexOf(file).positionAt(offset).line + 1;
}

export function roleName(catalog: Catalog, id: string): string {
  return catalog.roleById(id)?.name ?? id;
}

/** The first sentence of the seed's description: enough to recognise the flow in a message. */
export function shortPurpose(flow: CatalogFlow): string {
  const text = flow.description.trim();
  const stop = text.search(/\.(\s|$)/);
  const sentence = stop > 0 ? text.slice(0, stop) : text;
  return sentence.length > 90 ? `${sentence.slice(0, 87).trimEnd()}…` : sentence;
}

/** The seed's first sentence for the details of a message: cut between words, without its closing period. */
export function purposeSentence(flow: CatalogFlow): string {
  const text = flow.description.trim();
  const stop = text.search(/\.(\s|$)/);
  const sentence = (stop > 0 ? text.slice(0, stop) : text).replace(/\.$/, '');
  if (sentence.length <= 120) return sentence;
  // Between words, never inside one ("…or for gath…" reads as a typo).
  const cut = sentence.slice(0, 118);
  const space = cut.lastIndexOf(' ');
  return `${(space > 60 ? cut.slice(0, space) : cut).replace(/[\s,;:(]+$/, '')}…`;
}

export function protocolsInWords(protocols: readonly string[]): string {
  return protocols.map((p) => p.toUpperCase()).join('/');
}

export function portsInWords(flow: CatalogFlow): string {
  return flow.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}–${r.to}`)).join(', ');
}

/** `Citrix Workspace app → VDA, TCP/UDP 2598 (…with Session Reliability)` */
export function flowInWords(catalog: Catalog, flow: CatalogFlow, protocols: readonly string[] = flow.protocols): string {
  const ports = portsInWords(flow);
  return `${roleName(catalog, flow.source)} → ${roleName(catalog, flow.destination)}, ${protocolsInWords(protocols)}${ports ? ` ${ports}` : ''} (${shortPurpose(flow)})`;
}

export function protocolSetInWords(set: ProtocolSet): string {
  if (set.isFull) return 'any protocol';
  const names: string[] = [];
  for (const r of set.ranges) for (let n = r.from; n <= r.to && names.length < 6; n++) names.push(protocolName(n).toUpperCase());
  return names.join('/');
}

export function portSetInWords(set: PortSet): string {
  return set.isFull ? 'any port' : formatPortSet(set, '–');
}

/**
 * `priority 4000`; an Azure Firewall rule's place in its policy, which sorts
 * by kind, group and collection at once (`network, group 200, collection
 * 4000`), rather than the one number it is sorted by.
 */
export function priorityInWords(rule: Pick<Rule, 'priority' | 'meta'>): string {
  return rule.meta?.collectionPriority ?? `priority ${rule.priority?.value}`;
}

/** `"DenyAllInbound" (priority 4000, line 42)` or `the default policy of INPUT (DROP, line 3)`. */
export function decidingRuleInWords(file: ParsedFile | undefined, ruleSet: RuleSet, rule: Rule | undefined): string {
  if (!rule) {
    const policy = Object.values(ruleSet.defaults).find((d) => d?.span);
    const where = policy?.span && file ? `, line ${lineOf(file, policy.span.start)}` : '';
    if (ruleSet.semantics === 'union-of-allows') return `no rule of ${ruleSet.name} (it allows only what a rule allows)`;
    return `the default of ${ruleSet.name}${where}`;
  }
  // Ordered formats name rules by line; quoting the rule's own text reads better than "line 73" (line 73).
  const firstLine = rule.raw.split(/\r?\n/)[0].trim();
  const label = rule.name ?? (/^line \d/.test(rule.id) && firstLine ? (firstLine.length > 70 ? `${firstLine.slice(0, 67)}…` : firstLine) : rule.id);
  const details: string[] = [];
  if (rule.priority) details.push(priorityInWords(rule));
  if (rule.implicit) details.push(`built-in rule of ${ruleSet.name}`);
  else if (file) details.push(`line ${lineOf(file, rule.span.start)}`);
  return `"${label}"${details.length ? ` (${details.join(', ')})` : ''}`;
}

/** The decisions of one outcome grouped by rule, so a message names each rule once. */
export function decisionsByRule(decisions: readonly Decision[], outcome: Decision['outcome']): Decision[] {
  const seen = new Set<Rule | RuleSet>();
  const out: Decision[] = [];
  for (const d of decisions) {
    if (d.outcome !== outcome) continue;
    const key = d.rule ?? d.ruleSet;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** `VDA` for "Virtual Delivery Agent (VDA)", "User device" for "User device (Citrix Workspace app)": names that fit a first sentence. */
export function shortRoleName(catalog: Catalog, id: string, options: { keepLongParenthesis?: boolean } = {}): string {
  const name = catalog.roleById(id)?.name;
  if (!name) return id;
  const open = name.lastIndexOf('(');
  if (open > 0 && name.endsWith(')')) {
    const inner = name.slice(open + 1, -1);
    if (inner.length <= 6 && !inner.includes(' ')) return inner;
    if (!options.keepLongParenthesis) return name.slice(0, open).trim();
  }
  return name;
}

const ACRONYMS: Readonly<Record<string, string>> = {
  ha: 'HA', ica: 'ICA', ldap: 'LDAP', ldaps: 'LDAPS', sql: 'SQL', dns: 'DNS', snmp: 'SNMP', ssh: 'SSH', gui: 'GUI', http: 'HTTP', https: 'HTTPS',
  html5: 'HTML5', edt: 'EDT', rtp: 'RTP', tls: 'TLS', vda: 'VDA', xml: 'XML', sta: 'STA', mep: 'MEP', hsm: 'HSM', rfs: 'RFS', crl: 'CRL', ca: 'CA',
  sdk: 'SDK', ntp: 'NTP', radius: 'RADIUS', tacacs: 'TACACS+', iso: 'ISO', smb: 'SMB', iscsi: 'iSCSI', nfs: 'NFS', vnc: 'VNC', rdp: 'RDP', pvs: 'PVS',
  soap: 'SOAP', tftp: 'TFTP', ipfix: 'IPFIX', nitro: 'NITRO', xenapi: 'XenAPI', scvmm: 'SCVMM', vpn: 'VPN', netbios: 'NetBIOS', appfw: 'AppFW', udp: 'UDP',
  smtp: 'SMTP', hdx: 'HDX', wem: 'WEM', fas: 'FAS', db: 'DB', appflow: 'AppFlow', xenmobile: 'XenMobile', lmadmin: 'lmadmin',
};

/** The flow's purpose in a few words, from the last part of its id: `registration`, `ICA session reliability`. */
export function purposeWords(catalog: Catalog, flow: CatalogFlow): string {
  const slug = flow.id.slice(flow.id.lastIndexOf('.') + 1);
  const words = slug.split('-').map((w) => ACRONYMS[w] ?? w);
  // "Delivery Controller → VDA VDA discovery" says VDA once too often.
  const ends = [shortRoleName(catalog, flow.source), shortRoleName(catalog, flow.destination)].map((n) => n.toLowerCase());
  if (words.length > 1 && ends.includes(words[0].toLowerCase())) words.shift();
  return words.join(' ');
}

/** `Delivery Controller → VDA registration`: the flow in the words a first sentence has room for. */
export function flowShort(catalog: Catalog, flow: CatalogFlow): string {
  return `${shortRoleName(catalog, flow.source)} → ${shortRoleName(catalog, flow.destination)} ${purposeWords(catalog, flow)}`;
}

/**
 * `Deny-All (priority 4096)`, `the rule on line 74`, `the INPUT policy (DROP, line 6)`:
 * the deciding rule short enough to lead a message. Undefined for a
 * union-of-allows rule set's "no rule", which is said differently.
 */
export function ruleShort(file: ParsedFile | undefined, ruleSet: RuleSet, rule: Rule | undefined): string | undefined {
  if (!rule) {
    if (ruleSet.semantics === 'union-of-allows') return undefined;
    const entry = Object.entries(ruleSet.defaults).find(([, d]) => d?.span);
    const action = entry?.[1]?.value;
    const where = entry?.[1]?.span && file ? `, line ${lineOf(file, entry[1].span.start)}` : '';
    if (ruleSet.format === 'iptables' || ruleSet.format === 'nftables') {
      const word = action === 'deny' ? 'drop' : 'accept';
      return `the ${ruleSet.name} policy${action ? ` ${ruleSet.format === 'iptables' ? word.toUpperCase() : word}` : ''}${where ? ` (${where.slice(2)})` : ''}`;
    }
    return `the default of ${ruleSet.name}${where ? ` (${where.slice(2)})` : ''}`;
  }
  const details: string[] = [];
  if (rule.priority) details.push(priorityInWords(rule));
  if (rule.implicit) details.push('built in');
  else if (!rule.priority && file) details.push(`line ${lineOf(file, rule.span.start)}`);
  if (rule.name) return `${rule.name}${details.length ? ` (${details.join(', ')})` : ''}`;
  if (rule.implicit) return `the built-in rule ${rule.id}`;
  return `the rule on line ${file ? lineOf(file, rule.span.start) : '?'}${rule.priority ? ` (${priorityInWords(rule)})` : ''}`;
}
