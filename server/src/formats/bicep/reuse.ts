import type { SyntaxNode as Node } from './tree';

/** Node types whose value is the same wherever they are: no names to resolve, no calls, no operators. */
const LITERAL_TYPES: ReadonlySet<string> = new Set(['object', 'object_property', 'array', 'string', 'string_content', 'escape_sequence', 'number', 'boolean', 'null', 'comment']);

/**
 * Whether `node` is written with literals only (objects, arrays, strings
 * without interpolation, numbers, booleans, null; identifiers only as
 * property keys), so its value depends on its text and nothing else in the
 * file. A rule item that is not literal (a param, var, loop variable,
 * function call, `-1`…) may resolve differently after an edit elsewhere and
 * is never reused.
 */
export function literalOnly(node: Node): boolean {
  // Kept on the node: a moved copy of an unchanged subtree carries the answer, so an edit asks only what it changed.
  return (node.literal ??= literalBelow(node));
}

function literalBelow(node: Node): boolean {
  if (node.hasError || node.isMissing) return false;
  if (!node.isNamed) return true;
  if (!LITERAL_TYPES.has(node.type)) return false;
  let keySeen = node.type !== 'object_property';
  for (const c of node.children) {
    if (!c) return false;
    if (!keySeen && c.isNamed && c.type !== 'comment') {
      keySeen = true;
      if (c.type === 'identifier' && !c.hasError) continue;
    }
    if (!literalOnly(c)) return false;
  }
  return true;
}
