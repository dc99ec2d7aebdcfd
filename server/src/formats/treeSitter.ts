import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

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
    parsers.set(grammar, parser);
  }
  return parser;
}
