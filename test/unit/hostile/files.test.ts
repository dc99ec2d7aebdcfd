import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readGated, type GateRefusal } from '../../../server/src/service/fileGate';
import { collectFiles, readTfvars, terraformSiblings } from '../../../server/src/service/workspaceFiles';
import { Workspace } from '../../../server/src/service/workspace';
import { repoRoot } from '../../helpers/fixtures';
import { unprivilegedPrefix } from '../../helpers/unprivileged';
import { TestClient, uriOf } from '../../protocol/client';

/**
 * Issue 13, items 1–3: a hostile repository's files are read through one
 * gate (regular files only, inside the workspace after links, size capped
 * before reading), and an unreadable folder is skipped with a warning.
 */

const IPTABLES = '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1494 -j ACCEPT\nCOMMIT\n';
const ROLES = 'roles:\n  vda: [10.0.2.0/24]\n';
const made: string[] = [];
function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cfl-hostile-${name}-`));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made) {
    spawnSync('chmod', ['-R', 'u+rwx', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});
const canFifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

/** A workspace with one file of each kind a hostile repository can hold, plus a folder outside it. */
function hostileFolder(): { dir: string; outside: string } {
  const outside = tempDir('outside');
  fs.writeFileSync(path.join(outside, 'secret.tfvars'), 'port = "31337"\n');
  fs.writeFileSync(path.join(outside, 'secret.tf'), 'locals {\n  leaked = "31338"\n}\n');
  const dir = tempDir('ws');
  fs.writeFileSync(path.join(dir, 'plain.rules'), IPTABLES);
  fs.writeFileSync(path.join(dir, 'bom.rules'), `\ufeff${IPTABLES}`);
  fs.writeFileSync(path.join(dir, 'big.rules'), `${IPTABLES}${'#'.repeat(2048)}\n`);
  fs.writeFileSync(path.join(dir, 'binary.rules'), Buffer.from([0x2a, 0, 1, 2]));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync(path.join(dir, 'plain.rules'), path.join(dir, 'inside-link.rules'));
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.tfvars'));
  fs.symlinkSync(path.join(outside, 'secret.tfvars'), path.join(dir, 'outside.tfvars'));
  fs.symlinkSync(path.join(outside, 'secret.tf'), path.join(dir, 'outside.tf'));
  fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling.tfvars'));
  fs.symlinkSync(path.join(dir, 'loop-b.tfvars'), path.join(dir, 'loop-a.tfvars'));
  fs.symlinkSync(path.join(dir, 'loop-a.tfvars'), path.join(dir, 'loop-b.tfvars'));
  if (canFifo) spawnSync('mkfifo', [path.join(dir, 'x.tfvars')]);
  return { dir, outside };
}

describe('the file gate', () => {
  const { dir } = hostileFolder();
  const cases: { file: string; root?: string; maxBytes?: number; prefixBytes?: number; ok?: true; refused?: GateRefusal; why?: RegExp; text?: string }[] = [
    { file: 'plain.rules', root: dir, ok: true, text: IPTABLES },
    { file: 'bom.rules', root: dir, ok: true, text: `\ufeff${IPTABLES}` },
    { file: 'inside-link.rules', root: dir, ok: true, text: IPTABLES },
    { file: 'zero.tfvars', root: dir, refused: 'outside', why: /outside the workspace/ },
    // Named on a command line (no root): followed, but a device is still not a file.
    { file: 'zero.tfvars', refused: 'not-a-file', why: /device/ },
    { file: 'outside.tfvars', root: dir, refused: 'outside' },
    { file: 'outside.tf', root: dir, refused: 'outside' },
    { file: 'dangling.tfvars', root: dir, refused: 'missing' },
    { file: 'loop-a.tfvars', root: dir, refused: 'not-a-file', why: /loop/ },
    { file: 'sub', root: dir, refused: 'not-a-file', why: /folder/ },
    { file: 'missing.rules', root: dir, refused: 'missing' },
    { file: 'big.rules', root: dir, maxBytes: 1024, refused: 'too-large', why: /larger than/ },
    // The head read for format detection: only the first bytes, the cap still judged on the whole file.
    { file: 'big.rules', root: dir, prefixBytes: 12, ok: true, text: IPTABLES.slice(0, 12) },
    { file: 'big.rules', root: dir, maxBytes: 1024, prefixBytes: 12, refused: 'too-large' },
    { file: 'binary.rules', root: dir, refused: 'binary' },
    ...(canFifo ? [{ file: 'x.tfvars', root: dir, refused: 'not-a-file' as const, why: /FIFO/ }, { file: 'x.tfvars', refused: 'not-a-file' as const, why: /FIFO/ }] : []),
  ];
  for (const c of cases) {
    test(`${c.file}${c.root ? ' inside the workspace' : ' named by the user'}${c.maxBytes ? ` (cap ${c.maxBytes} bytes)` : ''}${c.prefixBytes ? ` (first ${c.prefixBytes} bytes)` : ''}: ${c.ok ? 'read' : `refused as ${c.refused}`}`, () => {
      const r = readGated(path.join(dir, c.file), { root: c.root, maxBytes: c.maxBytes, prefixBytes: c.prefixBytes });
      if (c.ok) {
        assert.ok(r.ok, `refused: ${!r.ok && r.why}`);
        assert.equal(r.text, c.text);
      } else {
        assert.ok(!r.ok, 'read, but should have been refused');
        assert.equal(r.kind, c.refused, r.why);
        if (c.why) assert.match(r.why, c.why);
      }
    });
  }
  test('a FIFO can be tested here', { skip: canFifo ? false : 'mkfifo is not available' }, () => assert.ok(canFifo));
});

describe('readers built on the gate', () => {
  test('tfvars of a folder: devices, FIFOs, outside links and loops are skipped, each with a reason', () => {
    const { dir } = hostileFolder();
    fs.writeFileSync(path.join(dir, 'real.tfvars'), 'port = "3389"\n');
    const skipped: string[] = [];
    const vars = readTfvars(dir, { onSkip: (file, why) => skipped.push(`${path.basename(file)}: ${why}`) });
    assert.deepEqual([...vars.keys()].map((f) => path.basename(f)), ['real.tfvars']);
    assert.deepEqual(skipped.sort(), [
      'dangling.tfvars: no such file',
      'loop-a.tfvars: a link loop, or a link where none may be',
      'loop-b.tfvars: a link loop, or a link where none may be',
      'outside.tfvars: a link to a file outside the workspace',
      ...(canFifo ? ['x.tfvars: a FIFO'] : []),
      'zero.tfvars: a link to a file outside the workspace',
    ]);
  });

  test('sibling .tf and .tfvars of a Terraform file never bring in a file outside the workspace', () => {
    const { dir } = hostileFolder();
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "port" {}\n');
    fs.writeFileSync(path.join(dir, 'vars.tf'), 'locals {\n  own = "1494"\n}\n');
    const siblings = terraformSiblings(path.join(dir, 'main.tf'));
    assert.deepEqual([...siblings.keys()].map((f) => path.basename(f)).sort(), ['vars.tf']);
    for (const text of siblings.values()) assert.doesNotMatch(text, /3133[78]/);
  });

  test('a workspace walk reads regular files only, links neither followed out nor into devices', () => {
    const { dir } = hostileFolder();
    const skipped: string[] = [];
    const files = collectFiles([dir], { onSkip: (file, why) => skipped.push(`${path.basename(file)}: ${why}`) });
    assert.deepEqual(files.map((f) => path.basename(f.path)).sort(), ['big.rules', 'bom.rules', 'plain.rules']);
    // Links and special files inside a walk are not candidates at all; binary content is not ours: no noise.
    assert.deepEqual(skipped, []);
  });

  test('the server workspace scan and a closed tfvars-linked module read nothing outside the folder', async () => {
    const { dir } = hostileFolder();
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "port" {}\n');
    const ws = new Workspace([dir]);
    const unit = ws.unitFor(uriOf(path.join(dir, 'main.tf')));
    const skipped: string[] = [];
    await ws.scan(unit, { onSkip: (file, why) => skipped.push(`${path.basename(file)}: ${why}`) });
    assert.deepEqual(unit.uris().map((u) => path.basename(new URL(u).pathname)).sort(), ['big.rules', 'bom.rules', 'main.tf', 'plain.rules']);
    // A watcher event for a link to outside the folder does not load it.
    assert.equal(ws.fileChanged(uriOf(path.join(dir, 'outside.tf')), 'changed'), undefined);
    assert.equal(unit.has(uriOf(path.join(dir, 'outside.tf'))), false);
  });
});

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
function cli(prefix: readonly string[], args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const [cmd, ...rest] = [...prefix, process.execPath, CLI, ...args];
  const r = spawnSync(cmd, rest, { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI on a hostile workspace', () => {
  test('a /dev/zero tfvars, a FIFO tfvars and outside links: finishes, warns, and shows no outside value', () => {
    const { dir } = hostileFolder();
    fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), ROLES);
    fs.writeFileSync(path.join(dir, 'main.tf'), 'variable "port" {}\n# citrix-role: vda\nresource "azurerm_network_security_rule" "r" {\n  name = "r"\n  priority = 100\n  direction = "Inbound"\n  access = "Allow"\n  protocol = "Tcp"\n  source_port_range = "*"\n  destination_port_range = var.port\n  source_address_prefix = "*"\n  destination_address_prefix = "*"\n  network_security_group_name = "n"\n  resource_group_name = "rg"\n}\n');
    const r = cli([], ['check', '.', '--format', 'json'], dir);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { files: { file: string }[] };
    assert.deepEqual(report.files.map((f) => f.file).sort(), ['big.rules', 'bom.rules', 'main.tf', 'plain.rules']);
    assert.doesNotMatch(r.stdout, /3133[78]/);
    assert.match(r.stderr, /skipped zero\.tfvars: a link to a file outside the workspace/);
    assert.match(r.stderr, /skipped outside\.tf: a link to a file outside the workspace/);
    if (canFifo) assert.match(r.stderr, /skipped x\.tfvars: a FIFO/);
  });

  test('a FIFO or device named on the command line is refused with a reason, not waited on', { skip: canFifo ? false : 'mkfifo is not available' }, () => {
    const { dir } = hostileFolder();
    // Names of a format citrix-flow-lint reads, so the file is opened (a .tfvars alone is not a format: refused by name).
    spawnSync('mkfifo', [path.join(dir, 'fifo.rules')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.rules'));
    const r = cli([], ['check', 'fifo.rules', 'zero.rules', 'x.tfvars', 'plain.rules', '--format', 'json'], dir);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /skipped fifo\.rules: a FIFO/);
    assert.match(r.stderr, /skipped zero\.rules: a device/);
    assert.match(r.stderr, /skipped x\.tfvars: not a format/);
    assert.deepEqual((JSON.parse(r.stdout) as { files: { file: string }[] }).files.map((f) => f.file), ['plain.rules']);
  });
});

describe('a citrix-flows.yaml the gate refuses is a finding on it, not only a note', () => {
  /** How each refused citrix-flows.yaml is made, and the reason its finding gives. */
  const CASES: readonly [string, (file: string, outside: string) => void, RegExp][] = [
    ['larger than the cap', (f) => fs.writeFileSync(f, `roles:\n  vda: [10.0.2.0/24]\n#${'x'.repeat(5.5 * 1024 * 1024)}\n`), /not read \(larger than 5 MB\)/],
    ['a link to /dev/zero', (f) => fs.symlinkSync('/dev/zero', f), /not read \(a link to a file outside the workspace\)/],
    ['a link outside the workspace', (f, outside) => {
      fs.writeFileSync(path.join(outside, 'roles.yaml'), ROLES);
      fs.symlinkSync(path.join(outside, 'roles.yaml'), f);
    }, /not read \(a link to a file outside the workspace\)/],
    ...(canFifo ? [['a FIFO', (f: string) => void spawnSync('mkfifo', [f]), /not read \(a FIFO\)/] as [string, (file: string) => void, RegExp]] : []),
  ];
  for (const [what, make, why] of CASES) {
    test(`${what}: the CLI and the server scan both report it on citrix-flows.yaml`, async () => {
      const { dir, outside } = hostileFolder();
      const file = path.join(dir, 'citrix-flows.yaml');
      make(file, outside);
      const r = cli([], ['check', '.', '--format', 'json', '--exit-zero'], dir);
      assert.equal(r.status, 0, r.stderr);
      const findings = (JSON.parse(r.stdout) as { findings: { file: string; message: string; line: number }[] }).findings.filter((f) => f.file === 'citrix-flows.yaml');
      assert.equal(findings.length, 1, JSON.stringify(findings));
      assert.match(findings[0].message, why);
      assert.match(findings[0].message, /so no role is declared/);

      const ws = new Workspace([dir]);
      const unit = ws.unitFor(uriOf(path.join(dir, 'plain.rules')));
      await ws.scan(unit, {});
      const onYaml = unit.analyze().findings.filter((f) => f.uri === uriOf(file));
      assert.equal(onYaml.length, 1, onYaml.map((f) => f.message).join('\n'));
      assert.match(onYaml[0].message, why);
      // Once the file is readable, the watcher's event replaces the problem with the real topology.
      fs.rmSync(file);
      fs.writeFileSync(file, ROLES);
      ws.fileChanged(uriOf(file), 'changed');
      assert.deepEqual(unit.analyze().findings.filter((f) => f.uri === uriOf(file)).map((f) => f.message), []);
      assert.ok(unit.topology().roles.has('vda'));
    });
  }
});

