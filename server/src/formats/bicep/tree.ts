import type { Language, Tree, TreeCursor } from 'web-tree-sitter';

/**
 * tree-sitter's Bicep tree copied into plain objects in one cursor walk.
 * web-tree-sitter builds a JavaScript object across the WebAssembly boundary
 * for every `Node` it hands out and every property read is another call, so
 * the reader spent most of its time there. This class offers the subset of
 * web-tree-sitter's `Node` the reader uses, with the same meaning.
 */
export class SyntaxNode {
  /** Field name of each child (parallel to `children`), only for node types the reader asks fields of. */
  fields: (string | undefined)[] | undefined;
  hasError: boolean;
  /** tree-sitter's id of the node (where its tree holds it), so the next version's copy can recognise a reused subtree. */
  id = 0;
  /** Whether the subtree holds literals only (`literalOnly` in reuse.ts), once asked; a moved copy keeps it. */
  literal: boolean | undefined;
  private named?: SyntaxNode[];
  constructor(
    readonly source: string,
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    readonly children: SyntaxNode[] = [],
  ) {
    this.hasError = type === 'ERROR' || isMissing;
  }
  get isError(): boolean {
    return this.type === 'ERROR';
  }
  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }
  get namedChildren(): SyntaxNode[] {
    this.named ??= this.children.filter((c) => c.isNamed);
    return this.named;
  }
  child(i: number): SyntaxNode | null {
    return this.children[i] ?? null;
  }
  childForFieldName(name: string): SyntaxNode | null {
    const f = this.fields;
    if (!f) return null;
    for (let i = 0; i < f.length; i++) if (f[i] === name) return this.children[i];
    return null;
  }
}

/** Node types whose children the reader finds by field name (`childForFieldName`); only their children's fields are read. */
export const FIELD_PARENTS: ReadonlySet<string> = new Set([
  'subscript_expression',
  'ternary_expression',
  'unary_expression',
  'member_expression',
  'binary_expression',
  'call_expression',
  'for_statement',
]);

interface TypeTable {
  readonly names: string[];
  readonly named: boolean[];
  readonly fieldParent: boolean[];
  readonly fields: (string | null)[];
}

/** Type names, namedness and field names by id, read once per language instead of once per node. */
const typeTables = new WeakMap<Language, TypeTable>();
function typeTable(language: Language): TypeTable {
  let t = typeTables.get(language);
  if (!t) {
    const names = language.types.map((n) => n ?? 'ERROR');
    t = {
      names,
      named: names.map((_, id) => language.nodeTypeIsNamed(id)),
      fieldParent: names.map((n) => FIELD_PARENTS.has(n)),
      fields: language.fields.map((f) => f ?? null),
    };
    typeTables.set(language, t);
  }
  return t;
}

/**
 * The previous version's plain nodes by tree-sitter id, and this version's.
 * An incremental re-parse keeps the subtrees the edit did not touch, and
 * tree-sitter's id of a node is where its parent holds it: a node found
 * under an id of the previous tree is that same unchanged subtree, maybe at
 * another offset. Its plain copy is moved instead of walked again through
 * WebAssembly, which was half of a 10,000-line file's parse.
 */
export interface PlainReuse {
  readonly previous: ReadonlyMap<number, SyntaxNode> | undefined;
  readonly next: Map<number, SyntaxNode>;
}

/** The whole tree as plain nodes; `hasError` set as tree-sitter sets it (the node or anything below is ERROR or MISSING). */
export function plainTree(tree: Tree, source: string, reuse?: PlainReuse): SyntaxNode {
  const cursor = tree.rootNode.walk();
  try {
    return copyTree(cursor, tree.language, source, reuse);
  } finally {
    cursor.delete();
  }
}

/** `node` and everything below it, `delta` characters further on in `source`. */
function moved(node: SyntaxNode, delta: number, source: string, next: Map<number, SyntaxNode>): SyntaxNode {
  const copy = new SyntaxNode(source, node.type, node.startIndex + delta, node.endIndex + delta, node.isNamed, node.isMissing, node.children.map((c) => moved(c, delta, source, next)));
  copy.fields = node.fields;
  copy.hasError = node.hasError;
  copy.id = node.id;
  copy.literal = node.literal;
  if (copy.children.length) next.set(copy.id, copy);
  return copy;
}

function copyTree(cursor: TreeCursor, language: Language, source: string, reuse: PlainReuse | undefined): SyntaxNode {
  const { names, named, fieldParent, fields } = typeTable(language);
  const previous = reuse?.previous;
  const make = (nodeId: number): SyntaxNode => {
    const id = cursor.nodeTypeId;
    const start = cursor.startIndex;
    const end = cursor.endIndex;
    // Only zero-width nodes can be MISSING; asking the cursor costs a call into WebAssembly.
    const missing = start === end && cursor.nodeIsMissing;
    const type = names[id] ?? 'ERROR';
    const node = new SyntaxNode(source, type, start, end, type === 'ERROR' || (named[id] ?? false), missing);
    node.id = nodeId;
    return node;
  };
  /** The previous version's copy of the node under the cursor, moved to where it is now, when it is the same subtree. */
  const reused = (nodeId: number): SyntaxNode | undefined => {
    if (!previous) return undefined;
    const old = previous.get(nodeId);
    if (!old) return undefined;
    const start = cursor.startIndex;
    const length = old.endIndex - old.startIndex;
    // The id says it is the same subtree; the text, compared without a copy, makes sure of it.
    if (cursor.endIndex - start !== length || names[cursor.nodeTypeId] !== old.type || !source.startsWith(old.source.slice(old.startIndex, old.endIndex), start)) return undefined;
    return moved(old, start - old.startIndex, source, (reuse as PlainReuse).next);
  };
  const idHere = (): number => (reuse ? cursor.nodeId : 0);
  const root = make(idHere());
  const stack: SyntaxNode[] = [root];
  const withFields: boolean[] = [fieldParent[cursor.nodeTypeId] ?? false];
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const nodeId = idHere();
    const again = reused(nodeId);
    const node = again ?? make(nodeId);
    const parent = stack[stack.length - 1];
    if (withFields[withFields.length - 1]) {
      const fid = cursor.currentFieldId;
      (parent.fields ??= new Array(parent.children.length).fill(undefined)).push(fid ? fields[fid] ?? undefined : undefined);
    }
    parent.children.push(node);
    if (!again && cursor.gotoFirstChild()) {
      stack.push(node);
      withFields.push(node.type !== 'ERROR' && FIELD_PARENTS.has(node.type));
      continue;
    }
    if (node.hasError) parent.hasError = true;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return root;
      const done = stack.pop()!;
      withFields.pop();
      if (reuse && done.children.length) reuse.next.set(done.id, done);
      if (stack.length === 0) return root;
      if (done.hasError) stack[stack.length - 1].hasError = true;
    }
  }
}
