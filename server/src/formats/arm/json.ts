import { createScanner } from 'jsonc-parser';
import type { Comment, ParseProblem, Span } from '../../model';

/**
 * A JSON (with comments) reader on jsonc-parser's scanner that recovers the
 * way a template author's mistakes need: a `{` where a property name is
 * expected means the object before it lost its `}`, so the object is closed
 * there and the enclosing array takes the `{` as its next element. That keeps
 * the resources after a missing brace.
 */
export type JsonNode =
  | { readonly type: 'object'; readonly span: Span; readonly props: readonly JsonProperty[] }
  | { readonly type: 'array'; readonly span: Span; readonly items: readonly JsonNode[] }
  | { readonly type: 'string'; readonly span: Span; readonly value: string }
  | { readonly type: 'number'; readonly span: Span; readonly value: number }
  | { readonly type: 'boolean'; readonly span: Span; readonly value: boolean }
  | { readonly type: 'null'; readonly span: Span };

export interface JsonProperty {
  readonly key: string;
  readonly keySpan: Span;
  readonly value?: JsonNode;
  readonly span: Span;
}

// jsonc-parser's SyntaxKind and ScanError are const enums, which a bundler cannot inline from a .d.ts.
const T = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  comma: 5,
  colon: 6,
  null: 7,
  true: 8,
  false: 9,
  string: 10,
  number: 11,
  lineComment: 12,
  blockComment: 13,
  lineBreak: 14,
  trivia: 15,
  unknown: 16,
  eof: 17,
} as const;
const UNEXPECTED_END_OF_STRING = 2;
const MAX_DEPTH = 200;

