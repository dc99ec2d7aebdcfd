// Bundles the three shipped entry points (see "Interfaces" in DESIGN.md) and
// copies the WebAssembly files the server loads at run time next to them.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildWebview } from './build-webview.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
  absWorkingDir: root,
  // jsonc-parser's UMD build hides its requires from esbuild; its ESM build bundles cleanly.
  // web-tree-sitter's ESM build needs import.meta.url, which a CommonJS bundle does not have.
  alias: {
    'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js',
    'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs',
  },
};

const entries = [
  { in: 'client/src/extension.ts', out: 'extension.js', external: ['vscode'] },
  { in: 'server/src/server.ts', out: 'server.js' },
  { in: 'server/src/cli.ts', out: 'cli.js', banner: '#!/usr/bin/env node' },
];

await Promise.all(entries.filter((e) => existsSync(path.join(root, e.in))).map((e) =>
  esbuild.build({
    ...common,
    entryPoints: [e.in],
    outfile: path.join(dist, e.out),
    external: e.external ?? [],
    banner: e.banner ? { js: e.banner } : undefined,
  })));

// The Flow Map front-end: dist/flowmap.js + dist/flowmap.css (webview and `report --html`).
await buildWebview({ outdir: dist });

const wasmFiles = [
  'web-tree-sitter/web-tree-sitter.wasm',
  '@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm',
  'tree-sitter-bicep/tree-sitter-bicep.wasm',
];
for (const file of wasmFiles) {
  copyFileSync(require.resolve(file), path.join(dist, path.basename(file)));
}
