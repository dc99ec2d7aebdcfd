import type { Span } from '../model';
import { overlaps, writtenRules } from './locate';
import { citrixPortName, citrixPortShortName, portTokenAt } from './ports';
import type { WorkspaceState } from './state';

export interface InlayHintResult {
  /** Where the hint is shown: just after the port, or after the port field. */
  readonly offset: number;
  readonly label: string;
  readonly tooltip?: string;
}

/**
 * `perRule` (the default): one hint after each port field, naming its Citrix
 * ports in a word or two ("ICA, CGP, HDX audio"), so a compact port list is
 * not broken up; `perPort`: the short name after each port; `hover`: no
 * hints at all (hovering a port explains it, as always).
 */
export type InlayHintStyle = 'perRule' | 'perPort' | 'hover';

/** More names than this in one field read as noise: the rest become "+N", all are in the tooltip. */
const MAX_NAMES_PER_RULE = 3;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

interface NamedPort {
  readonly end: number;
  readonly short: string;
  readonly name: string;
  readonly port: string;
}

/** The Citrix service names of the ports written in each rule's port fields. */
export function doInlayHints(state: WorkspaceState, uri: string, range?: Span, style: InlayHintStyle = 'perRule'): InlayHintResult[] {
  if (style === 'hover') return [];
  const file = state.parsedFile(uri);
  if (!file) return [];
  const out: InlayHintResult[] = [];
  const seen = new Set<number>();
  // After a closing quote rather than inside it: `"1494" ICA` reads better than `"1494 ICA"`.
  const after = (offset: number): number => (file.text[offset] === '"' || file.text[offset] === "'" ? offset + 1 : offset);
  const inRange = (offset: number): boolean => !range || (offset >= range.start && offset <= range.end);
  for (const { rule } of writtenRules(file)) {
    if (range && !overlaps(rule.span, range)) continue;
    for (const field of [rule.destinationPorts, rule.sourcePorts]) {
      const span = field.span;
      if (!span || field.value.isFull) continue;
      const named = namedPortsIn(file.text, span);
      if (named.length === 0) continue;
      if (style === 'perPort') {
        for (const p of named) {
          if (seen.has(p.end) || !inRange(p.end)) continue;
          seen.add(p.end);
          out.push({ offset: after(p.end), label: p.short, tooltip: `Citrix: ${p.port} ${p.name}` });
        }
        continue;
      }
      // One hint per field, after its last character (a closing bracket or quote stays before it).
      const end = fieldEnd(file.text, span);
      if (seen.has(end) || !inRange(end)) continue;
      seen.add(end);
      const shorts = [...new Set(named.map((p) => p.short))];
      const label = shorts.length > MAX_NAMES_PER_RULE ? `${shorts.slice(0, MAX_NAMES_PER_RULE).join(', ')} +${shorts.length - MAX_NAMES_PER_RULE}` : shorts.join(', ');
      out.push({ offset: end, label, tooltip: `Citrix: ${named.map((p) => `${p.port} ${p.name}`).join(' · ')}` });
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function namedPortsIn(text: string, span: Span): NamedPort[] {
  const out: NamedPort[] = [];
  let i = span.start;
  while (i < span.end) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const token = portTokenAt(text, i, span);
    let next = i;
    while (next < span.end && isDigit(text.charCodeAt(next))) next++;
    if (token) {
      const short = citrixPortShortName(token.from, token.to);
      const name = citrixPortName(token.from, token.to);
      if (short && name && !out.some((p) => p.end === token.span.end)) out.push({ end: token.span.end, short, name, port: text.slice(token.span.start, token.span.end) });
      next = Math.max(next, token.span.end);
    }
    i = next;
  }
  return out;
}

/** The end of a port field, past a closing quote or bracket that belongs to it. */
function fieldEnd(text: string, span: Span): number {
  let end = span.end;
  while (end > span.start && /\s/.test(text[end - 1])) end--;
  if (text[end] === '"' || text[end] === "'") end++;
  return end;
}
