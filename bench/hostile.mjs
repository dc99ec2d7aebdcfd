// Hostile workspaces (issue 13): drives the built CLI (dist/cli.js) and
// language server (dist/server.js) against repositories made to hang, exhaust,
// crash or leak, and prints one line per case with time, peak memory and what
// happened. A child that passes the memory cap or the time limit is killed and
// reported as such, so the "before" figures of a broken build stay measurable
// on a shared machine. Growth with input size is reported as ratios
// (time at 2n / time at n): about 2 is linear, about 4 quadratic.
// Usage: node bench/hostile.mjs [--only NAME,…] [--timeout-s 60] [--cap-mb 2500] [--out FILE]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// CFL_DIST=folder measures another build (the "before" of a change) with the same inputs.
const DIST = path.resolve(process.env.CFL_DIST ?? path.join(ROOT, 'dist'));
const CLI = path.join(DIST, 'cli.js');
const SERVER = path.join(DIST, 'server.js');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const only = opt('--only', '') ? new Set(opt('--only', '').split(',')) : undefined;
const TIMEOUT_MS = Number(opt('--timeout-s', '60')) * 1000;
const CAP_MB = Number(opt('--cap-mb', '2500'));
const outFile = opt('--out', undefined);
const results = {};
const uriOf = (f) => pathToFileURL(f).toString();
const round = (x) => Math.round(x * 10) / 10;
const temp = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `cfl-hostile-${name}-`));
const isRoot = process.getuid?.() === 0;

const ROLES = 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n';
const IPTABLES = '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1494 -j ACCEPT\nCOMMIT\n';
const TF_MAIN = 'variable "port" {}\n# citrix-role: vda\nresource "azurerm_network_security_group" "n" {\n  name = "n"\n  security_rule {\n    name = "r"\n    priority = 100\n    direction = "Inbound"\n    access = "Allow"\n    protocol = "Tcp"\n    source_port_range = "*"\n    destination_port_range = var.port\n    source_address_prefix = "*"\n    destination_address_prefix = "*"\n  }\n}\n';

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds the process has used (user + system, from /proc, in clock ticks of 10 ms). The machine
 * this runs on may be shared: wall times there measure the queue for a core as much as the work.
 */
function cpuMsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Runs the CLI, polling its resident memory; kills it past the cap or the time limit. */
function cli(args, cwd, { asNobody = false } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(...command([CLI, ...args], asNobody), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let cpu = 0;
    let killed;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      peak = Math.max(peak, rssOf(child.pid));
      cpu = cpuMsOf(child.pid) ?? cpu;
      if (peak > CAP_MB) killed ??= `killed past ${CAP_MB} MB`;
      else if (performance.now() - t0 > TIMEOUT_MS) killed ??= `killed after ${TIMEOUT_MS / 1000} s`;
      if (killed) child.kill('SIGKILL');
    }, 50);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, ms: round(performance.now() - t0), cpuMs: cpu, peakMB: round(peak), killed, stdout, stderr });
    });
  });
}

/**
 * Node with these arguments; as root, `asNobody` runs it as uid 65534 through
 * setpriv, because root reads a mode-000 folder and EACCES never happens.
 */
function command(args, asNobody) {
  if (asNobody && isRoot) return ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]];
  return [process.execPath, args];
}

