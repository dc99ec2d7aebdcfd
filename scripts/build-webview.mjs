// Bundles the Flow Map front-end (webview/src) into dist/flowmap.js and
// dist/flowmap.css: the VS Code webview loads them as files, and
// `citrix-flow-lint report --html` inlines them into one standalone page.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildWebview({ outdir = path.join(root, 'dist'), minify = true } = {}) {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { flowmap: 'webview/src/main.ts' },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome114'],
    // Minified even in development: the report embeds it, and its size is part of what we promise.
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { js: path.join(outdir, 'flowmap.js'), css: path.join(outdir, 'flowmap.css') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWebview();
}
