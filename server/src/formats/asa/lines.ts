import type { Span } from '../../model';

export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface SourceLine {
  /** 1-based, as the editor shows it. */
  readonly no: number;
  readonly start: number;
  readonly end: number;
  /** Sub-commands of `object`, `object-group` and `interface` are indented in ASA configs. */
  readonly indented: boolean;
  readonly tokens: readonly Token[];
}

/**
 * Splits text into lines (LF, CRLF or lone CR) and each line into
 * white-space separated tokens with their offsets. One pass, no regular
 * expressions; a leading BOM is skipped so offsets still match the editor.
 */
export function splitLines(text: string): SourceLine[] {
  const lines: SourceLine[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let no = 1;
  while (i <= text.length) {
    const start = i;
    const tokens: Token[] = [];
    let tokStart = -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) break;
      const space = c === 32 || c === 9 || c === 0xa0;
      if (space && tokStart >= 0) {
        tokens.push({ text: text.slice(tokStart, i), start: tokStart, end: i });
        tokStart = -1;
      } else if (!space && tokStart < 0) tokStart = i;
      i++;
    }
    if (tokStart >= 0) tokens.push({ text: text.slice(tokStart, i), start: tokStart, end: i });
    const end = i;
    const first = text.charCodeAt(start);
    lines.push({ no, start, end, indented: first === 32 || first === 9, tokens });
    if (i >= text.length) break;
    if (text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10) i += 2;
    else i++;
    no++;
  }
  return lines;
}

export function spanOf(tokens: readonly Token[], from: number, to: number): Span | undefined {
  if (from > to || from < 0 || to >= tokens.length) return undefined;
  return { start: tokens[from].start, end: tokens[to].end };
}

export function textOf(source: string, tokens: readonly Token[], from: number, to: number): string {
  const span = spanOf(tokens, from, to);
  return span ? source.slice(span.start, span.end) : '';
}
