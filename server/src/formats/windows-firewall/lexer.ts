import type { Comment, Span } from '../../model';

export type TokenKind =
  | 'word'
  | 'string'
  | 'param'
  | 'var'
  | 'splat'
  | 'comma'
  | 'equals'
  | 'array-open'
  | 'hash-open'
  | 'lparen'
  | 'rparen'
  | 'rbrace'
  | 'pipe'
  | 'end';

export interface PsToken {
  readonly kind: TokenKind;
  /** Word and string contents without quotes; parameter and variable names without `-`/`$`/`@`. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** `-Enabled:$false`: the value is bound with a colon. */
  readonly colon?: boolean;
  /** Double-quoted strings expand `$variables`. */
  readonly expandable?: boolean;
}

/** PowerShell accepts en dash, em dash and horizontal bar wherever it accepts `-` before a parameter name. */
const DASHES = new Set([0x2d, 0x2013, 0x2014, 0x2015]);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 0xa0 || c === 12 || c === 0xfeff;
const isNewline = (c: number): boolean => c === 10 || c === 13;
const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c === 63 || c > 127;
const WORD_STOP = new Set([32, 9, 10, 13, 0xa0, 59, 124, 44, 40, 41, 123, 125]);

/**
 * A PowerShell tokenizer good enough for firewall scripts: strings,
 * variables, parameters (any dash), arrays, hashtables, comments, backtick
 * continuations. Script blocks `{ … }` are flattened into statement breaks,
 * so rules inside `if`/`foreach` bodies are read as if they always ran.
 * Every loop advances, so the lexer is linear and cannot hang.
 */
export function lexPowerShell(text: string, comments: Comment[]): PsToken[] {
  const out: PsToken[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineStart = true;
  const push = (kind: TokenKind, value: string, start: number, end: number, extra?: Partial<PsToken>): void => {
    out.push({ kind, value, start, end, ...extra });
    lineStart = false;
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 0x60 /* ` */ && (isNewline(text.charCodeAt(i + 1)) || i + 1 === text.length)) {
      i++;
      if (text.charCodeAt(i) === 13) i++;
      if (text.charCodeAt(i) === 10) i++;
      continue;
    }
    if (isNewline(c) || c === 59 /* ; */ || c === 123 /* { */ || c === 125 /* } */) {
      // `}` closes a hashtable when one is open; the parser decides, so keep it.
      push(c === 125 ? 'rbrace' : 'end', text[i], i, i + 1);
      lineStart = c !== 125;
      i++;
      continue;
    }
    if (c === 60 /* < */ && text.charCodeAt(i + 1) === 35) {
      const close = text.indexOf('#>', i + 2);
      const end = close < 0 ? text.length : close + 2;
      comments.push({ span: { start: i, end }, text: text.slice(i + 2, close < 0 ? text.length : close).trim() });
      i = end;
      continue;
    }
    if (c === 35 /* # */) {
      let j = i;
      while (j < text.length && !isNewline(text.charCodeAt(j))) j++;
      comments.push({ span: { start: i, end: j }, text: text.slice(i + 1, j).trim() });
      i = j;
      continue;
    }
    if (lineStart && (text.startsWith('::', i) || /^rem(\s|$)/i.test(text.slice(i, i + 4)))) {
      // Batch-file comments, for netsh scripts saved as .cmd.
      let j = i;
      while (j < text.length && !isNewline(text.charCodeAt(j))) j++;
      comments.push({ span: { start: i, end: j }, text: text.slice(i + (text.startsWith('::', i) ? 2 : 3), j).trim() });
      i = j;
      continue;
    }
    const start = i;
    switch (c) {
      case 44:
        push('comma', ',', i, ++i);
        continue;
      case 124:
        push('pipe', '|', i, ++i);
        continue;
      case 40:
        push('lparen', '(', i, ++i);
        continue;
      case 41:
        push('rparen', ')', i, ++i);
        continue;
      case 61:
        push('equals', '=', i, ++i);
        continue;
      case 39: {
        const { value, end } = readSingleQuoted(text, i);
        push('string', value, start, end);
        i = end;
        continue;
      }
      case 34: {
        const { value, end } = readDoubleQuoted(text, i);
        push('string', value, start, end, { expandable: true });
        i = end;
        continue;
      }
      case 64: /* @ */ {
        const n = text.charCodeAt(i + 1);
        if (n === 40) {
          push('array-open', '@(', i, i + 2);
          i += 2;
          continue;
        }
        if (n === 123) {
          push('hash-open', '@{', i, i + 2);
          i += 2;
          continue;
        }
        let j = i + 1;
        while (j < text.length && isNameChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 58) j++;
        if (j > i + 1) {
          push('splat', text.slice(i + 1, j), i, j);
          i = j;
          continue;
        }
        break;
      }
      case 36: /* $ */ {
        let j = i + 1;
        if (text.charCodeAt(j) === 123) {
          const close = text.indexOf('}', j);
          j = close < 0 ? text.length : close + 1;
          push('var', text.slice(i + 2, close < 0 ? text.length : close), i, j);
        } else {
          while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
          push('var', text.slice(i + 1, j), i, j);
        }
        i = j;
        continue;
      }
      default:
        if (DASHES.has(c) && isLetter(text.charCodeAt(i + 1))) {
          let j = i + 1;
          while (j < text.length && isNameChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 58) j++;
          const colon = text.charCodeAt(j) === 58;
          push('param', text.slice(i + 1, j), i, j, colon ? { colon } : undefined);
          i = colon ? j + 1 : j;
          continue;
        }
    }
    // A bare word; quoted sections inside it (`name="Citrix ICA"`) belong to it.
    let value = '';
    let j = i;
    while (j < text.length && !WORD_STOP.has(text.charCodeAt(j))) {
      const d = text.charCodeAt(j);
      if (d === 0x60 /* ` */ && j + 1 < text.length && !isNewline(text.charCodeAt(j + 1))) {
        // An escaped character is literal: `" does not open a string (icacls $key /grant `"$user`"`:RX).
        value += text[j + 1];
        j += 2;
      } else if (d === 39 || d === 34) {
        const q = d === 39 ? readSingleQuoted(text, j) : readDoubleQuoted(text, j);
        value += q.value;
        j = q.end;
      } else {
        value += text[j];
        j++;
      }
    }
    if (j === i) {
      value = text[i];
      j = i + 1;
    }
    push('word', value, i, j);
    i = j;
  }
  return out;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function readSingleQuoted(text: string, at: number): { value: string; end: number } {
  let value = '';
  let j = at + 1;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 39 || d === 0x2019 || d === 0x2018) {
      if (text.charCodeAt(j + 1) === d) {
        value += text[j];
        j += 2;
        continue;
      }
      return { value, end: j + 1 };
    }
    value += text[j];
    j++;
  }
  return { value, end: j };
}

function readDoubleQuoted(text: string, at: number): { value: string; end: number } {
  let value = '';
  let j = at + 1;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x60 && j + 1 < text.length) {
      value += text[j + 1];
      j += 2;
      continue;
    }
    if (d === 34) {
      if (text.charCodeAt(j + 1) === 34) {
        value += '"';
        j += 2;
        continue;
      }
      return { value, end: j + 1 };
    }
    value += text[j];
    j++;
  }
  return { value, end: j };
}

export function tokenSpan(t: PsToken): Span {
  return { start: t.start, end: t.end };
}
