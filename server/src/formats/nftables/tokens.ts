import type { Comment, Span } from '../../model';

export type TokenKind = 'word' | 'string' | 'punct' | 'eol' | 'var' | 'setref';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly span: Span;
}

/** Maps offsets in the text being tokenized back to the document (shell words joined into one nft command). */
export type SpanMapper = (start: number, end: number) => Span;

const PUNCT = new Set(['{', '}', ';', ',', '(', ')', '=', '!', '<', '>']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF';
}

/**
 * nft's lexical structure, enough for rule sets: words (names, numbers,
 * addresses, ranges), quoted strings, `$define`, `@set`, punctuation,
 * line ends (which end statements like `;`). One pass, no backtracking.
 */
export function tokenize(text: string, map: SpanMapper, comments: Comment[] | undefined): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: TokenKind, t: string, start: number, end: number): void => {
    out.push({ kind, text: t, span: map(start, end) });
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
      comments?.push({ span: map(i, contentEnd), text: text.slice(i + 1, contentEnd).trim() });
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
      while (j < n && /[A-Za-z0-9_\-.]/.test(text[j])) j++;
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
