// In-process stage timings (parse, analyze, each check) on the bench's
// generated files, for finding where edit latency goes. Not part of `npm run bench`.
// Usage: node bench/profile.mjs [lines] [format…]
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { GENERATORS, TOPOLOGY } from './generate.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outDir = path.join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'profile.cjs');
await esbuild.build({
  stdin: {
    contents: `export * from './server/src/analysis/analyze';\nexport { CHECKS } from './server/src/analysis/checks';\nexport { initTreeSitter } from './server/src/formats/treeSitter';\nexport { WorkspaceState } from './server/src/service/state';\nexport { linkTerraformModules } from './server/src/analysis/link';\nexport { bindRuleSets } from './server/src/topology';\nexport { evaluateRequiredFlows } from './server/src/analysis/required';\nexport { loadCatalog } from './server/src/catalog';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs', 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
});
const require = createRequire(import.meta.url);
const m = require(outfile);
await m.initTreeSitter();
const lines = Number(process.argv[2] ?? 10000);
const formats = process.argv.slice(3).length ? process.argv.slice(3) : Object.keys(GENERATORS);
const catalog = m.loadCatalog();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cfl-profile-'));
writeFileSync(path.join(dir, 'citrix-flows.yaml'), TOPOLOGY);
const topology = m.readTopology(TOPOLOGY, pathToFileURL(path.join(dir, 'citrix-flows.yaml')).toString());
const t = (f) => {
  const s = performance.now();
  const v = f();
  return [v, performance.now() - s];
};
for (const format of formats) {
  const g = GENERATORS[format](lines);
  const uri = pathToFileURL(path.join(dir, g.file)).toString();
  for (let round = 0; round < 3; round++) {
    const [parsed, parseMs] = t(() => m.parseSource({ uri, text: g.text }));
    const [files, linkMs] = t(() => m.linkTerraformModules([parsed]));
    const [binding, bindMs] = t(() => m.bindRuleSets(files, topology, { workspaceRoot: dir, vocabulary: m.vocabulary(), reportUnmatched: true }));
    const [required, reqMs] = t(() => m.evaluateRequiredFlows(binding.bound, topology, catalog));
    const context = { files, bound: binding.bound, topology, catalog, required };
    const checks = {};
    for (const c of m.CHECKS) checks[c.id] = +t(() => c.run(context))[1].toFixed(1);
    const [analysis, analyzeMs] = t(() => m.analyzeParsed([parsed], topology, { workspaceRoot: dir }, catalog));
    const rules = parsed.ruleSets.reduce((n, rs) => n + rs.rules.length, 0);
    console.log(`${format} ${lines} lines, ${rules} rules, ${required.length} required, ${analysis.findings.length} findings: parse ${parseMs.toFixed(1)} link ${linkMs.toFixed(1)} bind ${bindMs.toFixed(1)} required ${reqMs.toFixed(1)} analyzeParsed ${analyzeMs.toFixed(1)} checks ${JSON.stringify(checks)}`);
  }
}
