import type { Span } from '../../model';

/** The highest priority NetScaler accepts for an extended ACL. */
export const MAX_ACL_PRIORITY = 100000;

export interface Token {
  /** Unquoted: `"allow web"` is `allow web`. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
}

export interface CommandLine {
  /** 1-based, as the editor shows it. */
  readonly no: number;
  readonly start: number;
  readonly end: number;
  readonly tokens: readonly Token[];
  /** The text of a `#` line, without the `#`; undefined for commands. */
  readonly comment?: string;
  /** A double quote left open at the end of the line. */
  readonly unclosedQuote?: boolean;
}

/**
 * Splits a NetScaler CLI text (ns.conf, a batch file of commands) into
 * lines and each line into arguments with their offsets. Arguments are
 * separated by blanks; a double-quoted argument may hold blanks and `\"`.
 * A line starting with `#` is a comment (ns.conf's `#NS13.1 Build …`
 * header, and the comments people put in batch files). One pass, no regular
 * expressions, bounded by the text's length.
 */
export function splitCommands(text: string): CommandLine[] {
  const lines: CommandLine[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let no = 1;
  while (i <= text.length) {
    const start = i;
    const tokens: Token[] = [];
    let comment: string | undefined;
    let unclosedQuote = false;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) break;
      if (c === 32 || c === 9 || c === 0xa0) {
        i++;
        continue;
      }
      if (c === 35 /* # */ && tokens.length === 0) {
        let end = i;
        while (end < text.length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
        comment = text.slice(i + 1, end);
        i = end;
        break;
      }
      const tokenStart = i;
      if (c === 34 /* " */) {
        let value = '';
        i++;
        let closed = false;
        while (i < text.length) {
          const d = text.charCodeAt(i);
          if (d === 10 || d === 13) break;
          if (d === 92 /* \ */ && i + 1 < text.length && text.charCodeAt(i + 1) !== 10 && text.charCodeAt(i + 1) !== 13) {
            value += text[i + 1];
            i += 2;
            continue;
          }
          if (d === 34) {
            closed = true;
            i++;
            break;
          }
          value += text[i];
          i++;
        }
        if (!closed) unclosedQuote = true;
        tokens.push({ text: value, start: tokenStart, end: i, quoted: true });
        continue;
      }
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 10 || d === 13 || d === 32 || d === 9 || d === 0xa0) break;
        i++;
      }
      tokens.push({ text: text.slice(tokenStart, i), start: tokenStart, end: i, quoted: false });
    }
    lines.push({ no, start, end: i, tokens, ...(comment !== undefined ? { comment } : {}), ...(unclosedQuote ? { unclosedQuote } : {}) });
    if (i >= text.length) break;
    if (text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10) i += 2;
    else i++;
    no++;
  }
  return lines;
}

export function tokenSpan(t: Token): Span {
  return { start: t.start, end: t.end };
}

export function lowerOf(t: Token | undefined): string {
  return t ? t.text.toLowerCase() : '';
}

/**
 * The `-name value…` options of a command from `from` on, each with the
 * tokens up to the next option. NetScaler option names are case-insensitive;
 * a value that itself starts with `-` (a negative number) is not written in
 * the ACL commands read here.
 */
export function optionsOf(tokens: readonly Token[], from: number): { name: string; nameToken: Token; values: Token[] }[] {
  const out: { name: string; nameToken: Token; values: Token[] }[] = [];
  for (let k = from; k < tokens.length; k++) {
    const t = tokens[k];
    if (!t.quoted && t.text.startsWith('-') && t.text.length > 1 && !/^-\d/.test(t.text)) out.push({ name: t.text.slice(1).toLowerCase(), nameToken: t, values: [] });
    else if (out.length) out[out.length - 1].values.push(t);
    else out.push({ name: '', nameToken: t, values: [t] });
  }
  return out;
}
