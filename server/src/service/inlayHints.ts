import type { Span } from '../model';
import { overlaps, writtenRules } from './locate';
import { citrixPortName, portTokenAt } from './ports';
import type { WorkspaceState } from './state';

export interface InlayHintResult {
  /** Where the hint is shown: just after the port. */
  readonly offset: number;
  readonly label: string;
  readonly tooltip?: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** After each Citrix port number written in a rule's port fields, its service name. */
export function doInlayHints(state: WorkspaceState, uri: string, range?: Span): InlayHintResult[] {
  const file = state.parsedFile(uri);
  if (!file) return [];
  const out: InlayHintResult[] = [];
  const seen = new Set<number>();
  for (const { rule } of writtenRules(file)) {
    if (range && !overlaps(rule.span, range)) continue;
    for (const field of [rule.destinationPorts, rule.sourcePorts]) {
      const span = field.span;
      if (!span || field.value.isFull) continue;
      let i = span.start;
      while (i < span.end) {
        if (!isDigit(file.text.charCodeAt(i))) {
          i++;
          continue;
        }
        const token = portTokenAt(file.text, i, span);
        let next = i;
        while (next < span.end && isDigit(file.text.charCodeAt(next))) next++;
        if (token) {
          const name = citrixPortName(token.from, token.to);
          if (name && !seen.has(token.span.end) && (!range || (token.span.end >= range.start && token.span.end <= range.end))) {
            seen.add(token.span.end);
            // After a closing quote rather than inside it: `"1494" ICA/HDX` reads better than `"1494 ICA/HDX"`.
            const after = file.text[token.span.end];
            const offset = after === '"' || after === "'" ? token.span.end + 1 : token.span.end;
            out.push({ offset, label: name, tooltip: `Citrix: ${name}` });
          }
          next = Math.max(next, token.span.end);
        }
        i = next;
      }
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