describe('.gitignore files of a hostile repository (the excludes read them)', () => {
  test('a .gitignore linked to /dev/zero, one that is a FIFO, one linked outside: the CLI finishes and checks the files', () => {
    const { dir, outside } = hostileFolder();
    fs.mkdirSync(path.join(dir, '.git'));
    fs.symlinkSync('/dev/zero', path.join(dir, '.gitignore'));
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'a', 'a.rules'), IPTABLES);
    if (canFifo) spawnSync('mkfifo', [path.join(dir, 'a', '.gitignore')]);
    fs.mkdirSync(path.join(dir, 'b'));
    fs.writeFileSync(path.join(dir, 'b', 'b.rules'), IPTABLES);
    // Were this link followed, b.rules would be left out.
    fs.writeFileSync(path.join(outside, 'ignore-all'), '*\n');
    fs.symlinkSync(path.join(outside, 'ignore-all'), path.join(dir, 'b', '.gitignore'));
    const r = cli([], ['check', '--format', 'json'], dir);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    const files = (JSON.parse(r.stdout) as { files: { file: string }[] }).files.map((f) => f.file);
    for (const f of ['plain.rules', 'a/a.rules', 'b/b.rules']) assert.ok(files.includes(f), `${f} not checked: ${files.join(', ')}`);
  });
});

