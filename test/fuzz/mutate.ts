/**
 * Byte-level (UTF-16 code unit level, which is what the parsers see)
 * mutations of real fixtures: the inputs an editor produces while someone
 * types, pastes or opens the wrong file.
 */
import fc from 'fast-check';

export type Mutation =
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'replace'; readonly at: number; readonly text: string }
  | { readonly op: 'duplicate-line'; readonly at: number }
  | { readonly op: 'drop-line'; readonly at: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'swap-lines'; readonly at: number; readonly other: number };

// Characters that mean something to at least one of the formats, plus the hostile ones.
const SPECIAL = ['\r\n', '\r', '\n', '\ufeff', '\0', '\ud800', '\udc00', '\u2013', '"', "'", '`', '{', '}', '[', ']', '(', ')', '\\', '$', '#', '//', '/*', '*/', '<#', '#>', '!', ';', ',', '=', ':', '-', '/', '@', '${', '%{', '\t', ' ', '\u00a0', '😀'];

const insertText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(10_000), '{'.repeat(500), '['.repeat(500), '"'.repeat(301), '-'.repeat(5000) + '\n', '\\\n'.repeat(100)) },
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: insertText }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: insertText }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop-line' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap-lines' as const), at: fc.nat(), other: fc.nat() }) },
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 6 });

function lineBounds(text: string, at: number): [number, number] {
  const p = text.length ? at % text.length : 0;
  const start = text.lastIndexOf('\n', p - 1) + 1;
  const nl = text.indexOf('\n', p);
  return [start, nl < 0 ? text.length : nl + 1];
}

export function applyMutation(text: string, m: Mutation): string {
  const pos = (at: number): number => (text.length ? at % (text.length + 1) : 0);
  switch (m.op) {
    case 'insert':
      return text.slice(0, pos(m.at)) + m.text + text.slice(pos(m.at));
    case 'delete':
      return text.slice(0, pos(m.at)) + text.slice(pos(m.at) + m.length);
    case 'replace':
      return text.slice(0, pos(m.at)) + m.text + text.slice(pos(m.at) + m.text.length);
    case 'duplicate-line': {
      const [s, e] = lineBounds(text, m.at);
      return text.slice(0, e) + text.slice(s, e) + text.slice(e);
    }
    case 'drop-line': {
      const [s, e] = lineBounds(text, m.at);
      return text.slice(0, s) + text.slice(e);
    }
    case 'truncate':
      return text.slice(0, pos(m.at));
    case 'swap-lines': {
      const lines = text.split('\n');
      if (lines.length < 2) return text;
      const a = m.at % lines.length;
      const b = m.other % lines.length;
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
  }
}

export function applyMutations(text: string, ms: readonly Mutation[]): string {
  return ms.reduce(applyMutation, text);
}
