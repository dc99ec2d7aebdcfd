import { AddressSet } from '../net';
import type { RoleGuess } from './inferRoles';
import { guessInWords, type SiteInference } from './infer';
import { workspaceRelative } from './bind';

export interface WriteSiteOptions {
  /** Folder the file is written to; bindings' globs are relative to it. */
  readonly root: string;
  readonly roleName: (id: string) => string;
  /** Roles the files bind already (annotations), with no inference behind them. */
  readonly declaredRoles?: readonly string[];
  /** Write users as reachable from anywhere, as a workspace without citrix-flows.yaml assumes. */
  readonly usersFromAnywhere?: boolean;
}

/**
 * A commented citrix-flows.yaml holding everything inference assumed: a
 * role per inferred rule set (with its bindings) and each assumed peer,
 * every entry with the clues it came from. `check` with this file gives the
 * same verdicts as without it, only declared (so without "Assumed" clauses).
 */
export function writeSiteYaml(site: SiteInference, options: WriteSiteOptions): string {
  const out: string[] = [
    '# citrix-flows.yaml, written by `citrix-flow-lint init` from what the files in this folder say.',
    '# Each entry says why it was inferred. Check each one, add the addresses you know, and',
    '# delete what is wrong: what this file declares always wins over inference.',
    '# Reference: docs/citrix-flows.md in Citrix Flow Lint.',
    '',
    'roles:',
  ];
  const roles = new Map<string, string[]>();
  const why = (role: string, text: string): void => {
    const list = roles.get(role) ?? [];
    if (!list.includes(text)) list.push(text);
    roles.set(role, list);
  };
  for (const b of site.bindings) {
    for (const role of b.roles) {
      const g = b.guesses.find((x) => x.role === role && x.confidence === 'high') ?? b.guesses.find((x) => x.confidence === 'high');
      why(role, `${workspaceRelative(b.uri, options.root)}: ${g ? clue(g) : 'the same machine'}`);
    }
  }
  for (const role of options.declaredRoles ?? []) why(role, 'bound by a citrix-role annotation');
  for (const p of site.peers) {
    const needed = p.neededBy.map(options.roleName).join(', ');
    const alternatives = p.alternatives.length ? ` (or ${p.alternatives.map(options.roleName).join(', ')}: declare that instead if it is what you have)` : '';
    why(p.role, `not in these files, but ${needed} always talk${p.neededBy.length === 1 ? 's' : ''} to one${alternatives}; checked against any address until its addresses are here`);
  }
  // A site file has one list per role: what the names of several folders give, together.
  const located = new Map<string, AddressSet>();
  for (const a of site.addresses ?? []) {
    // A referenced group has no address a site file can hold: its name stays in the comment.
    if (a.addresses.isConcrete) located.set(a.role, (located.get(a.role) ?? AddressSet.none()).union(a.addresses));
    for (const e of a.evidence.slice(0, 2)) why(a.role, `${workspaceRelative(e.uri, options.root)}: the ${e.kind === 'rule' ? 'rule' : e.kind} "${e.name}"${e.valueFrom ? ` (value from ${e.valueFrom})` : ''} names it`);
  }
  if (options.usersFromAnywhere) {
    why('workspace-app', 'users are assumed to connect from anywhere; narrow this to your user networks and Gateway');
  }
  const ordered = [...roles.keys()].sort((a, b) => (a === 'workspace-app' ? 1 : b === 'workspace-app' ? -1 : a.localeCompare(b)));
  if (!ordered.length) out.push('  # Nothing could be inferred. Declare roles as `<role-id>: [addresses]`, e.g. `vda: [10.0.2.0/24]`.');
  for (const role of ordered) {
    const reasons = roles.get(role) ?? [];
    out.push(`  # ${options.roleName(role)}: ${reasons.slice(0, 2).join('; ')}${reasons.length > 2 ? `; and ${reasons.length - 2} more rule sets (see bindings)` : ''}`);
    const at = located.get(role)?.toStrings();
    out.push(role === 'workspace-app' && options.usersFromAnywhere ? `  ${role}: [0.0.0.0/0, "::/0"]` : at ? `  ${role}: [${at.map(quote).join(', ')}]` : `  ${role}: []`);
  }
  // A site file sets a feature for the whole site; what held for one file or folder only is left as a comment to decide.
  const siteWide = site.features.filter((f) => f.on && f.scope === 'folder');
  const local = site.features.filter((f) => !siteWide.includes(f));
  if (siteWide.length || local.length) {
    out.push('', siteWide.length ? 'features:' : '# features:');
    const written = new Set<string>();
    for (const f of siteWide) {
      out.push(`  # ${workspaceRelative(f.uri, options.root)} ${f.ruleSetName} ${f.evidence}`);
      if (!written.has(f.id)) out.push(`  ${f.id}: true`);
      written.add(f.id);
    }
    for (const f of local) out.push(`  # ${f.id}: ${f.on} for ${workspaceRelative(f.uri, options.root)} alone: ${f.evidence}`);
  }
  if (site.bindings.length) {
    out.push('', 'bindings:');
    for (const b of site.bindings) {
      const g = b.guesses.find((x) => x.confidence === 'high');
      if (g) out.push(`  # ${b.roles.map(options.roleName).join(', ')}, from ${guessInWords(g)}`);
      out.push(`  - { files: ${quote(workspaceRelative(b.uri, options.root))}, ruleSet: ${quote(b.ruleSetId)}, roles: [${b.roles.join(', ')}] }`);
    }
  }
  if (site.hints.length) {
    out.push('', '# Not assumed (too weak to bind); declare them above if they are right:');
    for (const h of site.hints.slice(0, 30)) {
      const g = h.guesses[0];
      out.push(`#   ${workspaceRelative(h.uri, options.root)} ${h.ruleSetId}: perhaps ${g.role}, from ${guessInWords(g)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function clue(g: RoleGuess): string {
  return guessInWords(g);
}

/** A YAML double-quoted scalar. */
function quote(text: string): string {
  return JSON.stringify(text);
}
