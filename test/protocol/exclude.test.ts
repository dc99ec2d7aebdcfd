import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestClient, copyFixture, uriOf } from './client';

/**
 * Excludes in the editor: `citrixFlowLint.exclude`, `files.exclude` and
 * `exclude:` in citrix-flows.yaml take a file out of the workspace scan, and
 * its diagnostics go away; taking the exclude back reads it again.
 */
describe('language server: excludes', () => {
  let client: TestClient;
  let folder: string;
  let tfUri: string;
  let iptablesUri: string;
  let yamlPath: string;

  const diagnosticsOf = (uri: string, since = 0): number | undefined => client.lastFor(uri, since)?.diagnostics.length;
  const reconfigure = async (change: () => void): Promise<number> => {
    const since = client.published.length;
    change();
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    return since;
  };

  before(async () => {
    folder = copyFixture('lsp');
    tfUri = uriOf(path.join(folder, 'azure', 'vda.tf'));
    iptablesUri = uriOf(path.join(folder, 'linux', 'storefront-iptables.rules'));
    yamlPath = path.join(folder, 'citrix-flows.yaml');
    client = new TestClient();
    await client.initialize(folder);
    await client.waitFor('diagnostics of both files', () => (diagnosticsOf(tfUri) ?? 0) > 0 && (diagnosticsOf(iptablesUri) ?? 0) > 0);
  });

  after(async () => {
    await client.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('citrixFlowLint.exclude clears an excluded folder, and putting it back reads it again', async () => {
    let since = await reconfigure(() => (client.settings = { exclude: ['linux'] }));
    await client.waitFor('the iptables file cleared', () => diagnosticsOf(iptablesUri, since) === 0);
    assert.ok((diagnosticsOf(tfUri) ?? 0) > 0, 'the other file keeps its diagnostics');
    since = await reconfigure(() => (client.settings = {}));
    await client.waitFor('the iptables file back', () => (diagnosticsOf(iptablesUri, since) ?? 0) > 0);
  });

  it('files.exclude counts as well', async () => {
    let since = await reconfigure(() => (client.filesExclude = { '**/azure': true }));
    await client.waitFor('vda.tf cleared', () => diagnosticsOf(tfUri, since) === 0);
    since = await reconfigure(() => (client.filesExclude = {}));
    await client.waitFor('vda.tf back', () => (diagnosticsOf(tfUri, since) ?? 0) > 0);
  });

  it('exclude: in citrix-flows.yaml, edited on disk', async () => {
    const original = fs.readFileSync(yamlPath, 'utf8');
    let since = client.published.length;
    fs.writeFileSync(yamlPath, `${original}exclude: ["*.rules"]\n`);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(yamlPath), type: 2 }] });
    await client.waitFor('the iptables file cleared by citrix-flows.yaml', () => diagnosticsOf(iptablesUri, since) === 0);
    since = client.published.length;
    fs.writeFileSync(yamlPath, original);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(yamlPath), type: 2 }] });
    await client.waitFor('the iptables file back', () => (diagnosticsOf(iptablesUri, since) ?? 0) > 0);
  });

  it('a watched change to an excluded file is ignored', async () => {
    const since = await reconfigure(() => (client.settings = { exclude: ['linux/**'] }));
    await client.waitFor('cleared', () => diagnosticsOf(iptablesUri, since) === 0);
    const after = client.published.length;
    const statuses = client.statuses.length;
    // Both in one notification: the other file's change makes the server analyse and report its status.
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: iptablesUri, type: 2 }, { uri: tfUri, type: 2 }] });
    await client.waitFor('an analysis after the change', () => client.statuses.length > statuses);
    assert.ok(!client.published.slice(after).some((p) => p.uri === iptablesUri && p.diagnostics.length > 0));
    await reconfigure(() => (client.settings = {}));
  });
});
