// In-process timings and memory of the server's workspace path (scan, first
// analysis, one edit, publishing) and of the CLI's load path, on the bench's
// generated workspace. Not part of `npm run bench`; for finding where the
// first analysis and per-edit time of a big workspace go.
// Usage: node [--cpu-prof] bench/workspace-profile.mjs [files] [--cli] [--edits N]
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { workspaceFiles } from './generate.mjs';

const args = process.argv.slice(2);
const files = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const editsArg = args.find((a, i) => args[i - 1] === '--edits');
const edits = Number(editsArg ?? 10);
const mem = (label) => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  const mb = (x) => (x / 1024 / 1024).toFixed(1);
  console.log(`  mem ${label.padEnd(28)} rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}`);
};
mem('node start');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outDir = path.join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'workspace-profile.cjs');
await esbuild.build({
  stdin: {
    contents: `export { Workspace } from './server/src/service/workspace';\nexport { diagnosticsByUri } from './server/src/service/diagnostics';\nexport { initTreeSitter } from './server/src/formats/treeSitter';\nexport { loadCatalog } from './server/src/catalog';\nexport { loadAndAnalyze } from './server/src/cli/check';\nexport { parseSource, analyzeParsed } from './server/src/analysis/analyze';\nexport { CHECKS } from './server/src/analysis/checks';\nexport { evaluateRequiredFlows } from './server/src/analysis/required';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  absWorkingDir: root,
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs', 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
});
const require = createRequire(import.meta.url);
const dir = mkdtempSync(path.join(os.tmpdir(), 'cfl-wsprof-'));
const generated = workspaceFiles(files);
for (const f of generated) {
  mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
  writeFileSync(path.join(dir, f.path), f.text);
}
const t = async (label, f) => {
  const s = performance.now();
  const v = await f();
  console.log(`  ${label.padEnd(34)} ${(performance.now() - s).toFixed(1)} ms`);
  return v;
};
try {
  const m = await t('require bundle', () => require(outfile));
  mem('after require');
  const catalog = await t('loadCatalog', () => m.loadCatalog());
  mem('after catalog');
  if (!args.includes('--cli')) {
    await t('initTreeSitter', () => m.initTreeSitter());
    mem('after initTreeSitter');
  }
  if (args.includes('--cli')) {
    const loaded = await t('cli loadAndAnalyze', () => m.loadAndAnalyze([dir], { cwd: dir }));
    console.log(`  ${loaded.analysis.files.length} files, ${loaded.analysis.findings.length} findings`);
    mem('after cli analysis');
  } else {
    const ws = new m.Workspace([dir], catalog);
    const unit = ws.allUnits()[0];
    await t('scan (read + parse)', () => ws.scan(unit));
    mem('after scan');
    if (args.includes('--checks')) {
      // Each check's share of a full analysis, timed around every per-file call.
      const spent = new Map();
      const timedChecks = m.CHECKS.map((c) => ({ ...c, run: (ctx) => { const s = performance.now(); try { return c.run(ctx); } finally { spent.set(c.id, (spent.get(c.id) ?? 0) + performance.now() - s); } } }));
      const files = unit.uris().map((u) => unit.parsedFile(u)).filter(Boolean);
      const original = m.evaluateRequiredFlows;
      await t('analyzeParsed, timed checks', () => m.analyzeParsed(files, unit.topology(), { workspaceRoot: dir, checks: timedChecks }, catalog));
      console.log('  ' + [...spent].map(([id, ms]) => `${id} ${ms.toFixed(0)}`).join(', '));
      void original;
    }
    const first = await t('first analyze', () => unit.analyze({}));
    console.log(`  ${first.files.length} files, ${first.required.length} required checks, ${first.findings.length} findings`);
    mem('after first analyze');
    await t('first changedDiagnostics', () => ws.changedDiagnostics(unit, {}));
    mem('after publish');
    // Edit one small file repeatedly, the way typing does.
    const target = generated.find((f) => f.path.endsWith('.tf'));
    const uri = pathToFileURL(path.join(dir, target.path)).toString();
    const marker = target.text.indexOf('destination_port_range     = "2') + 'destination_port_range     = "'.length;
    const times = [];
    for (let i = 1; i <= edits; i++) {
      const text = i % 2 ? `${target.text.slice(0, marker)}1${target.text.slice(marker)}` : target.text;
      const s = performance.now();
      ws.openOrChange({ uri, text, version: i, languageId: 'terraform' });
      ws.changedDiagnostics(unit, {});
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    if (times.length)
    console.log(`  edit one file + publish: median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms over ${edits}`);
    mem('after edits');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
