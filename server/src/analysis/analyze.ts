import { loadCatalog, type Catalog } from '../catalog';
import { parseAs, detectFormat } from '../formats';
import type { ParsedFile, ParseOptions, Span } from '../model';
import {
  bindRuleSets,
  emptyTopology,
  parseTopology,
  vocabularyFromCatalog,
  type BindResult,
  type CheckSeverity,
  type Topology,
  type TopologyProblem,
  type Vocabulary,
} from '../topology';
import { CHECKS, allCheckIds, checkById, type CheckDefinition } from './checks';
import type { AnalysisContext } from './context';
import type { Finding, Severity } from './findings';
import { evaluateRequiredFlows, type RequiredFlowCheck } from './required';
import { applySuppressions, findSuppressions } from './suppressions';
import { linkTerraformModules } from './link';

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
}

export interface WorkspaceAnalysis {
  readonly files: readonly ParsedFile[];
  readonly topology: Topology;
  readonly binding: BindResult;
  readonly required: readonly RequiredFlowCheck[];
  readonly findings: readonly Finding[];
  readonly suppressedCount: number;
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
 */
export function analyzeParsed(parsedFiles: readonly ParsedFile[], topology: Topology, options: AnalyzeOptions = {}, catalog: Catalog = loadCatalog()): WorkspaceAnalysis {
  const files = linkTerraformModules(parsedFiles);
  const binding = bindRuleSets(files, topology, {
    workspaceRoot: options.workspaceRoot,
    commandLineRoles: options.commandLineRoles,
    vocabulary: vocabulary(),
    reportUnmatched: options.reportUnmatchedBindings ?? true,
  });
  const required = evaluateRequiredFlows(binding.bound, topology, catalog);
  const context: AnalysisContext = { files, bound: binding.bound, topology, catalog, required };

  const raw: (Omit<Finding, 'severity'> & { severity?: Severity })[] = [];
  if (topology.uri) for (const p of topology.problems) raw.push(problemFinding(topology.uri, p));
  for (const { uri, problem } of binding.problems) raw.push(problemFinding(uri, problem));
  for (const check of options.checks ?? CHECKS) {
    try {
      raw.push(...check.run(context));
    } catch (error) {
      const where = files[0]?.uri ?? topology.uri ?? '<workspace>';
      raw.push({
        checkId: 'internal-error',
        uri: where,
        span: { start: 0, end: 0 },
        message: `The check "${check.id}" failed, so its findings are missing: ${(error as Error).stack ?? error}`,
        data: { check: check.id },
      });
    }
  }

  const knownIds = allCheckIds();
  const byUri = new Map<string, (typeof raw)[number][]>();
  for (const f of raw) {
    const list = byUri.get(f.uri) ?? [];
    list.push(f);
    byUri.set(f.uri, list);
  }
  const findings: Finding[] = [];
  let suppressedCount = 0;
  const filesByUri = new Map(files.map((f) => [f.uri, f]));
  for (const [uri, list] of byUri) {
    const file = filesByUri.get(uri);
    if (!file) {
      findings.push(...list.map((f) => withSeverity(f, topology, options)).filter(isOn));
      continue;
    }
    const suppressions = findSuppressions(file, knownIds);
    const { kept, suppressed, unused } = applySuppressions(list, suppressions);
    suppressedCount += suppressed.length;
    findings.push(...kept.map((f) => withSeverity(f, topology, options)).filter(isOn));
    for (const u of unused) {
      findings.push(
        withSeverity(
          { checkId: 'unused-suppression', uri, span: u.checkId.span, message: `This suppression of ${u.checkId.id} suppresses nothing.`, data: { checkId: u.checkId.id } },
          topology,
          options,
        ),
      );
    }
  }
  // Suppressions in files with no finding at all are unused too.
  for (const file of files) {
    if (byUri.has(file.uri)) continue;
    for (const s of findSuppressions(file, knownIds)) {
      for (const id of s.checkIds) {
        findings.push(withSeverity({ checkId: 'unused-suppression', uri: file.uri, span: id.span, message: `This suppression of ${id.id} suppresses nothing.`, data: { checkId: id.id } }, topology, options));
      }
    }
  }
  return { files, topology, binding, required, findings: findings.filter(isOn).sort(byPlace) as Finding[], suppressedCount };

  function isOn(f: Finding | (Finding & { severity: 'off' })): boolean {
    return (f.severity as string) !== 'off';
  }
}

function withSeverity(f: Omit<Finding, 'severity'> & { severity?: Severity }, topology: Topology, options: AnalyzeOptions): Finding {
  const configured = severityFor(f.checkId, topology, options);
  if (configured === 'off') return { ...f, severity: 'off' as Severity };
  if (f.checkId === 'invalid-declaration' && f.severity) return { ...f, severity: f.severity };
  // A check may grade one finding below its default (deprecated-port's "may change" ports are information);
  // a severity the user set for the check still wins.
  const userSet = options.severities?.[f.checkId] ?? topology.checks.get(f.checkId);
  return { ...f, severity: (userSet ? configured : f.severity ?? configured) as Severity };
}

function byPlace(a: Finding, b: Finding): number {
  return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.span.start - b.span.start || a.checkId.localeCompare(b.checkId);
}

export type { Span };
