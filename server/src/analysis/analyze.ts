import * as path from 'node:path';
import { loadCatalog, type Catalog } from '../catalog';
import { parseAs, detectFormat } from '../formats';
import type { ParsedFile, ParseOptions, Span } from '../model';
import {
  bindRuleSets,
  emptyTopology,
  ruleSetNames,
  parseTopology,
  vocabularyFromCatalog,
  type BindOptions,
  type BindResult,
  type BoundRuleSet,
  type CheckSeverity,
  type RoleAnnotation,
  type Topology,
  type TopologyProblem,
  type Vocabulary,
  inferSite,
  inferredFeaturesFor,
  type SiteInference,
  guardingRuleSets,
  type GuardingRuleSet,
} from '../topology';
import { withAssumptions } from './assumptions';
import { withExportHints } from './exportHints';
import { CHECKS, allCheckIds, checkById, type CheckDefinition } from './checks';
import type { AnalysisContext } from './context';
import type { Finding, Severity, SuppressedFinding } from './findings';
import { evaluateRequiredFlows, type RequiredFlowCheck } from './required';
import { applySuppressions, findSuppressions } from './suppressions';
import { linkTerraformModules } from './link';
import { evaluatePathFlows, type PathReuse } from './pathFlows';
import type { SiteRuleSets } from './sitePath';

export interface SourceFile {
  readonly uri: string;
  readonly text: string;
  readonly languageId?: string;
}

export interface AnalyzeOptions {
  readonly workspaceRoot?: string;
  /** `--role`: binds every rule set of the analysed files to these roles. */
  readonly commandLineRoles?: readonly string[];
  /** Settings from the editor, over citrix-flows.yaml's `checks`. */
  readonly severities?: Readonly<Record<string, CheckSeverity>>;
  /** False when only part of the workspace is analysed, so bindings for other folders are not "unmatched". */
  readonly reportUnmatchedBindings?: boolean;
  /** The checks to run instead of CHECKS (tests register a failing check here). */
  readonly checks?: readonly CheckDefinition[];
  /** Results of the previous analysis of the same workspace, reused where nothing they depend on changed. */
  readonly cache?: AnalysisCache;
  /**
   * Infer the roles of rule sets nothing declares, and the peers every site
   * has (default true; `--no-infer` and the `citrixFlowLint.infer` setting turn it off).
   */
  readonly infer?: boolean;
}

export interface WorkspaceAnalysis {
  readonly files: readonly ParsedFile[];
  readonly topology: Topology;
  readonly binding: BindResult;
  readonly required: readonly RequiredFlowCheck[];
  readonly findings: readonly Finding[];
  /**
   * `findings` by file, each list sorted by place. A file whose findings did
   * not change since the analysis before (with the same cache) keeps the same
   * list object, so publishing can skip it.
   */
  readonly findingsByUri?: ReadonlyMap<string, readonly Finding[]>;
  readonly suppressedCount: number;
  /** The findings suppression comments silenced, at their configured severity (checks that are off are not here). */
  readonly suppressed: readonly SuppressedFinding[];
  /** What was inferred (absent with inference off): roles that bound, hints, assumed peers. */
  readonly inference?: SiteInference;
  /** Rule sets `guards:` in citrix-flows.yaml places in front of networks, for the paths between roles. */
  readonly guarding: readonly GuardingRuleSet[];
}

let vocabularyCache: Vocabulary | undefined;
export function vocabulary(): Vocabulary {
  vocabularyCache ??= vocabularyFromCatalog(loadCatalog(), allCheckIds());
  return vocabularyCache;
}

export function readTopology(text: string | undefined, uri: string | undefined): Topology {
  if (text === undefined || uri === undefined) return emptyTopology();
  return parseTopology(text, uri, vocabulary());
}

/**
 * The topology of a citrix-flows.yaml that could not be read (too large for the file gate, a FIFO, a
 * link out of the workspace): no role is declared, and a problem on the file says why, so the user
 * does not see every rule set turn unbound without a reason.
 */
