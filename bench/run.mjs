// `npm run bench`: drives the built language server (dist/server.js) over
// stdio the way an editor does, and the CLI and parsers beside it. Prints a
// table and writes bench/results.json. Budgets (DESIGN.md "Performance
// budget"): edit → diagnostics p95 < 20 ms at 10,000 lines; a 1,000-file
// workspace analysed in < 1 s and < 100 MB; Terraform parse ≥ 2× faster
// than @cdktf/hcl2json.
// Usage: node bench/run.mjs [--quick] [--only edit,workspace,cli,hcl2json] [--formats terraform,…] [--lines 1000,…] [--files 1000,…]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { GENERATORS, TOPOLOGY, workspaceFiles } from './generate.mjs';

const require = createRequire(import.meta.url);
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SERVER = path.join(ROOT, 'dist', 'server.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a, i) => args[i - 1] === '--only');
const only = new Set((onlyArg ?? 'startup,edit,hover,workspace,cli,hcl2json').split(','));
const sizesArg = args.find((a, i) => args[i - 1] === '--lines');
const formatsArg = args.find((a, i) => args[i - 1] === '--formats');
const SIZES = sizesArg ? sizesArg.split(',').map(Number) : quick ? [1000, 10000] : [1000, 10000, 50000];
const FORMATS = formatsArg ? formatsArg.split(',') : Object.keys(GENERATORS);
const unknownFormats = FORMATS.filter((f) => !GENERATORS[f]);
if (unknownFormats.length) {
  process.stderr.write(`bench: no generator for ${unknownFormats.join(', ')}; known: ${Object.keys(GENERATORS).join(', ')}\n`);
  process.exit(2);
}
const EDITS = { 1000: 50, 10000: 50, 50000: 12 };
const filesArg = args.find((a, i) => args[i - 1] === '--files');
const WORKSPACES = filesArg ? filesArg.split(',').map(Number) : quick ? [100, 1000] : [100, 1000, 5000];
const TIMEOUT_MS = 120_000;

if (!fs.existsSync(SERVER)) {
  console.error('dist/server.js is missing: run `npm run build` first');
  process.exit(2);
}

const results = { node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), editLatencyMs: {}, firstDiagnosticsMs: {}, hoverLatencyMs: {}, codeActionLatencyMs: {}, workspace: {}, cli: {} };
const round = (x) => Math.round(x * 10) / 10;
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { p50: round(at(50)), p95: round(at(95)), max: round(s[s.length - 1]), n: s.length };
}
const uriOf = (file) => pathToFileURL(file).toString();
const tempFolder = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `cfl-bench-${name}-`));

/** A language client over stdio: answers the server's requests, records notifications, waits with a time limit. */
class Client {
  constructor() {
    // CFL_BENCH_NODE_ARGS=--cpu-prof profiles the server (the .cpuprofile lands in the working directory).
    const nodeArgs = (process.env.CFL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    this.process = spawn(process.execPath, [...nodeArgs, SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.process.stderr.on('data', (d) => (this.stderr += String(d)));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.published = new Map();
    this.progressEnded = false;
    this.statuses = 0;
    this.waiters = [];
    const notify = () => {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    };
    this.connection.onNotification('textDocument/publishDiagnostics', (p) => {
      this.published.set(p.uri, p);
      notify();
    });
    this.connection.onNotification('$/progress', (p) => {
      if (p.value?.kind === 'end') this.progressEnded = true;
      notify();
    });
    this.connection.onNotification('citrixFlowLint/status', () => {
      this.statuses++;
      notify();
    });
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onRequest('workspace/configuration', (p) => p.items.map(() => ({})));
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.listen();
  }

  waitFor(what, test, ms = TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\n${this.stderr}`)), ms);
      const check = () => {
        const v = test();
        if (v) {
          clearTimeout(timer);
          resolve(v);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  async initialize(folder) {
    await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uriOf(folder),
      workspaceFolders: [{ uri: uriOf(folder), name: path.basename(folder) }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true },
        window: { workDoneProgress: true },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true }, hover: { contentFormat: ['markdown'] } },
      },
    });
    await this.connection.sendNotification('initialized', {});
  }

  /** Peak resident set of the server process, from the kernel. */
  peakRssMB() {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${this.process.pid}/status`, 'utf8'));
      return m ? round(Number(m[1]) / 1024) : undefined;
    } catch {
      return undefined;
    }
  }

