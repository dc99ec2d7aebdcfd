import type { FormatId } from '../formats/descriptors';
import type { AddressSet, PortSet, ProtocolSet } from '../net';

/** Offsets (UTF-16 code units) into the document text; LSP ranges are made only at the edge. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A value with the place it was written, so a finding can point at the exact CIDR or port. */
export interface Field<T> {
  readonly value: T;
  readonly span?: Span;
  /** The source text as written (before variable resolution), for hovers and messages. */
  readonly text?: string;
}

/** One per format folder, read off the registry (formats/descriptors.ts). */
export type { FormatId };

export type Direction = 'inbound' | 'outbound' | 'forward';
export type Action = 'allow' | 'deny';

export type Semantics =
  /** iptables / nftables chains, ASA ACLs: first matching rule in order decides; jumps and returns. */
  | 'first-match'
  /** Azure NSG, GCP firewall: sorted by priority (lower first), first match decides. */
  | 'priority-first-match'
  /** AWS security groups: allowed if any rule allows; nothing denies explicitly. */
  | 'union-of-allows'
  /** Windows Defender Firewall: any matching block rule wins over any allow. */
  | 'block-wins';

export type RuleTarget =
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny'; readonly reject?: boolean }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  | { readonly kind: 'return' }
  /** Non-terminating (LOG, COUNTER, mark): evaluation goes on with the next rule. */
  | { readonly kind: 'continue'; readonly note: string };

/**
 * A match the evaluator cannot decide from addresses, ports and protocols
 * alone. `effect` is the parser's decision of how it bears on a new
 * connection between two hosts.
 */
export interface MatchCondition {
  readonly kind: 'interface-in' | 'interface-out' | 'conntrack' | 'profile' | 'other';
  readonly text: string;
  readonly span?: Span;
  /**
   * assume-match: treated as matching (e.g. `-i eth0` on a host, a Windows
   * profile); never-matches-new: cannot match the first packet of a new flow
   * (`ct state established,related`, `-i lo` between hosts); unknown: the
   * verdict for flows this rule may decide is unknown.
   */
  readonly effect: 'assume-match' | 'never-matches-new' | 'unknown';
  /**
   * kind 'profile': the Windows Defender Firewall profiles the rule applies
   * in. The evaluator matches it against the host's active profile, or
   * evaluates every profile when none is declared.
   */
  readonly profiles?: readonly WindowsProfile[];
}

export type WindowsProfile = 'domain' | 'private' | 'public';
export const WINDOWS_PROFILES: readonly WindowsProfile[] = ['domain', 'private', 'public'];

/** A value the parser could not resolve to a literal (a variable, a function call, a data source). */
export interface Unresolved {
  readonly text: string;
  readonly span?: Span;
  readonly reason: string;
}

export interface Rule {
  /** Unique within its rule set: a name where the format has one, else `line N`. */
  readonly id: string;
  readonly name?: string;
  readonly target: RuleTarget;
  readonly direction: Direction;
  readonly protocols: Field<ProtocolSet>;
  readonly source: Field<AddressSet>;
  readonly destination: Field<AddressSet>;
  readonly sourcePorts: Field<PortSet>;
  readonly destinationPorts: Field<PortSet>;
  /** Priority for priority semantics (lower is evaluated first); absent for ordered formats. */
  readonly priority?: Field<number>;
  /** Position in its list; ties in priority are broken by it. */
  readonly order: number;
  readonly enabled: Field<boolean>;
  readonly conditions: readonly MatchCondition[];
  readonly unresolved: readonly Unresolved[];
  /** The whole rule in the source; for built-in rules (Azure defaults, policies) the rule set's span. */
  readonly span: Span;
  readonly raw: string;
  /** Built in by the platform (Azure default rules, GCP implied rules), not written in the file. */
  readonly implicit?: boolean;
  /** Chain or list the rule belongs to, for formats that have several (iptables, nftables). */
  readonly chain?: string;
  readonly comment?: string;
  /** Format-specific facts emitters need (resource address, block kind, ACL name, …). */
  readonly meta?: Readonly<Record<string, string>>;
}

