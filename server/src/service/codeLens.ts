import type { Span } from '../model';
import { assumptionNote, shortRoleName, tallies } from './requiredFlows';
import type { WorkspaceState } from './state';
import { guessInWords, type BoundRuleSet } from '../topology';

export const SHOW_REQUIRED_FLOWS_COMMAND = 'citrixFlowLint.showRequiredFlows';
/** Writes the `citrix-role:` annotation for an inferred rule set; the client asks the server for the edit. */
export const DECLARE_ROLE_COMMAND = 'citrixFlowLint.declareRole';

export interface DeclareRoleArgs {
  readonly uri: string;
  readonly ruleSetId: string;
}

/** What the lens's command receives: enough for the client to ask the server for the list. */
export interface RequiredFlowsArgs {
  readonly role: string;
  readonly uri: string;
  readonly ruleSetId: string;
  readonly title: string;
}

export interface CodeLensResult {
  readonly span: Span;
  readonly title: string;
  readonly command: string;
  readonly arguments: [RequiredFlowsArgs] | [DeclareRoleArgs];
}

/** One lens per role above each rule set bound to roles: "VDA · 9/11 required inbound flows allowed". */
export function doCodeLens(state: WorkspaceState, uri: string): CodeLensResult[] {
  const file = state.parsedFile(uri);
  if (!file) return [];
  const analysis = state.analyze();
  const out: CodeLensResult[] = [];
  const seen = new Set<string>();
  for (const bound of analysis.binding.bound) {
    if (bound.file.uri !== uri) continue;
    // Lenses sit where the user's text has the rule set, which is the cached parse, not the linked copy.
    const ruleSet = file.ruleSets.find((rs) => rs.id === bound.ruleSet.id) ?? bound.ruleSet;
    // An assumption is never hidden: what was assumed and why, and one click to declare it.
    const assumed = bound.via === 'inferred' ? assumedRoleWords(state, bound) : undefined;
    if (assumed && !seen.has(`${ruleSet.id}\u0000assumed`)) {
      seen.add(`${ruleSet.id}\u0000assumed`);
      const at = { start: ruleSet.span.start, end: ruleSet.span.start };
      out.push({ span: at, title: `Assumed role: ${assumed}`, command: SHOW_REQUIRED_FLOWS_COMMAND, arguments: [{ role: bound.roles[0], uri, ruleSetId: ruleSet.id, title: `${shortRoleName(state.catalog, bound.roles[0])} — ${ruleSet.name}` }] });
      out.push({ span: at, title: 'Declare', command: DECLARE_ROLE_COMMAND, arguments: [{ uri, ruleSetId: ruleSet.id }] });
    }
    for (const role of bound.roles) {
      const key = `${ruleSet.id}\u0000${role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const name = shortRoleName(state.catalog, role);
      const counts = tallies(analysis, uri, bound.ruleSet, role);
      const parts = counts.map((t, i) => (i === 0 ? `${t.allowed}/${t.total} required ${t.side} flows allowed` : `${t.allowed}/${t.total} ${t.side}`));
      // Allowed only from the addresses the rules name, where nobody declared the peer's: say so, once.
      const notes = analysis.required
        .filter((c) => c.bound.file.uri === uri && c.bound.ruleSet.id === bound.ruleSet.id && c.role === role)
        .map((c) => assumptionNote(state.catalog, c))
        .filter((n): n is string => !!n);
      const note = notes.length ? ` · ${notes[0]}${new Set(notes).size > 1 ? ` (+${new Set(notes).size - 1} more)` : ''}` : '';
      const title = parts.length ? `${name} · ${parts.join(' · ')}${note}` : `${name} · no required flows to check (no peer role declared)`;
      out.push({
        span: { start: ruleSet.span.start, end: ruleSet.span.start },
        title,
        command: SHOW_REQUIRED_FLOWS_COMMAND,
        arguments: [{ role, uri, ruleSetId: ruleSet.id, title: `${name} — ${ruleSet.name}` }],
      });
    }
  }
  // Stable: the "Assumed role" and "Declare" lenses stay first on their line.
  return out.map((lens, i) => ({ lens, i })).sort((a, b) => a.lens.span.start - b.lens.span.start || a.i - b.i).map((x) => x.lens);
}

/** "VDA, from the name `vda-inbound-rules`": the roles that bound and the clues that bound them. */
export function assumedRoleWords(state: WorkspaceState, bound: BoundRuleSet): string | undefined {
  const inferred = bound.inferred;
  if (!inferred) return undefined;
  const confident = inferred.guesses.filter((g) => g.confidence === 'high' && bound.roles.includes(g.role));
  if (!confident.length) return undefined;
  const names = bound.roles.map((r) => shortRoleName(state.catalog, r)).join(', ');
  return `${names}, from ${guessInWords(confident[0], true).replace(/"([^"]*)"/g, '`$1`')}`;
}