export function unreadTopology(uri: string, why: string): Topology {
  return {
    ...emptyTopology(uri),
    problems: [{ code: 'limit', severity: 'error', span: { start: 0, end: 0 }, message: `citrix-flows.yaml is not read (${why}), so no role is declared` }],
  };
}

/** Parses one file if it is a format we read; undefined for anything else. */
export function parseSource(file: SourceFile, options?: ParseOptions): ParsedFile | undefined {
  const format = detectFormat(file.uri, file.text, file.languageId);
  if (!format) return undefined;
  return parseAs(format, file.text, file.uri, options);
}

function severityFor(id: string, topology: Topology, options: AnalyzeOptions): Severity | 'off' {
  const configured = options.severities?.[id] ?? topology.checks.get(id);
  if (configured) return configured;
  return checkById(id)?.defaultSeverity ?? 'warning';
}

function problemFinding(uri: string, problem: TopologyProblem): Omit<Finding, 'severity'> & { severity: Severity } {
  const checkId = problem.code === 'unknown-role' ? 'unknown-role' : 'invalid-declaration';
  return {
    checkId,
    severity: problem.severity,
    uri,
    span: problem.span,
    message: problem.suggestion && !problem.message.includes(problem.suggestion) ? `${problem.message} Did you mean "${problem.suggestion}"?` : problem.message,
    data: problem.suggestion ? { suggestion: problem.suggestion, problem: problem.code } : { problem: problem.code },
  };
}

/**
 * The whole engine on already-parsed files: bind rule sets to roles, evaluate
 * the required flows once, run every check, apply suppressions and severities.
 *
 * With `options.cache`, every step is kept per file and reused while its
 * inputs are the same objects (a parse cache hands back the same ParsedFile
 * for an unchanged document; the same Topology for an unchanged
 * citrix-flows.yaml), so after an edit only the edited file is bound,
 * evaluated and checked again. Without one, the same steps run on a fresh
 * cache: one code path, so what the tests see is what the server does.
 */
