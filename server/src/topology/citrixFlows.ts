import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { AddressSet, type AddressSymbol } from '../net';
import type { Span, WindowsProfile } from '../model';
import type {
  Binding,
  CheckSeverity,
  InterfaceDeclaration,
  MachineDeclaration,
  RoleDeclaration,
  SourceRef,
  Topology,
  TopologyProblem,
} from './types';
import { closest, didYouMean, roleLookup, type Vocabulary } from './vocabulary';

export const TOP_LEVEL_KEYS = ['roles', 'machines', 'features', 'versions', 'networks', 'bindings', 'interfaces', 'checks', 'exclude'] as const;
export const CHECK_SEVERITIES: readonly CheckSeverity[] = ['off', 'info', 'warning', 'error'];

export function emptyTopology(uri?: string): Topology {
  return {
    uri,
    roles: new Map(),
    machines: new Map(),
    features: new Map(),
    versions: new Map(),
    bindings: [],
    networks: new Map(),
    interfaces: [],
    checks: new Map(),
    problems: [],
  };
}

/**
 * Reads citrix-flows.yaml. Never throws: YAML errors, wrong shapes and
 * unknown words become problems at their place, and everything that can be
 * understood is kept, so one typo does not switch off every check.
 */
/**
 * Limits of citrix-flows.yaml (docs/citrix-flows.md). A site's declarations
 * are a few hundred lines; these are far above any, and keep a hostile file
 * from stalling the server: past `maxChars` or `maxDepth` the file is not
 * parsed at all; past `maxEntries` a mapping or list is read in part; past
 * `maxProblems` further problems are counted, not listed (and typo
 * suggestions, the costly part, are no longer searched).
 */
export const TOPOLOGY_LIMITS = { maxChars: 1024 * 1024, maxDepth: 64, maxEntries: 10_000, maxProblems: 200 } as const;

export function parseTopology(text: string, uri: string, vocabulary: Vocabulary): Topology {
  const refused = refuseTopology(text);
  if (refused) return { ...emptyTopology(uri), problems: [refused] };
  const reader = new TopologyReader(text, uri, vocabulary);
  try {
    return reader.read();
  } catch (e) {
    // A bug here must not take the language server down with it.
    return {
      ...emptyTopology(uri),
      problems: [
        ...reader.problems,
        { code: 'syntax-error', severity: 'error', span: { start: 0, end: 0 }, message: `citrix-flows.yaml could not be read: ${(e as Error).message}` },
      ],
    };
  }
}

/** Why the text is not parsed at all, as a problem at its place; undefined when it may be. */
function refuseTopology(text: string): TopologyProblem | undefined {
  if (text.length > TOPOLOGY_LIMITS.maxChars) {
    const mb = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
    return { code: 'limit', severity: 'error', span: { start: 0, end: 0 }, message: `citrix-flows.yaml is ${mb(text.length)}; files over ${mb(TOPOLOGY_LIMITS.maxChars)} are not read, so no role is declared` };
  }
  const deep = flowNestingPast(text, TOPOLOGY_LIMITS.maxDepth);
  if (deep !== undefined) {
    return { code: 'limit', severity: 'error', span: { start: deep, end: Math.min(deep + 1, text.length) }, message: `citrix-flows.yaml nests [ ] or { } deeper than ${TOPOLOGY_LIMITS.maxDepth} levels here; the file is not read, so no role is declared` };
  }
  return undefined;
}

/**
 * Where flow collections (`[`, `{`) first nest past `max` levels, outside
 * quotes and comments; the YAML parser recurses per level, so this is
 * decided before it runs. Block nesting needs indentation, which the size
 * limit already bounds to a depth the parser handles.
 */
