import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { cli, CLI, ensureBuilt, fixtureText, workspace } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';

before(ensureBuilt);

interface DiffJson {
  base: string;
  head: string;
  blocked: { flowId: string; file: string; line: number; before: string; after: string; decidedBy: string; flow: string }[];
  allowed: { flowId: string; file: string; line: number; before: string; after: string }[];
  exposed: { checkId: string; file: string; line: number; message: string }[];
  shadowed: { checkId: string; file: string; line: number; message: string }[];
}

const MISSING = 'checks/missing-flow';
const site = (file: string, text: string, roles = `${MISSING}/citrix-flows.yaml`): Record<string, string> => ({ 'citrix-flows.yaml': roles, [file]: text });

/** Two folders, before and after, side by side in one temporary folder. */
function pair(before: Record<string, string>, after: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-diff-'));
  for (const [side, files] of [['before', before], ['after', after]] as const) {
    for (const [name, from] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, side, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, side, name), from.includes('\n') ? from : fixtureText(from));
    }
  }
  return dir;
}

const summary = (d: DiffJson): string[] => [
  ...d.blocked.map((c) => `blocked ${c.flowId} ${c.file}:${c.line} ${c.before}→${c.after}`),
  ...d.allowed.map((c) => `allowed ${c.flowId} ${c.file}:${c.line} ${c.before}→${c.after}`),
  ...d.exposed.map((f) => `exposed ${f.file}:${f.line}`),
  ...d.shadowed.map((f) => `shadowed ${f.file}:${f.line}`),
];

test('diff of two folders: what the change blocks, allows, exposes and shadows', () => {
  const good = fixtureText(`${MISSING}/good.tf`);
  const bad = fixtureText(`${MISSING}/bad.tf`);
  const exposedRoles = 'checks/exposed-to-internet/citrix-flows.yaml';
  const table: [string, Record<string, string>, Record<string, string>, string[], number][] = [
    ['a rule narrowed to one port blocks a flow', site('vda.tf', good), site('vda.tf', bad), ['blocked gateway.gateway-snip-to-vda.ica-session-reliability vda.tf:19 allowed→denied'], 1],
    ['widened back, it allows it again', site('vda.tf', bad), site('vda.tf', good), ['allowed gateway.gateway-snip-to-vda.ica-session-reliability vda.tf:7 denied→allowed'], 1],
    ['a new file that blocks is news', { 'citrix-flows.yaml': `${MISSING}/citrix-flows.yaml` }, site('vda.tf', bad), ['blocked gateway.gateway-snip-to-vda.ica-session-reliability vda.tf:19 absent→denied'], 1],
    ['lines moved, nothing else: no difference', site('vda.tf', bad), site('vda.tf', `# moved\n\n${bad}`), [], 0],
    [
      'a rule opened to the Internet',
      site('nsg.tf', fixtureText('checks/exposed-to-internet/good.tf'), exposedRoles),
      site('nsg.tf', fixtureText('checks/exposed-to-internet/bad.tf'), exposedRoles),
      (JSON.parse(fixtureText('checks/exposed-to-internet/bad.tf.expected.json')) as { checkId: string; line?: number; range?: { start: { line: number } } }[])
        .filter((f) => f.checkId === 'exposed-to-internet')
        .map((f) => `exposed nsg.tf:${(f.line ?? (f.range?.start.line ?? 0) + 1)}`),
      1,
    ],
    ['a rule put under a broader one', { 'fw.asa': 'checks/shadowed-rule/good.asa' }, { 'fw.asa': 'checks/shadowed-rule/bad.asa' }, expectedLines('checks/shadowed-rule/bad.asa.expected.json', 'shadowed-rule', 'shadowed fw.asa'), 1],
  ];
  for (const [what, before, after, expected, status] of table) {
    const dir = pair(before, after);
    const r = cli(['diff', 'before', 'after', '--format', 'json'], dir);
    assert.equal(r.status, status, `${what}: ${r.stderr}${r.stdout}`);
    const out = JSON.parse(r.stdout) as DiffJson;
    assert.deepEqual(summary(out), expected, what);
    assert.deepEqual(Object.keys(out), ['base', 'head', 'blocked', 'allowed', 'exposed', 'shadowed']);
  }
});

/** `line` (1-based) of the fixture's expected findings of one check. */
function expectedLines(rel: string, checkId: string, prefix: string): string[] {
  const expected = JSON.parse(fixtureText(rel)) as { checkId: string; line?: number; range?: { start: { line: number } }; start?: { line: number } }[];
  return expected.filter((f) => f.checkId === checkId).map((f) => `${prefix}:${f.line ?? (f.range?.start.line ?? f.start?.line ?? -1) + 1}`);
}

