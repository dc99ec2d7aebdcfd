import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import type * as Sarif from 'sarif';
import { Excluder, filesExcludeGlobs } from '../../../server/src/service/exclude';
import { collectFiles } from '../../../server/src/service/workspaceFiles';
import { detectFormat, mayBeReadable } from '../../../server/src/formats/detect';
import { parseTopology } from '../../../server/src/topology';
import { cli, ensureBuilt, workspace } from '../../helpers/cli';
import { fixturePath, repoRoot } from '../../helpers/fixtures';
import { TEST_VOCABULARY } from '../topology/testVocabulary';

before(ensureBuilt);

const RULES = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-exclude-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const collected = (root: string, exclude?: Excluder): string[] => collectFiles([root], { exclude }).map((f) => path.relative(root, f.path).split(path.sep).join('/'));

test('exclude: globs are .gitignore-like, relative to their base, and take folders whole', () => {
  const root = tree({ 'a/rules.v4': RULES, 'a/legacy/rules.v4': RULES, 'legacy/rules.v4': RULES, 'b/old.iptables': RULES, 'b/keep.iptables': RULES });
  const table: [string[], string[]][] = [
    [[], ['a/legacy/rules.v4', 'a/rules.v4', 'b/keep.iptables', 'b/old.iptables', 'legacy/rules.v4']],
    [['legacy'], ['a/rules.v4', 'b/keep.iptables', 'b/old.iptables']],
    [['legacy/'], ['a/rules.v4', 'b/keep.iptables', 'b/old.iptables']],
    [['/legacy'], ['a/legacy/rules.v4', 'a/rules.v4', 'b/keep.iptables', 'b/old.iptables']],
    [['legacy/**'], ['a/legacy/rules.v4', 'a/rules.v4', 'b/keep.iptables', 'b/old.iptables']],
    [['**/legacy/**'], ['a/rules.v4', 'b/keep.iptables', 'b/old.iptables']],
    [['b/old.*'], ['a/legacy/rules.v4', 'a/rules.v4', 'b/keep.iptables', 'legacy/rules.v4']],
    [['*.iptables', 'a'], ['legacy/rules.v4']],
  ];
  for (const [globs, expected] of table) {
    const excluder = new Excluder({ globs: globs.map((glob) => ({ glob, base: root, source: '--exclude' })) });
    assert.deepEqual(collected(root, excluder), expected, globs.join(' '));
  }
  const why = new Excluder({ globs: [{ glob: 'legacy', base: root, source: '--exclude' }] }).excluded(path.join(root, 'a', 'legacy', 'rules.v4'));
  assert.equal(why, 'excluded by --exclude "legacy"');
  // A glob says nothing about files outside its base.
  assert.equal(new Excluder({ globs: [{ glob: '**', base: path.join(root, 'a'), source: 'x' }] }).excluded(path.join(root, 'b', 'keep.iptables')), undefined);
});

test('exclude: .gitignore files of the repository are honoured, the deepest deciding, negations included', () => {
  const root = tree({
    '.gitignore': 'generated/\n*.rules\n!keep.rules\n',
    'infra/.gitignore': 'scratch.iptables\n!generated/\n',
    'infra/scratch.iptables': RULES,
    'infra/main.iptables': RULES,
    'generated/rules.v4': RULES,
    'infra/generated/rules.v4': RULES,
    'fw/iptables/drop.rules': RULES,
    'fw/iptables/keep.rules': RULES,
  });
  const excluder = new Excluder({ gitignore: true });
  // Outside a git repository .gitignore means nothing.
  assert.equal(collected(root, excluder).length, 6);
  fs.mkdirSync(path.join(root, '.git'));
  const fresh = new Excluder({ gitignore: true });
  assert.deepEqual(collected(root, fresh), ['fw/iptables/keep.rules', 'infra/generated/rules.v4', 'infra/main.iptables']);
  assert.equal(fresh.excluded(path.join(root, 'infra', 'scratch.iptables')), `ignored by ${path.join(root, 'infra', '.gitignore')}`);
  // The built-in skip folders stay skipped with no .gitignore at all.
  const plain = tree({ 'node_modules/x/rules.v4': RULES, '.terraform/modules/rules.v4': RULES, 'dist/rules.v4': RULES, 'ok/rules.v4': RULES });
  assert.deepEqual(collected(plain, new Excluder({ gitignore: true })), ['ok/rules.v4']);
});

