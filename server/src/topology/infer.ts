import type { Catalog } from '../catalog';
import type { ParsedFile, RuleSet, Span } from '../model';
import { AddressSet } from '../net';
import { fileClues, inferenceKnowledge, rolesInName, scoreClues, type Evidence, type FileClues, type InferenceKnowledge, type RoleGuess } from './inferRoles';
import { INFRASTRUCTURE_ROLES, nameWords } from './inferWords';
import type { BoundRuleSet, Topology } from './types';

/**
 * Roles whose machines talk to the Citrix License Server: the seed's "any
 * Citrix component", read as Citrix documents licensing. VDAs are not: the
 * Delivery Controller checks licences out for the sessions they host. Nor
 * are general infrastructure, user devices, the ADC family (licensed
 * through ADM or files), FAS, Cloud Connectors and cloud services.
 */
export const CITRIX_COMPONENTS: ReadonlySet<string> = new Set(['delivery-controller', 'storefront', 'director', 'pvs-server', 'wem-infrastructure', 'session-recording-server']);

/**
 * A NetScaler is one machine; the catalog splits it into the roles of its
 * addresses. A rule set inferred to protect one protects the machine, so it
 * binds every role the machine plays on that side.
 */
const MACHINE_ROLES: Readonly<Record<string, readonly string[]>> = {
  adc: ['adc', 'adc-nsip'],
  'adc-nsip': ['adc', 'adc-nsip'],
  gateway: ['gateway', 'gateway-snip'],
  'gateway-snip': ['gateway', 'gateway-snip'],
};

/** A role a rule set is assumed to protect, and why. */
export interface InferredBinding {
  readonly uri: string;
  readonly ruleSetId: string;
  readonly ruleSetName: string;
  /** Roles that bind (confident guesses, with the machine's other roles). */
  readonly roles: readonly string[];
  /** Every guess with its evidence, confident or not, best first. */
  readonly guesses: readonly RoleGuess[];
  /** 'rule-set' when its own name says so; 'file' when only its file, folder or comments do. */
  readonly scope: 'rule-set' | 'file';
  /** Why a confident guess stays a hint (the client side of an ADC). */
  readonly note?: string;
}

/**
 * A peer every site has although nothing declares it: VDAs register with
 * Delivery Controllers or Cloud Connectors, every component talks to the
 * License Server. Its flows are checked against "some source".
 */
export interface AssumedPeer {
  readonly role: string;
  /** Roles that serve the same flows (a Cloud Connector instead of a Delivery Controller). */
  readonly alternatives: readonly string[];
  /** The present roles that need it. */
  readonly neededBy: readonly string[];
}

/**
 * A feature that the files say is on or off: what a bound rule set opens (HA
 * ports between ADC peers, 8008 on a VDA), or the file's own name
 * (`…-ha-same-az`, `…-standalone`).
 */
export interface InferredFeature {
  readonly id: string;
  readonly on: boolean;
  /**
   * Where the inference holds. What a rule set opens speaks for the files of
   * its folder, since a repository of templates holds standalone and HA
   * deployments side by side; a file's name speaks for that file alone, and
   * wins over its folder.
   */
  readonly scope: 'folder' | 'file';
  readonly uri: string;
  /** Empty when the evidence is the file name. */
  readonly ruleSetName: string;
  /** `opens UDP 3003, TCP 3008 inbound`; `its file name says "standalone"`. */
  readonly evidence: string;
}

/**
 * Addresses of a peer role nothing declares, from names in the workspace:
 * the subnets a rule set bound to the role guards, a security group named
 * for the role that a rule references, variables,
 * locals and parameters named for it (`delivery_controller_ips`), or the
 * peer end of allow rules named for it (`Allow-From-Controllers`). Flows
 * from (to) the role are then checked from (to) those addresses instead of
 * "any address", with the assumption stated.
 */
export interface InferredAddresses {
  readonly role: string;
  /**
   * The folder (URI ending in "/") whose files the addresses hold for: a
   * Terraform variable belongs to its module, and a repository of templates
   * keeps unrelated deployments side by side.
   */
  readonly folder: string;
  readonly addresses: AddressSet;
  /**
   * For a role a rule set here protects: the addresses hold for it only as
   * the peer of another rule set's flows, never as the protected end (its
   * own rule sets say which of its hosts they protect).
   */
  readonly peerOnly?: boolean;
  /** The names the addresses come from (the first few), in the order they were met. */
  readonly evidence: readonly AddressEvidence[];
}