export function parseJsonTolerant(text: string): { root?: JsonNode; problems: ParseProblem[]; comments: Comment[] } {
  const scanner = createScanner(text, false);
  if (text.charCodeAt(0) === 0xfeff) scanner.setPosition(1);
  const problems: ParseProblem[] = [];
  const comments: Comment[] = [];
  let token: number = T.eof;
  let tokenStart = 0;
  let tokenEnd = 0;
  let lastEnd = 0;
  let depth = 0;

  const error = (message: string, span: Span): void => {
    if (problems.length < 100) problems.push({ code: 'syntax-error', severity: 'error', span, message });
  };
  const next = (): void => {
    lastEnd = tokenEnd;
    for (;;) {
      token = scanner.scan();
      tokenStart = scanner.getTokenOffset();
      // jsonc-parser reports an unterminated block comment one character past the end of the text.
      tokenEnd = Math.min(text.length, tokenStart + scanner.getTokenLength());
      if (token === T.lineComment || token === T.blockComment) {
        const raw = text.slice(tokenStart, tokenEnd);
        const body = token === T.lineComment ? raw.slice(2) : raw.slice(2, raw.endsWith('*/') ? -2 : undefined);
        comments.push({ span: { start: tokenStart, end: tokenEnd }, text: body.trim() });
        continue;
      }
      if (token === T.lineBreak || token === T.trivia) continue;
      if (token === T.string && scanner.getTokenError() === UNEXPECTED_END_OF_STRING) {
        error('unterminated string', { start: tokenStart, end: tokenEnd });
      }
      if (token === T.unknown) {
        error(`unexpected character "${text.slice(tokenStart, tokenEnd)}"`, { start: tokenStart, end: tokenEnd });
        continue;
      }
      return;
    }
  };
  // A function, so TypeScript does not narrow `token` across calls to next().
  const is = (kind: number): boolean => token === kind;
  const startsValue = (): boolean =>
    token === T.openBrace || token === T.openBracket || token === T.string || token === T.number || token === T.true || token === T.false || token === T.null;

  const value = (): JsonNode | undefined => {
    const span = { start: tokenStart, end: tokenEnd };
    switch (token) {
      case T.openBrace:
        return depth > MAX_DEPTH ? skipTooDeep() : object();
      case T.openBracket:
        return depth > MAX_DEPTH ? skipTooDeep() : array();
      case T.string: {
        const v = scanner.getTokenValue();
        next();
        return { type: 'string', span, value: v };
      }
      case T.number: {
        const v = Number(scanner.getTokenValue());
        next();
        return { type: 'number', span, value: v };
      }
      case T.true:
      case T.false:
        next();
        return { type: 'boolean', span, value: text.startsWith('true', span.start) };
      case T.null:
        next();
        return { type: 'null', span };
      default:
        error('value expected', span);
        if (token !== T.closeBrace && token !== T.closeBracket && token !== T.eof) next();
        return undefined;
    }
  };

  const skipTooDeep = (): undefined => {
    error(`nesting deeper than ${MAX_DEPTH} levels is not read`, { start: tokenStart, end: tokenEnd });
    let level = 0;
    do {
      if (token === T.openBrace || token === T.openBracket) level++;
      else if (token === T.closeBrace || token === T.closeBracket) level--;
      next();
    } while (level > 0 && token !== T.eof);
    return undefined;
  };

  /**
   * An object closed by recovery with nothing in it (a stray `{` where a key
   * or a value was expected) is no value: `[{{{{…` is one broken span, not a
   * list of hundreds of empty objects a reader would take for rules.
   */
  const object = (): JsonNode | undefined => {
    const start = tokenStart;
    depth++;
    next();
    const props: JsonProperty[] = [];
    for (;;) {
      if (token === T.closeBrace) {
        const end = tokenEnd;
        next();
        depth--;
        return { type: 'object', span: { start, end }, props };
      }
      if (token === T.eof || token === T.openBrace || token === T.openBracket || token === T.closeBracket) {
        error("missing '}'", { start: lastEnd, end: lastEnd });
        depth--;
        return props.length ? { type: 'object', span: { start, end: lastEnd }, props } : undefined;
      }
      if (token !== T.string) {
        error('property name expected', { start: tokenStart, end: tokenEnd });
        next();
        continue;
      }
      const key = scanner.getTokenValue();
      const keySpan = { start: tokenStart, end: tokenEnd };
      next();
      if (is(T.colon)) next();
      else error("':' expected", { start: lastEnd, end: lastEnd });
      const v = startsValue() ? value() : (error('value expected', { start: tokenStart, end: tokenEnd }), undefined);
      props.push({ key, keySpan, value: v, span: { start: keySpan.start, end: v ? v.span.end : keySpan.end } });
      if (is(T.comma)) next();
      else if (is(T.string)) error("',' expected", { start: lastEnd, end: lastEnd });
    }
  };

  const array = (): JsonNode => {
    const start = tokenStart;
    depth++;
    next();
    const items: JsonNode[] = [];
    for (;;) {
      if (token === T.closeBracket) {
        const end = tokenEnd;
        next();
        depth--;
        return { type: 'array', span: { start, end }, items };
      }
      if (token === T.eof || token === T.closeBrace) {
        error("missing ']'", { start: lastEnd, end: lastEnd });
        depth--;
        return { type: 'array', span: { start, end: lastEnd }, items };
      }
      if (token === T.comma) {
        error('value expected', { start: tokenStart, end: tokenEnd });
        next();
        continue;
      }
      const v = value();
      if (v) items.push(v);
      if (token === T.comma) next();
      else if (startsValue()) error("',' expected", { start: lastEnd, end: lastEnd });
    }
  };

  next();
  const root = token === T.eof ? undefined : value();
  while (token !== T.eof) {
    error('end of file expected', { start: tokenStart, end: tokenEnd });
    next();
  }
  return { root, problems, comments };
}

export function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object') return undefined;
  const lower = key.toLowerCase();
  let found: JsonNode | undefined;
  for (const p of node.props) if (p.key.toLowerCase() === lower && p.value) found = p.value;
  return found;
}
