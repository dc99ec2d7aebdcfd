import type { ParsedFile, RuleSet } from '../model';
import { exportSourceHint } from '../formats/cloud-export';
import type { Finding } from './findings';

type RawFinding = Omit<Finding, 'severity'>;

/** Problems of the file itself (unreadable JSON), which the export's source would not fix. */
const ABOUT_THE_FILE = new Set(['unparsed-rule', 'unresolved-value', 'internal-error']);

const hinted = new WeakMap<object, object>();

/** Where a change to a rule set that was computed or exported belongs; undefined for a source file. */
function sourceHint(ruleSet: RuleSet): string | undefined {
  const from = ruleSet.meta?.exportedFrom;
  if (from === 'terraform-plan' || from === 'terraform-state') {
    const address = ruleSet.meta?.address ?? ruleSet.id;
    const then = from === 'terraform-plan' ? 'then plan again' : 'then apply and show the state again';
    return `This is ${from === 'terraform-plan' ? 'a Terraform plan' : 'Terraform state'} (terraform show -json): change ${address} in the .tf files of ${ruleSet.meta?.module ?? 'the root module'}, ${then}.`;
  }
  return exportSourceHint(ruleSet);
}

/**
 * Plans and live exports get no quick fix: each finding on one says where
 * the change belongs instead. The same finding object gets the same hinted object back,
 * so the per-file caches downstream still see unchanged findings.
 */
export function withExportHints<T extends RawFinding>(findings: readonly T[], filesByUri: ReadonlyMap<string, ParsedFile>): T[] {
  return findings.map((f) => {
    const file = filesByUri.get(f.uri);
    if ((file?.format !== 'cloud-export' && file?.format !== 'terraform-plan') || ABOUT_THE_FILE.has(f.checkId)) return f;
    const memo = hinted.get(f);
    if (memo) return memo as T;
    const ruleSetId = typeof f.data?.ruleSetId === 'string' ? f.data.ruleSetId : undefined;
    const ruleSet = file.ruleSets.find((r) => r.id === ruleSetId) ?? file.ruleSets[0];
    const hint = ruleSet && sourceHint(ruleSet);
    const out = hint ? ({ ...f, message: `${f.message} ${hint}` } as T) : f;
    hinted.set(f, out);
    return out;
  });
}
