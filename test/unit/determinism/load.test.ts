import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { parseSource } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import type { ParsedFile } from '../../../server/src/model';
import { fixturePath } from '../../helpers/fixtures';

/**
 * The same input gives the same rules on a loaded machine. Busy worker
 * threads in this very process load the CPU the way garbage collection and
 * the WebAssembly compiler do: the process's CPU time runs several times
 * faster than this thread's work, which is exactly what made a CPU-time
 * parse budget cut files at different places from run to run.
 */

/** Terraform and Bicep files that go through tree-sitter: syntax errors, fuzz counterexamples, and big repeated ones. */
function inputs(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of ['terraform', 'bicep', 'fuzz-found/terraform', 'fuzz-found/bicep']) {
    for (const name of fs.readdirSync(fixturePath(dir))) {
      if (!/\.(tf|bicep)$/.test(name)) continue;
      out.push({ name: `${dir}/${name}`, text: fs.readFileSync(fixturePath(dir, name), 'utf8') });
    }
  }
  // A long file with one syntax error near the top: the whole-file parse fails and every block is parsed on its own,
  // so the parse lasts long enough for load to matter.
  for (const name of ['terraform/syntax-missing-brace.tf', 'bicep/syntax-errors.bicep']) {
    const base = out.find((f) => f.name === name);
    if (base) out.push({ name: `${name} ×12`, text: Array.from({ length: 12 }, () => base.text).join('\n') });
  }
  return out;
}

/** What a parse decides: every rule of every rule set, and every problem, in order. */
function shape(file: ParsedFile | undefined): string {
  if (!file) return 'not read';
  return JSON.stringify({
    ruleSets: file.ruleSets.map((rs) => [rs.id, rs.rules.map((r) => [r.id, r.target.kind, r.span.start, r.span.end])]),
    problems: file.problems.map((p) => [p.code, p.span.start, p.message]),
  });
}

function summary(shapeText: string): string {
  const s = JSON.parse(shapeText) as { ruleSets: [string, unknown[]][]; problems: [string][] };
  return `${s.ruleSets.length} rule sets, ${s.ruleSets.reduce((n, rs) => n + rs[1].length, 0)} rules, problems ${JSON.stringify(s.problems.map((p) => p[0]))}`;
}

const SPIN = `
const { parentPort } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => { stop = true; });
(function spin() { const until = Date.now() + 50; while (Date.now() < until) {} if (!stop) setImmediate(spin); })();
`;

let workers: Worker[] = [];

before(async () => {
  await initTreeSitter();
});

after(async () => {
  for (const w of workers) w.postMessage('stop');
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
});

test('Terraform and Bicep parse the same under CPU load as at rest', async () => {
  const files = inputs();
  assert.ok(files.length > 10, 'there are files to parse');
  const uri = (name: string): string => `file:///load/${name.replace(/[^\w.-]/g, '_')}${name.endsWith('.bicep') || name.includes('.bicep') ? '.bicep' : '.tf'}`;
  const atRest = files.map((f) => shape(parseSource({ uri: uri(f.name), text: f.text })));
  workers = Array.from({ length: 3 }, () => new Worker(SPIN, { eval: true }));
  // Let the workers start spinning before parsing.
  await new Promise((r) => setTimeout(r, 200));
  for (let round = 0; round < 2; round++) {
    files.forEach((f, i) => {
      const loaded = shape(parseSource({ uri: uri(f.name), text: f.text }));
      // The shapes are long: say what differs in a line, not two pages of JSON.
      if (loaded !== atRest[i]) assert.fail(`${f.name}, round ${round + 1} under load: ${summary(loaded)} instead of ${summary(atRest[i])}`);
    });
  }
});
