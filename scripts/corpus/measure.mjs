#!/usr/bin/env node
// Runs the built CLI over every source of the real-world corpus and prints,
// per source, how much of it the tool read and what it said. Used for the
// before/after figures in issue notes; the product never reads the corpus.
//
//   node scripts/corpus/measure.mjs [corpusDir] [--json] [--out FILE] [--baseline OLD.json]
//        [--only NAME,...] [--timeout SECONDS] [--cli PATH] [-- extra check args]
//
// corpusDir defaults to /work/corpus (see scripts/corpus/build.mjs). Each
// subdirectory is one source; the CLI runs in it as `check . --format json
// --exit-zero` (plus a text run for the "N required flows checked" summary,
// which the JSON does not carry), so a crash or hang in one source is
// reported on its row and the others still run.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

// What "looks like a firewall or IaC security file": it names a firewall
// command, a security resource type or a rule-table section. Deliberately
// simple and format-independent, so it does not share the product's own
// detection (a file the product does not recognise still counts here).
export const SNIFF = [
  ['terraform', /resource\s+"(azurerm_network_security_(group|rule)|aws_security_group(_rule)?|aws_vpc_security_group_(ingress|egress)_rule|aws_network_acl(_rule)?|aws_default_security_group|google_compute_firewall|azurerm_firewall\w*)"/],
  // the resource's type, not a reference to it (an NSG id in a NIC, resourceId() in dependsOn)
  ['arm-bicep', /"type"\s*:\s*"Microsoft\.Network\/(networkSecurityGroups|azureFirewalls|firewallPolicies)(\/\w+)?"|^\s*resource\s+\w+\s+'Microsoft\.Network\/(networkSecurityGroups|azureFirewalls|firewallPolicies)(\/\w+)?@/im],
  ['cloudformation', /AWS::EC2::(SecurityGroup(Ingress|Egress)?|NetworkAcl(Entry)?)\b/],
  ['aws-export', /"(IpPermissions|IpPermissionsEgress|NetworkAclId)"\s*:/],
  ['iptables', /^\*(filter|nat|mangle|raw)\s*$|^\s*(sudo\s+)?(\S*\/)?ip6?tables(-restore|-legacy|-nft)?\s+(-w\s+)?(-t\s+\w+\s+)?-[AIPNFDX]\b|^\s*\$\{?IPT\w*\}?\s+(-t\s+\w+\s+)?-[AIPN]\b|^-A\s+[A-Z][\w-]*\s/m],
  ['nftables', /^\s*(sudo\s+)?(\S*\/)?nft\s+(add|insert|create|flush|-f|--file|'add|"add)\b|^\s*table\s+(inet|ip|ip6|arp|bridge|netdev)\s+[\w-]+\s*\{|^#!.*\bnft\b/m],
  ['cisco-asa', /^\s*access-list\s+\S+\s+(extended|standard|remark|webtype)\b|^\s*access-group\s+\S+\s+(in|out|global)\b/m],
  ['windows-firewall', /\b(New|Set|Remove|Enable|Disable)-NetFirewallRule\b|\bnetsh(\.exe)?\s+(advfirewall\s+firewall|firewall)\s+(add|set|delete)\b/i],
];
const MAX_SNIFF_BYTES = 2 * 1024 * 1024;

function usage(code, msg) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write('usage: node scripts/corpus/measure.mjs [corpusDir] [--json] [--out FILE] [--baseline OLD.json] [--only NAME,...] [--timeout SECONDS] [--cli PATH] [-- extra check args]\n');
  process.exit(code);
}

function parseCommandLine(argv) {
  const o = { corpusDir: '/work/corpus', json: false, out: undefined, baseline: undefined, only: null, timeout: 180, cli: join(repoRoot, 'dist', 'cli.js'), extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(2, `${a} needs a value`);
    if (a === '--') { o.extra = argv.slice(i + 1); break; }
    else if (a === '-h' || a === '--help') usage(0);
    else if (a === '--json') o.json = true;
    else if (a === '--out') o.out = value();
    else if (a === '--baseline') o.baseline = value();
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--timeout') { o.timeout = Number(value()); if (!(o.timeout > 0)) usage(2, '--timeout must be a positive number of seconds'); }
    else if (a === '--cli') o.cli = resolve(value());
    else if (a.startsWith('-')) usage(2, `unknown option ${a}`);
    else o.corpusDir = a;
  }
  o.corpusDir = resolve(o.corpusDir);
  return o;
}

function walk(dir, base = dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(p, base, out);
    else if (st.isFile()) out.push({ rel: relative(base, p).split('\\').join('/'), size: st.size, abs: p });
  }
  return out;
}

export function sniff(text) {
  return SNIFF.filter(([, re]) => re.test(text)).map(([kind]) => kind);
}

/** Runs the CLI with a wall-clock limit; never throws. */
function run(cli, args, cwd, timeoutMs) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out = [];
    const err = [];
    let timedOut = false;
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolvePromise({ code: null, signal: null, timedOut, stdout: '', stderr: String(e), ms: Date.now() - started }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started });
    });
  });
}

