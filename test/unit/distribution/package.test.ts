import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { allCheckIds } from '../../../server/src/analysis/checks';
import { ensureBuilt, workspace } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';

/**
 * What `npm publish` would ship: the bundles and docs, nothing else, and an
 * installed copy of that tarball works as `citrix-flow-lint` with no
 * dependencies (they are bundled).
 */
before(ensureBuilt);

const root = repoRoot();
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { private?: boolean; files: string[]; bin: Record<string, string>; dependencies?: Record<string, string>; name: string };

function npm(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  // --ignore-scripts: prepack rebuilds dist/ (minified) for a real publish; here dist/ is already built.
  const r = spawnSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function packedFiles(): string[] {
  const r = npm(['pack', '--dry-run', '--json'], root);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path).sort();
}

test('package: public, with no runtime dependencies, and a files list', () => {
  assert.notEqual(manifest.private, true, 'npm refuses to publish a private package');
  assert.equal(manifest.dependencies, undefined, 'the bundles carry everything they need');
  assert.ok(Array.isArray(manifest.files) && manifest.files.length > 0);
  assert.ok(!fs.existsSync(path.join(root, '.vscodeignore')), 'vsce refuses a .vscodeignore next to "files"');
});

test('package: npm pack holds the bundles, the WebAssembly and the docs only', () => {
  const files = packedFiles();
  const allowed = /^(?:package\.json|README\.md|dist\/[\w.-]+\.(?:js|css|wasm)|docs\/(?:checks\/)?[\w-]+\.md|media\/walkthrough\/[\w-]+\.md|schemas\/[\w.-]+\.json|syntaxes\/[\w.-]+\.json|language-configuration\/[\w-]+\.json|catalog\/schema\.json)$/;
  for (const f of files) assert.match(f, allowed, `${f} should not ship`);
  assert.ok(!files.some((f) => f.endsWith('.map')), 'no source maps');
  const needed = [
    manifest.bin['citrix-flow-lint'].replace(/^\.\//, ''),
    'dist/server.js',
    'dist/extension.js',
    'dist/web-tree-sitter.wasm',
    'dist/tree-sitter-terraform.wasm',
    'dist/tree-sitter-bicep.wasm',
    'schemas/citrix-flows.schema.json',
    ...allCheckIds().map((id) => `docs/checks/${id}.md`),
  ];
  for (const f of needed) assert.ok(files.includes(f), `${f} ships`);
});

test('package: the packed tarball installs offline and runs check, with the docs as SARIF help', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-pack-'));
  const packed = npm(['pack', '--pack-destination', tmp, '--json'], root);
  assert.equal(packed.status, 0, packed.stderr);
  const tarball = path.join(tmp, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
  const prefix = path.join(tmp, 'prefix');
  fs.mkdirSync(prefix);
  const installed = npm(['install', '--offline', '--prefix', prefix, tarball], tmp);
  assert.equal(installed.status, 0, installed.stderr);
  const bin = path.join(prefix, 'node_modules', '.bin', 'citrix-flow-lint');
  assert.ok(fs.existsSync(bin), 'npm linked the bin');
  const site = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/bad.tf' });
  const run = spawnSync(bin, ['check', '--format', 'sarif'], { cwd: site, encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);
  const log = JSON.parse(run.stdout) as { runs: { tool: { driver: { rules: { id: string; help?: { markdown: string } }[] } }; results: { ruleId: string }[] }[] };
  assert.ok(log.runs[0].results.some((r) => r.ruleId === 'missing-flow'));
  for (const rule of log.runs[0].tool.driver.rules) assert.ok(rule.help?.markdown, `${rule.id}: its page is in the package`);
  const explain = spawnSync(bin, ['explain', '2598'], { cwd: site, encoding: 'utf8' });
  assert.equal(explain.status, 0, explain.stderr);
  assert.match(explain.stdout, /Session Reliability/);
  fs.rmSync(tmp, { recursive: true, force: true });
});
