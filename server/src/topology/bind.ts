import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedFile, RuleSet } from '../model';
import type { AddressSet } from '../net';
import { findRoleAnnotations } from './annotations';
import type { Binding, BoundInterface, BoundRuleSet, InterfaceDeclaration, MachineDeclaration, RoleAnnotation, SourceRef, Topology, TopologyProblem } from './types';
import { closest, didYouMean, roleLookup, type Vocabulary } from './vocabulary';

// picomatch ships no type declarations; this is the one call we make.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = require('picomatch') as (glob: string, options?: { dot?: boolean }) => (p: string) => boolean;

export interface BindOptions {
  /** Folder globs are relative to; defaults to the folder holding citrix-flows.yaml. */
  readonly workspaceRoot?: string;
  /** `--role vda`: binds every rule set of every given file, above anything else. */
  readonly commandLineRoles?: readonly string[];
  readonly vocabulary: Vocabulary;
  /**
   * Report bindings and interfaces that match nothing. Turn off when `files`
   * is only part of the workspace (a CLI run over one folder), or every
   * binding for the other folders would be reported.
   */
  readonly reportUnmatched?: boolean;
}

export interface BindResult {
  readonly bound: BoundRuleSet[];
  /** Rule sets nothing binds: only the checks that need no roles run on them (and the "add an annotation" fix). */
  readonly unbound: { readonly file: ParsedFile; readonly ruleSet: RuleSet }[];
  readonly annotations: ReadonlyMap<string, readonly RoleAnnotation[]>;
  /** `uri` is the file the problem is in; `<command-line>` for a bad `--role`. */
  readonly problems: { readonly uri: string; readonly problem: TopologyProblem }[];
}

export const COMMAND_LINE_URI = '<command-line>';

/**
 * Decides which roles each rule set protects. Precedence: `--role` on the
 * command line, then `citrix-role:` annotations (on the rule set, then at the
 * top of the file), then `bindings` in citrix-flows.yaml, then `interfaces`.
 * Interfaces a rule set sits on are recorded whatever decided its roles.
 */
