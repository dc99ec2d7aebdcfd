import * as fs from 'node:fs';
import * as path from 'node:path';
import { Edit, Language, Parser, type ParseOptions as TreeParseOptions, type Tree } from 'web-tree-sitter';
import type { ParseReuse } from '../model';
import { giveUpAfter } from './budget';

export type TreeSitterGrammar = 'terraform' | 'bicep';

const GRAMMAR_FILES: Record<TreeSitterGrammar, { file: string; npm: string }> = {
  terraform: { file: 'tree-sitter-terraform.wasm', npm: '@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm' },
  bicep: { file: 'tree-sitter-bicep.wasm', npm: 'tree-sitter-bicep/tree-sitter-bicep.wasm' },
};

let ready: Promise<void> | undefined;
const languages = new Map<TreeSitterGrammar, Language>();

/**
 * The bundled server finds the .wasm files copied next to it in dist/; tests
 * and the unbundled build find them in node_modules.
 */
function locate(file: string, npmPath: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  return require.resolve(npmPath);
}

/** Loads the WebAssembly runtime and grammars once; parsing after this is synchronous. */
export function initTreeSitter(): Promise<void> {
  ready ??= (async () => {
    const runtime = locate('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime });
    for (const [id, g] of Object.entries(GRAMMAR_FILES) as [TreeSitterGrammar, { file: string; npm: string }][]) {
      languages.set(id, await Language.load(locate(g.file, g.npm)));
    }
  })();
  return ready;
}

export function isTreeSitterReady(): boolean {
  return languages.size === Object.keys(GRAMMAR_FILES).length;
}

const parsers = new Map<TreeSitterGrammar, Parser>();

/** A parser for the grammar; throws if `initTreeSitter()` has not finished. */
export function treeSitterParser(grammar: TreeSitterGrammar): Parser {
  let parser = parsers.get(grammar);
  if (!parser) {
    const language = languages.get(grammar);
    if (!language) throw new Error('tree-sitter is not initialised: await initTreeSitter() before parsing');
    parser = new Parser();
    parser.setLanguage(language);
    wrapParse(parser);
    parsers.set(grammar, parser);
  }
  return parser;
}

/**
 * The tree of one document's last whole-file parse, kept so the next parse of
 * the same document can be incremental. One per open document; `dispose()`
 * frees the WebAssembly memory.
 */
export class IncrementalTrees {
  private last: { grammar: TreeSitterGrammar; text: string; tree: Tree } | undefined;
  /** How many whole-file parses reused the previous tree (tests and the bench read it). */
  reused = 0;
  /**
   * What a format parser kept from this document's previous version to reuse
   * in the next (Terraform: rules built from unchanged blocks), under its own
   * keys. It lives and dies with the document, so nothing accumulates for
   * files that are merely read.
   */
  readonly memo = new Map<string, unknown>();

  /** The previous tree, edited to match `text`; undefined when there is none for this grammar. The caller deletes it. */
  baseFor(grammar: TreeSitterGrammar, text: string): Tree | undefined {
    const last = this.last;
    if (!last || last.grammar !== grammar) return undefined;
    const old = last.text;
    if (old === text) return last.tree.copy();
    // One edit covering everything between the common prefix and the common suffix: exact for any change,
    // whether it came from the editor's incremental changes, a paste, or the disk.
    const max = Math.min(old.length, text.length);
    let start = 0;
    while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
    let suffix = 0;
    while (suffix < max - start && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
    const oldEnd = old.length - suffix;
    const newEnd = text.length - suffix;
    const tree = last.tree.copy();
    tree.edit(new Edit({
      startIndex: start,
      oldEndIndex: oldEnd,
      newEndIndex: newEnd,
      startPosition: pointAt(old, start),
      oldEndPosition: pointAt(old, oldEnd),
      newEndPosition: pointAt(text, newEnd),
    }));
    return tree;
  }

  /** Whether a tree of `grammar` is kept (of some earlier version: `baseFor` edits it to any text). */
  holds(grammar: TreeSitterGrammar): boolean {
    return this.last?.grammar === grammar;
  }

  keep(grammar: TreeSitterGrammar, text: string, tree: Tree): void {
    this.last?.tree.delete();
    this.last = { grammar, text, tree };
  }

  dispose(): void {
    this.last?.tree.delete();
    this.last = undefined;
    this.memo.clear();
  }
}

function pointAt(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** The slot of `ParseReuse` that holds a document's tree-sitter state (shared by the grammars: a tree knows its own). */
const TREES_SLOT = 'tree-sitter';

/**
 * The tree-sitter state of the document whose `ParseOptions.reuse` this is,
 * made on first use; undefined without `reuse` (a file read once). This is the
 * only way a parse learns it may be incremental: the caller's `reuse` says so.
 */
export function incrementalTreesOf(reuse: ParseReuse | undefined): IncrementalTrees | undefined {
  if (!reuse) return undefined;
  const kept = reuse[TREES_SLOT];
  if (kept instanceof IncrementalTrees) return kept;
  const trees = new IncrementalTrees();
  reuse[TREES_SLOT] = trees;
  return trees;
}

/** How many parses under `reuse` reused their previous tree (0 when none was kept). */
export function incrementalParsesOf(reuse: ParseReuse | undefined): number {
  const kept = reuse?.[TREES_SLOT];
  return kept instanceof IncrementalTrees ? kept.reused : 0;
}

/** Frees the WebAssembly memory of the trees kept under `reuse`; the caller drops `reuse` too. */
export function disposeReuse(reuse: ParseReuse | undefined): void {
  const kept = reuse?.[TREES_SLOT];
  if (kept instanceof IncrementalTrees) kept.dispose();
  if (reuse) delete reuse[TREES_SLOT];
}

/**
 * How much text the parser is handed per read. web-tree-sitter reads a string
 * input as `text.slice(index)` and copies up to 5,120 characters of it into
 * WebAssembly memory per read, and error recovery re-reads often: on a broken
 * 15.7 KB Bicep file those copies were a third of the parse.
 */
const READ_CHUNK = 1024;

function chunked(text: string): (index: number) => string {
  return (index) => {
    let end = index + READ_CHUNK;
    // A chunk never ends between the two halves of a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end++;
    return text.slice(index, end);
  };
}

function wrapParse(parser: Parser): void {
  const raw = parser.parse.bind(parser);
  // A parse cancelled by its progress callback is resumed, not restarted, by the next call unless the
  // parser is reset: the next file would be read as the rest of the cancelled one.
  parser.parse = ((input, oldTree, options) => {
    const tree = raw(typeof input === 'string' ? chunked(input) : input, oldTree, options);
    if (!tree) parser.reset();
    return tree;
  }) as Parser['parse'];
}

/**
 * A whole-file parse of `text` that, given the document's `trees`, reuses the
 * previous version's tree instead of starting from scratch, and keeps the
 * result for the next version. Without `trees` it is a plain parse.
 */
export function parseDocument(grammar: TreeSitterGrammar, text: string, trees: IncrementalTrees | undefined, options: Omit<TreeParseOptions, 'includedRanges'> = {}): Tree | null {
  const parser = treeSitterParser(grammar);
  if (!trees) return parser.parse(text, null, options);
  const base = trees.baseFor(grammar, text);
  if (!base) {
    const tree = parser.parse(text, null, options);
    // The parser deletes its own tree when done with it; the copy stays for the next version.
    if (tree) trees.keep(grammar, text, tree.copy());
    return tree;
  }
  // The incremental attempt gets a budget of its own. The format parsers use a whole-file tree only when it has
  // no error; otherwise they re-read the file in pieces on what is left of the caller's budget. An incremental
  // re-parse of a broken version does a different amount of work than a fresh one (more, when the old tree's
  // error recovery has to be undone), so letting it spend the caller's budget made an open document lose
  // declarations that the CLI, parsing fresh, keeps.
  let incremental: Tree | null;
  try {
    incremental = parser.parse(text, base, { ...options, progressCallback: giveUpAfter(text.length) });
  } finally {
    base.delete();
  }
  trees.reused++;
  if (incremental && !incremental.rootNode.hasError) {
    trees.keep(grammar, text, incremental.copy());
    return incremental;
  }
  // A broken version: the caller gets exactly what a fresh parse gives, and the next version starts from
  // whichever tree there is.
  const fresh = parser.parse(text, null, options);
  const kept = fresh ?? incremental;
  if (kept) trees.keep(grammar, text, kept.copy());
  incremental?.delete();
  return fresh;
}
