import { LineIndex, type ParsedFile, type RuleSet, type Span } from '../model';
import { exportSourceHint } from '../formats/cloud-export';
import type { Finding } from './findings';

type RawFinding = Omit<Finding, 'severity'>;

/** Problems of the file itself (unreadable JSON), which the export's source would not fix. */
const ABOUT_THE_FILE = new Set(['unparsed-rule', 'unresolved-value', 'internal-error']);

const hinted = new WeakMap<object, { text: string | undefined; out: object }>();

/** A resource written in a .tf file of the workspace: where a plan's finding is changed. */
interface TerraformSource {
  readonly file: ParsedFile;
  readonly span: Span;
}

const lineIndexes = new WeakMap<ParsedFile, LineIndex>();

function lineOf(source: TerraformSource): number {
  let lines = lineIndexes.get(source.file);
  if (!lines) lineIndexes.set(source.file, (lines = LineIndex.of(source.file.text)));
  return lines.positionAt(source.span.start).line + 1;
}

/**
 * Where a change to a rule set that was computed or exported belongs, and,
 * for a plan or state whose resource the workspace's .tf files declare, that
 * declaration; undefined for a source file.
 */
function sourceHint(ruleSet: RuleSet, sources: () => ReadonlyMap<string, readonly TerraformSource[]>): { text: string; source?: TerraformSource } | undefined {
  const from = ruleSet.meta?.exportedFrom;
  if (from === 'terraform-plan' || from === 'terraform-state') {
    const address = ruleSet.meta?.address ?? ruleSet.id;
    const then = from === 'terraform-plan' ? 'then plan again' : 'then apply and show the state again';
    const what = `This is ${from === 'terraform-plan' ? 'a Terraform plan' : 'Terraform state'} (terraform show -json)`;
    const source = declarationOf(address, ruleSet.meta?.module, sources());
    if (source) return { text: `${what}: change ${address} at ${baseName(source.file.uri)} line ${lineOf(source)}, ${then}.`, source };
    return { text: `${what}: change ${address} in the .tf files of ${ruleSet.meta?.module ?? 'the root module'}, ${then}.` };
  }
  const hint = exportSourceHint(ruleSet);
  return hint ? { text: hint } : undefined;
}

/**
 * The .tf declaration of a plan address: the one resource of that type and
 * name in the workspace, or, when several modules declare one, the one in a
 * folder named like the plan's module (module.vda → …/vda/). The plan names
 * neither files nor lines, so anything less certain is left unsaid.
 */
function declarationOf(address: string, module: string | undefined, sources: ReadonlyMap<string, readonly TerraformSource[]>): TerraformSource | undefined {
  const local = address.replace(/^(module\.[^.[\]]+(\[[^\]]*\])?\.)+/, '').replace(/\[[^\]]*\]$/, '');
  const candidates = sources.get(local) ?? [];
  if (candidates.length <= 1) return candidates[0];
  const name = module ? /module\.([^.[\]]+)(?:\[[^\]]*\])?$/.exec(module)?.[1] : undefined;
  const inFolder = name ? candidates.filter((c) => c.file.uri.includes(`/${name}/`)) : [];
  return inFolder.length === 1 ? inFolder[0] : undefined;
}

function terraformSources(files: Iterable<ParsedFile>): Map<string, TerraformSource[]> {
  const out = new Map<string, TerraformSource[]>();
  for (const file of files) {
    if (file.format !== 'terraform') continue;
    for (const rs of file.ruleSets) {
      const list = out.get(rs.id) ?? [];
      list.push({ file, span: rs.nameSpan ?? rs.span });
      out.set(rs.id, list);
    }
  }
  return out;
}

function baseName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

/**
 * Plans and live exports get no quick fix: each finding on one says where
 * the change belongs instead. The same finding object gets the same hinted object back,
 * so the per-file caches downstream still see unchanged findings.
 */
export function withExportHints<T extends RawFinding>(findings: readonly T[], filesByUri: ReadonlyMap<string, ParsedFile>): T[] {
  let sources: Map<string, TerraformSource[]> | undefined;
  const sourcesOnce = (): Map<string, TerraformSource[]> => (sources ??= terraformSources(filesByUri.values()));
  return findings.map((f) => {
    const file = filesByUri.get(f.uri);
    if ((file?.format !== 'cloud-export' && file?.format !== 'terraform-plan') || ABOUT_THE_FILE.has(f.checkId)) return f;
    const ruleSetId = typeof f.data?.ruleSetId === 'string' ? f.data.ruleSetId : undefined;
    const ruleSet = file.ruleSets.find((r) => r.id === ruleSetId) ?? file.ruleSets[0];
    const hint = ruleSet && sourceHint(ruleSet, sourcesOnce);
    // The hint depends on the .tf files too (the declaration's line): the memo holds only while it reads the same.
    const memo = hinted.get(f);
    if (memo && memo.text === hint?.text) return memo.out as T;
    const related = hint?.source ? [...(f.related ?? []), { uri: hint.source.file.uri, span: hint.source.span, message: `${ruleSet.meta?.address ?? ruleSet.id} is declared here` }] : f.related;
    const out = hint ? ({ ...f, message: `${f.message} ${hint.text}`, ...(related ? { related } : {}) } as T) : f;
    hinted.set(f, { text: hint?.text, out });
    return out;
  });
}