export function bindRuleSets(files: readonly ParsedFile[], topology: Topology, options: BindOptions): BindResult {
  const problems: { uri: string; problem: TopologyProblem }[] = [];
  const topologyUri = topology.uri ?? '';
  const root = normalizeRoot(options.workspaceRoot ?? (topology.uri ? path.dirname(uriToPath(topology.uri)) : undefined));
  const commandLineRoles = resolveCommandLineRoles(options.commandLineRoles ?? [], options.vocabulary, problems, topology.machines);

  const bindings = topology.bindings.map((b) => ({ binding: b, matches: compileGlob(b.files), filesMatched: 0, ruleSetMatched: false, candidates: new Set<string>() }));
  const interfaces = topology.interfaces.map((i) => ({ decl: i, matches: i.files === undefined ? () => true : compileGlob(i.files), used: false }));
  for (const b of bindings) if (!b.matches) problems.push({ uri: topologyUri, problem: badGlob(b.binding.files, b.binding.filesSpan ?? b.binding.declaredAt.span) });

  const bound: BoundRuleSet[] = [];
  const unbound: { file: ParsedFile; ruleSet: RuleSet }[] = [];
  const annotationsByUri = new Map<string, RoleAnnotation[]>();

  for (const file of files) {
    const rel = workspaceRelative(file.uri, root);
    const found = findRoleAnnotations(file, options.vocabulary, topology.machines);
    annotationsByUri.set(file.uri, found.annotations);
    for (const problem of found.problems) problems.push({ uri: file.uri, problem });
    const fileBindings = bindings.filter((b) => b.matches?.(rel));
    for (const b of fileBindings) b.filesMatched++;

    for (const ruleSet of file.ruleSets) {
      const onInterfaces = interfacesOf(ruleSet, rel, interfaces);
      const byBinding = fileBindings.filter((b) => {
        if (b.binding.ruleSet === undefined) return true;
        for (const n of ruleSetNames(ruleSet)) b.candidates.add(n);
        return ruleSetMatches(ruleSet, b.binding.ruleSet);
      });
      for (const b of byBinding) b.ruleSetMatched = true;
      // A binding of `guards` alone places the rule set on the paths into its networks (sitePath); it binds no role.
      const withRoles = byBinding.filter((b) => b.binding.roles.length > 0);
      const common = { file, ruleSet, ...(onInterfaces.length ? { interfaces: onInterfaces } : {}) };

      const fromCommandLine = commandLineRoles.filter((r) => {
        if (r.ruleSet === undefined) return true;
        return ruleSetMatches(ruleSet, r.ruleSet);
      });
      if (fromCommandLine.length) {
        const named = fromCommandLine.every((r) => r.ruleSet !== undefined);
        bound.push({ ...common, ...oneMachine(fromCommandLine.map((r) => r.machine)), roles: unique(fromCommandLine.map((r) => r.id)), via: 'command-line', scope: named ? 'rule-set' : 'file' });
        continue;
      }
      const annotated = annotationsFor(ruleSet, found.annotations);
      if (annotated.length) {
        bound.push({
          ...common,
          ...oneMachine(annotated.flatMap((a): (string | undefined)[] => (a.machines ? [...a.machines] : [undefined]))),
          scope: annotated.some((a) => a.scope === 'file' || (a.ruleSetId === undefined && !a.ruleSetIds?.length)) ? 'file' : 'rule-set',
          roles: unique(annotated.flatMap((a) => a.roles.map((r) => r.id))),
          via: 'annotation',
          declaredAt: { uri: file.uri, span: annotated[0].comment.span },
        });
        continue;
      }
      if (withRoles.length) {
        const named = withRoles.every((b) => b.binding.ruleSet !== undefined);
        bound.push({
          ...common,
          ...oneMachine(withRoles.flatMap((b): (string | undefined)[] => (b.binding.machines ? [...b.binding.machines] : [undefined]))),
          roles: unique(withRoles.flatMap((b) => b.binding.roles)),
          via: 'binding',
          scope: named ? 'rule-set' : 'file',
          declaredAt: withRoles[0].binding.declaredAt,
        });
        continue;
      }
      if (onInterfaces.length) {
        bound.push({ ...common, roles: unique(onInterfaces.flatMap((i) => i.roles)), via: 'interface', scope: 'rule-set', declaredAt: onInterfaces[0].declaredAt });
        continue;
      }
      unbound.push({ file, ruleSet });
    }
  }

  if (options.reportUnmatched !== false) {
    for (const b of bindings) {
      if (!b.matches || b.ruleSetMatched) continue;
      // Files that hold no rule set (yet, or not parsed) are not the binding's fault.
      if (b.binding.ruleSet === undefined && b.filesMatched > 0) continue;
      problems.push({ uri: topologyUri, problem: unmatchedBinding(b.binding, b.filesMatched, [...b.candidates]) });
    }
    for (const i of interfaces) {
      if (i.used) continue;
      problems.push({
        uri: topologyUri,
        problem: {
          code: 'unmatched-binding',
          severity: 'warning',
          span: i.decl.nameSpan ?? i.decl.declaredAt.span,
          message: `Interface "${i.decl.name}" is on no rule set${i.decl.files ? ` in files matching "${i.decl.files}"` : ''}: no ACL is applied to it (access-group … interface ${i.decl.name}) and no FORWARD rule names it with -i/-o`,
        },
      });
    }
  }
  return { bound, unbound, annotations: annotationsByUri, problems };
}

function annotationsFor(ruleSet: RuleSet, annotations: readonly RoleAnnotation[]): RoleAnnotation[] {
  const own = annotations.filter((a) => a.scope !== 'file' && (a.ruleSetIds ?? (a.ruleSetId ? [a.ruleSetId] : [])).includes(ruleSet.id));
  return own.length ? own : annotations.filter((a) => a.scope === 'file' || (a.ruleSetId === undefined && !a.ruleSetIds?.length));
}

/**
 * The machine a rule set is bound to, when its declarations name exactly one
 * (and only through it): then the rule set is that host's own firewall.
 */
function oneMachine(named: readonly (string | undefined)[]): { machine?: string } {
  const names = unique(named.map((n) => n ?? ''));
  return names.length === 1 && names[0] !== '' ? { machine: names[0] } : {};
}

interface CommandLineRole {
  readonly id: string;
  /** The machine of citrix-flows.yaml `--role` named, when it named one. */
  readonly machine?: string;
  /** `--role vda=aws_security_group.vda`: only the rule sets this names (id, name, last segment, or a glob). */
  readonly ruleSet?: string;
}

