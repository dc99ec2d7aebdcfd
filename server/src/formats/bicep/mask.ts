import type { ParseProblem, Span } from '../../model';

/** Shorter runs are left alone: `----` can still be an expression being typed. */
const MIN_RUN = 32;

/**
 * tree-sitter-bicep's error recovery slows down with the square of a run of
 * one punctuation character (3,000 `-` take 100 ms, 5,000 a quarter of a
 * second), and no such run is valid Bicep outside a string or comment. Runs
 * of MIN_RUN or more are blanked for tree-sitter — same length, so every
 * offset stays — and reported as the syntax errors they are. Runs inside
 * strings and comments are blanked too (an unterminated string is just as
 * slow) but not reported; the reader takes string values from the original
 * text, so a `'-----'` separator in a description keeps its value.
 */
export function maskPunctuationRuns(text: string): { text: string; problems: ParseProblem[] } {
  const runs: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      // ''' … ''' is a multi-line string; '…' ends at the next unescaped quote or the line's end.
      if (text.startsWith("'''", i)) {
        const end = text.indexOf("'''", i + 3);
        i = end < 0 ? text.length : end + 3;
        continue;
      }
      i++;
      while (i < text.length && text[i] !== "'" && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (isWordOrSpace(text, i)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && text[j] === c) j++;
    if (j - i >= MIN_RUN) runs.push({ start: i, end: j });
    i = j;
  }
  const all = punctuationRuns(text);
  if (all.length === 0) return { text, problems: [] };
  let masked = '';
  let from = 0;
  for (const r of all) {
    masked += text.slice(from, r.start) + ' '.repeat(r.end - r.start);
    from = r.end;
  }
  masked += text.slice(from);
  const problems = runs.map((span): ParseProblem => ({
    code: 'syntax-error',
    severity: 'error',
    span,
    message: `syntax error: ${span.end - span.start} "${text[span.start]}" characters in a row are not Bicep`,
  }));
  return { text: masked, problems };
}

const WORD_OR_SPACE = /[\p{L}\p{N}\s_]/u;

/** A letter, digit, white space or `_`: ASCII by its code (a regular expression per character was most of the scan), the rest by Unicode class. */
function isWordOrSpace(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 32 || (c >= 9 && c <= 13);
  return WORD_OR_SPACE.test(text[i]);
}

/** Runs of one punctuation character anywhere in the text, strings and comments included. */
function punctuationRuns(text: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isWordOrSpace(text, i)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && text[j] === c) j++;
    if (j - i >= MIN_RUN) out.push({ start: i, end: j });
    i = j;
  }
  return out;
}

/**
 * Declarations of current Bicep releases that the bundled tree-sitter grammar
 * predates, rewritten so it reads the rest of the declaration, with every
 * offset kept: `extension …` lines (they declare no rules) become blank;
 * the type in `var name string = …` and a `resourceInput<…>` or
 * `resourceOutput<…>` type become blank or `object`, so the declaration is
 * read as the untyped one it is equivalent to; `$'''` multi-line strings are
 * read as plain ones. Without this a valid file
 * lost each such declaration as a syntax error.
 */
export function maskNewerSyntax(text: string): string {
  if (!/^[ \t]*(extension\b|var\s+[A-Za-z_]\w*\s+[A-Za-z_]|param\s+[A-Za-z_]\w*\s+resource(Input|Output)<)|\$'''/m.test(text)) return text;
  // An interpolated multi-line string is read as a plain one: its value keeps `${…}` unexpanded, which no
  // rule field uses (they are descriptions and scripts).
  const lines = text.replace(/\$'''/g, " '''").split('\n');
  let inMultiline = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const quotes = codeOf(line).split("'''").length - 1;
    const startsInside = inMultiline;
    if (quotes % 2 === 1) inMultiline = !inMultiline;
    if (startsInside) continue;
    if (/^[ \t]*extension\s+[^{]*$/.test(line)) {
      lines[n] = line.replace(/[^\r]/g, ' ');
      continue;
    }
    const typedVar = /^([ \t]*var\s+[A-Za-z_]\w*\s+)([A-Za-z_][\w.]*(\[\])?\??)(?=\s*=)/.exec(line);
    if (typedVar) {
      lines[n] = typedVar[1] + ' '.repeat(typedVar[2].length) + line.slice(typedVar[0].length);
      continue;
    }
    const generic = /^([ \t]*(?:param|var)\s+[A-Za-z_]\w*\s+)(resource(?:Input|Output)<'[^']*'>(?:\.[A-Za-z_]\w*)*\??)/.exec(line);
    if (generic) {
      const replacement = generic[1].trimStart().startsWith('var') ? '' : 'object';
      lines[n] = generic[1] + replacement.padEnd(generic[2].length, ' ') + line.slice(generic[0].length);
    }
  }
  return lines.join('\n');
}

/** A line without its `//` comment (one that starts outside a string). */
function codeOf(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") inString = !inString;
    else if (!inString && line[i] === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/**
 * `...` spreads (Bicep 0.27+), which the bundled grammar predates, rewritten
 * offset for offset: in an object `...base` becomes the property `__:base`,
 * in an array the dots become blanks, so the grammar reads an ordinary
 * property or item. The returned offsets (the property's start; the item's
 * first character) tell the evaluator which of them are spreads.
 */
export function maskSpreads(text: string, spreads: readonly { at: number; within: '{' | '[' | undefined }[]): { text: string; spreadAt: ReadonlySet<number> } {
  const spreadAt = new Set<number>();
  if (spreads.length === 0) return { text, spreadAt };
  let out = '';
  let from = 0;
  for (const s of spreads) {
    if (!s.within) continue;
    out += text.slice(from, s.at) + (s.within === '{' ? '__:' : '   ');
    from = s.at + 3;
    let item = from;
    if (s.within === '[') while (item < text.length && (text[item] === ' ' || text[item] === '\t')) item++;
    spreadAt.add(s.within === '{' ? s.at : item);
  }
  return { text: out + text.slice(from), spreadAt };
}
