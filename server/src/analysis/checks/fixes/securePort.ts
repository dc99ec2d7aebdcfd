import type { TextEdit } from '../../../model/edits';
import type { FixBuilder } from '../../codeFix';
import { editableFieldSpan, replaceFieldText, ruleOf } from './fieldEdit';

/**
 * insecure-variant: data `{ ruleSetId, ruleId, insecurePort, securePort }`.
 * Only the insecure port number inside the rule's destination-port field is
 * replaced (each whole occurrence, not one inside a range); the other ports
 * of the field stay as written.
 */
export const securePortFix: FixBuilder = (finding, { file }) => {
  if (!file) return [];
  const data = finding.data ?? {};
  const secure = Number(data.securePort);
  const insecure = Number(data.insecurePort);
  if (!Number.isInteger(secure) || !Number.isInteger(insecure)) return [];
  const rule = ruleOf(file, data, finding);
  const span = rule ? editableFieldSpan(file, rule, rule.destinationPorts.span) : undefined;
  if (!rule || !span) return [];
  const fieldText = file.text.slice(span.start, span.end);
  const edits: TextEdit[] = [];
  const needle = String(insecure);
  for (let i = fieldText.indexOf(needle); i >= 0; i = fieldText.indexOf(needle, i + 1)) {
    const before = fieldText[i - 1] ?? '';
    const after = fieldText[i + needle.length] ?? '';
    // A whole port number, not part of a range (`80-90`) or of a longer number.
    if (/[0-9]/.test(before) || /[0-9]/.test(after) || before === '-' || after === '-' || before === ':' || after === ':') continue;
    edits.push(replaceFieldText(file.uri, { start: span.start + i, end: span.start + i + needle.length }, String(secure)));
  }
  if (edits.length === 0) return [];
  return [{ title: `Use port ${secure} instead of ${insecure}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits }];
};