function resolveCommandLineRoles(
  given: readonly string[],
  vocabulary: Vocabulary,
  problems: { uri: string; problem: TopologyProblem }[],
  machines: ReadonlyMap<string, MachineDeclaration> | undefined,
): CommandLineRole[] {
  const lookup = roleLookup(vocabulary);
  const out: CommandLineRole[] = [];
  for (const item of given) {
    const eq = item.indexOf('=');
    const text = eq > 0 ? item.slice(0, eq) : item;
    const ruleSet = eq > 0 ? item.slice(eq + 1) : undefined;
    const machine = machines?.get(text);
    const ids = machine ? machine.roles : lookup.resolve(text) ? [lookup.resolve(text)!.id] : [];
    if (ids.length) {
      for (const id of ids) if (!out.some((r) => r.id === id && r.ruleSet === ruleSet)) out.push({ id, ...(ruleSet ? { ruleSet } : {}), ...(machine ? { machine: machine.name } : {}) });
      continue;
    }
    const suggestion = lookup.suggest(text);
    problems.push({
      uri: COMMAND_LINE_URI,
      problem: { code: 'unknown-role', severity: 'error', span: { start: 0, end: 0 }, message: `Unknown role "${text}" given with --role${didYouMean(suggestion)}`, ...(suggestion ? { suggestion } : {}) },
    });
  }
  return out;
}

/** Names a binding's `ruleSet:` may use: the id, the name, and the id's last segment (`azurerm_network_security_group.vda` → `vda`). */
export function ruleSetNames(ruleSet: RuleSet): string[] {
  const names = [ruleSet.id, ruleSet.name];
  const segments = ruleSet.id.split(/[./:]/);
  names.push(segments[segments.length - 1]);
  return unique(names.filter((n) => n !== ''));
}

/** A rule set that `guards:` in citrix-flows.yaml places in front of some networks. */
export interface GuardingRuleSet {
  readonly file: ParsedFile;
  readonly ruleSet: RuleSet;
  readonly guards?: AddressSet;
  readonly between?: readonly [AddressSet, AddressSet];
  readonly declaredAt: SourceRef;
}

/** The rule sets each binding with `guards:` or `between:` matches, by the same file glob and rule-set name as a role binding. */
export function guardingRuleSets(files: readonly ParsedFile[], topology: Topology, workspaceRoot: string | undefined): GuardingRuleSet[] {
  const bindings = topology.bindings.filter((b) => b.guards || b.between);
  if (bindings.length === 0) return [];
  const root = normalizeRoot(workspaceRoot ?? (topology.uri ? path.dirname(uriToPath(topology.uri)) : undefined));
  const globs = bindings.map((b) => ({ binding: b, matches: compileGlob(b.files) }));
  const out: GuardingRuleSet[] = [];
  for (const file of files) {
    const rel = workspaceRelative(file.uri, root);
    for (const { binding, matches } of globs) {
      if (!matches?.(rel)) continue;
      for (const ruleSet of file.ruleSets) {
        if (binding.ruleSet !== undefined && !ruleSetMatches(ruleSet, binding.ruleSet)) continue;
        out.push({ file, ruleSet, ...(binding.guards ? { guards: binding.guards } : {}), ...(binding.between ? { between: binding.between } : {}), declaredAt: binding.declaredAt });
      }
    }
  }
  return out;
}

export function ruleSetMatches(ruleSet: RuleSet, wanted: string): boolean {
  const names = ruleSetNames(ruleSet);
  if (names.includes(wanted)) return true;
  if (!/[*?[\]{}]/.test(wanted)) return false;
  const glob = compileGlob(wanted);
  return glob !== undefined && names.some((n) => glob(n));
}

