import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, TestClient, copyFixture, uriOf, type Published } from './client';

/**
 * `citrixFlowLint.baseline.file`: findings of a baseline written by the CLI
 * show as hints (or not at all); new ones keep their severity.
 */
describe('language server: baselines', () => {
  let client: TestClient;
  let folder: string;
  let tfUri: string;

  const missing = (p: Published | undefined): Published['diagnostics'] => (p?.diagnostics ?? []).filter((d) => d.code === 'missing-flow');
  const reconfigure = async (settings: Record<string, unknown>): Promise<number> => {
    const since = client.published.length;
    client.settings = settings;
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    return since;
  };

  before(async () => {
    folder = copyFixture('lsp');
    tfUri = uriOf(path.join(folder, 'azure', 'vda.tf'));
    const written = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'check', '--write-baseline', 'baseline.json'], { cwd: folder, encoding: 'utf8' });
    assert.equal(written.status, 0, written.stderr);
    client = new TestClient();
    await client.initialize(folder);
    await client.waitFor('missing-flow errors in vda.tf', () => missing(client.lastFor(tfUri)).length > 0);
  });

  after(async () => {
    await client.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('shows baselined findings as hints with a note, and hides them when asked', async () => {
    const errors = missing(client.lastFor(tfUri));
    assert.ok(errors.every((d) => d.severity === 1));
    let since = await reconfigure({ baseline: { file: 'baseline.json' } });
    const hints = await client.waitFor('the same findings as hints', () => {
      const d = missing(client.lastFor(tfUri, since));
      return d.length === errors.length && d.every((x) => x.severity === 4) ? d : undefined;
    });
    for (const [i, d] of hints.entries()) assert.equal(d.message, `${errors[i].message} (in the baseline baseline.json)`);

    since = await reconfigure({ baseline: { file: 'baseline.json', showAs: 'hidden' } });
    await client.waitFor('no missing-flow at all', () => {
      const p = client.lastFor(tfUri, since);
      // The baseline holds every finding of the file, so nothing is left.
      return p && p.diagnostics.length === 0;
    });

    since = await reconfigure({});
    await client.waitFor('errors again without the setting', () => {
      const d = missing(client.lastFor(tfUri, since));
      return d.length === errors.length && d.every((x) => x.severity === 1);
    });
  });

  it('keeps a new finding at its severity while the old ones are hints', async () => {
    const text = fs.readFileSync(path.join(folder, 'azure', 'vda.tf'), 'utf8');
    await client.open(tfUri, text, 'terraform');
    const since = await reconfigure({ baseline: { file: 'baseline.json' } });
    await client.waitFor('all baselined', () => {
      const d = missing(client.lastFor(tfUri, since));
      return d.length > 0 && d.every((x) => x.severity === 4);
    });
    // A second copy of the NSG in the same file is the same fingerprints again: more findings than the baseline holds.
    const nsg = text.slice(text.indexOf('resource "azurerm_network_security_group"'));
    const doubled = `${text}\n# citrix-role: vda\n${nsg.replace(/"azurerm_network_security_group" "(\w+)"/, '"azurerm_network_security_group" "$1_copy"').replace(/name\s*=\s*"([^"]+)"/, 'name = "$1-copy"')}`;
    await client.change(tfUri, 2, [{ text: doubled }]);
    const d = await client.waitFor('new findings as errors', () => {
      const p = client.lastFor(tfUri);
      return p?.version === 2 ? missing(p) : undefined;
    });
    assert.ok(d.some((x) => x.severity === 4), 'the baselined ones stay hints');
    assert.ok(d.some((x) => x.severity === 1), 'the new ones are errors');
  });

  it('ignores a broken baseline file instead of hiding anything', async () => {
    fs.writeFileSync(path.join(folder, 'broken.json'), '{ nope');
    const since = await reconfigure({ baseline: { file: 'broken.json' } });
    await client.waitFor('errors with a broken baseline', () => {
      const d = missing(client.lastFor(tfUri, since));
      return d.length > 0 && d.some((x) => x.severity === 1) && d.every((x) => x.severity !== 4);
    });
  });
});
