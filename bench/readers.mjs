// Issue 20 item 7: does the hand-written direct reader for HCL pay for being
// a second parser beside tree-sitter? Times both on the same texts, to the
// same product (the HclDocument the rule reader walks), on generated files of
// 1k and 10k lines and, with --corpus DIR, on every .tf file of a real-world
// corpus (scripts/corpus). The Bicep direct reader was removed on these
// figures: it declined 34 of 40 real files and saved about 5 ms over all of
// them (see the closing note of the stop that removed it). A direct
// reader that declines a file (syntax error, something it does not read)
// leaves it to tree-sitter; the "declined" column counts those.
// Usage: node bench/readers.mjs [--corpus DIR] [--lines 1000,10000] [--out FILE]
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEngine } from './loadEngine.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const sizes = opt('--lines', '1000,10000').split(',').map(Number);
const corpus = opt('--corpus', undefined);
const outFile = opt('--out', path.join(root, 'bench', 'readers.json'));

const engine = await loadEngine('readers', [
  `export { initTreeSitter } from './server/src/formats/treeSitter';`,
  `export { parseHclFast } from './server/src/formats/terraform/fastHcl';`,
  `export { parseHclWithTreeSitter } from './server/src/formats/terraform/hcl';`,
  `export { TARGETS, benchFile } from './test/fuzz/generators';`,
]);
await engine.initTreeSitter();

const now = () => performance.now();
const READERS = {
  terraform: {
    direct: (text) => engine.parseHclFast(text),
    treeSitter: (text) => engine.parseHclWithTreeSitter(text),
  },
};

/** Median of `runs` timings of fn over all texts, in ms. */
function timeAll(fn, texts, runs) {
  for (const t of texts) fn(t);
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    for (const t of texts) fn(t);
    xs.push(now() - t0);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

function measure(format, label, texts, runs) {
  const r = READERS[format];
  const declined = texts.filter((t) => !r.direct(t)).length;
  const readable = texts.filter((t) => r.direct(t));
  const direct = timeAll(r.direct, readable, runs);
  const treeSitter = timeAll(r.treeSitter, readable, runs);
  const lines = texts.reduce((a, t) => a + t.split('\n').length, 0);
  const row = { files: texts.length, lines, declined, directMs: +direct.toFixed(2), treeSitterMs: +treeSitter.toFixed(2), ratio: +(treeSitter / Math.max(direct, 0.001)).toFixed(2) };
  console.log(`${format.padEnd(10)} ${label.padEnd(24)} ${String(row.files).padStart(5)} ${String(lines).padStart(7)} ${String(declined).padStart(8)} ${row.directMs.toFixed(1).padStart(10)} ${row.treeSitterMs.toFixed(1).padStart(12)} ${row.ratio.toFixed(2).padStart(7)}×`);
  return row;
}

function filesUnder(dir, ext, out = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s || name === '.git') continue;
    if (s.isDirectory()) filesUnder(p, ext, out);
    else if (s.isFile() && name.endsWith(ext) && s.size < 2_000_000) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

const results = {};
console.log(`node ${process.version}, ${os.cpus().length} cpus; times are the median over runs of reading every file of the row once`);
console.log('format     input                    files   lines declined  direct ms  tree-sitter ms  ratio');
for (const [format, target] of [['terraform', 'terraform-azure'], ['terraform', 'terraform-aws']]) {
  const t = engine.TARGETS.find((x) => x.name === target);
  for (const lines of sizes) results[`${target} ${lines}`] = measure(format, `${target} ${lines} lines`, [engine.benchFile(t, lines)], lines <= 1000 ? 20 : 7);
}
if (corpus) {
  results['corpus .tf'] = measure('terraform', 'corpus .tf', filesUnder(corpus, '.tf'), 7);
}
writeFileSync(outFile, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`written to ${path.relative(process.cwd(), outFile)}`);