export interface AddressEvidence {
  readonly kind: 'variable' | 'local' | 'parameter' | 'rule' | 'group' | 'subnet' | 'host';
  readonly name: string;
  readonly uri: string;
  readonly span: Span;
  /** Where a variable's value comes from when not its default (`terraform.tfvars`). */
  readonly valueFrom?: string;
}

export interface SiteInference {
  readonly bindings: readonly InferredBinding[];
  /** Peer roles' addresses read from names; empty when citrix-flows.yaml declares roles. */
  readonly addresses?: readonly InferredAddresses[];
  /** Features not declared that the rule sets' own rules say are on. */
  readonly features: readonly InferredFeature[];
  /** Guesses that did not bind (not confident), as hints. */
  readonly hints: readonly InferredBinding[];
  readonly peers: readonly AssumedPeer[];
  /** Nothing declared and nothing inferred anywhere in the workspace. */
  readonly nothing: boolean;
  /** The workspace is about Citrix (words, or a Citrix role declared or inferred). */
  readonly citrix: boolean;
}

export interface InferOptions {
  readonly catalog: Pick<Catalog, 'roles' | 'flows'>;
  /** Rule sets something declared already binds: declarations always win. */
  readonly declared: readonly BoundRuleSet[];
  readonly topology: Topology;
}

/** What each rule set's clues add up to across the workspace, and which peers every site has. */
export function inferSite(files: readonly ParsedFile[], options: InferOptions): SiteInference {
  const knowledge = inferenceKnowledge(options.catalog);
  const clues = files.map((f) => fileClues(f, knowledge));
  const declaredIds = new Set(options.declared.map((b) => `${b.file.uri}\u0000${b.ruleSet.id}`));
  const declaredRoles = new Set<string>([...options.topology.roles.keys(), ...options.declared.flatMap((b) => b.roles)]);
  const citrix = clues.some((c) => c.citrix) || [...declaredRoles].some((r) => !INFRASTRUCTURE_ROLES.has(r)) || anyStrongCitrix(clues);
  const bindings: InferredBinding[] = [];
  const hints: InferredBinding[] = [];
  for (let i = 0; i < clues.length; i++) {
    const file = clues[i];
    const parsed = files[i];
    for (const rs of file.ruleSets) {
      if (declaredIds.has(`${rs.uri}\u0000${rs.ruleSetId}`)) continue;
      const ruleSet = parsed?.ruleSets.find((r) => r.id === rs.ruleSetId);
      // An ACL or FORWARD chain sits between networks and protects no one host: `interfaces:` in citrix-flows.yaml says which side is which.
      if (ruleSet && betweenNetworks(ruleSet)) continue;
      const guesses = scoreClues(rs, citrix);
      if (!guesses.length) continue;
      const confident = guesses.filter((g) => g.confidence === 'high' && (citrix || !INFRASTRUCTURE_ROLES.has(g.role)));
      const scope = confident.some((g) => g.evidence.some((e) => e.kind === 'name' || e.kind === 'group' || e.kind === 'description' || e.kind === 'opens')) ? 'rule-set' : 'file';
      const entry = { uri: rs.uri, ruleSetId: rs.ruleSetId, ruleSetName: rs.ruleSetName, guesses, scope } as const;
      // The subnet's own name only (`subnet:vnet-int/subnet-adc-frontend`): a VNet's name says nothing of the NIC's side.
      const nicSubnets = ruleSet?.meta?.nicSubnets?.split(', ').map((l) => l.slice(l.lastIndexOf('/') + 1)).join(' ');
      // The resource's address, else the name it gives the NSG or group (`name = "ns-vpx-nic-nsg-11"`), else its NICs' subnets.
      const givenName = ruleSet?.meta?.nsgName ?? ruleSet?.meta?.groupName;
      const adcSide = confident.some((g) => ADC_ROLES.has(g.role)) ? (adcInterface(rs.ruleSetName) ?? (givenName ? adcInterface(givenName) : undefined) ?? (nicSubnets ? adcInterface(nicSubnets) : undefined)) : undefined;
      if (adcSide === 'client' || adcSide === 'server') {
        // The VIP (client) or SNIP (server) NIC of a multi-NIC ADC: it is not the NSIP, and which
        // Gateway or load-balancing flows it carries is not in its name. A hint, never a binding.
        hints.push({ ...entry, roles: [], note: `the ${adcSide === 'client' ? 'client (VIP)' : 'server (SNIP)'} side of a NetScaler ADC` });
        continue;
      }
      if (confident.length) {
        const roles = [...new Set(confident.flatMap((g) => MACHINE_ROLES[g.role] ?? [g.role]))];
        bindings.push({ ...entry, roles });
      } else if (guesses.some((g) => g.confidence === 'medium')) hints.push({ ...entry, roles: [] });
    }
  }
  const bound = new Set<string>([...declaredRoles, ...bindings.flatMap((b) => b.roles)]);
  // A citrix-flows.yaml that lists the site's roles says which are there, and where: nothing is assumed beside them.
  const zeroConfiguration = options.topology.roles.size === 0;
  const addresses = zeroConfiguration ? inferAddresses(files, clues, knowledge, citrix, bound, [...options.declared, ...bindings.map((b) => ({ file: { uri: b.uri }, ruleSet: { id: b.ruleSetId }, roles: b.roles }))], options.catalog) : [];
  const located = new Set(addresses.map((a) => a.role));
  const present = new Set<string>([...bound, ...located]);
  // A role whose addresses a name gives is present, but needs nothing itself: no rule set here protects it. Where
  // its addresses hold only for some folders, the rule sets elsewhere still meet it as an assumed peer.
  const everywhere = (role: string): boolean => located.has(role) && boundFolders(options.declared, bindings).every((f) => addresses.some((a) => a.role === role && a.folder === f));
  const peers = zeroConfiguration ? assumedPeers(bound).filter((p) => !everywhere(p.role) && !p.alternatives.some(everywhere)) : [];
  const features = inferFeatures(files, [...options.declared.map((b) => ({ uri: b.file.uri, ruleSetId: b.ruleSet.id, roles: b.roles })), ...bindings], options.topology);
  return { bindings, hints, peers, features, ...(addresses.length ? { addresses } : {}), nothing: present.size === 0 && hints.length === 0, citrix };
}

