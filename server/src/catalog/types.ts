export type CatalogProtocol = 'tcp' | 'udp' | 'icmp';

export interface PortRange {
  from: number;
  to: number;
}

/** Where a flow comes from in seeds/citrix-communication-ports.txt. */
export interface SeedRow {
  section: string;
  table: string;
  /** The row text exactly as in the seed; a row spanning several lines is joined with "\n". */
  row: string;
  /** 1-based line of the row's first line. */
  line: number;
}

export type FlowTag =
  | 'ica' | 'management' | 'monitoring' | 'licensing' | 'authentication'
  | 'insecure' | 'may-change' | 'not-default' | 'configurable' | 'bidirectional'
  | 'not-implemented' | 'url-destination' | 'no-fixed-port' | 'dynamic-port'
  | 'loopback' | 'direction-doubtful' | 'protocol-doubtful' | 'type-inferred' | 'from-prose';

export interface CatalogFlow {
  /** `<product>.<source>-to-<destination>.<purpose>` */
  id: string;
  product: string;
  source: string;
  destination: string;
  protocols: CatalogProtocol[];
  /** Empty where the seed gives no port (ICMP, "N/A", a random port). */
  ports: PortRange[];
  /** The seed's Details, verbatim. */
  description: string;
  /** All must hold: `feature:<id>`, `version:<product><op><version>`, `optional`. */
  conditions: string[];
  seedRow: SeedRow;
  tags: FlowTag[];
  /** Conditions that apply to one protocol only, on top of `conditions` (UDP only with EDT). */
  protocolConditions: Partial<Record<CatalogProtocol, string[]>>;
  /** Id of the secure variant; present exactly when the flow is tagged `insecure`. */
  secureAlternative?: string;
  destinationUrls: string[];
  notes: string[];
}

export interface CatalogRole {
  id: string;
  name: string;
  aliases: string[];
  description: string;
  /** Ports the role serves to users on the Internet by design (a Gateway VIP's 443), with why. */
  publicPorts?: { protocol: 'tcp' | 'udp'; port: number; why: string }[];
  /** The role receives, in place of `for`, the flows the `from` roles send to it (an ADM agent for ADM), with why. */
  relays?: { for: string; from: string[]; why: string };
}

export interface CatalogFeature {
  id: string;
  name: string;
  /** Short words for sentences such as "only with EDT". */
  label: string;
  description: string;
  default: boolean;
  defaultSource?: string;
}

export interface CatalogProduct {
  id: string;
  name: string;
  aliases: string[];
  /** The seed's section heading. */
  section: string;
  /** The seed's tables in this section; empty when the seed only links elsewhere. */
  tables: string[];
  reference?: { line: number; text: string };
  notes: string[];
}

/** The compiled catalog as written by scripts/build-catalog.mjs. */
export interface CatalogData {
  version: number;
  products: CatalogProduct[];
  roles: CatalogRole[];
  features: CatalogFeature[];
  flows: CatalogFlow[];
}

export type FlowDirection = 'inbound' | 'outbound' | 'any';

export interface Catalog extends CatalogData {
  roleById(id: string): CatalogRole | undefined;
  /** Id, name or alias, case-insensitive. */
  resolveRole(nameOrAlias: string): CatalogRole | undefined;
  featureById(id: string): CatalogFeature | undefined;
  productById(id: string): CatalogProduct | undefined;
  flowById(id: string): CatalogFlow | undefined;
  /** Flows whose ports include `port` (over `protocol` when given), in catalog order. */
  flowsOnPort(port: number, protocol?: CatalogProtocol): CatalogFlow[];
  /** `inbound`: the role is the destination; `outbound`: the source; `any`: either. */
  flowsForRole(roleId: string, direction: FlowDirection): CatalogFlow[];
  /** Role ids whose id or a name is close to `text`, best first (for "did you mean"). */
  suggestRole(text: string): string[];
}

export type Condition =
  | { kind: 'feature'; feature: string }
  | { kind: 'version'; product: string; op: '<=' | '>=' | '<' | '>' | '='; version: string }
  | { kind: 'optional' };
