import { templateStyle } from '../../../formats/cloudformation/style';
import type { FixBuilder } from '../../codeFix';
import { editableFieldSpan, replaceFieldText, ruleOf } from './fieldEdit';

/**
 * exposed-to-internet: data `{ ruleSetId, ruleId, narrowTo: string[] }`.
 * The source field's text is replaced in its own shape: one quoted value
 * keeps its quotes; a list becomes a list in the same quote style. Several
 * addresses cannot go into a single-value field without renaming the
 * attribute, which this fix does not do.
 */
export const narrowSourceFix: FixBuilder = (finding, { file }) => {
  if (!file) return [];
  const data = finding.data ?? {};
  const narrowTo = Array.isArray(data.narrowTo) ? data.narrowTo.filter((x): x is string => typeof x === 'string') : [];
  if (narrowTo.length === 0) return [];
  const rule = ruleOf(file, data, finding);
  const span = rule ? editableFieldSpan(file, rule, rule.source.span) : undefined;
  if (!rule || !span) return [];
  const text = file.text.slice(span.start, span.end);
  const quote = /^\s*\[?\s*(['"])/.exec(text)?.[1] ?? (file.format === 'bicep' ? "'" : file.format === 'terraform' || file.format === 'arm' || (file.format === 'cloudformation' && templateStyle(file.text) === 'json') ? '"' : '');
  let newText: string;
  if (text.trimStart().startsWith('[')) {
    const multiline = text.includes('\n');
    const sep = file.format === 'bicep' ? (multiline ? '\n' : ' ') : ', ';
    newText = `[${narrowTo.map((a) => `${quote}${a}${quote}`).join(sep)}]`;
  } else if (narrowTo.length === 1) newText = `${quote}${narrowTo[0]}${quote}`;
  else return [];
  return [{ title: `Narrow source to ${narrowTo.join(', ')}`, kind: 'quickfix', isPreferred: true, checkId: finding.checkId, edits: [replaceFieldText(file.uri, span, newText)] }];
};
