import { shiftSpan, type Comment, type ParseReuse, type Span } from '../../model';
import { tokenize, type Token } from './tokens';
import { type Context, Cursor, type LineEntry, type NftCache } from './context';

/**
 * The per-line cache of an open document (`ParseOptions.reuse`): a line that
 * held exactly one rule statement is keyed by its text, so an edit re-reads
 * only the lines it touched. Lines continued with a backslash are never
 * cached: their meaning depends on the next line.
 */

export function cacheOf(reuse: ParseReuse | undefined): NftCache | undefined {
  if (!reuse) return undefined;
  let cache = reuse.nftables as NftCache | undefined;
  if (!cache) reuse.nftables = cache = { lines: new Map(), generation: 0 };
  cache.generation++;
  return cache;
}

function endsWithBackslash(text: string, start: number, end: number): boolean {
  let k = end;
  if (k > start && text.charCodeAt(k - 1) === 13) k--;
  return k > start && text.charCodeAt(k - 1) === 92;
}

/**
 * Tokens of the whole file, except that a line which was one rule in a chain
 * body in an earlier version becomes a single `cached` token: the chain body
 * takes it as that rule without reading it, any other reader expands it.
 */
export function tokenizeReusing(text: string, cache: NftCache, comments: Comment[]): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let runStart = 0;
  let i = 0;
  let prevContinues = false;
  while (i < n) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd < 0) lineEnd = n;
    const entry = prevContinues ? undefined : cache.lines.get(text.slice(i, lineEnd));
    prevContinues = endsWithBackslash(text, i, lineEnd);
    if (entry) {
      if (runStart < i) tokenize(text, undefined, comments, runStart, i, out);
      entry.used = cache.generation;
      for (const c of entry.comments) comments.push({ span: shiftSpan(c.span, i), text: c.text });
      out.push({ kind: 'cached', text: text.slice(i, lineEnd), span: { start: i, end: lineEnd }, entry } as Token);
      if (lineEnd < n) out.push({ kind: 'eol', text: '\n', span: { start: lineEnd, end: lineEnd + 1 } });
      runStart = i = lineEnd + 1;
      continue;
    }
    i = lineEnd + 1;
  }
  if (runStart < n) tokenize(text, undefined, comments, runStart, n, out);
  return out;
}

export type CachedToken = Token & { readonly entry: LineEntry };

/**
 * The line of a rule just read, with a new cache entry, when the rule is all
 * the line holds (white space and a comment aside) and the line stands alone:
 * then the same text is the same rule wherever a chain body meets it again.
 */
export function cacheableLine(ctx: Context, c: Cursor, span: Span): { entry: LineEntry; start: number } | undefined {
  const cache = ctx.cache as NftCache;
  const text = ctx.text;
  const next = c.tokens[c.i];
  let lineEnd = text.indexOf('\n', span.start);
  if (lineEnd < 0) lineEnd = text.length;
  if (next ? next.kind !== 'eol' || next.span.start !== lineEnd : lineEnd !== text.length) return undefined;
  const start = text.lastIndexOf('\n', span.start - 1) + 1;
  for (let k = start; k < span.start; k++) {
    const code = text.charCodeAt(k);
    if (!(code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xfeff)) return undefined;
  }
  if (endsWithBackslash(text, start, lineEnd) || (start > 0 && endsWithBackslash(text, text.lastIndexOf('\n', start - 2) + 1, start - 1))) return undefined;
  const key = text.slice(start, lineEnd);
  if (cache.lines.has(key)) return { entry: cache.lines.get(key) as LineEntry, start };
  // The line's comment was read with the other tokens; the entry keeps it to give it back when the line is not read.
  const comments: Comment[] = [];
  const hash = text.indexOf('#', span.end);
  if (hash >= 0 && hash < lineEnd) {
    let contentEnd = lineEnd;
    if (text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
    comments.push({ span: { start: hash - start, end: contentEnd - start }, text: text.slice(hash + 1, contentEnd).trim() });
  }
  const entry: LineEntry = { rel: { start: span.start - start, end: span.end - start }, comments, built: [], used: cache.generation };
  cache.lines.set(key, entry);
  return { entry, start };
}
