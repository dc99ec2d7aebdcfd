import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { loadAndAnalyze, type LoadedWorkspace } from '../../../server/src/engine/batch';
import { formatJson } from '../../../server/src/cli/report';
import { repoRoot } from '../../helpers/fixtures';
import { run, which } from '../../helpers/netns';
import { extractCommands, runInFreshNamespace } from '../kernel/load';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * examples/README.md promises, per file, the findings `citrix-flow-lint check
 * examples` produces. This runs the real analysis in process (the same code
 * as the CLI, through the CLI's JSON report) and holds the two equal:
 * every README row is found, and every error or warning found is a README
 * row. Information findings must be found when listed; unlisted ones are
 * allowed (the README says which kinds it leaves out) and shown as
 * diagnostics.
 */

const ROOT = repoRoot();
const EXAMPLES = path.join(ROOT, 'examples');

interface JsonFinding {
  checkId: string;
  severity: 'error' | 'warning' | 'info' | 'hint';
  file: string;
  line: number;
  message: string;
  flowId?: string;
}
interface JsonReport {
  findings: JsonFinding[];
  files: { file: string; format: string; ruleSets: number; parseProblems: number }[];
}

interface Row {
  file: string;
  checkId: string;
  line: number;
  words: string[];
  pending: boolean;
  readmeLine: number;
}

/**
 * Findings the engine produces today that are wrong. Each was reported to the
 * lead; delete an entry once the bug is fixed (the test says when an entry
 * no longer matches anything).
 */
/**
 * Findings the engine gets wrong, tolerated with their reason until fixed (a
 * notice says when an entry stops matching). Empty: every finding in
 * examples/ is correct.
 */
const KNOWN_WRONG: { why: string; matches: (f: JsonFinding) => boolean }[] = [];

function readmeRows(): Row[] {
  const lines = fs.readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8').split(/\r?\n/);
  const rows: Row[] = [];
  let file: string | undefined;
  lines.forEach((text, i) => {
    const heading = /^### `([^`]+)`\s*$/.exec(text);
    if (heading) {
      file = `examples/${heading[1]}`;
      return;
    }
    if (text.startsWith('## ')) file = undefined;
    if (!file || !text.startsWith('|')) return;
    const cells = text.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3 || cells[0] === 'check' || /^-+$/.test(cells[0])) return;
    const pending = /\*pending[^*]*\*/.test(cells[2]);
    const words = cells[2]
      .replace(/\*pending[^*]*\*/, '')
      .split('·')
      .map((w) => w.trim())
      .filter(Boolean);
    rows.push({ file, checkId: cells[0], line: Number(cells[1]), words, pending, readmeLine: i + 1 });
  });
  return rows;
}

function rowMatches(row: Row, f: JsonFinding): boolean {
  if (f.file !== row.file || f.checkId !== row.checkId || f.line !== row.line) return false;
  const message = f.message.toLowerCase();
  return row.words.every((w) => message.includes(w.toLowerCase()));
}

function describe(f: JsonFinding): string {
  return `${f.file}:${f.line} ${f.severity} ${f.checkId}${f.flowId ? ` [${f.flowId}]` : ''}: ${f.message}`;
}

let loaded: LoadedWorkspace;
let report: JsonReport;
let rows: Row[];
/** Finding → the README row it satisfies (one finding per row, one row per finding). */
const matchedBy = new Map<JsonFinding, Row>();

before(async () => {
  const result = await loadAndAnalyze(['examples'], { cwd: ROOT });
  if ('error' in result) throw new Error(result.error);
  loaded = result;
  report = JSON.parse(formatJson(loaded)) as JsonReport;
  rows = readmeRows();
  // Rows with more key words first, so a loose row cannot take a finding a precise row needs.
  for (const row of [...rows].sort((a, b) => b.words.length - a.words.length)) {
    const f = report.findings.find((x) => !matchedBy.has(x) && rowMatches(row, x));
    if (f) matchedBy.set(f, row);
  }
});

test('the README has a table for each deliberately broken file', () => {
  assert.ok(rows.length >= 20, `only ${rows.length} rows read from examples/README.md`);
  for (const row of rows) {
    assert.ok(fs.existsSync(path.join(ROOT, row.file)), `README line ${row.readmeLine}: ${row.file} does not exist`);
    assert.ok(row.words.length > 0 && row.line > 0, `README line ${row.readmeLine}: a row needs a line and key words`);
  }
});

test('every README row is found by check examples', (t) => {
  const missing = rows.filter((r) => !r.pending && ![...matchedBy.values()].includes(r));
  assert.deepEqual(
    missing.map((r) => `README line ${r.readmeLine}: ${r.file}:${r.line} ${r.checkId} (${r.words.join(' · ')})`),
    [],
    `not found; the findings were:\n${report.findings.map(describe).join('\n')}`,
  );
  for (const r of rows.filter((x) => x.pending)) {
    const found = [...matchedBy.values()].includes(r);
    t.diagnostic(`README line ${r.readmeLine} is pending (${r.file}:${r.line} ${r.checkId}): ${found ? 'FOUND NOW, drop the pending mark' : 'not produced yet'}`);
  }
});

