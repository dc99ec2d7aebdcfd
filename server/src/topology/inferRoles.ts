import type { Catalog } from '../catalog';
import { LineIndex, type ParsedFile, type Rule, type RuleSet, type Span } from '../model';
import { normalizeKey } from './vocabulary';
import { CITRIX_CONTEXT_WORDS, EXTRA_TERMS, GENERIC_ALIASES, INFRASTRUCTURE_ROLES, PEER_MARKERS, nameWords, type Term } from './inferWords';
import { uriToPath } from './bind';

/** Where a clue about a rule set's role was found, strongest first. */
export type EvidenceKind = 'name' | 'group' | 'description' | 'comment' | 'template-description' | 'file' | 'folder' | 'rule-name' | 'opens';
export type Confidence = 'high' | 'medium' | 'low';

export interface Evidence {
  readonly kind: EvidenceKind;
  /** The name, word or ports as written (`vda-inbound-rules`, `TCP 1494, 2598 inbound`). */
  readonly text: string;
  readonly uri: string;
  readonly span?: Span;
  /** Points this clue adds (after the word's strength); the strongest clue of each kind counts. */
  readonly weight: number;
  /** Counts only in a workspace that is about Citrix (`controllers`, `dc`, `sql`). */
  readonly needsCitrixContext?: boolean;
}

export interface RoleGuess {
  readonly role: string;
  readonly confidence: Confidence;
  readonly score: number;
  readonly evidence: readonly Evidence[];
}

/** What one rule set's names and rules say about the roles it protects and the roles it talks to. */
export interface RuleSetClues {
  readonly uri: string;
  readonly ruleSetId: string;
  readonly ruleSetName: string;
  /** Candidate roles with every clue found for each. */
  readonly self: ReadonlyMap<string, readonly Evidence[]>;
  /** Roles named as the other end (`Allow-From-Controllers`): peers, for address inference. */
  readonly peers: ReadonlyMap<string, readonly Evidence[]>;
}

export interface FileClues {
  readonly uri: string;
  readonly ruleSets: readonly RuleSetClues[];
  /** The file or its path says Citrix (`citrix`, `ctx`, `cvad`, `netscaler`, …). */
  readonly citrix: boolean;
}

const KIND_WEIGHT: Readonly<Record<EvidenceKind, number>> = { name: 3, group: 3, description: 2.5, comment: 2, 'template-description': 2, file: 2, folder: 1.5, 'rule-name': 0.75, opens: 0 };
/** A rule set's own name, group or description: when one of these names a role, clues from its file and folder do not add others. */
const OWN_KINDS: ReadonlySet<EvidenceKind> = new Set(['name', 'group', 'description']);
export const HIGH = 3;
const MEDIUM = 1.5;
const MAX_NGRAM = 5;

/**
 * Ports whose opening, inbound, says which Citrix role a host plays: ICA and
 * Session Reliability mean a VDA, 27000 + 7279 a License Server, 808 a
 * StoreFront (subscription store replication), the HA ports an ADC. General
 * service ports (80, 443, 389, …) never say it on their own; with one of
 * these they add support when the role's catalog flows use them.
 */
const TELLING_PORTS: readonly { role: string; protocol: 'tcp' | 'udp'; ports: readonly number[] }[] = [
  { role: 'vda', protocol: 'tcp', ports: [1494, 2598, 8008] },
  { role: 'vda', protocol: 'udp', ports: [1494, 2598] },
  { role: 'license-server', protocol: 'tcp', ports: [27000, 7279, 8082, 8083] },
  { role: 'storefront', protocol: 'tcp', ports: [808] },
  { role: 'adc', protocol: 'udp', ports: [3003] },
  { role: 'adc', protocol: 'tcp', ports: [3008, 3009, 3010, 3011] },
  { role: 'pvs-server', protocol: 'udp', ports: [6910] },
  { role: 'wem-infrastructure', protocol: 'tcp', ports: [8284, 8285, 8286, 8287, 8288] },
];

export interface InferenceKnowledge {
  /** Normalised word (or joined words) → terms. */
  readonly terms: ReadonlyMap<string, readonly Term[]>;
  /** Role → the ports of its inbound catalog flows, by protocol, for "supporting" ports. */
  readonly inboundPorts: ReadonlyMap<string, { tcp: Set<number>; udp: Set<number> }>;
  /** Every port that can tell or support a role (TCP p, UDP 65536 + p): a rule's other ports are passed over. */
  readonly evidencePorts: ReadonlySet<number>;
  readonly roleName: (id: string) => string;
}