test('diff: text and Markdown say which flow, where and by which rule', () => {
  const dir = pair(site('vda.tf', `${MISSING}/good.tf`), site('vda.tf', `${MISSING}/bad.tf`));
  const text = cli(['diff', 'before', 'after'], dir);
  assert.equal(text.status, 1);
  assert.equal(
    text.stdout,
    [
      'citrix-flow-lint diff: before → after',
      '',
      'Newly blocked (1):',
      '  blocks Citrix Gateway SNIP (toward the back end) → Virtual Delivery Agent (VDA), TCP 2598 (Access to applications and virtual desktops by ICA/HDX with Session Reliability) at vda.tf:19: denied by "DenyAllInbound" (priority 4000, line 19) (was allowed)',
      '',
    ].join('\n'),
  );
  const md = cli(['diff', 'before', 'after', '--format', 'markdown'], dir).stdout;
  assert.ok(md.startsWith('<!-- citrix-flow-lint diff -->\n### Citrix Flow Lint: what this change does to the site\n'), md);
  assert.match(md, /\*\*⛔ Blocks 1 required flow\*\*\n\n- This change blocks Citrix Gateway SNIP \(toward the back end\) → Virtual Delivery Agent \(VDA\), TCP 2598 .* at `vda\.tf:19`: denied by "DenyAllInbound" \(priority 4000, line 19\) \(was allowed\)\n$/);
  const none = cli(['diff', 'before', 'before', '--format', 'markdown'], dir);
  assert.equal(none.status, 0);
  assert.match(none.stdout, /No change to the required flows, Internet exposure or shadowed rules \(\d+ required flows compared\)\.\n$/);
});

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function repository(): string {
  const dir = workspace({ 'citrix-flows.yaml': `${MISSING}/citrix-flows.yaml`, 'infra/vda.tf': `${MISSING}/good.tf`, 'README.md': '# site\n' });
  git(['init', '-q', '-b', 'main'], dir);
  git(['add', '-A'], dir);
  git(['commit', '-q', '-m', 'base'], dir);
  fs.writeFileSync(path.join(dir, 'infra', 'vda.tf'), fixtureText(`${MISSING}/bad.tf`));
  git(['commit', '-q', '-am', 'narrow the ICA rule'], dir);
  return dir;
}

test('diff of git revisions, and of a revision against the working tree, from a subfolder', () => {
  const dir = repository();
  const head = git(['rev-parse', 'HEAD'], dir);
  const table: [string[], string, number, string[]][] = [
    [['HEAD~1', 'HEAD'], dir, 1, ['blocked gateway.gateway-snip-to-vda.ica-session-reliability infra/vda.tf:19 allowed→denied']],
    [['HEAD~1', 'HEAD', '--path', 'infra'], dir, 1, ['blocked gateway.gateway-snip-to-vda.ica-session-reliability infra/vda.tf:19 allowed→denied']],
    [['HEAD~1'], path.join(dir, 'infra'), 1, ['blocked gateway.gateway-snip-to-vda.ica-session-reliability vda.tf:19 allowed→denied']],
    [['HEAD'], dir, 0, []],
    [['HEAD', 'HEAD~1'], dir, 1, ['allowed gateway.gateway-snip-to-vda.ica-session-reliability infra/vda.tf:7 denied→allowed']],
  ];
  for (const [args, cwd, status, expected] of table) {
    const r = cli(['diff', ...args, '--format', 'json'], cwd);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual(summary(JSON.parse(r.stdout) as DiffJson), expected, args.join(' '));
  }
  assert.equal(git(['rev-parse', 'HEAD'], dir), head);
  assert.equal(git(['status', '--porcelain'], dir), '', 'the checkout is untouched');
});

test('diff: usage errors exit 2', () => {
  const dir = repository();
  const table: [string[], RegExp][] = [
    [['diff'], /diff takes BASE and optionally HEAD/],
    [['diff', 'a', 'b', 'c'], /diff takes BASE and optionally HEAD/],
    [['diff', 'no-such-branch'], /"no-such-branch" is neither a folder nor a revision of /],
    [['diff', 'HEAD', '--format', 'html'], /--format must be text, json or markdown/],
    [['diff', 'HEAD', '--role', 'vdaa'], /Unknown role "vdaa"/],
  ];
  for (const [args, message] of table) {
    const r = cli(args, dir);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-nogit-'));
  assert.match(cli(['diff', 'main'], outside).stderr, /not in a git repository/);
});

test('action: the pull-request step writes the diff to the job summary', () => {
  const dir = repository();
  const base = git(['rev-parse', 'HEAD~1'], dir);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-bin-'));
  fs.writeFileSync(path.join(bin, 'citrix-flow-lint'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  const summaryFile = path.join(bin, 'summary.md');
  const r = spawnSync('bash', [path.join(repoRoot(), 'scripts', 'action', 'pr-summary.sh')], {
    cwd: dir,
    encoding: 'utf8',
    // No GH_TOKEN: the comment is skipped, the job summary is still written.
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME ?? bin, RUNNER_TEMP: bin, GITHUB_STEP_SUMMARY: summaryFile, CFL_BASE_SHA: base, CFL_PATHS: 'infra', CFL_PR_NUMBER: '7' },
  });
  assert.equal(r.status, 0, r.stderr);
  const md = fs.readFileSync(summaryFile, 'utf8');
  assert.ok(md.startsWith('<!-- citrix-flow-lint diff -->'), md);
  assert.match(md, /This change blocks .*TCP 2598.* at `infra\/vda\.tf:19`/);
});
