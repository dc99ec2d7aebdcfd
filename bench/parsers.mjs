// Parse time per format at 1k / 10k / 50k lines, on files generated from the
// fuzz generators (test/fuzz/generators.ts) with a fixed seed, through the
// esbuild-bundled parsers as the server runs them. Prints a table and writes
// bench/parsers.json.
// Usage: node bench/parsers.mjs [--format NAME[,NAME…]] [--lines 1000,10000,50000] [--runs N] [--out FILE] [--profile]
//   --profile: parse the 10k-line file (or the first --lines size) of each format
//   repeatedly under the inspector's profiler (writes out/bench/prof/<target>.cpuprofile)
//   and print the functions with the most self time.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Session } from 'node:inspector/promises';
import { loadEngine } from './loadEngine.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const sizes = opt('--lines', '1000,10000,50000').split(',').map(Number);
const only = opt('--format', '')?.split(',').filter(Boolean) ?? [];
const runsOverride = opt('--runs', undefined);
const outFile = opt('--out', path.join(root, 'bench', 'parsers.json'));
const profile = argv.includes('--profile');

const outDir = path.join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const { parseAs, initTreeSitter, treeSitterParser, TARGETS, benchFile } = await loadEngine('parsers', [
  `export { parseAs, initTreeSitter } from './server/src/formats';`,
  `export { treeSitterParser } from './server/src/formats/treeSitter';`,
  `export { TARGETS, benchFile } from './test/fuzz/generators';`,
]);
await initTreeSitter();

const targets = TARGETS.filter((t) => only.length === 0 || only.includes(t.name) || only.includes(t.format));
const runsFor = (lines) => Number(runsOverride ?? (lines <= 1000 ? 40 : lines <= 10000 ? 15 : 4));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};
const time = (fn) => {
  const t0 = performance.now();
  const r = fn();
  return [performance.now() - t0, r];
};

if (profile) {
  const session = new Session();
  session.connect();
  mkdirSync(path.join(outDir, 'prof'), { recursive: true });
  for (const t of targets) {
    const lines = argv.includes('--lines') ? sizes[0] : 10000;
    const text = benchFile(t, lines);
    const uri = `file:///bench/input.${t.ext}`;
    const reps = Math.max(2, Math.round(300000 / lines));
    for (let i = 0; i < 3; i++) parseAs(t.format, text, uri);
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    for (let i = 0; i < reps; i++) parseAs(t.format, text, uri);
    const { profile: p } = await session.post('Profiler.stop');
    const file = path.join(outDir, 'prof', `${t.name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(p));
    // Self time per function, top 12, so the hot spots show without opening a viewer.
    const self = new Map();
    const dt = p.timeDeltas;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const counts = new Map();
    for (const id of p.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    const total = p.samples.length;
    for (const [id, c] of counts) {
      const n = byId.get(id);
      const key = `${n.callFrame.functionName || '(anon)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + c);
    }
    void dt;
    console.log(`\n${t.name}: ${file}`);
    for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
  session.disconnect();
  process.exit(0);
}

const results = {};
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'})`);
console.log('target               lines      chars  rules   median ms     p95 ms   tree-sitter ms');
for (const t of targets) {
  results[t.name] = {};
  for (const lines of sizes) {
    const text = benchFile(t, lines);
    const uri = `file:///bench/input.${t.ext}`;
    const [, first] = time(() => parseAs(t.format, text, uri));
    const rules = first.ruleSets.reduce((a, rs) => a + rs.rules.length, 0);
    // Warm up so the JIT has compiled the hot paths, as in a long-running server.
    for (let i = 0; i < 3; i++) parseAs(t.format, text, uri);
    const xs = [];
    for (let i = 0; i < runsFor(lines); i++) xs.push(time(() => parseAs(t.format, text, uri))[0]);
    let treeSitterMs;
    if (t.format === 'terraform' || t.format === 'bicep') {
      const ts = [];
      for (let i = 0; i < Math.min(10, runsFor(lines)); i++) ts.push(time(() => treeSitterParser(t.format).parse(text).delete())[0]);
      treeSitterMs = quantile(ts, 0.5);
    }
    const lineCount = text.split('\n').length;
    const row = { lines: lineCount, chars: text.length, rules, runs: xs.length, medianMs: +quantile(xs, 0.5).toFixed(2), p95Ms: +quantile(xs, 0.95).toFixed(2), ...(treeSitterMs === undefined ? {} : { treeSitterMs: +treeSitterMs.toFixed(2) }) };
    results[t.name][lines] = row;
    console.log(`${t.name.padEnd(20)} ${String(lineCount).padStart(6)} ${String(text.length).padStart(10)} ${String(rules).padStart(6)} ${row.medianMs.toFixed(1).padStart(11)} ${row.p95Ms.toFixed(1).padStart(10)} ${treeSitterMs === undefined ? '' : treeSitterMs.toFixed(1).padStart(16)}`);
  }
}
writeFileSync(outFile, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`written to ${path.relative(process.cwd(), outFile)}`);