export function analyzeParsed(parsedFiles: readonly ParsedFile[], topology: Topology, options: AnalyzeOptions = {}, catalog: Catalog = loadCatalog()): WorkspaceAnalysis {
  const cache = options.cache ?? new AnalysisCache();
  const files = cache.link(parsedFiles);
  const declared = cache.bind(files, topology, {
    workspaceRoot: options.workspaceRoot,
    commandLineRoles: options.commandLineRoles,
    vocabulary: vocabulary(),
    reportUnmatched: options.reportUnmatchedBindings ?? true,
  });
  const inference = options.infer === false || options.commandLineRoles?.length ? undefined : inferSite(files, { catalog, declared: declared.bound, topology });
  const binding = inference ? cache.withInferred(files, declared, inference) : declared;
  // Features the rules say are on (an ADC admitting the HA ports) count as declared, with the assumption shown;
  // so do peer addresses read from names (a variable `delivery_controller_ips`).
  const site = withInferredFeatures(topology, inference);
  const boundRoles = new Set<string>();
  for (const b of binding.bound) for (const r of b.roles) boundRoles.add(r);
  const assumed = inference?.peers ?? [];
  const inferredAddresses = (inference?.addresses ?? []).map((a) => `inferred:${a.role}@${a.folder}=${a.addresses.toString()}`);
  const rolesKey = [...new Set([...topology.roles.keys(), ...boundRoles, ...assumed.map((a) => `assumed:${a.role}`), ...inferredAddresses])].sort().join(',');
  const sites = files.map((file) => withInferredFeatures(withInferredAddresses(topology, inference, file.uri), inference, file.uri));
  const perFile = files.map((file, i) => cache.required(file, binding.perFile[i], sites[i], catalog, boundRoles, rolesKey, assumed));
  const guarding = guardingRuleSets(files, topology, options.workspaceRoot);
  // Rule sets between two declared roles that protect neither (an ASA, a router, an unbound subnet NSG) are judged as hops of the path.
  const onPaths = cache.pathFlows({ files, bound: binding.bound, guarding, topology: site }, catalog);
  const required = [...perFile.flatMap((p) => p.required), ...onPaths];
  const context: AnalysisContext = { files, bound: binding.bound, topology: site, catalog, required };

  const raw: RawFinding[] = [];
  if (topology.uri) for (const p of topology.problems) raw.push(problemFinding(topology.uri, p));
  for (const { uri, problem } of binding.problems) raw.push(problemFinding(uri, problem));
  const where = files[0]?.uri ?? topology.uri ?? '<workspace>';
  for (const check of options.checks ?? CHECKS) {
    if (check.scope === 'file') {
      const part: RawFinding[] = [];
      let failure: unknown;
      let failed = false;
      files.forEach((file, i) => {
        const r = cache.checkFile(check, file, perFile[i], rolesKey, sites[i], catalog, () => ({ files: [file], bound: perFile[i].bound, topology: sites[i], catalog, required: perFile[i].required, allFiles: files, boundRoles }));
        if ('error' in r) {
          if (!failed) failure = r.error;
          failed = true;
        } else if (!failed) for (const f of r.findings) part.push(f);
      });
      // As when the check runs once over the workspace: one failure loses all its findings, reported once.
      if (failed) raw.push(internalError(check, failure, where));
      else for (const f of part) raw.push(f);
      continue;
    }
    try {
      raw.push(...cache.stable(check.id, check.run(context)));
    } catch (error) {
      raw.push(internalError(check, error, where));
    }
  }

  const byUri = new Map<string, RawFinding[]>();
  const filesByUri = new Map(files.map((f) => [f.uri, f]));
  for (const f of withExportHints(withAssumptions(raw, binding.bound, inference, catalog), filesByUri)) {
    const list = byUri.get(f.uri);
    if (list) list.push(f);
    else byUri.set(f.uri, [f]);
  }
  const severities = severityKey(topology, options);
  const findingsByUri = new Map<string, readonly Finding[]>();
  let suppressedCount = 0;
  const suppressed: SuppressedFinding[] = [];
  for (const [uri, list] of byUri) {
    const file = filesByUri.get(uri);
    if (!file) {
      const out = list.flatMap((f) => withSeverity(f, topology, options) ?? []);
      if (out.length) findingsByUri.set(uri, out.sort(byPlace));
      continue;
    }
    const done = cache.settle(file, list, topology, options, severities);
    suppressedCount += done.suppressed;
    for (const x of done.suppressedFindings) suppressed.push(x);
    if (done.findings.length) findingsByUri.set(uri, done.findings);
  }
  // Suppressions in files with no finding at all are unused too.
  for (const file of files) {
    if (byUri.has(file.uri)) continue;
    const done = cache.settle(file, [], topology, options, severities);
    if (done.findings.length) findingsByUri.set(file.uri, done.findings);
  }
  cache.endRun();
  // Each file's list is sorted by place, so putting the files in order sorts the whole list as one sort would.
  const uris = [...findingsByUri.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sorted = new Map<string, readonly Finding[]>();
  const findings: Finding[] = [];
  for (const uri of uris) {
    const list = findingsByUri.get(uri) as readonly Finding[];
    sorted.set(uri, list);
    for (const f of list) findings.push(f);
  }
  const { perFile: _perFile, ...bindResult } = binding;
  return { files, topology: site, binding: bindResult, required, findings, findingsByUri: sorted, suppressedCount, suppressed, guarding, ...(inference ? { inference } : {}) };
}

type RawFinding = Omit<Finding, 'severity'> & { severity?: Severity };

function internalError(check: CheckDefinition, error: unknown, uri: string): RawFinding {
  return {
    checkId: 'internal-error',
    uri,
    span: { start: 0, end: 0 },
    message: `The check "${check.id}" failed, so its findings are missing: ${(error as Error)?.stack ?? error}`,
    data: { check: check.id },
  };
}

/** What `withSeverity` reads besides the finding: a settled file is reused only while this is unchanged. */
function severityKey(topology: Topology, options: AnalyzeOptions): string {
  return JSON.stringify([options.severities ?? {}, [...topology.checks]]);
}

/** One file's share of the binding. */
interface FileBinding {
  readonly topology: Topology;
  readonly env: string;
  readonly bound: BoundRuleSet[];
  readonly unbound: BindResult['unbound'];
  readonly annotations: readonly RoleAnnotation[];
  readonly problems: BindResult['problems'];
}

interface FileRequired {
  readonly bound: readonly BoundRuleSet[];
  readonly required: readonly RequiredFlowCheck[];
}

type CheckOutcome = { readonly findings: readonly RawFinding[] } | { readonly error: unknown };

interface FileChecks {
  readonly required: FileRequired;
  readonly topology: Topology;
  readonly catalog: Catalog;
  readonly rolesKey: string;
  readonly byCheck: Map<CheckDefinition, CheckOutcome>;
}

interface Settled {
  readonly file: ParsedFile;
  readonly raw: readonly RawFinding[];
  readonly topology: Topology;
  readonly severities: string;
  readonly findings: readonly Finding[];
  readonly suppressed: number;
  readonly suppressedFindings: readonly SuppressedFinding[];
}

const NO_REQUIRED: readonly RequiredFlowCheck[] = [];

/**
 * What one analysis of a workspace leaves for the next: per file (keyed by
 * the ParsedFile object) its binding, required flows, check findings and
 * settled findings; per Terraform folder its linking. Entries whose inputs
 * changed are recomputed; entries of files that are gone are dropped.
 */
export class AnalysisCache {
  private readonly links = new Map<string, { inputs: readonly ParsedFile[]; outputs: readonly ParsedFile[] }>();
  private readonly bindings = new WeakMap<ParsedFile, FileBinding>();
  private readonly inferredBindings = new WeakMap<FileBinding, { key: string; binding: FileBinding }>();
  private prelude: { topology: Topology; env: string; problems: BindResult['problems'] } | undefined;
  private unmatched: { topology: Topology; env: string; key: string; problems: BindResult['problems'] } | undefined;
  private readonly requiredByFile = new WeakMap<ParsedFile, FileRequired & { topology: Topology; catalog: Catalog; rolesKey: string }>();
  private readonly checks = new WeakMap<ParsedFile, FileChecks>();
  private settled = new Map<string, Settled>();
  private settledNext = new Map<string, Settled>();
  private readonly workspaceFindings = new Map<string, Map<string, RawFinding>>();
  private paths: { topology: Topology; catalog: Catalog; reuse: PathReuse } | undefined;

  /** linkTerraformModules folder by folder, reusing a folder's result while its files are the same objects. */
  link(files: readonly ParsedFile[]): ParsedFile[] {
    const folders = new Map<string, ParsedFile[]>();
    for (const file of files) {
      if (file.format !== 'terraform') continue;
      const dir = path.posix.dirname(file.uri);
      const list = folders.get(dir);
      if (list) list.push(file);
      else folders.set(dir, [file]);
    }
    const replaced = new Map<ParsedFile, ParsedFile>();
    const links = new Map<string, { inputs: readonly ParsedFile[]; outputs: readonly ParsedFile[] }>();
    for (const [dir, inputs] of folders) {
      // Only folders where linking changes something: rules declared elsewhere, or subnets and associations in other files.
      if (!inputs.some((f) => f.ruleSets.some((rs) => rs.meta?.declared === 'elsewhere')) && !(inputs.length > 1 && inputs.some((f) => f.moduleNetworks?.associations.length))) continue;
      const hit = this.links.get(dir);
      const entry = hit && sameItems(hit.inputs, inputs) ? hit : { inputs, outputs: linkTerraformModules(inputs) };
      links.set(dir, entry);
      entry.inputs.forEach((f, i) => replaced.set(f, entry.outputs[i]));
    }
    this.links.clear();
    for (const [dir, entry] of links) this.links.set(dir, entry);
    return files.map((f) => replaced.get(f) ?? f);
  }

  /**
   * bindRuleSets, file by file: binding one file reads only that file, the
   * topology and the options, so only new files are bound again. The
   * bindings that match nothing need every file; they are worked out again
   * only when a file's rule set names (or the files themselves) change.
   */
  bind(files: readonly ParsedFile[], topology: Topology, options: BindOptions): BindResult & { readonly perFile: readonly FileBinding[] } {
    const env = JSON.stringify([options.workspaceRoot ?? null, options.commandLineRoles ?? []]);
    const reportUnmatched = options.reportUnmatched !== false;
    const uris = new Set(files.map((f) => f.uri));
    if (uris.size !== files.length) {
      // Two files with one uri cannot be told apart by the problems' uri: bind them all at once, uncached.
      const all = bindRuleSets(files, topology, options);
      const perFile = files.map((file) => ({ topology, env, bound: all.bound.filter((b) => b.file === file), unbound: all.unbound.filter((u) => u.file === file), annotations: all.annotations.get(file.uri) ?? [], problems: [] }));
      return { ...all, perFile };
    }
    const perFile: (FileBinding | undefined)[] = files.map((file) => {
      const hit = this.bindings.get(file);
      return hit && hit.topology === topology && hit.env === env ? hit : undefined;
    });
    const stale = files.filter((_, i) => !perFile[i]);
    if (!this.prelude || this.prelude.topology !== topology || this.prelude.env !== env) {
      // What bindRuleSets reports before any file: a bad --role, a bad glob.
      this.prelude = { topology, env, problems: bindRuleSets([], topology, { ...options, reportUnmatched: false }).problems };
    }
    const prelude = this.prelude.problems;
    const needUnmatched = reportUnmatched && (topology.bindings.length > 0 || topology.interfaces.length > 0);
    const unmatchedKey = needUnmatched ? files.map(bindingShape).join('\u0001') : '';
    const unmatchedFresh = !needUnmatched || (this.unmatched?.topology === topology && this.unmatched.env === env && this.unmatched.key === unmatchedKey);
    let unmatched: BindResult['problems'] = unmatchedFresh && needUnmatched ? (this.unmatched as { problems: BindResult['problems'] }).problems : [];
    if (stale.length || !unmatchedFresh) {
      const batch = unmatchedFresh ? stale : files;
      const result = bindRuleSets(batch, topology, { ...options, reportUnmatched: unmatchedFresh ? false : reportUnmatched });
      const boundOf = new Map<ParsedFile, BoundRuleSet[]>();
      for (const b of result.bound) boundOf.set(b.file, [...(boundOf.get(b.file) ?? []), b]);
      const unboundOf = new Map<ParsedFile, BindResult['unbound'][number][]>();
      for (const u of result.unbound) unboundOf.set(u.file, [...(unboundOf.get(u.file) ?? []), u]);
      const problemsOf = new Map<string, BindResult['problems'][number][]>();
      let fileProblems = 0;
      for (const p of result.problems) {
        if (!uris.has(p.uri)) continue;
        fileProblems++;
        problemsOf.set(p.uri, [...(problemsOf.get(p.uri) ?? []), p]);
      }
      const indexOf = new Map(files.map((f, i) => [f, i]));
      for (const file of batch) {
        const i = indexOf.get(file) as number;
        const hit = perFile[i];
        // A file bound again only to find the bindings that match nothing keeps its own (equal) binding objects.
        if (hit) continue;
        const entry: FileBinding = {
          topology,
          env,
          bound: boundOf.get(file) ?? [],
          unbound: unboundOf.get(file) ?? [],
          annotations: result.annotations.get(file.uri) ?? [],
          problems: problemsOf.get(file.uri) ?? [],
        };
        this.bindings.set(file, entry);
        perFile[i] = entry;
      }
      if (!unmatchedFresh) {
        unmatched = result.problems.slice(prelude.length + fileProblems);
        this.unmatched = { topology, env, key: unmatchedKey, problems: unmatched };
      }
    }
    const done = perFile as FileBinding[];
    const annotations = new Map<string, readonly RoleAnnotation[]>();
    for (let i = 0; i < files.length; i++) annotations.set(files[i].uri, done[i].annotations);
    return {
      bound: done.flatMap((b) => b.bound),
      unbound: done.flatMap((b) => b.unbound),
      annotations,
      problems: [...prelude, ...done.flatMap((b) => b.problems), ...unmatched],
      perFile: done,
    };
  }

  /** The required flows of one file's bound rule sets, evaluated again only when they, the topology or the roles present change. */
  required(file: ParsedFile, binding: FileBinding, topology: Topology, catalog: Catalog, boundRoles: ReadonlySet<string>, rolesKey: string, assumed: SiteInference['peers'] = []): FileRequired {
    const hit = this.requiredByFile.get(file);
    if (hit && hit.bound === binding.bound && (binding.bound.length === 0 || (hit.topology === topology && hit.catalog === catalog && hit.rolesKey === rolesKey))) return hit;
    const required = binding.bound.length ? evaluateRequiredFlows(binding.bound, topology, catalog, boundRoles, assumed) : NO_REQUIRED;
    const entry = { bound: binding.bound, required, topology, catalog, rolesKey };
    this.requiredByFile.set(file, entry);
    return entry;
  }

  /**
   * The declared binding with the inferred roles of rule sets nothing
   * declares added. A file's share is made again only when what was
   * inferred for it changes, so its required flows and checks stay cached.
   */
  withInferred(files: readonly ParsedFile[], declared: BindResult & { readonly perFile: readonly FileBinding[] }, site: SiteInference): BindResult & { readonly perFile: readonly FileBinding[] } {
    if (!site.bindings.length) return declared;
    const byUri = new Map<string, SiteInference['bindings'][number][]>();
    for (const b of site.bindings) byUri.set(b.uri, [...(byUri.get(b.uri) ?? []), b]);
    const perFile = files.map((file, i) => {
      const own = declared.perFile[i];
      const inferred = byUri.get(file.uri);
      if (!inferred) return own;
      const key = JSON.stringify(inferred.map((b) => [b.ruleSetId, b.roles, b.scope, b.guesses.map((g) => [g.role, g.score, g.evidence.length])]));
      const hit = this.inferredBindings.get(own);
      if (hit && hit.key === key) return hit.binding;
      const add: BoundRuleSet[] = [];
      const taken = new Set<string>();
      for (const b of inferred) {
        const ruleSet = file.ruleSets.find((rs) => rs.id === b.ruleSetId);
        if (!ruleSet) continue;
        taken.add(ruleSet.id);
        add.push({ file, ruleSet, roles: b.roles, via: 'inferred', scope: b.scope, inferred: b, ...(ruleSet.nameSpan || ruleSet.span ? { declaredAt: { uri: file.uri, span: ruleSet.nameSpan ?? ruleSet.span } } : {}) });
      }
      const binding: FileBinding = { ...own, bound: [...own.bound, ...add], unbound: own.unbound.filter((u) => !taken.has(u.ruleSet.id)) };
      this.inferredBindings.set(own, { key, binding });
      return binding;
    });
    return {
      bound: perFile.flatMap((b) => b.bound),
      unbound: perFile.flatMap((b) => b.unbound),
      annotations: declared.annotations,
      problems: declared.problems,
      perFile,
    };
  }

  /** One file-scoped check on one file, run again only when the file's required flows, the topology or the roles present change. */
  checkFile(check: CheckDefinition, file: ParsedFile, required: FileRequired, rolesKey: string, topology: Topology, catalog: Catalog, context: () => AnalysisContext): CheckOutcome {
    let entry = this.checks.get(file);
    if (!entry || entry.required !== required || entry.topology !== topology || entry.catalog !== catalog || entry.rolesKey !== rolesKey) {
      entry = { required, topology, catalog, rolesKey, byCheck: new Map() };
      this.checks.set(file, entry);
    }
    let outcome = entry.byCheck.get(check);
    if (!outcome) {
      try {
        outcome = { findings: check.run(context()) };
      } catch (error) {
        outcome = { error };
      }
      entry.byCheck.set(check, outcome);
    }
    return outcome;
  }

  /** A file's findings with suppressions and severities applied, sorted by place; reused while the raw findings are the same objects. */
  settle(file: ParsedFile, raw: readonly RawFinding[], topology: Topology, options: AnalyzeOptions, severities: string): Settled {
    const hit = this.settled.get(file.uri);
    if (hit && hit.file === file && hit.topology === topology && hit.severities === severities && sameItems(hit.raw, raw)) {
      this.settledNext.set(file.uri, hit);
      return hit;
    }
    const knownIds = allCheckIds();
    const { kept, suppressed, unused } = applySuppressions(raw, findSuppressions(file, knownIds));
    const out: Finding[] = [];
    for (const f of kept) {
      const s = withSeverity(f, topology, options);
      if (s) out.push(s);
    }
    for (const u of unused) {
      const s = withSeverity(
        { checkId: 'unused-suppression', uri: file.uri, span: u.checkId.span, message: `This suppression of ${u.checkId.id} suppresses nothing.`, data: { checkId: u.checkId.id, comment: u.suppression.comment.span, directive: u.suppression.directiveSpan, ids: u.suppression.checkIds.filter((c) => !unused.some((o) => o.suppression === u.suppression && o.checkId.id === c.id)).length + 1 } },
        topology,
        options,
      );
      if (s) out.push(s);
    }
    const suppressedFindings: SuppressedFinding[] = [];
    for (const { finding, by } of suppressed) {
      const s = withSeverity(finding, topology, options);
      if (s) suppressedFindings.push({ finding: s, kind: by.kind, ...(by.reason ? { justification: by.reason } : {}) });
    }
    const entry: Settled = { file, raw, topology, severities, findings: out.sort(byPlace), suppressed: suppressed.length, suppressedFindings };
    this.settledNext.set(file.uri, entry);
    return entry;
  }

  /** Forgets the settled findings of files this run did not see. */
  /**
   * A workspace check's findings made again each run, handed back as last
   * run's objects where they are equal, so a file whose findings did not
   * change keeps its settled list (and is not published again).
   */
  stable(checkId: string, findings: readonly RawFinding[]): RawFinding[] {
    const before = this.workspaceFindings.get(checkId);
    const now = new Map<string, RawFinding>();
    const out = findings.map((f) => {
      const key = JSON.stringify(f);
      const same = before?.get(key) ?? now.get(key) ?? f;
      now.set(key, same);
      return same;
    });
    this.workspaceFindings.set(checkId, now);
    return out;
  }

  /**
   * The path flows of the site. They cross files, so every analysis places
   * them again; a flow whose hops are in the same (unchanged) files, placed
   * the same way, under the same topology, keeps its previous checks.
   */
  pathFlows(site: SiteRuleSets, catalog: Catalog): RequiredFlowCheck[] {
    const previous = this.paths && this.paths.topology === site.topology && this.paths.catalog === catalog ? this.paths.reuse : undefined;
    const { checks, reuse } = evaluatePathFlows(site, catalog, previous);
    this.paths = { topology: site.topology, catalog, reuse };
    return checks;
  }

  endRun(): void {
    this.settled = this.settledNext;
    this.settledNext = new Map();
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const shapes = new WeakMap<ParsedFile, string>();
/** What of a file decides whether a binding or interface in citrix-flows.yaml matches anything: its path, rule set names and interfaces. */
function bindingShape(file: ParsedFile): string {
  let shape = shapes.get(file);
  if (shape === undefined) {
    const parts: unknown[] = [file.uri];
    for (const rs of file.ruleSets) {
      const interfaces: string[] = [];
      if (rs.directions.includes('forward')) {
        for (const list of [rs.rules, ...Object.values(rs.chains ?? {})]) {
          for (const rule of list) for (const c of rule.conditions) if (c.kind === 'interface-in' || c.kind === 'interface-out') interfaces.push(`${c.kind}:${c.text}`);
        }
      }
      parts.push([ruleSetNames(rs), rs.appliesTo ?? [], interfaces]);
    }
    shape = JSON.stringify(parts);
    shapes.set(file, shape);
  }
  return shape;
}

const withFeaturesMemo = new WeakMap<Topology, Map<string, Topology>>();
const withAddressesMemo = new WeakMap<Topology, WeakMap<SiteInference, Map<string, Topology>>>();

/**
 * The topology for one file with the peer addresses inference read from names
 * in its folder: as roles declared at the name that says so, or, for a role a
 * rule set here protects, as `peerAddresses` only. The same object for the
 * same folder and inference, so caches keyed by topology still hit.
 */
function withInferredAddresses(topology: Topology, inference: SiteInference | undefined, uri: string): Topology {
  const folder = uri.slice(0, uri.lastIndexOf('/') + 1);
  const here = inference?.addresses?.filter((a) => a.folder === folder && !topology.roles.has(a.role)) ?? [];
  if (!inference || !here.length) return topology;
  const peers = here.filter((a) => a.peerOnly);
  let byInference = withAddressesMemo.get(topology);
  if (!byInference) withAddressesMemo.set(topology, (byInference = new WeakMap()));
  let byFolder = byInference.get(inference);
  if (!byFolder) byInference.set(inference, (byFolder = new Map()));
  const hit = byFolder.get(folder);
  if (hit) return hit;
  const roles = new Map(topology.roles);
  for (const a of here) {
    if (a.peerOnly) continue;
    const first = a.evidence[0];
    roles.set(a.role, { id: a.role, addresses: a.addresses, addressEntries: [], declaredAt: { uri: first.uri, span: first.span } });
  }
  const site: Topology = { ...topology, roles, ...(peers.length ? { peerAddresses: new Map(peers.map((a) => [a.role, a.addresses])) } : {}) };
  byFolder.set(folder, site);
  return site;
}

/**
 * The topology with the inferred features set, for one file (what its folder
 * and its name say) or, without a file, for the workspace (every feature some
 * file says is on). The same object for the same features, so caches keyed by
 * topology still hit.
 */
function withInferredFeatures(topology: Topology, inference: SiteInference | undefined, uri?: string): Topology {
  if (!inference?.features.length) return topology;
  const inferred = uri === undefined ? new Map(inference.features.filter((f) => f.on).map((f) => [f.id, true])) : inferredFeaturesFor(uri, inference.features);
  if (!inferred.size) return topology;
  const key = [...inferred].map(([id, on]) => `${id}=${on}`).sort().join(',');
  let memo = withFeaturesMemo.get(topology);
  if (!memo) withFeaturesMemo.set(topology, (memo = new Map()));
  const hit = memo.get(key);
  if (hit) return hit;
  const features = new Map(topology.features);
  for (const [id, on] of inferred) features.set(id, on);
  const site: Topology = { ...topology, features };
  memo.set(key, site);
  return site;
}

/** The finding at the severity configured for its check; undefined when the check is off. */
function withSeverity(f: RawFinding, topology: Topology, options: AnalyzeOptions): Finding | undefined {
  const configured = severityFor(f.checkId, topology, options);
  if (configured === 'off') return undefined;
  if (f.checkId === 'invalid-declaration' && f.severity) return { ...f, severity: f.severity };
  // A check may grade one finding below its default (deprecated-port's "may change" ports are information);
  // a severity the user set for the check still wins.
  const userSet = options.severities?.[f.checkId] ?? topology.checks.get(f.checkId);
  const severity = userSet ? configured : f.severity ?? configured;
  // A role guessed from names can be wrong; until someone declares it, what rests on the guess is at most a warning.
  const onGuessedRole = f.assumptions?.some((a) => a.kind === 'role') ?? false;
  if (!onGuessedRole) return { ...f, severity };
  // "No flow to this role needs the port" says nothing when the role is a wrong guess: a hint, not a problem.
  if (f.checkId === 'unneeded-citrix-port') return { ...f, severity: 'hint' };
  return { ...f, severity: severity === 'error' ? 'warning' : severity };
}

function byPlace(a: Finding, b: Finding): number {
  return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.span.start - b.span.start || a.checkId.localeCompare(b.checkId);
}

export type { Span };