export interface RuleSet {
  /** Unique within the file, stable across edits where the source allows (resource address, table/chain, ACL name). */
  readonly id: string;
  readonly name: string;
  readonly format: FormatId;
  /** 'azure-nsg', 'aws-security-group', 'gcp-firewall', 'iptables-chain', 'nftables-chain', 'asa-acl', 'windows-firewall', … */
  readonly kind: string;
  readonly semantics: Semantics;
  /** Directions this rule set governs: an NSG both, an iptables INPUT chain only inbound. */
  readonly directions: readonly Direction[];
  /**
   * Set when every rule applies to each of `directions` though written with
   * this one (an nftables prerouting chain sees packets to this host and
   * packets it forwards alike).
   */
  readonly rulesDirection?: Direction;
  /** The entry list of rules (base chain, ACL, NSG rules incl. implicit defaults). */
  readonly rules: readonly Rule[];
  /** User chains reachable by jump/goto, by name. */
  readonly chains?: Readonly<Record<string, readonly Rule[]>>;
  /** What happens when no rule decides, per direction (iptables policy, ASA implicit deny, AWS "no rule"). */
  readonly defaults: Readonly<Partial<Record<Direction, Field<Action>>>>;
  /**
   * Directions whose default cannot be trusted, with why: the file is a change
   * to rules kept elsewhere (a Windows script that edits rules an installer
   * made), so what no rule here decides is unknown, not the default.
   */
  readonly defaultsUnknown?: Readonly<Partial<Record<Direction, string>>>;
  /** Where the rule set is declared; annotations on the line above bind to it. */
  readonly span: Span;
  readonly nameSpan?: Span;
  /**
   * Rule sets that a packet crosses one after another (nftables base chains on
   * one hook, Azure subnet + NIC NSGs, ASA in + out ACLs) share a stage
   * group; `order` says which comes first.
   */
  readonly stage?: { readonly group: string; readonly order: number };
  /**
   * Traffic between this rule set's hosts and some peers is routed through
   * another rule set of the same file as well (a subnet whose route table
   * sends it to a hub firewall): for those peers that rule set is one more
   * stage, in front of this one's stage group.
   */
  readonly routedThrough?: readonly RoutedThrough[];
  /**
   * The address families the rule set filters, when only one: ip6tables rules
   * never see an IPv4 packet (nor iptables an IPv6 one, nor an nftables `ip`
   * table IPv6), so packets of the other family pass it untouched. Absent: both.
   */
  readonly families?: readonly (4 | 6)[];
  /**
   * Addresses the configuration itself gives the roles of the machine the
   * rule set is on (a NetScaler's NSIP, SNIPs and Gateway VIPs). Where
   * nothing declares a role's addresses, its flows are judged for these
   * rather than for any address of the machine.
   */
  readonly roleAddresses?: Readonly<Record<string, AddressSet>>;
  /**
   * The networks the rule set is attached to, with the prefixes the same
   * file writes for them (an NSG associated with a subnet guards that
   * subnet's hosts). Where the rule set's role is inferred, these are where
   * that role's hosts are, for the flows other rule sets check toward them.
   */
  readonly guardedNetworks?: readonly GuardedNetwork[];
  /** Interfaces, hooks, attachments: how the format says where the rule set applies. */
  readonly appliesTo?: readonly string[];
  /**
   * The rule set is an interface ACL of a routing firewall (an ASA): a packet
   * meets only the ACL bound inbound on the interface it arrives on (or the
   * device's global ACL) and the one bound outbound on the interface it
   * leaves by, which the device's networks and routes decide.
   */
  readonly device?: DevicePlacement;
  readonly meta?: Readonly<Record<string, string>>;
}

export interface GuardedNetwork {
  /** How the file names it: `azurerm_subnet.vda`, `aws_instance.vda`. */
  readonly name: string;
  /** A subnet (the default), or one host: an instance or network interface whose only group is the rule set. */
  readonly kind?: 'subnet' | 'host';
  readonly addresses: AddressSet;
  /** Where its prefixes are written. */
  readonly span: Span;
  /** The file that writes them, when not the rule set's own (a subnet in another file of the module). */
  readonly uri?: string;
}

export interface DevicePlacement {
  /** The same for every rule set of one device. */
  readonly device: string;
  readonly interfaces: readonly DeviceInterface[];
  readonly routes: readonly DeviceRoute[];
  /** `same-security-traffic permit inter-interface | intra-interface`: between interfaces of equal level, and back out the way in. */
  readonly sameSecurity: { readonly inter: boolean; readonly intra: boolean };
  /** How this rule set is applied (`access-group`); none: it filters nothing. */
  readonly bindings: readonly { readonly direction: 'in' | 'out' | 'global'; readonly iface?: string }[];
}

