import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { CLI, ensureBuilt, workspace } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';

before(ensureBuilt);

const root = repoRoot();

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  if?: string;
}
const action = parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }>; outputs: Record<string, { value: string }>; runs: { using: string; steps: Step[] } };

/** A folder with `citrix-flow-lint` on it, standing for what the install step puts on PATH. */
function binDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-bin-'));
  fs.writeFileSync(path.join(dir, 'citrix-flow-lint'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  return dir;
}

function runScript(script: string, cwd: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string; outputs: Record<string, string> } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-runner-'));
  const outputFile = path.join(tmp, 'output');
  fs.writeFileSync(outputFile, '');
  const r = spawnSync('bash', [path.join(root, 'scripts', 'action', script)], {
    cwd,
    encoding: 'utf8',
    env: { PATH: `${binDir()}:${process.env.PATH}`, HOME: process.env.HOME ?? tmp, RUNNER_TEMP: tmp, GITHUB_OUTPUT: outputFile, ...env },
  });
  const outputs = Object.fromEntries(
    fs
      .readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs };
}

test('action.yml: a composite action whose scripts read inputs only through env', () => {
  assert.equal(action.runs.using, 'composite');
  const text = fs.readFileSync(path.join(root, 'action.yml'), 'utf8');
  for (const m of text.matchAll(/inputs\.([\w-]+)/g)) assert.ok(m[1] in action.inputs, `inputs.${m[1]} is declared`);
  const ids = new Set(action.runs.steps.map((s) => s.id).filter(Boolean));
  for (const m of text.matchAll(/steps\.([\w-]+)\.outputs/g)) assert.ok(ids.has(m[1]), `step ${m[1]} exists`);
  for (const step of action.runs.steps) {
    if (step.run === undefined) continue;
    assert.equal(step.shell, 'bash', `${step.name}: composite run steps need a shell`);
    assert.doesNotMatch(step.run, /\$\{\{/, `${step.name}: no expression inside a script (script injection)`);
    const syntax = spawnSync('bash', ['-n'], { input: step.run, encoding: 'utf8' });
    assert.equal(syntax.status, 0, `${step.name}: ${syntax.stderr}`);
    for (const m of step.run.matchAll(/\$GITHUB_ACTION_PATH\/([\w/.-]+)/g)) assert.ok(fs.existsSync(path.join(root, m[1])), `${m[1]} exists`);
  }
  assert.ok(action.runs.steps.some((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@')), 'uploads SARIF');
  for (const script of ['check.sh', 'pr-summary.sh']) {
    const syntax = spawnSync('bash', ['-n', path.join(root, 'scripts', 'action', script)], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
  }
});

test('action: the check step writes SARIF with public help links, annotates through the problem matcher and reports the exit status', () => {
  const site = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'infra/vda.tf': 'checks/missing-flow/bad.tf' });
  const r = runScript('check.sh', site, { CFL_PATHS: 'infra', CFL_THRESHOLD: 'warning', CFL_ACTION_REPOSITORY: 'acme/citrix-flow-lint', CFL_ACTION_REF: 'v1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.outputs['exit-code'], '1');
  const log = JSON.parse(fs.readFileSync(r.outputs['sarif-file'], 'utf8')) as { runs: { tool: { driver: { rules: { id: string; helpUri?: string }[] } }; results: { ruleId: string }[] }[] };
  assert.ok(log.runs[0].results.some((x) => x.ruleId === 'missing-flow'));
  assert.equal(log.runs[0].tool.driver.rules.find((x) => x.id === 'missing-flow')?.helpUri, 'https://github.com/acme/citrix-flow-lint/blob/v1/docs/checks/missing-flow.md');
  const lines = r.stdout.split('\n');
  const add = lines.findIndex((l) => l.startsWith('::add-matcher::'));
  const remove = lines.indexOf('::remove-matcher owner=citrix-flow-lint::');
  assert.ok(add >= 0 && remove > add, r.stdout);
  const matcherFile = lines[add].slice('::add-matcher::'.length);
  const matcher = JSON.parse(fs.readFileSync(matcherFile, 'utf8')) as { problemMatcher: { owner: string; pattern: { regexp: string }[] }[] };
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { problemMatchers: { pattern: { regexp: string } }[] } };
  assert.equal(matcher.problemMatcher[0].pattern[0].regexp, manifest.contributes.problemMatchers[0].pattern.regexp, 'one pattern for GitHub and VS Code');
  const annotated = lines.slice(add + 1, remove);
  assert.ok(annotated.length > 0);
  for (const l of annotated) assert.match(l, new RegExp(matcher.problemMatcher[0].pattern[0].regexp));
  assert.ok(annotated.some((l) => l.startsWith('infra/vda.tf:20:35: error: ')), annotated.join('\n'));

  const clean = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/good.tf' });
  assert.equal(runScript('check.sh', clean, {}).outputs['exit-code'], '0');
  const usage = runScript('check.sh', clean, { CFL_ROLES: 'missing.yaml' });
  assert.equal(usage.outputs['exit-code'], '2');
  assert.equal(usage.outputs['sarif-file'], undefined, 'no empty log to upload');
});

test('.pre-commit-hooks.yaml: one node hook that checks the repository when a firewall or IaC file changes', () => {
  const hooks = parse(fs.readFileSync(path.join(root, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; entry: string; language: string; pass_filenames: boolean; files: string }[];
  assert.equal(hooks.length, 1);
  const [hook] = hooks;
  assert.equal(hook.id, 'citrix-flow-lint');
  assert.equal(hook.language, 'node');
  assert.equal(hook.entry, 'citrix-flow-lint check');
  assert.equal(hook.pass_filenames, false);
  const files = new RegExp(hook.files);
  const table: [string, boolean][] = [
    ['infra/main.tf', true],
    ['azure/nsg.bicep', true],
    ['arm/template.json', true],
    ['linux/rules.v4', true],
    ['etc/sysconfig/iptables', true],
    ['etc/nftables.conf', true],
    ['fw/outside.asa', true],
    ['win/firewall.ps1', true],
    ['citrix-flows.yaml', true],
    ['README.md', false],
    ['src/index.ts', false],
    ['docs/images/flow-map.png', false],
  ];
  for (const [name, runs] of table) assert.equal(files.test(name), runs, name);
});
