import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { cli, ensureBuilt, workspace } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';

before(ensureBuilt);

interface Matcher {
  name: string;
  fileLocation: string[];
  pattern: { regexp: string; file: number; line: number; column: number; severity: number; message: number; code: number };
}

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { contributes: { problemMatchers: Matcher[] } };
const matcher = manifest.contributes.problemMatchers.find((m) => m.name === 'citrix-flow-lint') as Matcher;

const SITE = workspace({
  'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml',
  'vda.tf': 'checks/missing-flow/bad.tf',
  'linux/rules.v4': '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.3.10 -p tcp --dport 89 -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
});

test('compact: one line per finding, read by the problem matcher VS Code gets from package.json', () => {
  const json = JSON.parse(cli(['check', '--format', 'json'], SITE).stdout) as { findings: { checkId: string; severity: string; file: string; line: number; column: number; message: string }[] };
  assert.ok(json.findings.length >= 3, JSON.stringify(json.findings));
  const compact = cli(['check', '--format', 'compact'], SITE);
  assert.equal(compact.status, 1);
  const lines = compact.stdout.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.length, json.findings.length, 'nothing but findings');
  const re = new RegExp(matcher.pattern.regexp);
  lines.forEach((line, i) => {
    const m = re.exec(line);
    assert.ok(m, `the matcher reads ${line}`);
    const f = json.findings[i];
    const p = matcher.pattern;
    assert.deepEqual(
      { file: m[p.file], line: Number(m[p.line]), column: Number(m[p.column]), severity: m[p.severity], message: m[p.message], code: m[p.code] },
      { file: f.file, line: f.line, column: f.column, severity: f.severity === 'hint' ? 'info' : f.severity, message: f.message, code: f.checkId },
    );
  });
  assert.deepEqual(matcher.fileLocation, ['autoDetect', '${workspaceFolder}']);
  assert.equal(cli(['check', '--format', 'compact'], workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/good.tf' })).stdout, '', 'no findings, no output');
});

test('compact: the task in docs/ci.md uses the contributed matcher', () => {
  const doc = fs.readFileSync(path.join(repoRoot(), 'docs', 'ci.md'), 'utf8');
  const block = /## In VS Code: a task[\s\S]*?```json\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/ci.md has the tasks.json example');
  const tasks = JSON.parse(block[1]) as { tasks: { command: string; problemMatcher: string }[] };
  assert.equal(tasks.tasks[0].problemMatcher, `$${matcher.name}`);
  assert.match(tasks.tasks[0].command, /check .* --format compact$/);
});