export function flowNestingPast(text: string, max: number): number | undefined {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (quote === 34 && c === 92) i++;
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) {
      // A quote opens a string only where a scalar may start, not inside a plain word (`it's`).
      const prev = i > 0 ? text.charCodeAt(i - 1) : 10;
      if (prev === 32 || prev === 9 || prev === 10 || prev === 13 || prev === 91 || prev === 123 || prev === 44 || prev === 58 || prev === 45) quote = c;
    } else if (c === 35 && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** Resolves rule symbols (service tags, security groups, GCP tags) through `networks:`. */
export function topologyResolver(topology: Topology): (symbol: AddressSymbol) => AddressSet | undefined {
  const lower = new Map<string, AddressSet>();
  for (const [name, set] of topology.networks) lower.set(name.toLowerCase(), set);
  return (s) => {
    const exact = topology.networks.get(s.name);
    if (exact) return exact;
    if (s.kind === 'network-tag') return topology.networks.get(`tag:${s.name}`);
    // Azure matches service tags without regard to case.
    if (s.kind === 'service-tag') return lower.get(s.name.toLowerCase());
    return undefined;
  };
}

/** On or off for a feature: what citrix-flows.yaml says, else the vocabulary's (catalog's) default. */
export function featureEnabled(topology: Topology, vocabulary: Vocabulary, featureId: string): boolean {
  const declared = topology.features.get(featureId);
  if (declared !== undefined) return declared;
  return vocabulary.features.find((f) => f.id === featureId)?.default ?? false;
}

// Azure service tags people write most, for their canonical spelling; any
// other capitalised dotted word is taken as a tag too (there are hundreds).
const KNOWN_SERVICE_TAGS = [
  'VirtualNetwork', 'Internet', 'AzureLoadBalancer', 'AzureCloud', 'AzureTrafficManager', 'Storage', 'Sql',
  'AzureActiveDirectory', 'AzureMonitor', 'GatewayManager', 'AzureFrontDoor.Backend', 'AzureFrontDoor.Frontend',
  'AzureKeyVault', 'EventHub', 'ServiceBus', 'AppService', 'AzureBackup', 'WindowsVirtualDesktop', 'AzurePlatformDNS',
];
const KNOWN_TAG_BY_LOWER = new Map(KNOWN_SERVICE_TAGS.map((t) => [t.toLowerCase(), t]));

/** Marks, in a fields map, that the mapping had a key it should not. */
const UNKNOWN_KEY = '\u0000unknown';

type Entry = { readonly text: string; readonly span: Span };

class TopologyReader {
  readonly problems: TopologyProblem[] = [];
  private readonly roles = new Map<string, RoleDeclaration>();
  private readonly machines = new Map<string, MachineDeclaration>();
  /** Where a NetScaler machine with a peer turned HA on; `features:` still has the last word. */
  private haFromPeer: Span | undefined;
  private readonly features = new Map<string, boolean>();
  private readonly versions = new Map<string, string>();
  private readonly networks = new Map<string, AddressSet>();
  private readonly bindings: Binding[] = [];
  private readonly interfaces: InterfaceDeclaration[] = [];
  private readonly checks = new Map<string, CheckSeverity>();
  private readonly exclude: { glob: string; span: Span }[] = [];
  private doc!: Document.Parsed;

  constructor(
    private readonly text: string,
    private readonly uri: string,
    private readonly vocabulary: Vocabulary,
  ) {}

  read(): Topology {
    // Duplicate keys are found while walking, so they get a readable message
    // and the rest of the map still counts.
    this.doc = parseDocument(this.text, { uniqueKeys: false, prettyErrors: false, strict: false });
    for (const e of this.doc.errors) {
      // The parser may point one past the end ("expected ] here").
      const start = Math.min(e.pos[0], this.text.length);
      const end = Math.min(Math.max(e.pos[1], start), this.text.length);
      this.problem('syntax-error', { start, end }, e.message, 'error');
    }
    const root = this.deref(this.doc.contents);
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return this.result();
    const rootMap = this.expectMap(root, 'citrix-flows.yaml');
    if (!rootMap) return this.result();
    const sections = new Map<string, Pair>();
    for (const pair of this.uniquePairs(rootMap, 'top-level key')) {
      const key = this.keyText(pair);
      if (key === undefined) continue;
      if ((TOP_LEVEL_KEYS as readonly string[]).includes(key)) sections.set(key, pair);
      else {
        const suggestion = closest(key, TOP_LEVEL_KEYS);
        this.problem('schema', this.keySpan(pair), `Unknown key "${key}" in citrix-flows.yaml${didYouMean(suggestion)}`, 'error', suggestion);
      }
    }
    // Networks first: role addresses may name them. Machines after roles, whose addresses they add to, and before
    // bindings and interfaces, which may name a machine for all the roles it plays.
    const order = ['networks', 'roles', 'machines', 'features', 'versions', 'bindings', 'interfaces', 'checks', 'exclude'];
    for (const key of order) {
      const pair = sections.get(key);
      if (!pair) continue;
      const value = this.deref(pair.value as Node | null);
      if (value === null || (isScalar(value) && value.value === null)) continue;
      switch (key) {
        case 'networks': this.readNetworks(value); break;
        case 'roles': this.readRoles(value); break;
        case 'machines': this.readMachines(value); break;
        case 'features': this.readFeatures(value); break;
        case 'versions': this.readVersions(value); break;
        case 'bindings': this.readBindings(value); break;
        case 'interfaces': this.readInterfaces(value); break;
        case 'checks': this.readChecks(value); break;
        case 'exclude': this.readExclude(value); break;
      }
    }
    if (this.haFromPeer && !this.features.has('ha')) this.features.set('ha', true);
    return this.result();
  }

  private result(): Topology {
    if (this.dropped) {
      const last = this.problems[this.problems.length - 1];
      this.problems.push({ code: 'limit', severity: 'error', span: last.span, message: `${this.dropped.toLocaleString('en-US')} more problems in citrix-flows.yaml are not listed (the first ${TOPOLOGY_LIMITS.maxProblems} are)` });
    }
    this.problems.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    return {
      uri: this.uri,
      roles: this.roles,
      machines: this.machines,
      features: this.features,
      versions: this.versions,
      bindings: this.bindings,
      networks: this.networks,
      interfaces: this.interfaces,
      checks: this.checks,
      exclude: this.exclude,
      problems: this.problems,
    };
  }

  // ── sections ──────────────────────────────────────────────────────────

  private readNetworks(node: Node): void {
    const map = this.expectMap(node, '"networks"');
    if (!map) return;
    for (const pair of this.uniquePairs(map, 'network')) {
      const name = this.keyText(pair);
      if (name === undefined) continue;
      const entries = this.addressEntries(this.deref(pair.value as Node | null), `network "${name}"`, true);
      let set = AddressSet.none();
      for (const e of entries) {
        const parsed = AddressSet.parse(e.text);
        if (parsed.ok) set = set.union(parsed.value);
        else this.problem('bad-address', e.span, `Network "${name}": "${e.text}" is not an address, CIDR or range (${parsed.error}); networks hold concrete addresses`, 'error');
      }
      this.networks.set(name, set);
    }
  }

  private readRoles(node: Node): void {
    const map = this.expectMap(node, '"roles"');
    if (!map) return;
    for (const pair of this.uniquePairs(map, 'role')) {
      const key = this.keyText(pair);
      if (key === undefined) continue;
      const keySpan = this.keySpan(pair);
      const role = this.resolveRole(key, keySpan);
      if (role === undefined) continue;
      if (this.roles.has(role)) {
        this.problem('duplicate-key', keySpan, `Role "${role}" is declared twice ("${key}" is another name for it); merge the addresses into one entry`, 'error');
        continue;
      }
      let displayName: string | undefined;
      let windowsProfile: WindowsProfile | undefined;
      let addressNode = this.deref(pair.value as Node | null);
      if (addressNode && isMap(addressNode)) {
        const detail = addressNode;
        addressNode = null;
        for (const p of this.uniquePairs(detail, 'key')) {
          const k = this.keyText(p);
          const v = this.deref(p.value as Node | null);
          if (k === 'addresses') addressNode = v;
          else if (k === 'name') {
            if (v && isScalar(v) && typeof v.value === 'string') displayName = v.value;
            else this.problem('schema', this.span(v) ?? this.keySpan(p), `"name" of role "${role}" must be a text`, 'error');
          } else if (k === 'windowsProfile') {
            const text = v && isScalar(v) && typeof v.value === 'string' ? v.value.toLowerCase() : undefined;
            if (text === 'domain' || text === 'private' || text === 'public') windowsProfile = text;
            else this.problem('schema', this.span(v) ?? this.keySpan(p), `"windowsProfile" of role "${role}" is Domain, Private or Public: the Windows Firewall profile active on its hosts`, 'error');
          } else if (k !== undefined) {
            const suggestion = closest(k, ['addresses', 'name', 'windowsProfile']);
            this.problem('schema', this.keySpan(p), `Unknown key "${k}" in role "${role}" (expected "addresses", "name" and "windowsProfile")${didYouMean(suggestion)}`, 'error', suggestion);
          }
        }
      }
      const entries = this.addressEntries(addressNode, `role "${role}"`, false);
      let addresses = AddressSet.none();
      const kept: Entry[] = [];
      for (const e of entries) {
        const set = this.roleAddress(e);
        if (set) {
          addresses = addresses.union(set);
          kept.push(e);
        }
      }
      this.roles.set(role, {
        id: role,
        displayName,
        ...(windowsProfile ? { windowsProfile } : {}),
        addresses,
        addressEntries: kept,
        declaredAt: { uri: this.uri, span: this.pairSpan(pair) },
      });
    }
  }

  /**
   * `machines:` names the hosts of the site, each for every catalog role it
   * plays. A NetScaler ADC is one machine with NSIP, SNIP and VIP addresses
   * (and, in an HA pair, a peer), which the catalog splits into several roles;
   * a Delivery Controller may also be the License Server. Each machine's
   * addresses join its roles' addresses, and its name stands for all its
   * roles in bindings, interfaces, annotations and `--role`.
   */
  private readMachines(node: Node): void {
    const map = this.expectMap(node, '"machines"');
    if (!map) return;
    const roleIds = new Set(this.vocabulary.roles.map((r) => r.id));
    for (const pair of this.uniquePairs(map, 'machine')) {
      const name = this.keyText(pair);
      if (name === undefined) continue;
      const keySpan = this.keySpan(pair);
      const owner = `machine "${name}"`;
      if (roleIds.has(name)) {
        this.problem('schema', keySpan, `Machine "${name}" has the name of a catalog role; name machines after the hosts (for example "adc-01"), so a binding that names one is not read as the role`, 'error');
        continue;
      }
      const detail = this.expectMap(this.deref(pair.value as Node | null), owner, keySpan);
      if (!detail) continue;
      const fields = this.fields(detail, ['netscaler', 'roles', 'addresses'], owner);
      if (fields.has(UNKNOWN_KEY)) continue;
      const plays: { role: string; entries: Entry[]; peer?: readonly Entry[] }[] = [];
      if (fields.has('netscaler')) {
        if (fields.has('roles') || fields.has('addresses')) {
          this.problem('schema', keySpan, `${capitalise(owner)} is either a NetScaler ("netscaler:" with its addresses) or a list of "roles" with "addresses", not both`, 'error');
          continue;
        }
        const adc = this.netscalerRoles(fields.get('netscaler') ?? null, owner, keySpan);
        if (!adc) continue;
        plays.push(...adc);
      } else {
        const roles = this.roleList(fields.get('roles'), owner, keySpan);
        if (!fields.has('roles')) this.problem('schema', keySpan, `${capitalise(owner)} needs "roles" (the catalog roles it plays) and "addresses", or "netscaler:" with its NSIP, SNIP and VIP`, 'error');
        const entries = this.addressEntries(fields.get('addresses') ?? null, owner, true);
        if (!roles) {
          // Bad addresses are still worth knowing about before the roles are fixed.
          for (const e of entries) this.roleAddress(e);
          continue;
        }
        for (const r of roles) plays.push({ role: r.id, entries });
      }
      const declaredAt = { uri: this.uri, span: this.pairSpan(pair) };
      const roles: string[] = [];
      let own = AddressSet.none();
      for (const { role, entries, peer } of plays) {
        if (!roles.includes(role)) roles.push(role);
        this.addRoleAddresses(role, entries, declaredAt);
        for (const e of entries) if (!peer?.includes(e)) own = own.union(this.roleAddress(e, true) ?? AddressSet.none());
      }
      this.machines.set(name, { name, roles, addresses: own, declaredAt, ...(fields.has('netscaler') ? { kind: 'netscaler' as const } : {}) });
    }
  }

  /**
   * The roles a NetScaler plays, from the addresses it has: its NSIP is the
   * ADC's management address, its SNIP the Gateway's source toward the back
   * end, its VIP the Gateway users reach; each is the ADC appliance too. A
   * peer is the other node of an HA pair, which turns HA on.
   */
  private netscalerRoles(node: Node | null, owner: string, ownerSpan: Span): { role: string; entries: Entry[]; peer?: readonly Entry[] }[] | undefined {
    const map = this.expectMap(node, `"netscaler" of ${owner}`, ownerSpan);
    if (!map) return undefined;
    const fields = this.fields(map, ['nsip', 'snip', 'vip', 'peer'], `"netscaler" of ${owner}`);
    if (fields.has(UNKNOWN_KEY)) return undefined;
    if (!fields.has('nsip')) {
      this.problem('schema', this.span(map) ?? ownerSpan, `The NetScaler ${owner} needs "nsip": its management address (and "snip", "vip", "peer" as it has them)`, 'error');
      return undefined;
    }
    const of = (key: string): Entry[] => (fields.has(key) ? this.addressEntries(fields.get(key) ?? null, `"${key}" of ${owner}`, true) : []);
    const nsip = of('nsip');
    const snip = of('snip');
    const vip = of('vip');
    const peer = of('peer');
    const out: { role: string; entries: Entry[]; peer?: readonly Entry[] }[] = [
      { role: 'adc-nsip', entries: [...nsip, ...peer], peer },
      { role: 'adc', entries: [...nsip, ...snip, ...vip, ...peer], peer },
    ];
    if (snip.length) out.push({ role: 'gateway-snip', entries: snip });
    if (vip.length) out.push({ role: 'gateway', entries: vip });
    if (peer.length) this.haFromPeer ??= peer[0].span;
    return out;
  }

  /** Adds addresses to a role, declared under `roles:` or not yet. */
  private addRoleAddresses(role: string, entries: readonly Entry[], declaredAt: SourceRef): void {
    const existing = this.roles.get(role);
    let addresses = existing?.addresses ?? AddressSet.none();
    const kept: Entry[] = [...(existing?.addressEntries ?? [])];
    for (const e of entries) {
      const set = this.roleAddress(e);
      if (!set) continue;
      addresses = addresses.union(set);
      if (!kept.some((k) => k.text === e.text)) kept.push(e);
    }
    this.roles.set(role, existing ? { ...existing, addresses, addressEntries: kept } : { id: role, addresses, addressEntries: kept, declaredAt });
  }

  private readFeatures(node: Node): void {
    const map = this.expectMap(node, '"features"');
    if (!map) return;
    const ids = this.vocabulary.features.map((f) => f.id);
    for (const pair of this.uniquePairs(map, 'feature')) {
      const key = this.keyText(pair);
      if (key === undefined) continue;
      const keySpan = this.keySpan(pair);
      const id = ids.find((f) => f === key) ?? ids.find((f) => f === key.toLowerCase());
      if (id === undefined) {
        const suggestion = closest(key, ids);
        this.problem('unknown-feature', keySpan, `Unknown feature "${key}"${didYouMean(suggestion)}`, 'error', suggestion);
        continue;
      }
      const v = this.deref(pair.value as Node | null);
      if (v && isScalar(v) && typeof v.value === 'boolean') {
        this.features.set(id, v.value);
        continue;
      }
      const raw = v && isScalar(v) ? String(v.value).toLowerCase() : '';
      const suggestion = ['yes', 'on', 'enabled'].includes(raw) ? 'true' : ['no', 'off', 'disabled'].includes(raw) ? 'false' : undefined;
      this.problem('schema', this.span(v) ?? keySpan, `Feature "${id}" must be true or false${didYouMean(suggestion)}`, 'error', suggestion);
    }
  }

  private readVersions(node: Node): void {
    const map = this.expectMap(node, '"versions"');
    if (!map) return;
    const products = this.vocabulary.products;
    for (const pair of this.uniquePairs(map, 'product')) {
      const key = this.keyText(pair);
      if (key === undefined) continue;
      if (products && !products.includes(key)) {
        const suggestion = closest(key, products);
        this.problem('unknown-product', this.keySpan(pair), `Unknown product "${key}"${didYouMean(suggestion)}`, 'error', suggestion);
        continue;
      }
      const v = this.deref(pair.value as Node | null);
      const span = this.span(v);
      if (v && isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') && span) {
        // The source text, not the number: 7.10 must not become "7.1".
        const written = typeof v.value === 'string' ? v.value : this.text.slice(span.start, span.end);
        this.versions.set(key, written);
      } else this.problem('schema', span ?? this.keySpan(pair), `Version of "${key}" must be a version text such as "2402"`, 'error');
    }
  }

  private readBindings(node: Node): void {
    const seq = this.expectSeq(node, '"bindings"');
    if (!seq) return;
    for (const item of this.capped(seq.items as (Node | null)[], (i) => this.span(i) ?? this.span(seq) ?? { start: 0, end: 0 }, 'binding entries')) {
      const map = this.expectMap(this.deref(item as Node | null), 'a binding', this.span(seq));
      if (!map) continue;
      const fields = this.fields(map, ['files', 'ruleSet', 'roles', 'guards', 'between'], 'a binding');
      const files = this.text_(fields.get('files'), 'files', 'a binding');
      const ruleSet = fields.has('ruleSet') ? this.text_(fields.get('ruleSet'), 'ruleSet', 'a binding') : undefined;
      const span = this.span(map) ?? { start: 0, end: 0 };
      const machines: string[] = [];
      // A firewall between networks (a router's FORWARD chain, an ASA, a hub NSG) protects no role of its own:
      // `guards` says which networks it stands in front of, so a flow into or out of them crosses it.
      // `between: [a, b]` says more for a router with several ways out: only traffic from one side to the other crosses it.
      const guards = fields.has('guards') ? this.guardedAddresses(fields.get('guards') ?? null, 'guards') : undefined;
      const between = fields.has('between') ? this.betweenSides(fields.get('between') ?? null, span) : undefined;
      const places = guards || between;
      const roles = fields.has('roles') ? this.roleList(fields.get('roles'), 'a binding', span, machines) : places ? [] : undefined;
      if (!fields.has('files')) this.problem('schema', span, 'A binding needs "files": a glob over workspace-relative paths, such as "terraform/**/*.tf"', 'error');
      if (!fields.has('roles') && !fields.has('guards') && !fields.has('between'))
        this.problem('schema', span, 'A binding needs "roles" (the role ids the matching rule sets protect), "guards" (the networks they stand in front of) or "between" (the two networks they sit between)', 'error');
      if (guards && between) this.problem('schema', span, 'A binding gives "guards" or "between", not both', 'error');
      // A binding with a misspelt key or a bad `ruleSet` is dropped rather than
      // widened to every rule set in its files.
      if (!files || !roles || fields.has(UNKNOWN_KEY) || (fields.has('ruleSet') && !ruleSet) || (fields.has('guards') && !guards) || (fields.has('between') && !between) || (guards && between)) continue;
      this.bindings.push({
        files: files.text,
        ruleSet: ruleSet?.text,
        roles: roles.map((r) => r.id),
        ...(guards ? { guards } : {}),
        ...(between ? { between } : {}),
        ...(machines.length ? { machines } : {}),
        declaredAt: { uri: this.uri, span },
        filesSpan: files.span,
        ruleSetSpan: ruleSet?.span,
        roleSpans: roles.map((r) => r.span),
      });
    }
  }

  /** The addresses of `guards:` entries: CIDRs, declared networks, or role ids standing for their declared addresses. */
  private betweenSides(node: Node | null, owner: Span): readonly [AddressSet, AddressSet] | undefined {
    const seq = this.deref(node);
    if (!seq || !isSeq(seq) || seq.items.length !== 2) {
      this.problem('schema', this.span(seq) ?? owner, '"between" lists the two networks the rule sets sit between: [users, dmz], each a CIDR, a network of "networks", a role with addresses, or a list of them', 'error');
      return undefined;
    }
    const a = this.guardedAddresses(seq.items[0] as Node | null, 'between');
    const b = this.guardedAddresses(seq.items[1] as Node | null, 'between');
    return a && b ? [a, b] : undefined;
  }

  private guardedAddresses(node: Node | null, what: string): AddressSet | undefined {
    const entries = this.addressEntries(this.deref(node), what, true);
    let all = AddressSet.none();
    for (const e of entries) {
      const network = this.networks.get(e.text) ?? this.networkIgnoringCase(e.text);
      const roleId = network ? undefined : roleLookup(this.vocabulary).resolve(e.text)?.id;
      const role = roleId ? this.roles.get(roleId) : undefined;
      const set = network ?? (role ? role.addresses : this.roleAddress(e));
      if (!set) return undefined;
      if (!set.isConcrete || set.isEmpty) {
        this.problem('bad-address', e.span, `"${e.text}" has no concrete addresses to guard: give CIDRs, a network of "networks", or a role declared with addresses`, 'error');
        return undefined;
      }
      all = all.union(set);
    }
    return entries.length ? all : undefined;
  }

  /** `exclude: "legacy/**"` or a list of globs, relative to this file's folder. */
  private readExclude(node: Node): void {
    const items = isSeq(node) ? node.items : [node];
    for (const item of items) {
      const entry = this.text_(this.deref(item as Node | null), 'exclude', 'citrix-flows.yaml');
      if (entry) this.exclude.push({ glob: entry.text, span: entry.span });
    }
  }

  private readInterfaces(node: Node): void {
    const seq = this.expectSeq(node, '"interfaces"');
    if (!seq) return;
    const seen = new Map<string, true>();
    for (const item of this.capped(seq.items as (Node | null)[], (i) => this.span(i) ?? this.span(seq) ?? { start: 0, end: 0 }, 'interface entries')) {
      const map = this.expectMap(this.deref(item as Node | null), 'an interface', this.span(seq));
      if (!map) continue;
      const fields = this.fields(map, ['name', 'roles', 'files'], 'an interface');
      const name = this.text_(fields.get('name'), 'name', 'an interface');
      const files = fields.has('files') ? this.text_(fields.get('files'), 'files', 'an interface') : undefined;
      const span = this.span(map) ?? { start: 0, end: 0 };
      const roles = this.roleList(fields.get('roles'), 'an interface', span);
      if (!fields.has('name')) this.problem('schema', span, 'An interface needs "name": the interface name as the device config writes it (nameif, -i/-o)', 'error');
      if (!fields.has('roles')) this.problem('schema', span, 'An interface needs "roles": the role ids that sit behind it', 'error');
      if (!name || !roles || fields.has(UNKNOWN_KEY) || (fields.has('files') && !files)) continue;
      const key = `${name.text}\u0000${files?.text ?? ''}`;
      if (seen.has(key)) {
        this.problem('duplicate-key', name.span, `Interface "${name.text}" is declared twice${files ? ` for "${files.text}"` : ''}`, 'error');
        continue;
      }
      seen.set(key, true);
      this.interfaces.push({
        name: name.text,
        files: files?.text,
        roles: roles.map((r) => r.id),
        declaredAt: { uri: this.uri, span },
        nameSpan: name.span,
      });
    }
  }

  private readChecks(node: Node): void {
    const map = this.expectMap(node, '"checks"');
    if (!map) return;
    for (const pair of this.uniquePairs(map, 'check')) {
      const key = this.keyText(pair);
      if (key === undefined) continue;
      if (!this.vocabulary.checks.includes(key)) {
        const suggestion = closest(key, this.vocabulary.checks);
        this.problem('unknown-check', this.keySpan(pair), `Unknown check "${key}"${didYouMean(suggestion)}`, 'error', suggestion);
        continue;
      }
      const v = this.deref(pair.value as Node | null);
      const raw = v && isScalar(v) ? String(v.value) : undefined;
      const severity = CHECK_SEVERITIES.find((s) => s === raw);
      if (severity) {
        this.checks.set(key, severity);
        continue;
      }
      const suggestion = raw === undefined ? undefined : SEVERITY_SYNONYMS[raw.toLowerCase()] ?? closest(raw, CHECK_SEVERITIES);
      this.problem(
        'schema',
        this.span(v) ?? this.keySpan(pair),
        `Severity of "${key}" must be one of off, info, warning, error${raw === undefined ? '' : `, not "${raw}"`}${didYouMean(suggestion)}`,
        'error',
        suggestion,
      );
    }
  }

  // ── values ────────────────────────────────────────────────────────────

  /** A role address: concrete, a declared network, or a symbol that stays unknown until a rule names it. */
  /** `quiet`: the entry was read (and any problem with it reported) once already. */
  private roleAddress(e: Entry, quiet = false): AddressSet | undefined {
    const parsed = AddressSet.parse(e.text);
    if (parsed.ok) return parsed.value;
    const network = this.networks.get(e.text) ?? this.networkIgnoringCase(e.text);
    if (network) return network;
    const t = e.text;
    if (/^sg-[0-9a-f]+$/i.test(t)) return AddressSet.symbol('security-group', t);
    if (/^pl-[0-9a-f]+$/i.test(t)) return AddressSet.symbol('prefix-list', t);
    if (t.startsWith('tag:') && t.length > 4) return AddressSet.symbol('network-tag', t.slice(4));
    const known = KNOWN_TAG_BY_LOWER.get(t.toLowerCase());
    if (known) return AddressSet.symbol('service-tag', known);
    if (looksLikeServiceTag(t)) return AddressSet.symbol('service-tag', t);
    if (quiet) return undefined;
    const suggestion = closest(t, [...this.networks.keys(), ...KNOWN_SERVICE_TAGS]);
    // For a word like "hub-vnte" the address parser's complaint would only confuse.
    const meantAsAddress = (t[0] >= '0' && t[0] <= '9') || t.includes(':') || t.includes('/');
    this.problem(
      'bad-address',
      e.span,
      `"${t}" is not an address, CIDR or range${meantAsAddress ? ` (${parsed.error})` : ''}, nor a network declared under "networks", an Azure service tag, an AWS security group (sg-…) or a GCP tag (tag:…)${didYouMean(suggestion)}`,
      'error',
      suggestion,
    );
    return undefined;
  }

  private networkIgnoringCase(name: string): AddressSet | undefined {
    const lower = name.toLowerCase();
    for (const [k, v] of this.networks) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  /** A list of scalars (or one scalar), as written. `null` means "declared, addresses not given". */
  private addressEntries(node: Node | null, what: string, required: boolean): Entry[] {
    if (node === null || (isScalar(node) && node.value === null)) {
      if (required) this.problem('schema', this.span(node) ?? { start: 0, end: 0 }, `${capitalise(what)} needs a list of addresses`, 'error');
      return [];
    }
    const items = this.seqItems(node, `addresses of ${what}`);
    const out: Entry[] = [];
    for (const item of items) {
      const span = this.span(item);
      if (item && isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number') && span) {
        const text = typeof item.value === 'string' ? item.value.trim() : this.text.slice(span.start, span.end);
        out.push({ text, span });
      } else {
        this.problem('schema', span ?? this.span(node) ?? { start: 0, end: 0 }, `Each address of ${what} must be one IP, CIDR, range or name, written as text`, 'error');
      }
    }
    return out;
  }

  private roleList(node: Node | null | undefined, owner: string, ownerSpan: Span, machines?: string[]): { id: string; span: Span }[] | undefined {
    if (node === undefined) return undefined;
    if (node === null || (isScalar(node) && node.value === null)) {
      this.problem('schema', ownerSpan, `${capitalise(owner)} needs at least one role in "roles"`, 'error');
      return undefined;
    }
    const items = this.seqItems(node, `roles of ${owner}`);
    const out: { id: string; span: Span }[] = [];
    for (const item of items) {
      const span = this.span(item) ?? this.span(node) ?? { start: 0, end: 0 };
      if (!(item && isScalar(item) && typeof item.value === 'string')) {
        this.problem('schema', span, `Roles of ${owner} must be role ids such as "vda"`, 'error');
        continue;
      }
      const machine = this.machines.get(item.value);
      if (machine && machines && !machines.includes(machine.name)) machines.push(machine.name);
      const ids = machine ? machine.roles : [this.resolveRole(item.value, span)];
      for (const id of ids) if (id !== undefined && !out.some((r) => r.id === id)) out.push({ id, span });
    }
    if (out.length === 0 && items.length === 0) this.problem('schema', this.span(node) ?? { start: 0, end: 0 }, `${capitalise(owner)} needs at least one role`, 'error');
    return out.length ? out : undefined;
  }

  private resolveRole(text: string, span: Span): string | undefined {
    const lookup = roleLookup(this.vocabulary);
    const hit = lookup.resolve(text);
    if (hit) {
      if (hit.viaAlias || hit.id !== text) {
        this.problem('role-alias', span, `"${text}" is read as role "${hit.id}"`, 'info', hit.id);
      }
      return hit.id;
    }
    // Past the problem limit the message is only counted: no need to search for a suggestion.
    const suggestion = this.full() ? undefined : lookup.suggest(text);
    const hint = suggestion && text.toLowerCase().startsWith(`${suggestion}-`)
      ? `; keys are role ids: to declare several groups of "${suggestion}", list all their addresses and use "bindings" to say which rule sets protect which`
      : didYouMean(suggestion);
    this.problem('unknown-role', span, `Unknown role "${text}"${hint}`, 'error', suggestion);
    return undefined;
  }

  private text_(node: Node | null | undefined, key: string, owner: string): Entry | undefined {
    if (node === undefined) return undefined;
    const span = this.span(node);
    if (node && isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '' && span) return { text: node.value.trim(), span };
    this.problem('schema', span ?? { start: 0, end: 0 }, `"${key}" of ${owner} must be a non-empty text`, 'error');
    return undefined;
  }

  // ── YAML helpers ──────────────────────────────────────────────────────

  /** Pairs with a scalar key, first occurrence only; later duplicates are reported. */
  private *uniquePairs(map: YAMLMap, what: string): Generator<Pair> {
    const seen = new Set<string>();
    for (const pair of this.capped(map.items, (p) => this.keySpan(p), `${what} entries`)) {
      const key = this.keyText(pair);
      if (key === undefined) {
        this.problem('schema', this.keySpan(pair), `Every ${what} must be a plain word`, 'error');
        continue;
      }
      if (seen.has(key)) {
        this.problem('duplicate-key', this.keySpan(pair), `Duplicate ${what} "${key}"; the first one counts`, 'error');
        continue;
      }
      seen.add(key);
      yield pair;
    }
  }

  private fields(map: YAMLMap, allowed: readonly string[], owner: string): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    for (const pair of this.uniquePairs(map, 'key')) {
      const k = this.keyText(pair)!;
      if (allowed.includes(k)) out.set(k, this.deref(pair.value as Node | null));
      else {
        out.set(UNKNOWN_KEY, null);
        const suggestion = closest(k, allowed);
        this.problem('schema', this.keySpan(pair), `Unknown key "${k}" in ${owner} (expected ${allowed.map((a) => `"${a}"`).join(', ')})${didYouMean(suggestion)}`, 'error', suggestion);
      }
    }
    return out;
  }

  /** The first `maxEntries` items; a problem at the first one left out says so. */
  private capped<T>(items: readonly T[], spanOf: (item: T) => Span, what: string): readonly T[] {
    if (items.length <= TOPOLOGY_LIMITS.maxEntries) return items;
    const first = items[TOPOLOGY_LIMITS.maxEntries];
    this.problem('limit', spanOf(first), `Only the first ${TOPOLOGY_LIMITS.maxEntries.toLocaleString('en-US')} ${what} are read; ${(items.length - TOPOLOGY_LIMITS.maxEntries).toLocaleString('en-US')} more from here are ignored`, 'error');
    return items.slice(0, TOPOLOGY_LIMITS.maxEntries);
  }

  private seqItems(node: Node, what: string): (Node | null)[] {
    if (!isSeq(node)) return [node];
    return this.capped(node.items as (Node | null)[], (i) => this.span(i) ?? this.span(node) ?? { start: 0, end: 0 }, what).map((i) => this.deref(i));
  }

  private keyText(pair: Pair): string | undefined {
    const key = this.deref(pair.key as Node | null);
    if (key && isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number' || typeof key.value === 'boolean')) {
      return String(key.value);
    }
    return undefined;
  }

  private keySpan(pair: Pair): Span {
    return this.span(pair.key as Node | null) ?? this.span(pair.value as Node | null) ?? { start: 0, end: 0 };
  }

  private pairSpan(pair: Pair): Span {
    const k = this.keySpan(pair);
    const v = this.span(pair.value as Node | null);
    return v && v.end > v.start ? { start: k.start, end: Math.max(k.end, v.end) } : k;
  }

  /** The node's value range, without the line breaks and indentation a block collection ends with. */
  private span(node: Node | null | undefined): Span | undefined {
    const r = node?.range;
    if (!r) return undefined;
    let end = Math.min(r[1], this.text.length);
    while (end > r[0] && isBlank(this.text.charCodeAt(end - 1))) end--;
    return { start: r[0], end };
  }

  private deref(node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return target && !isAlias(target) ? (target as Node) : null;
    }
    return node;
  }

  private expectMap(node: Node | null, what: string, fallback?: Span): YAMLMap | undefined {
    if (node && isMap(node)) return node;
    this.problem('schema', this.span(node) ?? fallback ?? { start: 0, end: 0 }, `${capitalise(what)} must be a mapping (key: value lines)`, 'error');
    return undefined;
  }

  private expectSeq(node: Node | null, what: string): YAMLSeq | undefined {
    if (node && isSeq(node)) return node;
    this.problem('schema', this.span(node) ?? { start: 0, end: 0 }, `${capitalise(what)} must be a list (lines starting with "- ")`, 'error');
    return undefined;
  }

  private dropped = 0;
  private full(): boolean {
    return this.problems.length >= TOPOLOGY_LIMITS.maxProblems;
  }

  private problem(code: TopologyProblem['code'], span: Span, message: string, severity: TopologyProblem['severity'], suggestion?: string): void {
    if (this.full()) {
      this.dropped++;
      return;
    }
    this.problems.push(suggestion === undefined ? { code, span, message, severity } : { code, span, message, severity, suggestion });
  }
}

const SEVERITY_SYNONYMS: Readonly<Record<string, CheckSeverity>> = {
  warn: 'warning',
  err: 'error',
  information: 'info',
  hint: 'info',
  none: 'off',
  disabled: 'off',
  false: 'off',
  critical: 'error',
  fatal: 'error',
};

/** `VirtualNetwork`, `Storage.WestEurope`: a capital letter, then letters and digits, dot-separated. */
function looksLikeServiceTag(t: string): boolean {
  if (!(t[0] >= 'A' && t[0] <= 'Z')) return false;
  let prevDot = false;
  for (const ch of t) {
    const alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (ch === '.') {
      if (prevDot) return false;
      prevDot = true;
    } else if (alnum) prevDot = false;
    else return false;
  }
  return !prevDot;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