const knowledgeCache = new WeakMap<object, InferenceKnowledge>();

/** The terms and ports inference reads, from the catalog's roles (ids, names, aliases) and the table of abbreviations. */
export function inferenceKnowledge(catalog: Pick<Catalog, 'roles' | 'flows'>): InferenceKnowledge {
  const hit = knowledgeCache.get(catalog);
  if (hit) return hit;
  const terms = new Map<string, Term[]>();
  const add = (term: Term): void => {
    if (!term.key) return;
    const list = terms.get(term.key) ?? [];
    if (!list.some((t) => t.role === term.role)) list.push(term);
    terms.set(term.key, list);
  };
  const key = (text: string): string => normalizeKey(text).replace(/-/g, '');
  for (const role of catalog.roles) {
    if (role.id === 'any-citrix-component') continue;
    const names = [role.id, role.name, ...role.aliases];
    for (const name of names) {
      // "SSH (Citrix ADM)" names a protocol of the role in parentheses: the words inside name the role, the word outside does not.
      const inside = /\(([^)]*)\)/.exec(name)?.[1];
      for (const variant of inside ? [name, inside] : [name]) {
        const k = key(variant);
        if (k.length < 3 || GENERIC_ALIASES.has(k)) continue;
        add({ key: k, role: role.id, strength: 'strong', ...(INFRASTRUCTURE_ROLES.has(role.id) ? { needsCitrixContext: true } : {}) });
      }
    }
  }
  for (const term of EXTRA_TERMS) {
    // The abbreviation table wins over a catalog alias of the same spelling (it knows which words need context).
    const list = (terms.get(term.key) ?? []).filter((t) => t.role !== term.role);
    terms.set(term.key, [...list, { ...term, ...(INFRASTRUCTURE_ROLES.has(term.role) ? { needsCitrixContext: true } : {}) }]);
  }
  const inboundPorts = new Map<string, { tcp: Set<number>; udp: Set<number> }>();
  for (const flow of catalog.flows) {
    const entry = inboundPorts.get(flow.destination) ?? { tcp: new Set<number>(), udp: new Set<number>() };
    for (const p of flow.protocols) {
      if (p === 'icmp') continue;
      for (const r of flow.ports) if (r.to - r.from <= 32) for (let x = r.from; x <= r.to; x++) entry[p].add(x);
    }
    inboundPorts.set(flow.destination, entry);
  }
  const evidencePorts = new Set<number>();
  for (const t of TELLING_PORTS) for (const p of t.ports) evidencePorts.add(portKey(t.protocol, p));
  for (const entry of inboundPorts.values()) for (const protocol of ['tcp', 'udp'] as const) for (const p of entry[protocol]) evidencePorts.add(portKey(protocol, p));
  const names = new Map(catalog.roles.map((r) => [r.id, r.name]));
  const knowledge: InferenceKnowledge = { terms, inboundPorts, evidencePorts, roleName: (id) => names.get(id) ?? id };
  knowledgeCache.set(catalog, knowledge);
  return knowledge;
}

interface Found {
  readonly role: string;
  readonly strength: Term['strength'];
  readonly needsCitrixContext: boolean;
  readonly peer: boolean;
}

/** The roles a name mentions, each as its own role or as a peer (after "from"/"to"). */
export function rolesInName(text: string, knowledge: InferenceKnowledge): { found: Found[]; citrix: boolean } {
  const ws = nameWords(text);
  // `netscaler_autoscale_lambda_sg`, `ssh_to_jumpbox`, `adc_to_worker_nodes`: the group guards a helper machine
  // that works with the role, so the role is a peer there.
  const namesOtherMachine = ws.some((w) => HELPER_MACHINE_WORDS.has(w));
  const found: Found[] = [];
  let citrix = false;
  let i = 0;
  while (i < ws.length) {
    if (CITRIX_CONTEXT_WORDS.has(ws[i])) citrix = true;
    let matched = 0;
    for (let n = Math.min(MAX_NGRAM, ws.length - i); n >= 1 && !matched; n--) {
      const joined = ws.slice(i, i + n).join('');
      const candidates = knowledge.terms.get(joined) ?? knowledge.terms.get(singular(joined));
      if (!candidates) continue;
      // "Store Apps" are Microsoft Store apps, not a StoreFront.
      if (joined === 'store' && (ws[i + 1] === 'apps' || ws[i + 1] === 'app')) continue;
      const peer = isPeerPosition(ws, i) || namesOtherMachine;
      for (const term of candidates) found.push({ role: term.role, strength: term.strength, needsCitrixContext: term.needsCitrixContext === true, peer });
      if (joined.startsWith('citrix') || joined.startsWith('ctx') || joined.startsWith('netscaler')) citrix = true;
      matched = n;
    }
    i += matched || 1;
  }
  return { found, citrix };
}

