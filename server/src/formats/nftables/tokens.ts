import type { Comment, Span } from '../../model';

/** `cached`: a whole line the parser read the same way in an earlier version (see parseNftables); the cursor re-reads it wherever it is not a rule. */
export type TokenKind = 'word' | 'string' | 'punct' | 'eol' | 'var' | 'setref' | 'cached';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly span: Span;
}

/** Maps offsets in the text being tokenized back to the document (shell words joined into one nft command). */
export type SpanMapper = (start: number, end: number) => Span;

const PUNCT = new Set(['{', '}', ';', ',', '(', ')', '=', '!', '<', '>']);

/** [A-Za-z0-9_.-] */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF';
}

/**
 * nft's lexical structure, enough for rule sets: words (names, numbers,
 * addresses, ranges), quoted strings, `$define`, `@set`, punctuation,
 * line ends (which end statements like `;`). One pass, no backtracking.
 */
export function tokenize(text: string, map: SpanMapper | undefined, comments: Comment[] | undefined, from = 0, to = text.length, out: Token[] = []): Token[] {
  const n = to;
  let i = from;
  // Without a mapper offsets are the document's own: no call per token.
  const push = (kind: TokenKind, t: string, start: number, end: number): void => {
    out.push({ kind, text: t, span: map ? map(start, end) : { start, end } });
  };
  while (i < n) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '\n') {
      push('eol', '\n', i, i + 1);
      i++;
      continue;
    }
    if (c === '#') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      let contentEnd = end;
      if (text[contentEnd - 1] === '\r') contentEnd--;
      comments?.push({ span: map ? map(i, contentEnd) : { start: i, end: contentEnd }, text: text.slice(i + 1, contentEnd).trim() });
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"' && text[j] !== '\n') j++;
      push('string', text.slice(i + 1, j), i, Math.min(n, j + 1));
      i = j < n && text[j] === '"' ? j + 1 : j;
      continue;
    }
    if ((c === '!' || c === '=' || c === '<' || c === '>') && text[i + 1] === '=') {
      push('punct', c + '=', i, i + 2);
      i += 2;
      continue;
    }
    if (PUNCT.has(c)) {
      push('punct', c, i, i + 1);
      i++;
      continue;
    }
    if (c === '$' || c === '@') {
      let j = i + 1;
      while (j < n && isNameChar(text.charCodeAt(j))) j++;
      push(c === '$' ? 'var' : 'setref', text.slice(i + 1, j), i, j);
      i = j === i + 1 ? i + 1 : j;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text[j];
      if (d === '\n' || isSpace(d) || PUNCT.has(d) || d === '"' || d === '#' || d === '$' || d === '@') break;
      j++;
    }
    push('word', text.slice(i, j), i, j);
    i = j;
  }
  return out;
}
