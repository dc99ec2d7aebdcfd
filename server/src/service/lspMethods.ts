import type { StatusCounts } from './diagnostics';
import type { FileStatusResult } from './fileStatus';
import type { FlowMapModel } from './flowMapTypes';
import type { Range } from './protocol';
import type { RequiredFlowFilter, RequiredFlowItem } from './requiredFlows';

/**
 * The custom LSP methods, declared once for both ends of the pipe: the server
 * (server.ts) registers them and the client (client/src) calls them by these
 * names, with these parameter and result types. A method spelled twice drifted
 * once already; test/unit/service/lspMethods.test.ts checks that no other file
 * spells one.
 *
 * Type-only imports, no protocol library: the client bundles this file, and
 * the layers of DESIGN.md keep `vscode-languageserver` in server.ts.
 */
export const METHODS = {
  roles: 'citrixFlowLint/roles',
  requiredFlows: 'citrixFlowLint/requiredFlows',
  fileStatus: 'citrixFlowLint/fileStatus',
  explainPort: 'citrixFlowLint/explainPort',
  generate: 'citrixFlowLint/generate',
  generateRoles: 'citrixFlowLint/generateRoles',
  flowMap: 'citrixFlowLint/flowMap',
  declareRole: 'citrixFlowLint/declareRole',
  /** The one notification (server → client), after each analysis. */
  status: 'citrixFlowLint/status',
} as const;

export interface LspPosition {
  line: number;
  character: number;
}

/** One role in use, with how many of its required flows are allowed ("Show required flows for role…"). */
export interface RoleSummary {
  id: string;
  name: string;
  allowed: number;
  total: number;
}

/** A required flow as the client lists it: the item with its span as an LSP range. */
export type LspRequiredFlow = Omit<RequiredFlowItem, 'span'> & { range: Range };

export interface GenerateParams {
  uri: string;
  position: LspPosition;
  roles: string[];
}

/** The edit is an LSP WorkspaceEdit; the client converts it with its protocol converter. */
export type GenerateResult = { edit: { changes: Record<string, { range: Range; newText: string }[]> }; rules: number } | { error: string };

export interface GenerateRole {
  id: string;
  name: string;
  declared: boolean;
}

export interface StatusNotification extends StatusCounts {
  files: number;
  analysisMs: number;
}

/** Parameters and result of each request, by method name. */
export interface Requests {
  [METHODS.roles]: { params: Record<string, never> | null | undefined; result: RoleSummary[] };
  [METHODS.requiredFlows]: { params: RequiredFlowFilter; result: LspRequiredFlow[] };
  [METHODS.fileStatus]: { params: { uri: string }; result: FileStatusResult };
  [METHODS.explainPort]: { params: { text: string }; result: { markdown: string } | { error: string } };
  [METHODS.generate]: { params: GenerateParams; result: GenerateResult };
  [METHODS.generateRoles]: { params: { uri?: string } | null; result: GenerateRole[] };
  [METHODS.flowMap]: { params: { uri?: string } | null; result: FlowMapModel | undefined };
  /** The "Declare" code lens: the annotation that turns a rule set's assumed roles into a declaration. */
  [METHODS.declareRole]: { params: { uri: string; ruleSetId: string }; result: { edit: { changes: Record<string, { range: Range; newText: string }[]> }; title: string } | { error: string } };
}

export interface Notifications {
  [METHODS.status]: StatusNotification;
}

export type RequestMethod = keyof Requests;
export type ParamsOf<M extends RequestMethod> = Requests[M]['params'];
export type ResultOf<M extends RequestMethod> = Requests[M]['result'];

/** The part of vscode-languageclient's LanguageClient that `request` needs (so this file imports no library). */
export interface RequestSender {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
}

/** `client.sendRequest` with the declared types of `method`. */
export function request<M extends RequestMethod>(client: RequestSender, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  return client.sendRequest<ResultOf<M>>(method, params);
}
