import * as path from 'node:path';
import type { Catalog } from '../catalog';
import { writeSiteYaml } from '../topology';
import { METHODS, type ResultOf, type RoleSummary } from './lspMethods';
import { rolesInUse, shortRoleName } from './requiredFlows';
import type { WorkspaceState } from './state';
import { TOPOLOGY_FILE } from './workspaceFiles';

/** The Roles view: every role in use across the units, with how many of its required flows are allowed. */
export function rolesSummary(units: readonly WorkspaceState[], catalog: Catalog): RoleSummary[] {
  const out = new Map<string, RoleSummary>();
  for (const unit of units) {
    if (unit.documentCount === 0 && !unit.topologyUri) continue;
    const analysis = unit.analyze();
    for (const id of rolesInUse(analysis)) {
      const entry = out.get(id) ?? { id, name: shortRoleName(catalog, id), allowed: 0, total: 0 };
      for (const c of analysis.required) {
        if (c.role !== id) continue;
        entry.total++;
        if (c.result.verdict === 'allowed') entry.allowed++;
      }
      out.set(id, entry);
    }
  }
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** "Create citrix-flows.yaml from this workspace": what `citrix-flow-lint init` writes, for a folder (`root`). */
export function siteFileFor(unit: WorkspaceState, root: string, catalog: Catalog): ResultOf<typeof METHODS.createSiteFile> {
  const analysis = unit.analyze();
  const inference = analysis.inference;
  if (!inference) return { error: 'Role inference is off (citrixFlowLint.infer), so there is nothing to write from.' };
  const declaredRoles = [...new Set(analysis.binding.bound.filter((b) => b.via === 'annotation').flatMap((b) => b.roles))];
  const text = writeSiteYaml(inference, {
    root,
    roleName: (id) => (id === 'any-citrix-component' ? 'Citrix components that license' : catalog.roleById(id)?.name ?? id),
    declaredRoles,
    usersFromAnywhere: true,
  });
  return { path: path.join(root, TOPOLOGY_FILE), exists: unit.topologyUri !== undefined, text };
}