class Client {
  constructor({ asNobody = false } = {}) {
    this.process = spawn(...command([SERVER, '--stdio'], asNobody), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.exited = undefined;
    this.peak = 0;
    this.process.on('exit', (code) => (this.exited = code));
    this.process.stderr.on('data', (d) => (this.stderr += String(d)));
    this.poll = setInterval(() => {
      this.peak = Math.max(this.peak, rssOf(this.process.pid));
      if (this.peak > CAP_MB) this.process.kill('SIGKILL');
    }, 50);
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.published = new Map();
    this.logs = [];
    this.connection.onNotification('textDocument/publishDiagnostics', (p) => this.published.set(p.uri, p));
    this.connection.onNotification('$/progress', () => undefined);
    this.connection.onNotification('citrixFlowLint/status', () => undefined);
    this.connection.onNotification('window/logMessage', (p) => this.logs.push(p.message));
    this.connection.onNotification('window/showMessage', (p) => this.logs.push(p.message));
    this.connection.onRequest('workspace/configuration', (p) => p.items.map(() => ({})));
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.onError(() => undefined);
    this.connection.listen();
  }

  async initialize(folder) {
    await this.timed('initialize', {
      processId: process.pid,
      rootUri: uriOf(folder),
      workspaceFolders: [{ uri: uriOf(folder), name: 'w' }],
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    });
    await this.notify('initialized', {});
  }

  /** A notification; a server that has died is recorded by `exited`, not thrown. */
  async notify(method, params) {
    try {
      await this.connection.sendNotification(method, params);
    } catch {
      // the server is gone
    }
  }

  /** A request's answer, or its error message, or "no answer" past the limit; with how long it took. */
  async timed(method, params, limitMs = TIMEOUT_MS) {
    const t0 = performance.now();
    let timer;
    const answer = await Promise.race([
      Promise.resolve().then(() => this.connection.sendRequest(method, params)).then(
        (r) => ({ ok: r }),
        (e) => ({ error: String(e?.message ?? e) }),
      ),
      new Promise((r) => (timer = setTimeout(() => r({ error: `no answer in ${limitMs / 1000} s` }), limitMs))),
    ]);
    clearTimeout(timer);
    return { ...answer, ms: round(performance.now() - t0) };
  }

  async waitDiagnostics(uri, limitMs = TIMEOUT_MS, test = () => true) {
    const t0 = performance.now();
    while (performance.now() - t0 < limitMs && this.exited === undefined) {
      const p = this.published.get(uri);
      if (p && test(p)) return p;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }

  async stop() {
    clearInterval(this.poll);
    if (this.exited === undefined) {
      await Promise.race([this.connection.sendRequest('shutdown').catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      this.connection.sendNotification('exit').catch(() => undefined);
      await Promise.race([new Promise((r) => this.process.once('exit', r)), new Promise((r) => setTimeout(r, 2000))]);
    }
    this.connection.dispose();
    if (this.exited === undefined) this.process.kill('SIGKILL');
  }
}

function report(name, value) {
  results[name] = value;
  console.log(`${name.padEnd(34)} ${JSON.stringify(value)}`);
}
const want = (name) => !only || only.has(name);
const cliSummary = (r) => ({ exit: r.code, ms: r.ms, cpuMsAtLeast: r.cpuMs, peakMB: r.peakMB, ...(r.killed ? { killed: r.killed } : {}), stackTrace: /\n\s+at .+\(.+:\d+:\d+\)/.test(r.stderr), ...(r.code !== 0 && r.stderr ? { stderr: r.stderr.split('\n').find(Boolean).slice(0, 140) } : {}) });

/** A folder with a readable iptables file, a citrix-flows.yaml, and whatever `extra` adds. */
function workspace(name, extra) {
  const dir = temp(name);
  fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), ROLES);
  fs.writeFileSync(path.join(dir, 'ok.rules'), IPTABLES);
  extra(dir);
  return dir;
}

/** The server on a folder: does a hover on ok.rules answer, how fast, and how big did the server get. */
async function serverCase(dir, { openUri, openText, openLanguage, asNobody } = {}) {
  const c = new Client({ asNobody });
  await c.initialize(dir);
  if (openUri) await c.notify('textDocument/didOpen', { textDocument: { uri: openUri, languageId: openLanguage, version: 1, text: openText } });
  const okUri = uriOf(path.join(dir, 'ok.rules'));
  await c.notify('textDocument/didOpen', { textDocument: { uri: okUri, languageId: 'iptables', version: 1, text: IPTABLES } });
  // The other document's analysis has been scheduled by now: the hover measures how long it holds others.
  await new Promise((r) => setTimeout(r, 300));
  const hover = await c.timed('textDocument/hover', { textDocument: { uri: okUri }, position: { line: 3, character: 25 } });
  const diags = await c.waitDiagnostics(okUri, 5000);
  const out = { hoverMs: hover.ms, hoverAnswered: !hover.error || !/no answer/.test(hover.error), serverExited: c.exited !== undefined ? c.exited : null, peakMB: round(c.peak), okDiagnostics: diags ? diags.diagnostics.length : null };
  if (hover.error) out.hoverError = hover.error.slice(0, 120);
  await c.stop();
  return { out, client: c };
}

// The CLI's own start and a one-file check, to read the other CLI times against.
if (want('baseline')) {
  const dir = workspace('baseline', () => undefined);
  report('baseline.cli', cliSummary(await cli(['check', '.', '--format', 'json', '--exit-zero'], dir)));
  fs.rmSync(dir, { recursive: true, force: true });
}

// 1. /dev/zero and FIFO tfvars
if (want('devzero')) {
  const dir = workspace('devzero', (d) => {
    fs.writeFileSync(path.join(d, 'main.tf'), TF_MAIN);
    fs.symlinkSync('/dev/zero', path.join(d, 'zero.tfvars'));
  });
  report('devzero.cli', cliSummary(await cli(['check', '.', '--format', 'json', '--exit-zero'], dir)));
  report('devzero.server', (await serverCase(dir)).out);
  fs.rmSync(dir, { recursive: true, force: true });
}
if (want('fifo')) {
  const dir = workspace('fifo', (d) => {
    fs.writeFileSync(path.join(d, 'main.tf'), TF_MAIN);
    spawnSync('mkfifo', [path.join(d, 'x.tfvars')]);
  });
  report('fifo.cli', cliSummary(await cli(['check', '.', '--format', 'json', '--exit-zero'], dir)));
  report('fifo.server', (await serverCase(dir)).out);
  fs.rmSync(dir, { recursive: true, force: true });
}

// 2. A tfvars and a sibling .tf linked to files outside the workspace: do their values reach diagnostics?
// The outside values are management ports, so exposed-to-internet names them ("TCP 3389", "TCP 22") when read.
if (want('outside')) {
  const secretDir = temp('secret');
  fs.writeFileSync(path.join(secretDir, 'secret.tfvars'), 'port = "3389"\n');
  fs.writeFileSync(path.join(secretDir, 'secret.tf'), 'locals {\n  leaked = "22"\n}\n');
  const rule = (name, priority, port) => `resource "azurerm_network_security_rule" "${name}" {\n  name = "${name}"\n  priority = ${priority}\n  direction = "Inbound"\n  access = "Allow"\n  protocol = "Tcp"\n  source_port_range = "*"\n  destination_port_range = ${port}\n  source_address_prefix = "*"\n  destination_address_prefix = "*"\n  network_security_group_name = "n"\n  resource_group_name = "rg"\n}\n`;
  const main = `variable "port" {}\n# citrix-role: vda\nresource "azurerm_network_security_group" "n" {\n  name = "n"\n}\n${rule('fromvar', 100, 'var.port')}${rule('fromlocal', 200, 'local.leaked')}`;
  const dir = workspace('outside', (d) => {
    fs.writeFileSync(path.join(d, 'main.tf'), main);
    fs.symlinkSync(path.join(secretDir, 'secret.tfvars'), path.join(d, 'terraform.tfvars'));
    fs.symlinkSync(path.join(secretDir, 'secret.tf'), path.join(d, 'leak.tf'));
  });
  const shown = (s) => ({ tfvarsValueShown: s.includes('TCP 3389'), siblingValueShown: s.includes('TCP 22)') });
  const r = await cli(['check', '.', '--format', 'json', '--exit-zero'], dir);
  report('outside.cli', { ...cliSummary(r), ...shown(r.stdout) });
  const c = new Client();
  await c.initialize(dir);
  const mainUri = uriOf(path.join(dir, 'main.tf'));
  await c.notify('textDocument/didOpen', { textDocument: { uri: mainUri, languageId: 'terraform', version: 1, text: main } });
  const d = await c.waitDiagnostics(mainUri, 20000, (p) => p.version === 1);
  report('outside.server', { ...shown(JSON.stringify(d ?? {})), answered: !!d });
  await c.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(secretDir, { recursive: true, force: true });
}

// 3. One unreadable subfolder. Root reads a mode-000 folder, so as root the children run as nobody (setpriv).
if (want('eacces')) {
  const dir = workspace('eacces', (d) => {
    fs.mkdirSync(path.join(d, 'locked'));
    fs.writeFileSync(path.join(d, 'locked', 'hidden.rules'), IPTABLES);
    fs.chmodSync(path.join(d, 'locked'), 0o000);
    fs.chmodSync(d, 0o755);
  });
  const r = await cli(['check', '.', '--format', 'json', '--exit-zero'], dir, { asNobody: true });
  let checked = false;
  try {
    checked = JSON.stringify(JSON.parse(r.stdout)).includes('ok.rules');
  } catch {
    // not JSON: the run failed
  }
  report('eacces.cli', { ...cliSummary(r), readableFileChecked: checked, stderr: r.stderr.split('\n')[0].slice(0, 120) });
  const { out } = await serverCase(dir, { asNobody: true });
  report('eacces.server', out);
  fs.chmodSync(path.join(dir, 'locked'), 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
}

// 4. ARM JSON nesting: unclosed and balanced braces, CLI time with growth ratio; a hover on another file while one is open.
// The schema line makes the file an ARM template (detection reads it); the nesting sits in `resources`.
const ARM_HEAD = '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[';
const unclosed = (n) => `${ARM_HEAD}${'{'.repeat(n)}`;
const unclosedObjects = (n) => `${ARM_HEAD}${'{"a":'.repeat(n)}`;
const balanced = (n) => `${ARM_HEAD}${'{"a":'.repeat(n)}1${'}'.repeat(n)}]}`;
async function cliOnFile(name, text) {
  const dir = workspace(name, (d) => fs.writeFileSync(path.join(d, 'deep.json'), text));
  const r = await cli(['check', 'deep.json', '--format', 'json', '--exit-zero'], dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}
if (want('arm')) {
  for (const [label, make, sizes] of [
    ['unclosed', unclosed, [4000, 8000, 16000]],
    ['unclosedObjects', unclosedObjects, [4000, 8000, 16000]],
    ['balanced', balanced, [2000, 4000, 8000]],
  ]) {
    const times = [];
    const cpuTimes = [];
    for (const n of sizes) {
      const r = await cliOnFile(`arm-${label}`, make(n));
      times.push(r.ms);
      cpuTimes.push(r.cpuMs);
      report(`arm.${label}.${n}`, { chars: make(n).length, ...cliSummary(r) });
    }
    report(`arm.${label}.ratio2n`, times.slice(1).map((t, i) => round(t / times[i])));
    report(`arm.${label}.cpuRatio2n`, cpuTimes.slice(1).map((t, i) => round(t / Math.max(cpuTimes[i], 10))));
  }
  for (const n of [1000, 10000, 100000]) report(`arm.balanced.${n}.deep`, cliSummary(await cliOnFile('arm-deep', balanced(n))));
  const text = unclosed(9000 - ARM_HEAD.length); // 9 KB
  const dir = workspace('arm-hover', () => undefined);
  const { out } = await serverCase(dir, { openUri: uriOf(path.join(dir, 'deep.json')), openText: text, openLanguage: 'json' });
  report('arm.hoverWhile9KBOpen', { chars: text.length, ...out });
  fs.rmSync(dir, { recursive: true, force: true });
}

// 5. Bicep files of 0.2–1 MB, from the bench generator's valid NSG resources.
if (want('bicep')) {
  const rule = (i) => `      {\n        name: 'r${i}'\n        properties: {\n          access: 'Allow'\n          direction: 'Inbound'\n          priority: ${100 + (i % 4000)}\n          protocol: 'Tcp'\n          sourcePortRange: '*'\n          destinationPortRange: '${1000 + (i % 60000)}'\n          sourceAddressPrefix: '10.${(i >> 8) & 255}.${i & 255}.0/24'\n          destinationAddressPrefix: '*'\n        }\n      }\n`;
  const bicep = (bytes) => {
    const parts = ["param location string = 'westeurope'\n\n"];
    let size = parts[0].length;
    for (let n = 0; size < bytes; n++) {
      const rules = [];
      for (let i = 0; i < 100; i++) rules.push(rule(n * 100 + i));
      const r = `// citrix-role: vda\nresource nsg${n} 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: 'nsg${n}'\n  location: location\n  properties: {\n    securityRules: [\n${rules.join('')}    ]\n  }\n}\n\n`;
      parts.push(r);
      size += r.length;
    }
    return parts.join('');
  };
  const times = [];
  const cpuTimes = [];
  for (const kb of [240, 480, 960]) {
    const text = bicep(kb * 1024);
    const dir = workspace('bicep', (d) => fs.writeFileSync(path.join(d, 'big.bicep'), text));
    const r = await cli(['check', 'big.bicep', '--format', 'json', '--exit-zero'], dir);
    times.push(r.ms);
    cpuTimes.push(r.cpuMs);
    report(`bicep.${kb}KB`, { bytes: text.length, ...cliSummary(r) });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report('bicep.ratio2n', times.slice(1).map((t, i) => round(t / times[i])));
  report('bicep.cpuRatio2n', cpuTimes.slice(1).map((t, i) => round(t / Math.max(cpuTimes[i], 10))));
}

// 6. Large citrix-flows.yaml: many roles, many duplicate keys, one huge scalar; 7. deep YAML nesting.
async function yamlCase(name, text) {
  const dir = workspace(name, (d) => fs.writeFileSync(path.join(d, 'citrix-flows.yaml'), text));
  const r = await cli(['check', '.', '--format', 'json', '--exit-zero'], dir);
  fs.rmSync(dir, { recursive: true, force: true });
  let messages = [];
  try {
    messages = JSON.parse(r.stdout).findings?.filter((f) => /citrix-flows\.yaml/.test(f.file ?? f.uri ?? '')).map((f) => f.message) ?? [];
  } catch {
    messages = [r.stdout.slice(0, 200)];
  }
  return { ...cliSummary(r), yamlMessages: [...new Set(messages)].slice(0, 3).map((m) => m.slice(0, 140)) };
}
if (want('yaml')) {
  const roles = (n) => `roles:\n${Array.from({ length: n }, (_, i) => `  role-${i}: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}]\n`).join('')}`;
  const dups = (n) => `roles:\n${'  vda: [10.0.2.0/24]\n'.repeat(n)}`;
  report('yaml.roles.100000', await yamlCase('yaml-roles', roles(100000)));
  report('yaml.roles.200000', await yamlCase('yaml-roles', roles(200000)));
  report('yaml.duplicates.50000', await yamlCase('yaml-dups', dups(50000)));
  report('yaml.scalar.10MB', await yamlCase('yaml-scalar', `roles:\n  vda: [10.0.2.0/24]\nnote: "${'x'.repeat(10 * 1024 * 1024)}"\n`));
  for (const n of [1000, 10000, 100000]) report(`yaml.nested.${n}`, await yamlCase('yaml-deep', `roles:\n  vda: ${'['.repeat(n)}${']'.repeat(n)}\n`));
}

// 7. LSP: malformed parameters, a stale didChange.
if (want('lsp')) {
  const dir = workspace('lsp', () => undefined);
  const c = new Client();
  await c.initialize(dir);
  const okUri = uriOf(path.join(dir, 'ok.rules'));
  const answers = {};
  for (const [label, method, params] of [
    ['hover without textDocument', 'textDocument/hover', { position: { line: 0, character: 0 } }],
    ['hover with a number uri', 'textDocument/hover', { textDocument: { uri: 5 }, position: { line: 0, character: 0 } }],
    ['hover without position', 'textDocument/hover', { textDocument: { uri: okUri } }],
    ['codeAction without range', 'textDocument/codeAction', { textDocument: { uri: okUri }, context: { diagnostics: [] } }],
    ['generate without roles', 'citrixFlowLint/generate', { uri: okUri, position: { line: 0, character: 0 } }],
    ['explainPort without params', 'citrixFlowLint/explainPort', null],
  ]) {
    const a = await c.timed(method, params, 10000);
    answers[label] = a.error ? `error: ${a.error.slice(0, 100)}` : 'answered';
  }
  report('lsp.malformed', answers);
  await c.notify('textDocument/didOpen', { textDocument: { uri: okUri, languageId: 'iptables', version: 2003, text: IPTABLES } });
  await c.waitDiagnostics(okUri, 20000, (p) => p.version === 2003);
  await c.notify('textDocument/didChange', { textDocument: { uri: okUri, version: 1 }, contentChanges: [{ text: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' }] });
  await new Promise((r) => setTimeout(r, 1500));
  const hover = await c.timed('textDocument/hover', { textDocument: { uri: okUri }, position: { line: 3, character: 25 } }, 10000);
  report('lsp.staleDidChange', { staleVersionApplied: c.published.get(okUri)?.version === 1 || !hover.ok, serverExited: c.exited ?? null });
  await c.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (outFile) fs.writeFileSync(outFile, `${JSON.stringify({ node: process.version, date: new Date().toISOString(), root: isRoot, results }, null, 2)}\n`);
