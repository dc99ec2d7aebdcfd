import { disableForLineEdit as disableEdit } from '../analysis/disableEdit';
import type { Finding } from '../analysis/findings';
import type { Comment, FormatId, TextEdit } from '../model';

/**
 * The editor's "Disable <check> for this line" for a document the fix
 * builders did not cover: the same edit as the quick fix
 * (analysis/disableEdit.ts); `yaml` is citrix-flows.yaml.
 */
export function disableForLineEdit(text: string, uri: string, format: FormatId | 'yaml' | undefined, comments: readonly Comment[], finding: Finding): TextEdit | undefined {
  return disableEdit({ uri, text, comments, format: format === 'yaml' ? 'citrix-flows' : format }, finding);
}