/** Interfaces from citrix-flows.yaml this rule set is applied to or whose rules name them. */
function interfacesOf(
  ruleSet: RuleSet,
  rel: string,
  interfaces: { decl: InterfaceDeclaration; matches: ((p: string) => boolean) | undefined; used: boolean }[],
): BoundInterface[] {
  if (interfaces.length === 0) return [];
  const named: { name: string; direction?: 'in' | 'out' }[] = [];
  for (const a of ruleSet.appliesTo ?? []) {
    // ASA writes `in:outside` / `out:inside` (access-group … in|out interface …).
    const colon = a.indexOf(':');
    const dir = colon > 0 ? a.slice(0, colon) : '';
    if (dir === 'in' || dir === 'out') named.push({ name: a.slice(colon + 1), direction: dir });
    else if (a !== 'global') named.push({ name: a });
  }
  if (ruleSet.directions.includes('forward')) {
    const rules = [...ruleSet.rules, ...Object.values(ruleSet.chains ?? {}).flat()];
    for (const rule of rules) {
      for (const c of rule.conditions) {
        if (c.kind !== 'interface-in' && c.kind !== 'interface-out') continue;
        const name = interfaceNameIn(c.text);
        if (name) named.push({ name, direction: c.kind === 'interface-in' ? 'in' : 'out' });
      }
    }
  }
  const out: BoundInterface[] = [];
  for (const n of named) {
    for (const i of interfaces) {
      if (i.decl.name.toLowerCase() !== n.name.toLowerCase() || !i.matches?.(rel)) continue;
      if (out.some((o) => o.name === i.decl.name && o.direction === n.direction)) continue;
      i.used = true;
      out.push({ name: i.decl.name, ...(n.direction ? { direction: n.direction } : {}), roles: i.decl.roles, declaredAt: i.decl.declaredAt });
    }
  }
  return out;
}

/** `-i eth0`, `--in-interface eth0`, `iifname "eth0"` → `eth0`; negated matches name no side. */
function interfaceNameIn(text: string): string | undefined {
  if (text.includes('!')) return undefined;
  const words = text.trim().split(/\s+/);
  const last = words[words.length - 1]?.replace(/^["']|["']$/g, '');
  return last && !last.startsWith('-') ? last : undefined;
}

function unmatchedBinding(b: Binding, filesMatched: number, candidates: string[]): TopologyProblem {
  if (filesMatched === 0) {
    return {
      code: 'unmatched-binding',
      severity: 'warning',
      span: b.filesSpan ?? b.declaredAt.span,
      message: `Binding for ${b.roles.join(', ')} matches no file: "${b.files}" is a glob over paths relative to the workspace root, such as "terraform/**/*.tf"`,
    };
  }
  const suggestion = b.ruleSet === undefined ? undefined : closest(b.ruleSet, candidates);
  const known = candidates.slice(0, 8).map((c) => `"${c}"`).join(', ');
  return {
    code: 'unmatched-binding',
    severity: 'warning',
    span: b.ruleSetSpan ?? b.declaredAt.span,
    message:
      `Binding for ${b.roles.join(', ')} matches ${filesMatched} file${filesMatched === 1 ? '' : 's'} but no rule set named "${b.ruleSet}" in them` +
      (suggestion ? `; did you mean "${suggestion}"?` : known ? ` (rule sets there: ${known}${candidates.length > 8 ? ', …' : ''})` : ' (they hold no rule sets)'),
    ...(suggestion ? { suggestion } : {}),
  };
}

function badGlob(glob: string, span: SourceRef['span']): TopologyProblem {
  return { code: 'schema', severity: 'error', span, message: `"${glob}" is not a valid glob` };
}

function compileGlob(glob: string): ((p: string) => boolean) | undefined {
  try {
    const g = glob.replace(/\\/g, '/').replace(/^\.\//, '');
    const matches = picomatch(g, { dot: true });
    if (g.includes('/')) return matches;
    // A glob without a slash matches the file name in any folder, as in
    // .gitignore (picomatch's own `basename` option misreads slashed globs).
    return (p) => matches(p.slice(p.lastIndexOf('/') + 1));
  } catch {
    return undefined;
  }
}

export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return decodeURIComponent(uri.replace(/^file:\/\//, ''));
    }
  }
  return uri;
}

function normalizeRoot(root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  const p = uriToPath(root).replace(/\\/g, '/');
  return p.endsWith('/') && p.length > 1 ? p.slice(0, -1) : p;
}

/** Forward-slash path relative to the root; the path itself when it lies outside or there is no root. */
export function workspaceRelative(uri: string, root: string | undefined): string {
  const p = uriToPath(uri).replace(/\\/g, '/');
  if (root !== undefined) {
    if (p.startsWith(`${root}/`)) return p.slice(root.length + 1);
    if (root === '/' && p.startsWith('/')) return p.slice(1);
    // Windows drive letters differ in case between VS Code and Node.
    if (p.toLowerCase().startsWith(`${root.toLowerCase()}/`)) return p.slice(root.length + 1);
  }
  return p.replace(/^\.\//, '');
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
