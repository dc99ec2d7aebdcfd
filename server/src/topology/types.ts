import type { AddressSet } from '../net';
import type { Comment, ParsedFile, RuleSet, Span, WindowsProfile } from '../model';

export type CheckSeverity = 'off' | 'info' | 'warning' | 'error';

/** Something written somewhere: a role declared in citrix-flows.yaml, an annotation in a firewall file. */
export interface SourceRef {
  readonly uri: string;
  readonly span: Span;
}

export interface RoleDeclaration {
  readonly id: string;
  readonly displayName?: string;
  /** The Windows Defender Firewall profile active on the role's hosts (servers joined to a domain are usually on Domain). */
  readonly windowsProfile?: WindowsProfile;
  /** Concrete addresses plus symbols (service tags, security groups, GCP tags) the user wrote. */
  readonly addresses: AddressSet;
  /** Each address entry as written, with its place, for hovers and quick fixes. */
  readonly addressEntries: readonly { readonly text: string; readonly span: Span }[];
  readonly declaredAt: SourceRef;
}

/** A host of the site declared under `machines:`, for every catalog role it plays. */
export interface MachineDeclaration {
  readonly name: string;
  /** Catalog role ids, in the order they were declared (for a NetScaler: adc-nsip, adc, gateway-snip, gateway). */
  readonly roles: readonly string[];
  readonly kind?: 'netscaler';
  /**
   * The machine's own addresses (a NetScaler's NSIP, SNIP and VIP, not its
   * peer's): a rule set bound to the machine protects these, and the machine
   * never reaches itself across the network.
   */
  readonly addresses: AddressSet;
  readonly declaredAt: SourceRef;
}

export interface Binding {
  /** Glob over workspace-relative paths (picomatch syntax). */
  readonly files: string;
  /** Optional resource / chain / ACL / NSG name (or rule-set id) the binding narrows to. */
  readonly ruleSet?: string;
  readonly roles: readonly string[];
  /**
   * `guards:`: the networks the matching rule sets stand in front of (a router's
   * FORWARD chain, an ASA, a hub NSG). A flow into or out of them crosses those
   * rule sets on its way, whatever roles they protect.
   */
  readonly guards?: AddressSet;
  /** `between: [a, b]`: the rule sets sit between two networks, so traffic from one to the other crosses them. */
  readonly between?: readonly [AddressSet, AddressSet];
  /** Machines of `machines:` named among the roles, which stand for their roles. */
  readonly machines?: readonly string[];
  readonly declaredAt: SourceRef;
  /** Where the glob, the rule-set name and each role id were written, for diagnostics and renames. */
  readonly filesSpan?: Span;
  readonly ruleSetSpan?: Span;
  readonly roleSpans?: readonly Span[];
}

export interface InterfaceDeclaration {
  readonly name: string;
  /** Optional glob: the device config files the interface belongs to. */
  readonly files?: string;
  readonly roles: readonly string[];
  readonly declaredAt: SourceRef;
  readonly nameSpan?: Span;
}

export interface TopologyProblem {
  readonly code: 'unknown-role' | 'unknown-feature' | 'bad-address' | 'unmatched-binding' | 'duplicate-key' | 'schema' | 'syntax-error' | 'unknown-check'
    /** A product in `versions:` the catalog does not know. */
    | 'unknown-product'
    /** Information: a role written by an alias (`ddc`); `suggestion` holds the canonical id. */
    | 'role-alias'
    /** Past a documented limit (size, nesting, entries, problems): the rest is not read. */
    | 'limit';
  readonly message: string;
  readonly span: Span;
  readonly severity: 'error' | 'warning' | 'info';
  /** Did-you-mean replacement, when there is one; quick fixes use it. */
  readonly suggestion?: string;
}

/** Everything the user declared about the site, from citrix-flows.yaml. Empty when there is no such file. */
export interface Topology {
  readonly uri?: string;
  readonly roles: ReadonlyMap<string, RoleDeclaration>;
  /**
   * Machine name → the roles it plays; a name stands for all of them wherever
   * a role may be written. Missing in topologies made by hand.
   */
  readonly machines?: ReadonlyMap<string, MachineDeclaration>;
  /** Feature id → on/off; features not mentioned take the catalog's default. */
  readonly features: ReadonlyMap<string, boolean>;
  /** Product id → version string (e.g. wem → "2203"). */
  readonly versions: ReadonlyMap<string, string>;
  readonly bindings: readonly Binding[];
  /**
   * Addresses of roles inference read for them as peers only (a security
   * group referenced by another's rule): used where the role is the other end
   * of a flow, never where it is the protected end. Missing when none.
   */
  readonly peerAddresses?: ReadonlyMap<string, AddressSet>;
  /** Named ranges: the VNet behind Azure's VirtualNetwork tag, an AWS security group's members, GCP tags. */
  readonly networks: ReadonlyMap<string, AddressSet>;
  readonly interfaces: readonly InterfaceDeclaration[];
  readonly checks: ReadonlyMap<string, CheckSeverity>;
  /** Globs (relative to citrix-flows.yaml's folder) of files the scan leaves out; missing in topologies made by hand. */
  readonly exclude?: readonly { readonly glob: string; readonly span: Span }[];
  readonly problems: readonly TopologyProblem[];
}

/** A `citrix-role:` annotation found in a comment, already matched to what it binds. */
export interface RoleAnnotation {
  readonly roles: readonly { readonly id: string; readonly span: Span }[];
  /** Machines of citrix-flows.yaml the annotation names, which stand for their roles. */
  readonly machines?: readonly string[];
  readonly comment: Comment;
  /** The rule set on the line below; undefined when it sits at the top of the file and binds every rule set. */
  readonly ruleSetId?: string;
  /** Every rule set the annotation binds (several when they start on the same line); empty for a file-wide one. */
  readonly ruleSetIds?: readonly string[];
  readonly scope?: 'rule-set' | 'file';
}

/** A rule set and the roles it protects, with why we think so. */
export interface BoundRuleSet {
  readonly file: ParsedFile;
  readonly ruleSet: RuleSet;
  readonly roles: readonly string[];
  readonly via: 'annotation' | 'binding' | 'command-line' | 'interface' | 'inferred'
    /** Made for a rule set on the way between two declared roles, bound to neither end's role (analysis/pathFlows). */
    | 'path';
  /** For `via: 'inferred'`: the guesses and their evidence, so every finding that depends on them can say so. */
  readonly inferred?: import('./infer').InferredBinding;
  /**
   * 'rule-set' when the declaration names this rule set (an annotation right
   * above it, a binding with `ruleSet:`, an interface); 'file' when it covers
   * every rule set of the file. A host's FORWARD chain is not the host's own
   * firewall, so only a 'rule-set' binding makes it protect a role.
   */
  readonly scope?: 'rule-set' | 'file';
  readonly declaredAt?: SourceRef;
  /** The one machine of citrix-flows.yaml the declaration named: the rule set is that host's own firewall. */
  readonly machine?: string;
  /**
   * Interfaces from citrix-flows.yaml this rule set sits on (ASA `access-group`,
   * iptables `-i`/`-o` in a FORWARD chain), whatever decided `roles`, so the
   * evaluator layer can tell which side of the device each role is on.
   */
  readonly interfaces?: readonly BoundInterface[];
}

export interface BoundInterface {
  readonly name: string;
  /** `in`/`out` for an ASA access-group or an iptables -i/-o; undefined when the format does not say. */
  readonly direction?: 'in' | 'out';
  readonly roles: readonly string[];
  readonly declaredAt: SourceRef;
}