test('exclude: files.exclude counts only the globs switched on', () => {
  assert.deepEqual(filesExcludeGlobs({ '**/.git': true, '**/legacy': true, '**/*.js': { when: '$(basename).ts' }, '**/off': false }), ['**/.git', '**/legacy']);
  assert.deepEqual(filesExcludeGlobs(['a']), []);
  assert.deepEqual(filesExcludeGlobs(undefined), []);
});

test('exclude: in citrix-flows.yaml takes a glob or a list, and the schema agrees', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schemas', 'citrix-flows.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  const table: [string, string[], number, boolean][] = [
    ['exclude: legacy/**\n', ['legacy/**'], 0, true],
    ['exclude: [legacy, "**/*.bak.tf"]\n', ['legacy', '**/*.bak.tf'], 0, true],
    ['exclude:\n  - legacy\n  - 3\n', ['legacy'], 1, false],
    ['exclude:\n', [], 0, true],
  ];
  for (const [text, globs, problems, valid] of table) {
    const t = parseTopology(text, 'file:///w/citrix-flows.yaml', TEST_VOCABULARY);
    assert.deepEqual((t.exclude ?? []).map((e) => e.glob), globs, text);
    assert.equal(t.problems.length, problems, `${text}: ${t.problems.map((p) => p.message).join('; ')}`);
    assert.equal(validate(parseDocument(text).toJS() ?? {}), valid, `${text}: ${JSON.stringify(validate.errors)}`);
  }
  const legacy = parseTopology('exclude: [legacy]\n', 'file:///w/citrix-flows.yaml', TEST_VOCABULARY).exclude?.[0];
  assert.deepEqual(legacy?.span, { start: 10, end: 16 });
});

test('check: --exclude, exclude: in citrix-flows.yaml and .gitignore leave files out; a named excluded file is reported', () => {
  const dir = workspace({
    'citrix-flows.yaml': 'roles:\n  vda: [10.0.2.0/24]\nexclude: [archive]\n',
    'current/rules.v4': RULES,
    'archive/rules.v4': RULES,
    'scratch/rules.v4': RULES,
    'tmp/rules.v4': RULES,
    '.gitignore': 'tmp/\n',
  });
  fs.mkdirSync(path.join(dir, '.git'));
  const files = (args: string[]): string[] => (JSON.parse(cli(['check', '--format', 'json', ...args], dir).stdout) as { files: { file: string }[] }).files.map((f) => f.file);
  assert.deepEqual(files([]), ['current/rules.v4', 'scratch/rules.v4']);
  assert.deepEqual(files(['--exclude', 'scratch']), ['current/rules.v4']);
  assert.deepEqual(files(['--exclude', 'scratch/**', '--exclude', 'current/*.v4']), []);
  const sarif = JSON.parse(cli(['check', '--format', 'sarif', 'current', 'archive/rules.v4'], dir).stdout) as Sarif.Log;
  const notes = sarif.runs[0].invocations?.[0].toolExecutionNotifications ?? [];
  assert.deepEqual(
    notes.map((n) => n.message.text),
    ['Skipped archive/rules.v4: excluded by exclude: in citrix-flows.yaml "archive"'],
  );
});

test('sniffing: a name no format uses is never a format, whatever the content', () => {
  // Every fixture of every format passes the name test.
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  let claimed = 0;
  for (const file of walk(fixturePath())) {
    if (file.endsWith('.expected.json')) continue;
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file://${file}`;
    if (detectFormat(uri, text)) {
      claimed++;
      assert.ok(mayBeReadable(uri), `${file} is claimed by detection, so the name test must let it through`);
    }
  }
  assert.ok(claimed > 100, `${claimed} fixtures claimed`);
  const table: [string, boolean][] = [
    ['file:///w/main.tf', true],
    ['file:///w/rules.v4', true],
    ['file:///w/sysconfig/iptables', true],
    ['file:///w/firewall', true],
    ['file:///w/setup.sh', true],
    ['file:///w/logo.png', false],
    ['file:///w/index.ts', false],
    ['file:///w/README.md', false],
    ['file:///w/README.txt', false],
    ['file:///w/main.tf.json', true],
    ['file:///w/nftables.conf.j2', false],
    ['file:///w/package-lock.yaml', false],
    ['file:///w/pnpm-lock.yaml', false],
    ['file:///w/templates/security-group.template.yaml', true],
    ['file:///w/ns.template', true],
  ];
  for (const [uri, expected] of table) assert.equal(mayBeReadable(uri), expected, uri);
  // Content that every sniffer would claim, under a name no format uses: still not ours.
  for (const [uri, expected] of table) if (!expected) assert.equal(detectFormat(uri, RULES), undefined, uri);
});