/** The folders of every bound rule set. */
function boundFolders(declared: readonly BoundRuleSet[], inferred: readonly InferredBinding[]): string[] {
  return [...new Set([...declared.map((b) => folderOf(b.file.uri)), ...inferred.map((b) => folderOf(b.uri))])];
}

/** Evidence kept per role, for messages and `init`: the first few names are enough to say where the addresses come from. */
const MAX_ADDRESS_EVIDENCE = 5;

/**
 * Peer addresses from names (see InferredAddresses). Only roles that no rule
 * set here protects: a protected role's addresses come from its rule sets,
 * and a variable named `vda_subnet` in one module says nothing about the VDAs
 * another NSG protects. A name that mentions two roles says nothing. A role
 * named by a variable takes the variables' addresses alone; rule names count
 * only where no variable names the role.
 */
function inferAddresses(
  files: readonly ParsedFile[],
  clues: readonly FileClues[],
  knowledge: InferenceKnowledge,
  citrix: boolean,
  bound: ReadonlySet<string>,
  boundRuleSets: readonly { file: { uri: string }; ruleSet: { id: string }; roles: readonly string[] }[],
  catalog: Pick<Catalog, 'flows'>,
): InferredAddresses[] {
  const fromNames = new Map<string, { addresses: AddressSet; evidence: AddressEvidence[] }>();
  const fromRules = new Map<string, { addresses: AddressSet; evidence: AddressEvidence[] }>();
  const fromGroups = new Map<string, { addresses: AddressSet; evidence: AddressEvidence[] }>();
  const fromSubnets = new Map<string, { addresses: AddressSet; evidence: AddressEvidence[] }>();
  const add = (into: typeof fromNames, role: string, addresses: AddressSet, evidence: AddressEvidence, peerOnly = false): void => {
    if (bound.has(role) && !peerOnly) return;
    const key = `${role}\u0000${folderOf(evidence.uri)}`;
    const entry = into.get(key) ?? { addresses: AddressSet.none(), evidence: [] };
    entry.addresses = entry.addresses.union(addresses);
    if (entry.evidence.length < MAX_ADDRESS_EVIDENCE) entry.evidence.push(evidence);
    into.set(key, entry);
  };
  for (const file of files) {
    for (const named of file.namedAddresses ?? []) {
      const roles = [...new Set(rolesInName(named.name, knowledge).found.filter((f) => f.strength === 'strong' && (citrix || !f.needsCitrixContext)).map((f) => f.role))];
      if (roles.length !== 1) continue;
      add(fromNames, roles[0], named.addresses, { kind: named.kind, name: named.name, uri: file.uri, span: named.span, ...(named.valueFrom ? { valueFrom: named.valueFrom } : {}) });
    }
  }
  const rolesOf = new Map<string, readonly string[]>();
  for (const b of boundRuleSets) rolesOf.set(`${b.file.uri}\u0000${b.ruleSet.id}`, b.roles);
  clues.forEach((fileClue, i) => {
    const parsed = files[i];
    for (const rs of fileClue.ruleSets) {
      const protects = rolesOf.get(`${rs.uri}\u0000${rs.ruleSetId}`);
      const ruleSet = protects ? parsed?.ruleSets.find((r) => r.id === rs.ruleSetId) : undefined;
      if (!protects || !ruleSet) continue;
      // The subnet an NSG of the role guards holds the role's hosts; for the rule set itself its own rules say which.
      for (const network of ruleSet.guardedNetworks ?? []) {
        for (const role of protects) add(fromSubnets, role, network.addresses, { kind: network.kind ?? 'subnet', name: network.name, uri: network.uri ?? parsed.uri, span: network.span }, true);
      }
      for (const [named, evidence] of rs.peers) {
        for (const e of evidence) {
          if (e.kind !== 'rule-name' || !e.span || (e.needsCitrixContext && !citrix)) continue;
          const span = e.span;
          const rule = ruleSet.rules.find((r) => r.span.start === span.start && r.span.end === span.end);
          if (!rule || rule.implicit || rule.target.kind !== 'allow' || (rule.direction !== 'inbound' && rule.direction !== 'outbound')) continue;
          const inbound = rule.direction === 'inbound';
          const peerEnd = (inbound ? rule.source : rule.destination).value;
          if (!peerEnd.isConcrete || peerEnd.isEmpty || peerEnd.v4.isFull || peerEnd.v6.isFull) continue;
          // "From the Gateway" on a VDA means the Gateway machine's side that talks to VDAs: its SNIP.
          const candidates = MACHINE_ROLES[named] ?? [named];
          const talks = candidates.filter((c) => catalog.flows.some((f) => (inbound ? f.source === c && protects.includes(f.destination) : f.destination === c && protects.includes(f.source))));
          for (const role of talks) add(fromRules, role, peerEnd, { kind: 'rule', name: rule.name ?? rule.id, uri: parsed.uri, span: rule.span });
        }
      }
      // A rule whose peer end is another security group named for a role (`security_groups =
      // [aws_security_group.ddc.id]`): the role's members are that group's members, exactly.
      for (const rule of ruleSet.rules) {
        if (rule.implicit || rule.target.kind !== 'allow' || (rule.direction !== 'inbound' && rule.direction !== 'outbound')) continue;
        const inbound = rule.direction === 'inbound';
        const peerEnd = (inbound ? rule.source : rule.destination).value;
        for (const symbol of peerEnd.symbols) {
          if (symbol.kind !== 'security-group' || symbol.negated) continue;
          const group = parsed.ruleSets.find((r) => r.id === symbol.name);
          const named = new Set([symbol.name, ...(group ? [group.name] : [])].flatMap((n) => rolesInName(n, knowledge).found.filter((f) => f.strength === 'strong' && (citrix || !f.needsCitrixContext)).map((f) => f.role)));
          if (named.size !== 1) continue;
          const [role] = named;
          const candidates = MACHINE_ROLES[role] ?? [role];
          const talks = candidates.filter((c) => catalog.flows.some((f) => (inbound ? f.source === c && protects.includes(f.destination) : f.destination === c && protects.includes(f.source))));
          for (const r of talks) add(fromGroups, r, AddressSet.of(AddressSet.none().v4, AddressSet.none().v6, [symbol]), { kind: 'group', name: symbol.name, uri: parsed.uri, span: (inbound ? rule.source : rule.destination).span ?? rule.span }, true);
        }
      }
    }
  });
  const out: InferredAddresses[] = [];
  const entryOf = (key: string, entry: { addresses: AddressSet; evidence: AddressEvidence[] }): InferredAddresses => {
    const [role, folder] = key.split('\u0000');
    return { role, folder, addresses: entry.addresses, evidence: entry.evidence, ...(bound.has(role) ? { peerOnly: true } : {}) };
  };
  // A group reference is the role's members exactly; the subnets its rule sets guard hold them; a variable names its
  // addresses; a rule's name only suggests them.
  const ranked = [fromGroups, fromSubnets, fromNames, fromRules];
  ranked.forEach((source, rank) => {
    for (const [key, entry] of source) if (!ranked.slice(0, rank).some((better) => better.has(key))) out.push(entryOf(key, entry));
  });
  return out.sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/**
 * Ports whose opening inbound, on a rule set bound to the role, says a
 * feature is on: an ADC that admits the HA heartbeat and sync ports is one
 * of an HA pair; a VDA that opens 8008 serves Workspace app for HTML5.
 */
const TELLING_FEATURE_PORTS: readonly { feature: string; roles: readonly string[]; ports: readonly { protocol: 'tcp' | 'udp'; port: number }[] }[] = [
  { feature: 'ha', roles: ['adc', 'adc-nsip'], ports: [{ protocol: 'udp', port: 3003 }, { protocol: 'tcp', port: 3008 }, { protocol: 'tcp', port: 3009 }, { protocol: 'tcp', port: 3010 }, { protocol: 'tcp', port: 3011 }] },
  { feature: 'html5-client', roles: ['vda'], ports: [{ protocol: 'tcp', port: 8008 }] },
];

function inferFeatures(files: readonly ParsedFile[], bound: readonly { uri: string; ruleSetId: string; roles: readonly string[] }[], topology: Topology): InferredFeature[] {
  const out: InferredFeature[] = [];
  for (const t of TELLING_FEATURE_PORTS) {
    if (topology.features.has(t.feature)) continue;
    const folders = new Set<string>();
    for (const b of bound) {
      if (!b.roles.some((r) => t.roles.includes(r))) continue;
      const folder = folderOf(b.uri);
      if (folders.has(folder)) continue;
      const found = ruleSetOfBinding(files, b);
      if (!found) continue;
      const opened = openedInbound(found.ruleSet, t.ports);
      if (!opened.length) continue;
      folders.add(folder);
      out.push({ id: t.feature, on: true, scope: 'folder', uri: b.uri, ruleSetName: found.ruleSet.name, evidence: `opens ${opened.map((p) => `${p.protocol.toUpperCase()} ${p.port}`).join(', ')} inbound` });
    }
  }
  for (const t of TELLING_FEATURE_NAMES) {
    if (topology.features.has(t.feature)) continue;
    const seen = new Set<string>();
    for (const b of bound) {
      if (seen.has(b.uri) || !b.roles.some((r) => t.roles.includes(r))) continue;
      seen.add(b.uri);
      const words = nameWords(fileStem(b.uri));
      const said = (phrases: readonly string[]): string | undefined => phrases.find((p) => containsPhrase(words, p.split(' ')));
      const off = said(t.off);
      const on = off ? undefined : said(t.on);
      if (off || on) out.push({ id: t.feature, on: !off, scope: 'file', uri: b.uri, ruleSetName: '', evidence: `its file name says "${off ?? on}"` });
    }
  }
  return out;
}

/** Words in a file name that say a feature is on or off for the deployment the file describes. */
const TELLING_FEATURE_NAMES: readonly { feature: string; roles: readonly string[]; on: readonly string[]; off: readonly string[] }[] = [
  { feature: 'ha', roles: ['adc', 'adc-nsip'], on: ['ha', 'hapair', 'high availability', 'highavailability'], off: ['standalone'] },
];

function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  for (let i = 0; i + phrase.length <= words.length; i++) if (phrase.every((w, j) => words[i + j] === w)) return true;
  return false;
}

