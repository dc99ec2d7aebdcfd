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
  private named?: SyntaxNode[];
  constructor(
    private readonly source: string,
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

/** The whole tree as plain nodes; `hasError` set as tree-sitter sets it (the node or anything below is ERROR or MISSING). */
export function plainTree(tree: Tree, source: string): SyntaxNode {
  const cursor = tree.rootNode.walk();
  try {
    return copyTree(cursor, tree.language, source);
  } finally {
    cursor.delete();
  }
}

function copyTree(cursor: TreeCursor, language: Language, source: string): SyntaxNode {
  const { names, named, fieldParent, fields } = typeTable(language);
  const make = (): SyntaxNode => {
    const id = cursor.nodeTypeId;
    const start = cursor.startIndex;
    const end = cursor.endIndex;
    // Only zero-width nodes can be MISSING; asking the cursor costs a call into WebAssembly.
    const missing = start === end && cursor.nodeIsMissing;
    const type = names[id] ?? 'ERROR';
    return new SyntaxNode(source, type, start, end, type === 'ERROR' || (named[id] ?? false), missing);
  };
  const root = make();
  const stack: SyntaxNode[] = [root];
  const withFields: boolean[] = [fieldParent[cursor.nodeTypeId] ?? false];
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const node = make();
    const parent = stack[stack.length - 1];
    if (withFields[withFields.length - 1]) {
      const fid = cursor.currentFieldId;
      (parent.fields ??= new Array(parent.children.length).fill(undefined)).push(fid ? fields[fid] ?? undefined : undefined);
    }
    parent.children.push(node);
    if (cursor.gotoFirstChild()) {
      stack.push(node);
      withFields.push(node.type !== 'ERROR' && FIELD_PARENTS.has(node.type));
      continue;
    }
    if (node.hasError) parent.hasError = true;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return root;
      const done = stack.pop()!;
      withFields.pop();
      if (stack.length === 0) return root;
      if (done.hasError) stack[stack.length - 1].hasError = true;
    }
  }
}