describe('an unreadable folder (EACCES)', () => {
  const how = unprivilegedPrefix();
  const skip = 'skip' in how ? how.skip : false;
  if (skip) console.warn(`SKIPPED EACCES tests: ${skip}`);
  const lockedWorkspace = (): string => {
    const dir = tempDir('eacces');
    fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), ROLES);
    fs.writeFileSync(path.join(dir, 'ok.rules'), IPTABLES);
    fs.mkdirSync(path.join(dir, 'locked'));
    fs.writeFileSync(path.join(dir, 'locked', 'hidden.rules'), IPTABLES);
    fs.chmodSync(path.join(dir, 'locked'), 0o000);
    // mkdtemp makes the folder 0700: the unprivileged child must be able to enter it.
    fs.chmodSync(dir, 0o755);
    return dir;
  };

  test('CLI: the folder is skipped with a warning, the readable files are checked, no stack trace', { skip }, () => {
    const dir = lockedWorkspace();
    const r = cli('prefix' in how ? how.prefix : [], ['check', '.', '--format', 'json'], dir);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
    assert.match(r.stderr, /skipped locked: folder not read: permission denied/);
    assert.deepEqual((JSON.parse(r.stdout) as { files: { file: string }[] }).files.map((f) => f.file), ['ok.rules']);
  });

  test('server: the first scan survives, warns once, and the readable files get diagnostics', { skip }, async () => {
    const dir = lockedWorkspace();
    const client = new TestClient({ wrap: 'prefix' in how ? how.prefix : [] });
    try {
      await client.initialize(dir);
      const okUri = uriOf(path.join(dir, 'ok.rules'));
      const published = await client.waitFor('diagnostics of ok.rules', () => client.lastFor(okUri), 20_000);
      assert.ok(published.diagnostics.length > 0, 'ok.rules was analysed');
      const shown = await client.waitFor('a warning', () => client.shown.find((m) => /permission denied/.test(m.message)), 20_000);
      assert.equal(shown.type, 2);
      assert.match(shown.message, /locked/);
      assert.equal(client.process.exitCode, null, `server exited: ${client.stderr}`);
      const hover = await client.request('textDocument/hover', { textDocument: { uri: okUri }, position: { line: 3, character: 25 } });
      assert.ok(hover !== undefined);
    } finally {
      await client.stop();
    }
  });
});
