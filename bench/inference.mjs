// What role inference costs a workspace analysis (issue 17: at most 10%).
// The bench's generated workspace without its citrix-flows.yaml (zero
// configuration, the case inference is for), analysed in process with
// inference on and off, alternately, after a warm-up; medians of each.
// Usage: node bench/inference.mjs [files] [--runs N]
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { workspaceFiles } from './generate.mjs';

const args = process.argv.slice(2);
const fileCount = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 7) || 7;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outfile = path.join(root, 'out', 'bench', 'inference.cjs');
mkdirSync(path.dirname(outfile), { recursive: true });
await esbuild.build({
  stdin: { contents: "export { parseSource, analyzeParsed, readTopology } from './server/src/analysis/analyze';\nexport { initTreeSitter } from './server/src/formats/treeSitter';\nexport { inferSite } from './server/src/topology';\nexport { loadCatalog } from './server/src/catalog';", resolveDir: root, loader: 'ts' },
  outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: root,
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs', 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
});
const m = createRequire(import.meta.url)(outfile);
await m.initTreeSitter();
const generated = workspaceFiles(fileCount);
const siteFile = generated.find((f) => f.path.endsWith('citrix-flows.yaml'));
const parsed = generated
  .filter((f) => f !== siteFile)
  .map((f) => m.parseSource({ uri: `file:///bench/${f.path}`, text: f.text }))
  .filter(Boolean);
let topology = m.readTopology(undefined, undefined);
const analyze = (infer) => {
  const s = performance.now();
  const a = m.analyzeParsed(parsed, topology, { workspaceRoot: '/bench', infer });
  return { ms: performance.now() - s, required: a.required.length, bound: a.inference?.bindings.length ?? 0 };
};
analyze(true);
analyze(false);
const on = [];
const off = [];
let last;
let lastOff;
for (let i = 0; i < runs; i++) {
  lastOff = analyze(false);
  off.push(lastOff.ms);
  last = analyze(true);
  on.push(last.ms);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [a, b] = [median(off), median(on)];
// The inference pass alone (reading the clues, scoring, placing peers), apart from checking the flows it adds.
const catalog = m.loadCatalog();
const declared = m.analyzeParsed(parsed, topology, { workspaceRoot: '/bench', infer: false }).binding.bound;
const pass = [];
for (let i = 0; i < runs; i++) {
  const s = performance.now();
  m.inferSite(parsed, { catalog, declared, topology });
  pass.push(performance.now() - s);
}
const passMs = median(pass);
// With the site declared, no peer is assumed: the difference is the inference pass alone.
let declaredOff = NaN;
let declaredOn = NaN;
if (siteFile) {
  topology = m.readTopology(siteFile.text, 'file:///bench/citrix-flows.yaml');
  const dOff = [];
  const dOn = [];
  for (let i = 0; i < runs; i++) {
    dOff.push(analyze(false).ms);
    dOn.push(analyze(true).ms);
  }
  [declaredOff, declaredOn] = [median(dOff), median(dOn)];
}
console.log(`\nrole inference, ${parsed.length} files without citrix-flows.yaml (median of ${runs})`);
console.log(`  inference off: ${a.toFixed(0)} ms (${lastOff.required} required flows checked); on: ${b.toFixed(0)} ms (${last.bound} rule sets assumed, ${last.required} required flows checked); on/off ${(b / a).toFixed(2)}`);
console.log(`  with the bench's citrix-flows.yaml (nothing assumed beside it): off ${declaredOff.toFixed(0)} ms, on ${declaredOn.toFixed(0)} ms; on/off ${(declaredOn / declaredOff).toFixed(2)} (the inference pass itself)`);
console.log(`  the inference pass alone: ${passMs.toFixed(0)} ms, ${((passMs / a) * 100).toFixed(1)}% of the analysis without it (target: at most 10%); the rest of "on" is checking the ${last.required - lastOff.required} flows it adds`);
console.log(`  per required flow checked: off ${(a / Math.max(1, lastOff.required)).toFixed(3)} ms, on ${(b / Math.max(1, last.required)).toFixed(3)} ms`);
