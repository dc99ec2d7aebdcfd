import type { ParseProblem } from '../model';

/**
 * Brackets nested deeper than this are not read (docs/architecture.md, "Hostile input"): no
 * hand-written or generated configuration comes near it, and the recursive
 * parsers (HCL, Bicep, tree-sitter's tree walks) overflow the stack some
 * thousands of levels down. ARM JSON has its own reader with the same limit.
 */
export const MAX_NESTING = 200;

/**
 * The text with every character nested deeper than `max` brackets (`{`, `[`,
 * `(`) blanked, line breaks kept, so offsets still match the editor and the
 * parser sees a shallow file: what encloses the deep part is still read, and
 * the problem says where reading stopped. Brackets inside strings and
 * comments count too: that only matters past `max` levels, where no real
 * file goes. Linear, and the text itself when nothing is that deep.
 */
export function maskDeepNesting(text: string, max = MAX_NESTING): { text: string; problem?: ParseProblem } {
  // Closers of the open brackets, innermost last, for the levels up to max + 1.
  const open: number[] = [];
  let depth = 0;
  /** Inside of each run: [first blanked, end blanked); the bracket that opened the run is kept. */
  const runs: [number, number][] = [];
  let runStart = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91 || c === 40) {
      depth++;
      if (depth <= max + 1) open.push(c === 123 ? 125 : c === 91 ? 93 : 41);
      if (depth === max + 1) runStart = i + 1;
    } else if ((c === 125 || c === 93 || c === 41) && depth > 0) {
      depth--;
      if (depth < max + 1) open.pop();
      if (depth === max) {
        // The closing bracket stays too: the parser sees `{ }`, an empty value, not a syntax error.
        runs.push([runStart, i]);
        runStart = -1;
      }
    }
  }
  if (runStart >= 0) runs.push([runStart, text.length]);
  if (runs.length === 0) return { text };
  const parts: string[] = [];
  let at = 0;
  for (const [start, end] of runs) {
    let blank = text.slice(start, end).replace(/[^\r\n]/g, ' ');
    if (end === text.length && blank.length >= open.length) {
      // Unclosed to the end: the blanked tail closes every open level, so the parser need not recover.
      blank = blank.slice(0, blank.length - open.length) + String.fromCharCode(...open.reverse());
    }
    parts.push(text.slice(at, start), blank);
    at = end;
  }
  parts.push(text.slice(at));
  const first = runs[0][0] - 1;
  return {
    text: parts.join(''),
    problem: { code: 'limit', severity: 'error', span: { start: first, end: first + 1 }, message: `brackets nested deeper than ${max} levels are not read (from here${runs.length > 1 ? `, and in ${runs.length - 1} more places` : ''})` },
  };
}
