import type { Comment, Span } from '../../model';

/**
 * A linear lexer pass over Bicep text that the tree-sitter tree cannot give
 * reliably when the text is broken: every comment (strings, multi-line
 * strings and `${…}` interpolation are skipped so `//` inside them is not a
 * comment) and where top-level declarations start (to re-parse a broken file
 * one declaration at a time).
 */
export interface BicepScan {
  readonly comments: Comment[];
  /** Offsets of lines that start a top-level declaration (`resource`, `param`, `@decorator`, …) at column 0. */
  readonly declarationStarts: number[];
  /** Single-quoted strings that reach the end of their line without a closing quote. */
  readonly unterminatedStrings: Span[];
  /**
   * Whether every declaration start was met outside any bracket. Only then are
   * the pieces between starts the file's top-level declarations: a `resource`
   * at column 0 inside an unclosed `{` is a nested child resource.
   */
  readonly startsAtTopLevel: boolean;
  /**
   * Whether the brackets alone prove the file has a syntax error: a closer
   * that closes nothing or skips an open bracket, or a bracket still open at
   * the end. Then a whole-file parse can only end with errors, and its tree is
   * thrown away for the per-declaration parse.
   */
  readonly bracketsBroken: boolean;
  /** Every `...` spread outside strings and comments, with the bracket it sits in (`{` object, `[` array, else none). */
  readonly spreads: { readonly at: number; readonly within: '{' | '[' | undefined }[];
}

/** Open brackets are tracked this deep for spreads; past it a spread is left as the syntax error it then is. */
const MAX_BRACKETS = 10_000;

const DECLARATION_WORDS = ['resource', 'param', 'var', 'module', 'output', 'type', 'func', 'metadata', 'targetScope', 'import', 'extension', 'provider', 'using'];

function startsDeclaration(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c === 64 /* @ */) return true;
  for (const w of DECLARATION_WORDS) {
    if (text.startsWith(w, at)) {
      const next = text.charCodeAt(at + w.length);
      if (Number.isNaN(next) || next === 32 || next === 9 || next === 61 /* = */) return true;
    }
  }
  return false;
}

export function scanBicep(text: string): BicepScan {
  const comments: Comment[] = [];
  const declarationStarts: number[] = [];
  const unterminatedStrings: Span[] = [];
  const spreads: { at: number; within: '{' | '[' | undefined }[] = [];
  const brackets: number[] = [];
  let startsAtTopLevel = true;
  let bracketsBroken = false;
  // Past MAX_BRACKETS open brackets are no longer tracked, so nothing is proved about them.
  let bracketsOverflowed = false;
  // Each entry is the brace depth of an open `${`; while the stack is non-empty and the top is
  // reached again by `}`, the lexer goes back into the string it interrupted.
  const interpolations: number[] = [];
  let depth = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineStart = true;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineStart) {
      lineStart = false;
      if (interpolations.length === 0 && startsDeclaration(text, i)) {
        declarationStarts.push(i);
        if (depth !== 0 || brackets.length !== 0) startsAtTopLevel = false;
      }
    }
    if (c === 10 || c === 13) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      let end = i + 2;
      while (end < n && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
      comments.push({ span: { start: i, end }, text: text.slice(i + 2, end).trim() });
      i = end;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      comments.push({ span: { start: i, end }, text: text.slice(i + 2, close < 0 ? n : close).trim() });
      i = end;
      continue;
    }
    if (c === 39 /* ' */) {
      if (text.startsWith("'''", i)) {
        const close = text.indexOf("'''", i + 3);
        i = close < 0 ? n : close + 3;
        continue;
      }
      const from = i;
      i = skipString(text, i + 1, interpolations, depth);
      if (text.charCodeAt(i - 1) !== 39 && !(interpolations.length && text.charCodeAt(i - 1) === 123)) unterminatedStrings.push({ start: from, end: i });
      continue;
    }
    if (c === 123 /* { */) {
      depth++;
      if (brackets.length < MAX_BRACKETS) brackets.push(c);
      else bracketsOverflowed = true;
    } else if (c === 125 /* } */) {
      if (interpolations.length && interpolations[interpolations.length - 1] === depth) {
        interpolations.pop();
        i = skipString(text, i + 1, interpolations, depth);
        continue;
      }
      depth = Math.max(0, depth - 1);
      if (!closeBracket(brackets, 123)) bracketsBroken = true;
    } else if (c === 91 /* [ */ || c === 40 /* ( */) {
      if (brackets.length < MAX_BRACKETS) brackets.push(c);
      else bracketsOverflowed = true;
    } else if (c === 93 /* ] */) {
      if (!closeBracket(brackets, 91)) bracketsBroken = true;
    } else if (c === 41 /* ) */) {
      if (!closeBracket(brackets, 40)) bracketsBroken = true;
    }
    else if (c === 46 /* . */ && text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
      const top = brackets[brackets.length - 1];
      spreads.push({ at: i, within: top === 123 ? '{' : top === 91 ? '[' : undefined });
      i += 3;
      continue;
    }
    i++;
  }
  if (brackets.length !== 0 || interpolations.length !== 0) bracketsBroken = true;
  return { comments, declarationStarts, unterminatedStrings, startsAtTopLevel, bracketsBroken: bracketsBroken && !bracketsOverflowed, spreads };
}

/**
 * Closes the innermost bracket of this kind, looking back a few levels past
 * unclosed ones (broken text); a stray closer closes nothing. The bound keeps
 * `[[[[…)))…` linear. True when it closed the innermost open bracket, as
 * well-formed text always does.
 */
function closeBracket(brackets: number[], open: number): boolean {
  for (let k = brackets.length - 1; k >= 0 && k >= brackets.length - 16; k--) {
    if (brackets[k] === open) {
      const innermost = k === brackets.length - 1;
      brackets.length = k;
      return innermost;
    }
  }
  return false;
}

/** Skips a single-quoted string body from `i`; stops at its closing quote, a line end (Bicep strings are one line) or `${`. */
function skipString(text: string, i: number, interpolations: number[], depth: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      i += 2;
      continue;
    }
    if (c === 39) return i + 1;
    if (c === 10 || c === 13) return i;
    if (c === 36 /* $ */ && text.charCodeAt(i + 1) === 123) {
      interpolations.push(depth);
      return i + 2;
    }
    i++;
  }
  return n;
}
