import { FORMAT_NAMES } from '../formats';
import type { FormatId } from '../model';
import { shortRoleName } from './requiredFlows';
import type { WorkspaceState } from './state';
import { isTopologyUri } from './state';

export interface FileStatusResult {
  readonly recognised: boolean;
  readonly format?: FormatId | 'citrix-flows';
  readonly formatName?: string;
  readonly ruleSets: number;
  /** Each role a rule set of the file is bound to, once, with how the binding was made. */
  readonly roles: readonly { readonly id: string; readonly name: string; readonly via: string }[];
  /** Short text for the language status item, and its detail line. */
  readonly text: string;
  readonly detail: string;
}

const VIA_WORDS: Readonly<Record<string, string>> = {
  annotation: 'annotated',
  inferred: 'assumed from its names and ports',
  binding: 'declared in citrix-flows.yaml',
  'command-line': 'given with --role',
  interface: 'from an interface in citrix-flows.yaml',
};

/** What Citrix Flow Lint makes of one file: the format it reads, its rule sets, and the roles they protect and why. */
export function doFileStatus(state: WorkspaceState, uri: string): FileStatusResult {
  if (isTopologyUri(uri) && state.topologyUri === uri) {
    const roles = [...state.analyze().topology.roles.keys()];
    return { recognised: true, format: 'citrix-flows', formatName: 'citrix-flows.yaml', ruleSets: 0, roles: [], text: `Citrix roles: ${roles.length}`, detail: roles.length ? roles.join(', ') : 'no role declared yet' };
  }
  const file = state.parsedFile(uri);
  if (!file) return { recognised: false, ruleSets: 0, roles: [], text: '', detail: '' };
  const analysis = state.analyze();
  const roles = new Map<string, { id: string; name: string; via: string }>();
  for (const bound of analysis.binding.bound) {
    if (bound.file.uri !== uri) continue;
    for (const id of bound.roles) if (!roles.has(id)) roles.set(id, { id, name: shortRoleName(state.catalog, id), via: VIA_WORDS[bound.via] ?? bound.via });
  }
  const formatName = FORMAT_NAMES[file.format];
  const list = [...roles.values()];
  const n = file.ruleSets.length;
  const text = list.length ? `${formatName} · ${list.map((r) => r.name).join(', ')}` : `${formatName} · no role`;
  const detail = list.length
    ? `${n} rule set${n === 1 ? '' : 's'}; ${list.map((r) => `${r.id} (${r.via})`).join(', ')}`
    : `${n} rule set${n === 1 ? '' : 's'}, bound to no Citrix role: add "citrix-role: vda" above one, or citrix-flows.yaml`;
  return { recognised: true, format: file.format, formatName, ruleSets: n, roles: list, text, detail };
}