function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** "Security groups related to Citrix ADC": a "to" that says what something belongs to, not where traffic goes. */
const BELONGING_BEFORE_TO: ReadonlySet<string> = new Set(['related', 'relating', 'belonging', 'attached', 'specific', 'dedicated', 'assigned']);

function isPeerPosition(ws: readonly string[], i: number): boolean {
  for (let j = Math.max(0, i - 2); j < i; j++) if (PEER_MARKERS.has(ws[j]) && !(ws[j] === 'to' && BELONGING_BEFORE_TO.has(ws[j - 1] ?? ''))) return true;
  return false;
}

const fileCache = new WeakMap<ParsedFile, { knowledge: InferenceKnowledge; clues: FileClues }>();

/**
 * Every clue one file gives about the roles of its rule sets: their names,
 * the name/description/tags/group lines of their blocks, the comments just
 * above them and at the top of the file, the file's and folders' names, the
 * names of their rules, and the ports their inbound rules open. Pure over
 * the parsed file, so it is worked out once per parse.
 */
export function fileClues(file: ParsedFile, knowledge: InferenceKnowledge): FileClues {
  const hit = fileCache.get(file);
  if (hit && hit.knowledge === knowledge) return hit.clues;
  const clues = computeFileClues(file, knowledge);
  fileCache.set(file, { knowledge, clues });
  return clues;
}

