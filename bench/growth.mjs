// Growth with input size, as ratios: time at 2n over time at n, for every
// parser, citrix-flows.yaml and format detection. A linear reader stays near
// 2.0 per doubling; a quadratic one goes toward 4.0. Unit tests do not time
// anything (they only guard against hangs); this is where growth is watched.
// Ratios, not absolute times, so a loaded machine moves both sides alike; each
// time is the median of several runs for the same reason.
// Sizes are lines for the generated files, characters for the hostile shapes of issue 13.
// Usage: node bench/growth.mjs [--sizes 2500,5000,10000,20000] [--runs N] [--out FILE] [--only a,b]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchRoot as root, loadEngine } from './loadEngine.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const sizes = opt('--sizes', '2500,5000,10000,20000').split(',').map(Number);
const runs = Number(opt('--runs', '5'));
const outFile = opt('--out', path.join(root, 'bench', 'growth.json'));
// A ratio above this per doubling is reported as superlinear.
const SUPERLINEAR = 2.8;

const { parseAs, initTreeSitter, detectFormat, parseTopology, vocabulary, TARGETS, benchFile } = await loadEngine('growth', [
  `export { parseAs, initTreeSitter } from './server/src/formats';`,
  `export { detectFormat } from './server/src/formats/detect';`,
  `export { parseTopology } from './server/src/topology';`,
  `export { vocabulary } from './server/src/analysis/analyze';`,
  `export { TARGETS, benchFile } from './test/fuzz/generators';`,
]);
await initTreeSitter();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medianMs(fn) {
  fn(); // warm-up, so the JIT has compiled the hot paths as in a long-running server
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

const vocab = vocabulary();
const ARM_HEAD = '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[';
const yamlOf = (n) => {
  const roles = Array.from({ length: n }, (_, i) => `  vda: [10.${(i >> 8) & 255}.${i & 255}.0/24]`).join('\n');
  const bindings = Array.from({ length: n }, (_, i) => `  - { files: "f${i}/*.tf", roles: [vda] }`).join('\n');
  return `roles:\n${roles}\nbindings:\n${bindings}\n`;
};

const subjects = [
  ...TARGETS.map((t) => ({ name: t.name, make: (n) => benchFile(t, n), run: (text) => parseAs(t.format, text, `file:///bench/input.${t.ext}`) })),
  { name: 'citrix-flows.yaml', make: (n) => yamlOf(n), run: (text) => parseTopology(text, 'file:///bench/citrix-flows.yaml', vocab) },
  { name: 'detect (sniff)', make: (n) => 'iptables -A INPUT -p tcp --dport 1494 -j ACCEPT\n'.repeat(n), run: (text) => detectFormat('file:///bench/x.sh', text) },
  // Hostile shapes (issue 13), n characters of each: what once grew quadratically must stay near 2.
  ...[
    ['hcl whitespace in {', 'terraform', 'tf', (n) => `locals {\n  x = {${' '.repeat(n)}\n`],
    ['hcl nesting [', 'terraform', 'tf', (n) => `locals {\n  x = ${'['.repeat(n)}\n}\n`],
    ['bicep nesting [', 'bicep', 'bicep', (n) => `var x = ${'['.repeat(n)}`],
    ['arm unclosed {', 'arm', 'json', (n) => `${ARM_HEAD}${'{'.repeat(n)}`],
    ['arm nesting {"a":', 'arm', 'json', (n) => `${ARM_HEAD}${'{"a":'.repeat(n / 5)}1${'}'.repeat(n / 5)}]}`],
  ].map(([name, format, ext, make]) => ({ name, make, run: (text) => parseAs(format, text, `file:///bench/hostile.${ext}`) })),
  { name: 'yaml duplicate keys', make: (n) => `roles:\n${'  vda: [10.0.2.0/24]\n'.repeat(n)}`, run: (text) => parseTopology(text, 'file:///bench/citrix-flows.yaml', vocab) },
];

console.log(`node ${process.version}, ${os.cpus().length} cpus; median of ${runs} runs; ratio = time(2n) / time(n), linear ≈ 2`);
console.log(`${'subject'.padEnd(20)} ${sizes.map((s) => `${s} lines ms`.padStart(16)).join('')}   ratios`);
const results = {};
const superlinear = [];
const only = opt('--only', '') ? opt('--only', '').split(',') : undefined;
for (const s of subjects.filter((x) => !only || only.some((o) => x.name.includes(o)))) {
  const ms = sizes.map((n) => {
    const text = s.make(n);
    return medianMs(() => s.run(text));
  });
  const ratios = ms.slice(1).map((m, i) => m / Math.max(ms[i], 0.01));
  results[s.name] = { sizes, medianMs: ms.map((m) => +m.toFixed(2)), ratios: ratios.map((r) => +r.toFixed(2)) };
  // The smallest sizes are noise-dominated; judge growth on the largest doubling.
  if (ratios.at(-1) > SUPERLINEAR) superlinear.push(`${s.name} (${ratios.at(-1).toFixed(2)})`);
  console.log(`${s.name.padEnd(20)} ${ms.map((m) => m.toFixed(1).padStart(16)).join('')}   ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
}
writeFileSync(outFile, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), runs, results }, null, 2)}\n`);
console.log(`written to ${path.relative(process.cwd(), outFile)}`);
if (superlinear.length) console.log(`SUPERLINEAR at the largest doubling (> ${SUPERLINEAR}): ${superlinear.join(', ')}`);