function firstLines(s, n = 3) {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, n).join(' | ').slice(0, 300);
}

async function measureSource(name, dir, o) {
  const files = walk(dir);
  const perFile = new Map();
  let looksLike = 0;
  for (const f of files) {
    let kinds = [];
    if (f.size <= MAX_SNIFF_BYTES) {
      const buf = readFileSync(f.abs);
      if (!buf.subarray(0, 8000).includes(0)) kinds = sniff(buf.toString('utf8'));
    }
    if (kinds.length) looksLike++;
    perFile.set(f.rel, { sniff: kinds, format: null, ruleSets: 0, parseProblems: 0, findings: {} });
  }
  const result = {
    name, files: files.length, looksLike, claimed: 0, ruleSets: 0, requiredFlows: null, parseProblems: 0,
    findings: {}, unparsedRule: 0, silent: [], status: 'ok', exitCode: null, ms: 0, perFile: {},
  };
  const timeoutMs = o.timeout * 1000;
  const jsonRun = await run(o.cli, ['check', '.', '--format', 'json', '--exit-zero', ...o.extra], dir, timeoutMs);
  result.exitCode = jsonRun.code;
  result.ms = jsonRun.ms;
  let parsed;
  if (jsonRun.timedOut) {
    result.status = 'timeout';
    result.error = `no answer within ${o.timeout}s`;
  } else {
    try {
      parsed = JSON.parse(jsonRun.stdout);
    } catch {
      result.status = jsonRun.code === 2 || jsonRun.signal ? 'crash' : 'bad-output';
      result.error = `exit ${jsonRun.code ?? jsonRun.signal}: ${firstLines(jsonRun.stderr || jsonRun.stdout)}`;
    }
  }
  if (parsed) {
    if (jsonRun.code === 2) { result.status = 'exit-2'; result.error = firstLines(jsonRun.stderr); }
    const norm = (p) => p.split('\\').join('/').replace(/^\.\//, '');
    for (const f of parsed.files ?? []) {
      const key = norm(f.file);
      const entry = perFile.get(key) ?? { sniff: [], format: null, ruleSets: 0, parseProblems: 0, findings: {} };
      entry.format = f.format;
      entry.ruleSets = f.ruleSets ?? 0;
      entry.parseProblems = f.parseProblems ?? 0;
      perFile.set(key, entry);
      result.claimed++;
      result.ruleSets += entry.ruleSets;
      result.parseProblems += entry.parseProblems;
    }
    for (const f of parsed.findings ?? []) {
      result.findings[f.checkId] = (result.findings[f.checkId] ?? 0) + 1;
      const entry = perFile.get(norm(f.file ?? ''));
      if (entry) entry.findings[f.checkId] = (entry.findings[f.checkId] ?? 0) + 1;
    }
    result.unparsedRule = result.findings['unparsed-rule'] ?? 0;
    const textRun = await run(o.cli, ['check', '.', '--format', 'text', '--exit-zero', '--no-color', ...o.extra], dir, timeoutMs);
    const m = /(\d+) required flows? checked/.exec(textRun.stdout);
    result.requiredFlows = m ? Number(m[1]) : null;
    if (textRun.timedOut && result.status === 'ok') { result.status = 'timeout-text'; result.error = `text run gave no answer within ${o.timeout}s`; }
  }
  for (const [rel, e] of perFile) {
    if (e.sniff.length && e.ruleSets === 0 && Object.keys(e.findings).length === 0) {
      result.silent.push({ file: rel, sniff: e.sniff, claimedAs: e.format });
    }
  }
  result.perFile = Object.fromEntries([...perFile].filter(([, e]) => e.sniff.length || e.format));
  return result;
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}

function delta(now, before) {
  if (before === undefined || before === null || now === null) return '';
  const d = now - before;
  return d === 0 ? '' : d > 0 ? ` (+${d})` : ` (${d})`;
}

function table(report, baseline) {
  const old = new Map((baseline?.sources ?? []).map((s) => [s.name, s]));
  const cols = [
    ['source', 30, (s) => s.name, false],
    ['files', 6, (s) => s.files, true, 'files'],
    ['fw-like', 8, (s) => s.looksLike, true, 'looksLike'],
    ['claimed', 8, (s) => s.claimed, true, 'claimed'],
    ['rulesets', 9, (s) => s.ruleSets, true, 'ruleSets'],
    ['req-flows', 10, (s) => s.requiredFlows ?? '-', true, 'requiredFlows'],
    ['findings', 9, (s) => Object.values(s.findings).reduce((a, b) => a + b, 0), true, (s) => Object.values(s.findings ?? {}).reduce((a, b) => a + b, 0)],
    ['unparsed', 9, (s) => s.unparsedRule, true, 'unparsedRule'],
    // the JSON's own parseProblems count; issue 14 wants it equal to the findings shown
    ['parse-probs', 11, (s) => s.parseProblems, true, 'parseProblems'],
    ['silent', 7, (s) => s.silent.length, true, (s) => s.silent?.length],
    ['status', 8, (s) => s.status, false],
    ['secs', 6, (s) => (s.ms / 1000).toFixed(1), true],
  ];
  const lines = [];
  const width = (c) => c[1] + (baseline && c[4] ? 6 : 0);
  lines.push(cols.map((c) => pad(c[0], width(c), c[3])).join(' '));
  const totals = {};
  for (const s of report.sources) {
    const b = old.get(s.name);
    lines.push(cols.map((c, i) => {
      let v = c[2](s);
      if (baseline && i === 0 && !b) v = `${v} (new)`;
      if (baseline && c[4] && b) {
        const before = typeof c[4] === 'function' ? c[4](b) : b[c[4]];
        v = `${v}${delta(typeof v === 'number' ? v : null, before)}`;
      }
      return pad(v, width(c), c[3]);
    }).join(' '));
    for (const c of cols) if (c[4]) { const v = c[2](s); if (typeof v === 'number') totals[c[0]] = (totals[c[0]] ?? 0) + v; }
  }
  const bt = {};
  // totals over the sources measured both times, so --only runs compare like with like
  const measured = new Set(report.sources.map((s) => s.name));
  if (baseline) for (const s of (baseline.sources ?? []).filter((b) => measured.has(b.name))) for (const c of cols) if (c[4]) {
    const v = typeof c[4] === 'function' ? c[4](s) : s[c[4]];
    if (typeof v === 'number') bt[c[0]] = (bt[c[0]] ?? 0) + v;
  }
  lines.push(cols.map((c, i) => {
    if (i === 0) return pad('TOTAL', width(c));
    if (!c[4]) return pad('', width(c), c[3]);
    const v = totals[c[0]] ?? 0;
    return pad(`${v}${baseline ? delta(v, bt[c[0]]) : ''}`, width(c), c[3]);
  }).join(' '));
  lines.push('');
  lines.push('Findings by check id (per source):');
  const ids = [...new Set(report.sources.flatMap((s) => Object.keys(s.findings)).concat((baseline?.sources ?? []).flatMap((s) => Object.keys(s.findings ?? {}))))].sort();
  for (const s of report.sources) {
    const b = old.get(s.name);
    const parts = ids
      .filter((id) => s.findings[id] || b?.findings?.[id])
      .map((id) => `${id}=${s.findings[id] ?? 0}${baseline && b ? delta(s.findings[id] ?? 0, b.findings?.[id] ?? 0) : ''}`);
    lines.push(`  ${pad(s.name, 30)} ${parts.join('  ') || '(none)'}`);
  }
  const broken = report.sources.filter((s) => s.status !== 'ok');
  if (broken.length) {
    lines.push('');
    lines.push('Crashes, hangs and bad output:');
    for (const s of broken) lines.push(`  ${s.name}: ${s.status} — ${s.error}`);
  }
  if (baseline) {
    lines.push('');
    lines.push('Silent files since the baseline:');
    for (const s of report.sources) {
      const b = old.get(s.name);
      if (!b) continue;
      const before = new Set((b.silent ?? []).map((f) => f.file));
      const now = new Set(s.silent.map((f) => f.file));
      const gone = [...before].filter((f) => !now.has(f));
      const added = [...now].filter((f) => !before.has(f));
      if (gone.length || added.length) lines.push(`  ${s.name}: ${gone.length} no longer silent${gone.length ? ` (${gone.slice(0, 5).join(', ')}${gone.length > 5 ? ', …' : ''})` : ''}; ${added.length} newly silent${added.length ? ` (${added.slice(0, 5).join(', ')}${added.length > 5 ? ', …' : ''})` : ''}`);
    }
  }
  lines.push('');
  lines.push('Silent files (look like firewall/IaC files, no rule set and no finding):');
  for (const s of report.sources) {
    if (!s.silent.length) continue;
    const shown = s.silent.slice(0, 8).map((f) => `${f.file} [${f.sniff.join(',')}${f.claimedAs ? `; read as ${f.claimedAs}` : '; not read'}]`);
    lines.push(`  ${s.name} (${s.silent.length}): ${shown.join(', ')}${s.silent.length > 8 ? ', …' : ''}`);
  }
  return lines.join('\n');
}

function cliVersion(cli, ...paths) {
  try {
    const args = paths.length ? ['log', '-1', '--format=%h', 'HEAD', '--', ...paths] : ['rev-parse', '--short', 'HEAD'];
    return execFileSync('git', ['-C', dirname(dirname(cli)), ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main() {
  const o = parseCommandLine(process.argv.slice(2));
  if (!existsSync(o.cli)) usage(2, `no CLI at ${o.cli}: run npm run build first, or pass --cli`);
  if (!existsSync(o.corpusDir)) usage(2, `no corpus at ${o.corpusDir}: run node scripts/corpus/build.mjs first`);
  const baseline = o.baseline ? JSON.parse(readFileSync(o.baseline, 'utf8')) : undefined;
  const names = readdirSync(o.corpusDir)
    .filter((n) => n !== 'runs' && !n.startsWith('.') && statSync(join(o.corpusDir, n)).isDirectory())
    .filter((n) => !o.only || o.only.has(n))
    .sort();
  const report = { measuredAt: new Date().toISOString(), cli: o.cli, cliCommit: cliVersion(o.cli),
    // the last commit that changed the engine: two branches that differ only in scripts measure the same code
    engineCommit: cliVersion(o.cli, 'server', 'catalog', 'seeds'), extraArgs: o.extra, timeoutSeconds: o.timeout, sources: [] };
  for (const name of names) {
    if (!o.json) process.stderr.write(`measuring ${name}…\n`);
    report.sources.push(await measureSource(name, join(o.corpusDir, name), o));
  }
  const out = o.out ?? join(o.corpusDir, 'runs', `${report.cliCommit}-${report.measuredAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(`CLI ${o.cli} (commit ${report.cliCommit}, engine last changed in ${report.engineCommit})${o.extra.length ? ` extra args: ${o.extra.join(' ')}` : ''}; corpus ${o.corpusDir}${baseline ? `; deltas against ${o.baseline} (CLI ${baseline.cliCommit})` : ''}\n\n`);
    process.stdout.write(table(report, baseline) + '\n');
    process.stderr.write(`\nJSON written to ${out}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { process.stderr.write(`${e.stack ?? e}\n`); process.exit(2); });
}