function computeFileClues(file: ParsedFile, knowledge: InferenceKnowledge): FileClues {
  const pathWords = pathParts(file.uri);
  let citrix = /citrix|netscaler|\bctx|cvad|xendesktop|xenapp/i.test(file.text.slice(0, 200_000));
  const note = (into: Map<string, Evidence[]>, peers: Map<string, Evidence[]>, kind: EvidenceKind, text: string, span: Span | undefined, kindWeight = KIND_WEIGHT[kind]): void => {
    const r = rolesInName(text, knowledge);
    if (r.citrix) citrix = true;
    for (const f of r.found) {
      // Microsoft's RDS licensing server is no Citrix License Server.
      if (f.role === 'license-server' && MICROSOFT_LICENSING.test(text)) continue;
      const weight = kindWeight * (f.strength === 'strong' ? 1 : 0.5);
      const ev: Evidence = { kind, text: text.length > 120 ? `${text.slice(0, 117)}…` : text, uri: file.uri, ...(span ? { span } : {}), weight, ...(f.needsCitrixContext ? { needsCitrixContext: true } : {}) };
      const target = f.peer ? peers : into;
      const list = target.get(f.role) ?? [];
      list.push(ev);
      target.set(f.role, list);
    }
  };
  const sharedSelf = new Map<string, Evidence[]>();
  const sharedPeer = new Map<string, Evidence[]>();
  // A host firewall script, or a file holding one rule set, is named for the machine it protects.
  const fileSpeaksForAll = file.format === 'iptables' || file.format === 'nftables' || file.format === 'windows-firewall' || file.ruleSets.length === 1;
  // A template called azuredeploy.json or main.tf is named by its folder (`CloudConnector/azuredeploy.json`).
  const [nearest, ...outer] = pathWords.folders;
  const namedByFolder = !pathWords.file && nearest !== undefined;
  note(sharedSelf, sharedPeer, 'file', namedByFolder ? nearest : pathWords.file, undefined, fileSpeaksForAll ? KIND_WEIGHT.name : undefined);
  for (const folder of namedByFolder ? outer : pathWords.folders) note(sharedSelf, sharedPeer, 'folder', folder, undefined);
  const lines = LineIndex.of(file.text);
  const firstStart = Math.min(...file.ruleSets.map((rs) => rs.span.start), file.text.length);
  for (const c of file.comments) {
    if (c.span.end > firstStart) break;
    if (lines.positionAt(c.span.start).line > 15) break;
    if (/citrix-role\s*:/i.test(c.text) || /citrix-flow-lint/i.test(c.text)) continue;
    note(sharedSelf, sharedPeer, 'comment', c.text.trim(), c.span);
  }
  // "This template creates the Security Groups related to Citrix ADC.": the template's own words about itself, as strong
  // as a comment at its top. One that names several machines ("for Citrix Cloud Connectors and Citrix VDA") says what
  // the template holds, not which group is which: it only says the template is about Citrix.
  if (file.description) {
    const text = file.description.text.trim();
    const named = rolesInName(text, knowledge);
    if (named.citrix) citrix = true;
    if (new Set(named.found.filter((f) => !f.peer).map((f) => f.role)).size === 1) note(sharedSelf, sharedPeer, 'template-description', text, file.description.span);
  }

  const ruleSets: RuleSetClues[] = [];
  for (const rs of file.ruleSets) {
    const self = new Map<string, Evidence[]>();
    const peers = new Map<string, Evidence[]>();
    // `WindowsJumpBoxSecurityGroup` in `citrixadc.yaml` guards the jump box, not the ADC the file is named for.
    const helper = ownNames(rs).some((n) => nameWords(n).some((w) => HELPER_MACHINE_WORDS.has(w) || (w === 'jump' && /box|host/i.test(n))));
    for (const [role, list] of sharedSelf) (helper ? peers : self).set(role, [...list]);
    for (const [role, list] of sharedPeer) peers.set(role, [...(peers.get(role) ?? []), ...list]);
    // The name as written (`name = "vda-inbound-rules"`) reads better in an assumption than the resource address.
    for (const line of headerLines(file, rs)) note(self, peers, line.kind, line.text, line.span);
    for (const name of ownNames(rs)) note(self, peers, 'name', name, rs.nameSpan ?? rs.span);
    const above = commentAbove(file, rs, lines);
    if (above) note(self, peers, 'comment', above.text, above.span);
    const rules = allRules(rs);
    const seenNames = new Set<string>();
    for (const rule of rules) {
      if (rule.implicit) continue;
      for (const [kind, text] of [['rule-name', rule.name], ['group', rule.meta?.group], ['rule-name', rule.comment]] as const) {
        if (!text || seenNames.has(`${kind}\u0000${text}`) || seenNames.size > 400) continue;
        seenNames.add(`${kind}\u0000${text}`);
        note(self, peers, kind, text, rule.span);
      }
    }
    // `GatewaySG` opening ICA is a Gateway's group (ICA proxy), not a VDA's: what a group opens names
    // its role only when its own name names no other machine.
    const ownWords = ownNames(rs).flatMap((n) => nameWords(n));
    const namedOtherwise = (role: string): boolean => ownWords.some((w) => OTHER_MACHINE_WORDS.has(w) && OTHER_MACHINE_WORDS.get(w) !== role);
    for (const ev of opensEvidence(file, rs, rules, knowledge)) {
      if (namedOtherwise(ev.role)) continue;
      const list = self.get(ev.role) ?? [];
      list.push(ev.evidence);
      self.set(ev.role, list);
    }
    // A hub firewall carries the flows of many machines: the roles its names and rules mention are the
    // peers of those flows, never a machine it sits on (its rule "citrix-cloud" does not make it Citrix Cloud).
    if (rs.kind === 'azure-firewall') {
      for (const [role, list] of self) peers.set(role, [...(peers.get(role) ?? []), ...list]);
      self.clear();
    }
    ruleSets.push({ uri: file.uri, ruleSetId: rs.id, ruleSetName: rs.name, self, peers });
  }
  return { uri: file.uri, ruleSets, citrix };
}

