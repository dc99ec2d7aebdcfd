/**
 * The Flow Map's JSON, shared by the server (service/flowMap.ts), the CLI's
 * HTML report and the webview bundle. Self-contained on purpose: the webview
 * is type-checked against the DOM, without Node or the engine.
 */

export interface FlowMapSpan {
  readonly start: number;
  readonly end: number;
}

export interface FlowMapPortRange {
  readonly from: number;
  readonly to: number;
}

export type FlowMapVerdict = 'allowed' | 'blocked' | 'partial' | 'unknown' | 'unbound';

/** Worst first: the order the legend, the matrix and edge colours use. */
export const FLOW_MAP_VERDICTS: readonly FlowMapVerdict[] = ['blocked', 'partial', 'unknown', 'unbound', 'allowed'];

export type VerdictCounts = Record<FlowMapVerdict, number>;

/** A place in a file: the span for editors (UTF-16 offsets), the 1-based line for people. */
export interface FlowMapLocation {
  readonly uri: string;
  /** Workspace-relative path (or the uri when outside the workspace). */
  readonly file: string;
  readonly span: FlowMapSpan;
  /** 1-based; absent when the file's text was not available. */
  readonly line?: number;
}

export interface FlowMapRule {
  readonly location?: FlowMapLocation;
  /** `"DenyAllInbound" (priority 4000, line 19)` or `the default of INPUT`. */
  readonly label: string;
  /** The rule as written, whitespace collapsed and shortened. */
  readonly text: string;
  readonly ruleSet: string;
  readonly implicit: boolean;
}

/** One evaluation of the flow: one rule set (with its stages) protecting one end. */
export interface FlowMapCheck {
  /** The role whose rule set was evaluated. */
  readonly role: string;
  readonly direction: 'inbound' | 'outbound' | 'forward';
  readonly ruleSet: string;
  readonly file: string;
  readonly verdict: FlowMapVerdict;
  readonly decidingRule?: FlowMapRule;
  readonly reasons: readonly string[];
  readonly peerKnown: boolean;
}

/** One firewall on the way of a flow, in the order a packet meets it. */
export interface FlowMapHop {
  /** 1-based, along the way. */
  readonly index: number;
  readonly ruleSet: string;
  readonly file: string;
  /** Where it sits, in words: "between the networks", "the receiver's own firewall". */
  readonly place: string;
  /** What it decides for what reached it; for a hop nothing reached, what it would decide alone. */
  readonly verdict: FlowMapVerdict;
  readonly reached: boolean;
  /** `dmz_in blocks (the rule on line 18)`; `nsg: not reached; alone it allows (…)`. */
  readonly text: string;
  /** Its deciding rule, else the rule set. */
  readonly location: FlowMapLocation;
  /** The roles it is bound to; empty for a firewall between the ends. */
  readonly boundTo: readonly string[];
}

/** Every rule set a flow crosses between the two roles' declared addresses, walked in order. */
export interface FlowMapPath {
  readonly verdict: FlowMapVerdict;
  /** The index of the first hop that stops some of the flow. */
  readonly blockedAt?: number;
  readonly hops: readonly FlowMapHop[];
}

export interface FlowMapEdge {
  /** Unique in the model: the catalog flow id (a flow joins one pair of roles). */
  readonly id: string;
  readonly flowId: string;
  readonly product: string;
  readonly productName: string;
  readonly source: string;
  readonly target: string;
  /** The protocols required at this site (UDP of ICA only with EDT). */
  readonly protocols: readonly string[];
  readonly ports: readonly FlowMapPortRange[];
  /** `1494, 2598` or `16500–16509`; empty for ICMP. */
  readonly portsText: string;
  /** `TCP/UDP 1494`: what the edge label shows. */
  readonly label: string;
  readonly description: string;
  readonly purpose: string;
  /** What the flow depends on, in words (`needs HDX EDT (on)`). */
  readonly conditions: readonly string[];
  readonly tags: readonly string[];
  readonly verdict: FlowMapVerdict;
  readonly decidingRule?: FlowMapRule;
  readonly checks: readonly FlowMapCheck[];
  /** The way across the site, when both roles have addresses and more than one rule set is on it. */
  readonly path?: FlowMapPath;
  /** The finding a quick fix hangs on, when there is one. */
  readonly fix?: FlowMapLocation & { readonly checkId: string; readonly message: string };
  /** Where a click goes: the fix, else the deciding rule, else where the role is declared. */
  readonly goTo?: FlowMapLocation;
}

export interface FlowMapGroup {
  readonly id: string;
  readonly label: string;
  readonly kind: 'interface' | 'network';
  readonly addresses: readonly string[];
}

export interface FlowMapNode {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly group?: string;
  readonly addresses: readonly string[];
  readonly declaredAt?: FlowMapLocation;
  readonly ruleSets: readonly { readonly name: string; readonly location: FlowMapLocation; readonly via: string }[];
  readonly products: readonly string[];
  readonly incoming: VerdictCounts;
  readonly outgoing: VerdictCounts;
}

export interface FlowMapModel {
  readonly version: 1;
  readonly title: string;
  readonly topologyFile?: string;
  readonly nodes: readonly FlowMapNode[];
  readonly groups: readonly FlowMapGroup[];
  readonly edges: readonly FlowMapEdge[];
  readonly products: readonly { readonly id: string; readonly name: string }[];
  readonly counts: { readonly nodes: number; readonly edges: number; readonly ruleSets: number; readonly files: number; readonly byVerdict: VerdictCounts };
}


/** Messages from the Flow Map webview to its host (client/src/flowMap.ts). */
export type WebviewToHost = { type: 'ready' } | { type: 'open'; location: FlowMapLocation; quickFix: boolean } | { type: 'refresh' };
/** Messages from the host to the webview: the model (from the server's flow-map request) or why there is none. */
export type HostToWebview = { type: 'model'; model: FlowMapModel; matrixAbove?: number } | { type: 'error'; message: string };