export interface DeviceInterface {
  readonly name: string;
  /** The device's own addresses on it: traffic to them is to the box, which interface ACLs do not filter. */
  readonly addresses: AddressSet;
  /** Where no ACL applies on the way in, traffic passes only to an interface of lower level (Cisco's implicit permit). */
  readonly securityLevel: number;
}

/** Where the device sends packets for some addresses: a connected network or a static route. */
export interface DeviceRoute {
  readonly iface: string;
  readonly network: AddressSet;
  readonly prefixLength: number;
  /** How the configuration says so, for reasons: `connected 10.50.0.0/24`, `route outside 0.0.0.0 0.0.0.0 198.51.100.1`. */
  readonly how: string;
}

export interface RoutedThrough {
  /** Id of the rule set in the same file the traffic also crosses. */
  readonly ruleSet: string;
  /** Peer addresses whose traffic takes that route (concrete); traffic with any other peer does not cross it. */
  readonly peers: AddressSet;
  /** How the file says so, for reasons: `route table azurerm_route_table.spoke`. */
  readonly via: string;
}

export type ProblemCode = 'syntax-error' | 'unparsed-rule' | 'unresolved-value' | 'limit';

export interface ParseProblem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly span: Span;
  readonly severity: 'error' | 'warning' | 'info';
}

/** A comment with its leader (`#`, `//`, `!`, `<#`) removed, for annotations and suppressions. */
export interface Comment {
  readonly span: Span;
  readonly text: string;
}

/** Another file this one hands to its tool (`iptables-restore < rules.v4`), as written (relative to the file's folder or absolute). */
export interface LoadedFile {
  readonly path: string;
  readonly span: Span;
  readonly format: FormatId;
}

export interface ParsedFile {
  readonly uri: string;
  readonly format: FormatId;
  readonly text: string;
  readonly ruleSets: readonly RuleSet[];
  readonly problems: readonly ParseProblem[];
  readonly comments: readonly Comment[];
  /** Files whose rules this one loads; parsers never read them, callers may. */
  readonly loads?: readonly LoadedFile[];
  /**
   * Variables, locals and parameters of this file whose value is a list of
   * concrete addresses (`vda_subnet_cidr = "10.0.2.0/24"`), for inference to
   * read the addresses of the roles they are named for.
   */
  readonly namedAddresses?: readonly NamedAddresses[];
  /**
   * What the file says it is, where the format has a place for it (a
   * CloudFormation template's `Description`): inference reads it like a
   * comment at the top of the file.
   */
  readonly description?: { readonly text: string; readonly span: Span };
  /**
   * Terraform: the subnets this file writes with literal prefixes and the
   * NSG associations it declares, by resource address, so linking can place
   * an NSG declared in another file of the module (network.tf beside nsg.tf).
   */
  readonly moduleNetworks?: ModuleNetworks;
}

export interface ModuleNetworks {
  readonly subnets: readonly { readonly address: string; readonly addresses: AddressSet; readonly span: Span }[];
  readonly associations: readonly { readonly nsg: string; readonly subnet: string }[];
}

export interface NamedAddresses {
  readonly name: string;
  readonly kind: 'variable' | 'local' | 'parameter';
  readonly addresses: AddressSet;
  /** Where the name is declared. */
  readonly span: Span;
  /** Where the value comes from when not the declaration itself (`terraform.tfvars`). */
  readonly valueFrom?: string;
}

export interface ParseOptions {
  /** Other files next to this one that a format may read (Terraform `*.tfvars`), by path. */
  readonly siblingFiles?: ReadonlyMap<string, string>;
  /**
   * A cache the caller keeps per document and passes, unchanged, with each
   * new version of its text: a parser may keep there what it worked out for
   * lines that did not change (iptables, nftables), or its last tree-sitter
   * tree and the rules of unchanged blocks (Terraform, Bicep; see
   * `incrementalTreesOf` in formats/treeSitter.ts, and `disposeReuse` to free
   * the tree). Any object works; `{}` to start. Parsers give the same result
   * with or without it, and it is the only way state passes between parses.
   */
  readonly reuse?: ParseReuse;
}

/** Owned by the parsers (one slot per format); callers only create it and hand it back. */
export interface ParseReuse {
  [format: string]: unknown;
}

export type Parser = (text: string, uri: string, options?: ParseOptions) => ParsedFile;