test('every error and warning check examples reports is in the README', (t) => {
  const unexplained: string[] = [];
  for (const f of report.findings) {
    if (matchedBy.has(f)) continue;
    const wrong = KNOWN_WRONG.find((k) => k.matches(f));
    if (wrong) {
      t.diagnostic(`known wrong (${wrong.why}): ${describe(f)}`);
      continue;
    }
    if (f.severity === 'info' || f.severity === 'hint') {
      t.diagnostic(`unlisted information: ${describe(f)}`);
      continue;
    }
    unexplained.push(describe(f));
  }
  assert.deepEqual(unexplained, [], 'findings not in examples/README.md');
  for (const k of KNOWN_WRONG) {
    if (!report.findings.some((f) => k.matches(f))) t.diagnostic(`KNOWN_WRONG entry matches nothing any more, remove it: ${k.why}`);
  }
});

test('no internal error, and a finding from every kind of check the examples exercise', () => {
  assert.deepEqual(report.findings.filter((f) => f.checkId === 'internal-error').map(describe), []);
  const kinds = new Set(report.findings.map((f) => f.checkId));
  for (const id of ['missing-flow', 'partial-flow', 'edt-needs-udp', 'insecure-variant', 'deprecated-port', 'exposed-to-internet', 'shadowed-rule', 'unneeded-citrix-port', 'unparsed-rule']) {
    assert.ok(kinds.has(id), `no ${id} finding`);
  }
});

test('every example file is read, by the parser its name promises, and bound to a role', () => {
  const expected: Record<string, string> = {
    'examples/arm/sql-server-nsg.json': 'arm',
    'examples/asa/dmz-fw.cfg': 'asa',
    'examples/bicep/vda-pool-b.bicep': 'bicep',
    'examples/linux/license-server.nft': 'nftables',
    'examples/linux/linux-vda/rules.v4': 'iptables',
    'examples/linux/pvs-targets.sh': 'iptables',
    'examples/terraform/aws/vda.tf': 'terraform',
    'examples/terraform/azure/main.tf': 'terraform',
    'examples/terraform/gcp/firewall.tf': 'terraform',
    'examples/windows/delivery-controllers.ps1': 'windows-firewall',
    'examples/windows/storefront.ps1': 'windows-firewall',
    'examples/windows/wem-infrastructure.cmd': 'windows-firewall',
  };
  assert.deepEqual(Object.fromEntries(report.files.map((f) => [f.file, f.format])), expected);
  assert.deepEqual(loaded.skipped, []);
  const boundFiles = new Set(loaded.analysis.binding.bound.map((b) => b.file.uri));
  for (const file of loaded.analysis.files) assert.ok(boundFiles.has(file.uri), `${file.uri}: no rule set is bound to a role`);
  // Each file is one of the README's table rows.
  const readme = fs.readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');
  for (const file of Object.keys(expected)) assert.ok(readme.includes(`| \`${file.slice('examples/'.length)}\` |`), `README does not describe ${file}`);
});

test('the only parse problems are the deliberate ones in the README', () => {
  const deliberate = rows.filter((r) => r.checkId === 'unparsed-rule');
  for (const file of loaded.analysis.files) {
    const rel = path.relative(ROOT, new URL(file.uri).pathname).split(path.sep).join('/');
    const text = loaded.texts.get(file.uri) ?? '';
    for (const p of file.problems.filter((x) => x.severity !== 'info')) {
      const line = text.slice(0, p.span.start).split('\n').length;
      assert.ok(
        deliberate.some((r) => r.file === rel && r.line === line),
        `${rel}:${line}: unexpected ${p.code}: ${p.message}`,
      );
    }
  }
});

// Independent validation with the real tools: what the examples say is what the tools accept.

function toolsMissing(bins: readonly string[]): string | undefined {
  for (const bin of bins) if (!which(bin)) return `${bin} is not installed`;
  const r = run('unshare', ['-rn', 'true']);
  return r.status === 0 ? undefined : `unshare -rn does not work here: ${r.stderr.trim()}`;
}

test('nft -c accepts linux/license-server.nft', (t) => {
  const reason = toolsMissing(['unshare', 'nft']);
  if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
  const r = spawnSync('unshare', ['-rn', 'nft', '-c', '-f', path.join(EXAMPLES, 'linux/license-server.nft')], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `nft -c: ${r.stderr}`);
});

test('iptables-restore --test accepts linux/linux-vda/rules.v4', (t) => {
  const reason = toolsMissing(['unshare', 'iptables-legacy-restore']);
  if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
  const text = fs.readFileSync(path.join(EXAMPLES, 'linux/linux-vda/rules.v4'), 'utf8');
  const r = run('unshare', ['-rn', 'iptables-legacy-restore', '--test'], text);
  assert.equal(r.status, 0, `iptables-legacy-restore: ${r.stderr}`);
});

test('the iptables commands of linux/pvs-targets.sh run in a throwaway namespace', (t) => {
  const reason = toolsMissing(['unshare', 'iptables-legacy']);
  if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
  const { commands, skipped } = extractCommands(fs.readFileSync(path.join(EXAMPLES, 'linux/pvs-targets.sh'), 'utf8'), 'iptables');
  assert.equal(skipped, 0, 'every command has literal arguments');
  assert.ok(commands.length >= 10, `only ${commands.length} iptables commands found`);
  const r = runInFreshNamespace(commands);
  assert.equal(r.status, 0, r.stderr);
});

test("HashiCorp's parser (hcl2json) reads every Terraform example", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<Record<string, unknown>> };
  for (const rel of ['terraform/azure/main.tf', 'terraform/aws/vda.tf', 'terraform/gcp/firewall.tf']) {
    const json = await parse(rel, fs.readFileSync(path.join(EXAMPLES, rel), 'utf8'));
    assert.ok(json.resource, `${rel}: hcl2json found no resource`);
  }
});