  async stop() {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    // Let it exit by itself (a --cpu-prof profile is written on exit), then make sure.
    if (this.process.exitCode === null) await Promise.race([new Promise((r) => this.process.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    this.connection.dispose();
    if (this.process.exitCode === null) this.process.kill();
  }
}

async function timed(f) {
  const t = performance.now();
  const v = await f();
  return [performance.now() - t, v];
}

// ---- edit → diagnostics, hover, code action -------------------------------

async function editBench(format, lines) {
  const g = GENERATORS[format](lines);
  const folder = tempFolder(format);
  fs.writeFileSync(path.join(folder, 'citrix-flows.yaml'), TOPOLOGY);
  const uri = uriOf(path.join(folder, g.file));
  const client = new Client();
  try {
    await client.initialize(folder);
    const [firstMs] = await timed(async () => {
      await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: g.languageId, version: 1, text: g.text } });
      await client.waitFor('first diagnostics', () => client.published.get(uri)?.version === 1);
    });
    // Type a digit into a port in the middle of the file, then delete it again, each edit awaited.
    const at = g.edits[Math.floor(g.edits.length / 2)];
    const latencies = [];
    let version = 1;
    for (let i = 0; i < EDITS[lines]; i++) {
      version++;
      const insert = i % 2 === 0;
      const change = insert
        ? { range: { start: at, end: at }, text: '1' }
        : { range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' };
      const v = version;
      const [ms] = await timed(async () => {
        await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
        await client.waitFor(`diagnostics of version ${v}`, () => client.published.get(uri)?.version === v);
      });
      latencies.push(ms);
    }
    const hover = [];
    const position = { line: at.line, character: at.character - 1 };
    for (let i = 0; i < 20; i++) hover.push((await timed(() => client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position })))[0]);
    const diagnostics = client.published.get(uri)?.diagnostics ?? [];
    const target = diagnostics[0];
    const range = target?.range ?? { start: position, end: position };
    const actions = [];
    let actionCount = 0;
    for (let i = 0; i < 20; i++) {
      const [ms, answer] = await timed(() => client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: target ? [target] : [] } }));
      actions.push(ms);
      actionCount = answer?.length ?? 0;
    }
    return { firstMs: round(firstMs), edit: stats(latencies), hover: stats(hover), codeAction: { ...stats(actions), actions: actionCount }, diagnostics: diagnostics.length, rssMB: client.peakRssMB() };
  } finally {
    await client.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

// ---- workspaces -------------------------------------------------------------

function writeWorkspace(files) {
  const folder = tempFolder(`ws${files}`);
  let bytes = 0;
  for (const f of workspaceFiles(files)) {
    const file = path.join(folder, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.text);
    bytes += Buffer.byteLength(f.text);
  }
  return { folder, bytes };
}

async function workspaceBench(files) {
  const { folder, bytes } = writeWorkspace(files);
  const client = new Client();
  try {
    const [ms] = await timed(async () => {
      await client.initialize(folder);
      await client.waitFor('the first scan', () => client.progressEnded, 300_000);
      // The status notification follows the analysis and the publishing of every file's diagnostics.
      await client.waitFor('the first analysis', () => client.statuses > 0, 300_000);
    });
    return { folder, bytes, result: { ms: Math.round(ms), rssMB: client.peakRssMB(), filesWithDiagnostics: client.published.size } };
  } finally {
    await client.stop();
  }
}

function cliBench(folder, files, bytes) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'check', folder, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`citrix-flow-lint check exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  return { files, seconds: round(s), filesPerSecond: Math.round(files / s), mbPerSecond: round(bytes / 1024 / 1024 / s), findings: report.findings.length, filesRead: report.files.length };
}

// ---- Terraform parse vs hcl2json -------------------------------------------------

async function hcl2jsonBench() {
  const { text } = GENERATORS.terraform(10000);
  const outfile = path.join(ROOT, 'out', 'bench', 'terraform-only.cjs');
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  await esbuild.build({
    stdin: { contents: "export { parseTerraform } from './server/src/formats/terraform';\nexport { initTreeSitter } from './server/src/formats/treeSitter';", resolveDir: ROOT, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs', 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  });
  const ours = require(outfile);
  await ours.initTreeSitter();
  const hcl2json = require('@cdktf/hcl2json');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const runs = 7;
  const oursMs = [];
  const theirsMs = [];
  await hcl2json.parse('warm.tf', 'a = 1\n');
  for (let i = 0; i < runs; i++) {
    oursMs.push((await timed(() => ours.parseTerraform(text, 'file:///bench/big.tf')))[0]);
    theirsMs.push((await timed(() => hcl2json.parse('big.tf', text)))[0]);
  }
  return { hcl2jsonMs: round(median(theirsMs)), ourTerraformParseMs: round(median(oursMs)), hcl2jsonRatio: round(median(theirsMs) / median(oursMs)) };
}

// ---- server start ------------------------------------------------------------------

/** Launch → `initialize` answered, on an empty folder: what an editor waits before its first request. */
async function startupBench(runs = 9) {
  const folder = tempFolder('startup');
  const times = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const client = new Client();
      try {
        await client.connection.sendRequest('initialize', { processId: process.pid, rootUri: uriOf(folder), workspaceFolders: [{ uri: uriOf(folder), name: 'startup' }], capabilities: {} });
        times.push(performance.now() - started);
      } finally {
        await client.stop();
      }
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  return stats(times);
}

// ---- run ---------------------------------------------------------------------------

const started = performance.now();
const rows = [];
if (only.has('startup')) {
  results.serverStartMs = await startupBench();
  console.error(`  server start → initialize answered: p50 ${results.serverStartMs.p50} p95 ${results.serverStartMs.p95} ms`);
}
if (only.has('edit') || only.has('hover')) {
  for (const format of FORMATS) {
    for (const lines of SIZES) {
      const r = await editBench(format, lines);
      (results.editLatencyMs[format] ??= {})[lines] = r.edit;
      (results.firstDiagnosticsMs[format] ??= {})[lines] = r.firstMs;
      (results.hoverLatencyMs[format] ??= {})[lines] = r.hover;
      (results.codeActionLatencyMs[format] ??= {})[lines] = r.codeAction;
      rows.push([format, lines, r.firstMs, r.edit.p50, r.edit.p95, r.edit.max, r.hover.p95, r.codeAction.p95, r.rssMB]);
      console.error(`  ${format} ${lines}: edit p50 ${r.edit.p50} p95 ${r.edit.p95} ms`);
    }
  }
}
let cliFolder;
if (only.has('workspace') || only.has('cli')) {
  for (const files of WORKSPACES) {
    const w = await workspaceBench(files);
    results.workspace[files] = w.result;
    console.error(`  workspace ${files}: ${w.result.ms} ms, ${w.result.rssMB} MB`);
    if (files === 1000 && only.has('cli')) cliFolder = w;
    else fs.rmSync(w.folder, { recursive: true, force: true });
  }
}
if (cliFolder) {
  results.cli = cliBench(cliFolder.folder, 1000, cliFolder.bytes);
  results['cli.filesPerSecond'] = results.cli.filesPerSecond;
  results['cli.mbPerSecond'] = results.cli.mbPerSecond;
  fs.rmSync(cliFolder.folder, { recursive: true, force: true });
}
if (only.has('hcl2json')) Object.assign(results, await hcl2jsonBench());
results.totalSeconds = Math.round((performance.now() - started) / 1000);

const pad = (v, n) => String(v ?? '–').padStart(n);
console.log('\nedit → publishDiagnostics (ms), hover and code action p95 (ms), server peak RSS (MB)');
console.log(`${'format'.padEnd(10)}${pad('lines', 7)}${pad('open', 9)}${pad('p50', 9)}${pad('p95', 9)}${pad('max', 9)}${pad('hover', 8)}${pad('action', 8)}${pad('RSS', 7)}`);
for (const r of rows) console.log(`${r[0].padEnd(10)}${pad(r[1], 7)}${pad(r[2], 9)}${pad(r[3], 9)}${pad(r[4], 9)}${pad(r[5], 9)}${pad(r[6], 8)}${pad(r[7], 8)}${pad(r[8], 7)}`);
if (Object.keys(results.workspace).length) {
  console.log('\nfirst full analysis of a workspace');
  for (const [files, w] of Object.entries(results.workspace)) console.log(`${pad(files, 6)} files: ${pad(w.ms, 6)} ms, peak RSS ${pad(w.rssMB, 6)} MB`);
}
if (results.cli.files) console.log(`\nCLI check on ${results.cli.files} files: ${results.cli.seconds} s, ${results.cli.filesPerSecond} files/s, ${results.cli.mbPerSecond} MB/s`);
if (results.hcl2jsonMs) console.log(`\n10,000-line Terraform: @cdktf/hcl2json ${results.hcl2jsonMs} ms, ours ${results.ourTerraformParseMs} ms: ${results.hcl2jsonRatio}× faster`);
console.log(`\n(${results.totalSeconds} s)`);
// A partial run (--only, --formats, --lines, --files) updates its own numbers and keeps the rest of the last results.
const resultsFile = path.join(ROOT, 'bench', 'results.json');
let previous = {};
try {
  previous = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
} catch {
  // first run
}
const isPlain = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
function merge(old, fresh) {
  if (!isPlain(old) || !isPlain(fresh)) return fresh;
  const out = { ...old };
  for (const [k, v] of Object.entries(fresh)) out[k] = isPlain(v) && isPlain(old[k]) && !('p95' in v) && !('ms' in v) && !('seconds' in v) ? merge(old[k], v) : v;
  return out;
}
const partial = onlyArg || sizesArg || formatsArg || filesArg || quick;
fs.writeFileSync(resultsFile, `${JSON.stringify(partial ? merge(previous, results) : results, null, 2)}\n`);