function ownNames(rs: RuleSet): string[] {
  const out = new Set<string>();
  out.add(rs.name);
  const segments = rs.id.split(/[./:#]/).filter(Boolean);
  const last = segments[segments.length - 1];
  if (last && !/^(INPUT|OUTPUT|FORWARD|filter|input|output|forward)$/.test(last)) out.add(last);
  return [...out].filter((n) => n && !/^(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING|input|output|forward|filter)$/.test(n));
}

/** `name = "…"`, `description: '…'`, `Name = "…"` (tags), `-Group "…"` lines of a rule set's block, outside its rules. */
function headerLines(file: ParsedFile, rs: RuleSet): { kind: EvidenceKind; text: string; span: Span }[] {
  const out: { kind: EvidenceKind; text: string; span: Span }[] = [];
  const start = rs.span.start;
  const end = Math.min(rs.span.end, start + 20_000);
  const ruleSpans = allRules(rs).filter((r) => !r.implicit && r.span.start >= start && r.span.end <= rs.span.end && r.span.end - r.span.start < rs.span.end - rs.span.start).map((r) => r.span);
  const text = file.text.slice(start, end);
  const re = /["']?(name|name_prefix|description|Description|Name|Role|role|Tier|tier|Component|component|group|Group|DisplayGroup|displayName)["']?\s*[:=]\s*["']([^"'\n]{1,200})["']/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const at = start + m.index;
    if (ruleSpans.some((s) => s.start <= at && at < s.end)) continue;
    const field = m[1].toLowerCase();
    const kind: EvidenceKind = field.includes('description') ? 'description' : field.includes('group') ? 'group' : field === 'name' || field === 'name_prefix' || field === 'displayname' ? 'name' : 'description';
    out.push({ kind, text: m[2], span: { start: at, end: at + m[0].length } });
    if (out.length > 20) break;
  }
  return out;
}

function commentAbove(file: ParsedFile, rs: RuleSet, lines: LineIndex): { text: string; span: Span } | undefined {
  const line = lines.positionAt(rs.span.start).line;
  const near = file.comments.filter((c) => {
    const l = lines.positionAt(c.span.end).line;
    return l < line && l >= line - 3 && !/citrix-role\s*:|citrix-flow-lint/i.test(c.text);
  });
  if (!near.length) return undefined;
  return { text: near.map((c) => c.text.trim()).join(' '), span: { start: near[0].span.start, end: near[near.length - 1].span.end } };
}

function allRules(rs: RuleSet): readonly Rule[] {
  if (!rs.chains) return rs.rules;
  return [...rs.rules, ...Object.values(rs.chains).flat()];
}

const TCP = 6;
const UDP = 17;

function portKey(protocol: 'tcp' | 'udp', port: number): number {
  return protocol === 'tcp' ? port : 65536 + port;
}

/** What the rule set's inbound allow rules open on ports that tell a role. */
function opensEvidence(file: ParsedFile, rs: RuleSet, rules: readonly Rule[], knowledge: InferenceKnowledge): { role: string; evidence: Evidence }[] {
  if (!rs.directions.includes('inbound')) return [];
  // The first rule opening each port, keyed by number (TCP p, UDP 65536 + p): a 50,000-rule chain opens tens of
  // thousands of ports, and a string key per port was most of inference's time on every edit.
  const firstRule = new Map<number, Rule>();
  const keyOf = portKey;
  for (const rule of rules) {
    if (rule.implicit || rule.direction !== 'inbound' || rule.target.kind !== 'allow' || rule.enabled.value === false) continue;
    // A rule opening every port or a wide range says nothing about what the host is.
    const ports = rule.destinationPorts.value;
    let size = 0;
    for (const r of ports.ranges) size += r.to - r.from + 1;
    if (size === 0 || size > 64) continue;
    const protocols = rule.protocols.value;
    for (const [name, number] of [['tcp', TCP], ['udp', UDP]] as const) {
      if (!protocols.has(number)) continue;
      for (const r of ports.ranges) for (let p = r.from; p <= r.to; p++) {
        const key = keyOf(name, p);
        if (knowledge.evidencePorts.has(key) && !firstRule.has(key)) firstRule.set(key, rule);
      }
    }
  }
  const isOpen = (protocol: 'tcp' | 'udp', port: number): boolean => firstRule.has(keyOf(protocol, port));
  const out: { role: string; evidence: Evidence }[] = [];
  const roles = [...new Set(TELLING_PORTS.map((t) => t.role))];
  for (const role of roles) {
    const telling: string[] = [];
    let span: Span | undefined;
    for (const t of TELLING_PORTS.filter((x) => x.role === role)) {
      for (const p of t.ports) if (isOpen(t.protocol, p)) {
        telling.push(`${t.protocol.toUpperCase()} ${p}`);
        span ??= firstRule.get(keyOf(t.protocol, p))?.span;
      }
    }
    if (!telling.length) continue;
    const own = knowledge.inboundPorts.get(role);
    const tellingSet = new Set(telling);
    const supporting: string[] = [];
    // The role's own ports in the order the rules open them, TCP before UDP, as the rules list them.
    for (const proto of ['tcp', 'udp'] as const) {
      if (!own) break;
      for (const key of firstRule.keys()) {
        const p = proto === 'tcp' ? key : key - 65536;
        if (p < 0 || p > 65535 || !own[proto].has(p) || tellingSet.has(`${proto.toUpperCase()} ${p}`)) continue;
        supporting.push(`${proto.toUpperCase()} ${p}`);
      }
    }
    const distinctPorts = new Set(telling.map((t) => t.split(' ')[1])).size;
    const weight = Math.min(HIGH, MEDIUM * Math.min(2, distinctPorts) + (supporting.length ? MEDIUM : 0));
    const text = `opens ${[...telling, ...supporting.slice(0, 3)].join(', ')} inbound`;
    out.push({ role, evidence: { kind: 'opens', text, uri: file.uri, ...(span ? { span } : {}), weight } });
  }
  return out;
}

const HELPER_MACHINE_WORDS: ReadonlySet<string> = new Set(['lambda', 'lambdas', 'function', 'functions', 'jumpbox', 'jumphost', 'jump', 'bastion', 'worker', 'workers', 'eks', 'aks', 'gke', 'k8s', 'kubernetes', 'weblog', 'lb', 'alb', 'elb', 'nlb', 'loadbalancer']);
/** Words in a group's own name that say which machine it guards, even where they are too general to bind a role. */
const OTHER_MACHINE_WORDS: ReadonlyMap<string, string> = new Map([
  ['gateway', 'gateway'], ['netscaler', 'adc'], ['adc', 'adc'], ['vpx', 'adc'], ['storefront', 'storefront'], ['controller', 'delivery-controller'],
  ['ddc', 'delivery-controller'], ['connector', 'cloud-connector'], ['sql', 'sql-server'], ['db', 'sql-server'], ['database', 'sql-server'],
  ['web', 'web'], ['proxy', 'proxy'], ['dc', 'domain-controller'], ['ad', 'domain-controller'],
]);
const MICROSOFT_LICENSING = /rds|rdls|rdlicen|remote[\s_-]*desktop/i;

/** The file's name without extension and up to three folders above it, nearest first. */
function pathParts(uri: string): { file: string; folders: string[] } {
  const p = uriToPath(uri).replace(/\\/g, '/');
  const parts = p.split('/').filter(Boolean);
  const base = parts.pop() ?? '';
  const file = base.replace(/\.(tf|tf\.json|bicep|json|ps1|cmd|bat|sh|nft|rules|cfg|conf|txt|v4|v6|ya?ml|template)$/i, '');
  const folders = parts.slice(-3).reverse().filter((f) => !/^(src|modules?|terraform|infra|iac|main|examples?|test|tests|fixtures?|scripts?|tmp|home|work|root|users?)$/i.test(f));
  return { file: /^(main|variables|outputs|providers?|network|networking|security|firewall|rules|nsg|sg|index|default|template(?:[_-][a-z0-9]+)?|maintemplate|azuredeploy|deploy|createuidefinition)$/i.test(file) ? '' : file, folders };
}

/** The guesses for one rule set, scored in a workspace that is (or is not) about Citrix. */
export function scoreClues(clues: RuleSetClues, citrixContext: boolean): RoleGuess[] {
  const guesses: RoleGuess[] = [];
  for (const [role, all] of clues.self) {
    const evidence = all.filter((e) => citrixContext || !e.needsCitrixContext);
    if (!evidence.length) continue;
    const bestByKind = new Map<EvidenceKind, number>();
    for (const e of evidence) bestByKind.set(e.kind, Math.max(bestByKind.get(e.kind) ?? 0, e.weight));
    // Rule names mostly name the other end; one that names a role says little, several say more.
    const ruleNames = new Set(evidence.filter((e) => e.kind === 'rule-name' && e.weight >= 0.75).map((e) => e.text));
    if (ruleNames.size >= 2) bestByKind.set('rule-name', 1.5);
    let score = 0;
    for (const w of bestByKind.values()) score += w;
    guesses.push({ role, score, confidence: score >= HIGH ? 'high' : score >= MEDIUM ? 'medium' : 'low', evidence: [...evidence].sort((a, b) => b.weight - a.weight) });
  }
  // A rule set's own name, group or description outranks the file and folder it sits in.
  const own = guesses.filter((g) => g.evidence.some((e) => OWN_KINDS.has(e.kind) && e.weight >= 2.5));
  if (own.length) {
    for (let i = 0; i < guesses.length; i++) {
      const g = guesses[i];
      if (own.includes(g) || g.evidence.some((e) => e.kind === 'opens' && e.weight >= HIGH)) continue;
      guesses[i] = { ...g, confidence: g.confidence === 'high' ? 'medium' : g.confidence };
    }
  }
  return guesses.sort((a, b) => b.score - a.score || a.role.localeCompare(b.role));
}