function folderOf(uri: string): string {
  return uri.slice(0, uri.lastIndexOf('/') + 1);
}

function fileStem(uri: string): string {
  const base = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The features the inference sets for one file: its folder's evidence, then its own name, which wins. */
export function inferredFeaturesFor(uri: string, features: readonly InferredFeature[]): ReadonlyMap<string, boolean> {
  const out = new Map<string, boolean>();
  const folder = folderOf(uri);
  for (const f of features) if (f.scope === 'folder' && folderOf(f.uri) === folder) out.set(f.id, f.on);
  for (const f of features) if (f.scope === 'file' && f.uri === uri) out.set(f.id, f.on);
  return out;
}

/** An enabled inbound allow rule of the rule set admits this port on its own (not as part of "every port"). */
/** Which of `ports` the rule set's inbound allow rules open, each by a rule of at most 64 ports; one walk of the rules for all of them. */
function openedInbound<P extends { protocol: 'tcp' | 'udp'; port: number }>(rs: RuleSet, ports: readonly P[]): P[] {
  const rules = rs.chains ? [...rs.rules, ...Object.values(rs.chains).flat()] : rs.rules;
  const left = new Set(ports);
  for (const rule of rules) {
    if (left.size === 0) break;
    if (rule.implicit || rule.direction !== 'inbound' || rule.target.kind !== 'allow' || rule.enabled.value === false) continue;
    let size = 0;
    for (const r of rule.destinationPorts.value.ranges) size += r.to - r.from + 1;
    if (size === 0 || size > 64) continue;
    for (const p of left) if (rule.protocols.value.has(p.protocol === 'tcp' ? 6 : 17) && rule.destinationPorts.value.has(p.port)) left.delete(p);
  }
  return ports.filter((p) => !left.has(p));
}

const ADC_ROLES: ReadonlySet<string> = new Set(['adc', 'adc-nsip']);
// `nic01`, `nic11`, `nic12`: the management, client and server NICs as Citrix's ADC ARM templates for Azure name
// them (`<vm>-nic01`, and each NIC's NSG `<vm>-nic01-nsg`), copied into many sites' own templates.
const ADC_CLIENT_WORDS: ReadonlySet<string> = new Set(['client', 'clientside', 'vip', 'frontend', 'front', 'public', 'external', 'ext', 'data', 'nic11']);
const ADC_SERVER_WORDS: ReadonlySet<string> = new Set(['server', 'serverside', 'snip', 'backend', 'back', 'private', 'internal', 'int', 'nic12']);
const ADC_MANAGEMENT_WORDS: ReadonlySet<string> = new Set(['management', 'mgmt', 'mgt', 'nsip', 'admin', 'nic01']);

/**
 * Which NIC of a multi-NIC ADC a rule set's name says it guards (NetScaler's
 * templates name them `…-nsg-management`, `…-nsg-client`, `…-nsg-server`).
 * Management wins over the others, since `management-server` is still the NSIP.
 */
export function adcInterface(name: string): 'management' | 'client' | 'server' | undefined {
  const split = nameWords(name);
  // `nic11` is split into `nic`, `11`: joined again, so the templates' NIC numbers are words. Their HA templates put
  // the number last instead (`ns-vpx-nic-nsg[copyIndex()]-11`, `ADC-VPX-NSG-[copyIndex()]-12`): the last word of an
  // NSG's or NIC's name, when it is 01, 11 or 12, is that NIC's number too.
  const last = split[split.length - 1] ?? '';
  const trailing = /^(01|11|12)$/.test(last) && split.some((w) => w === 'nsg' || w === 'nic') ? [`nic${last}`] : [];
  const words = [...split, ...trailing, ...split.flatMap((w, i) => (w === 'nic' && /^\d+$/.test(split[i + 1] ?? '') ? [`nic${split[i + 1]}`] : []))];
  if (words.some((w) => ADC_MANAGEMENT_WORDS.has(w))) return 'management';
  if (words.some((w) => ADC_CLIENT_WORDS.has(w))) return 'client';
  if (words.some((w) => ADC_SERVER_WORDS.has(w))) return 'server';
  return undefined;
}

function betweenNetworks(rs: RuleSet): boolean {
  return rs.kind === 'asa-acl' || (rs.directions.includes('forward') && !rs.directions.includes('inbound') && !rs.directions.includes('outbound'));
}

function anyStrongCitrix(clues: readonly FileClues[]): boolean {
  for (const f of clues) {
    for (const rs of f.ruleSets) {
      for (const [role, evidence] of rs.self) {
        if (INFRASTRUCTURE_ROLES.has(role)) continue;
        if (evidence.some((e) => !e.needsCitrixContext && e.weight >= 3)) return true;
      }
    }
  }
  return false;
}

/**
 * The peers a site always has, given the roles present: a VDA's Delivery
 * Controllers (or Cloud Connectors), a StoreFront's controllers, the License
 * Server of every Citrix component, the VDAs a controller brokers, the
 * components a License Server serves, a Cloud Connector's Citrix Cloud, and
 * an ADC's DNS servers.
 */
export function assumedPeers(present: ReadonlySet<string>): AssumedPeer[] {
  const out: AssumedPeer[] = [];
  const need = (role: string, alternatives: string[], neededBy: string[]): void => {
    if (!neededBy.length || present.has(role) || alternatives.some((a) => present.has(a))) return;
    out.push({ role, alternatives, neededBy });
  };
  const has = (r: string): boolean => present.has(r);
  need('delivery-controller', ['cloud-connector'], ['vda', 'storefront'].filter(has));
  const components = [...present].filter((r) => CITRIX_COMPONENTS.has(r));
  need('license-server', [], components);
  need('vda', [], ['delivery-controller', 'cloud-connector'].filter(has));
  // A Cloud Connector exists to reach Citrix Cloud.
  need('citrix-cloud', [], ['cloud-connector'].filter(has));
  // An ADC resolves its back ends, STA servers and authentication servers by name.
  need('dns-server', [], ['adc-nsip', 'gateway-snip'].filter(has));
  if (has('license-server') && !components.length) out.push({ role: 'any-citrix-component', alternatives: [], neededBy: ['license-server'] });
  return out;
}

/** Words for one guess's strongest clue: `the name "vda-inbound-rules"`, `its file name "storefront.ps1"`. */
/** A long comment or description is named, not quoted, in a code lens, whose title the editor cuts at its edge (the hover quotes it). */
const SHORT_CLUE_CHARACTERS = 40;

export function evidenceInWords(e: Evidence, short = false): string {
  const quoted = `"${e.text}"`;
  if (short && e.text.length > SHORT_CLUE_CHARACTERS && (e.kind === 'comment' || e.kind === 'description' || e.kind === 'template-description')) {
    return e.kind === 'comment' ? 'a comment' : e.kind === 'description' ? 'its description' : "the template's description";
  }
  switch (e.kind) {
    case 'name':
      return `the name ${quoted}`;
    case 'group':
      return `the group ${quoted}`;
    case 'description':
      return `the description ${quoted}`;
    case 'comment':
      return `the comment ${quoted}`;
    case 'template-description':
      return `the template's description ${quoted}`;
    case 'file':
      return `the file name ${quoted}`;
    case 'folder':
      return `the folder ${quoted}`;
    case 'rule-name':
      return `the rule name ${quoted}`;
    case 'opens':
      return `what it ${e.text}`;
  }
}

/**
 * Why a role is assumed, in words: its strongest clues of up to two kinds
 * (`the name "vda-nsg" and what it opens TCP 1494, 2598 inbound`).
 */
export function guessInWords(guess: RoleGuess, short = false): string {
  const kinds: Evidence[] = [];
  const order: readonly Evidence['kind'][] = ['name', 'group', 'description', 'file', 'folder', 'comment', 'template-description', 'opens', 'rule-name'];
  const sorted = [...guess.evidence].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.weight - a.weight);
  for (const e of sorted) {
    if (kinds.length >= 2) break;
    if (!kinds.some((k) => k.kind === e.kind)) kinds.push(e);
  }
  return kinds.map((e) => evidenceInWords(e, short)).join(' and ');
}

/** The rule set a binding names, in its file. */
export function ruleSetOfBinding(files: readonly ParsedFile[], b: Pick<InferredBinding, 'uri' | 'ruleSetId'>): { file: ParsedFile; ruleSet: RuleSet } | undefined {
  const file = files.find((f) => f.uri === b.uri);
  const ruleSet = file?.ruleSets.find((rs) => rs.id === b.ruleSetId);
  return file && ruleSet ? { file, ruleSet } : undefined;
}

export type { InferenceKnowledge };
