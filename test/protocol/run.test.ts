import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestClient, copyFixture, uriOf, type Published } from './client';

/** `citrixFlowLint.run: onSave`: edits are not checked until the document is saved. */
describe('language server: citrixFlowLint.run', () => {
  let client: TestClient;
  let folder: string;
  let tfUri: string;
  let tfText: string;

  const missing = (p: Published | undefined): number => (p?.diagnostics ?? []).filter((d) => d.code === 'missing-flow').length;
  const ofVersion = (version: number, since = 0): Published | undefined => client.published.slice(since).find((p) => p.uri === tfUri && p.version === version);

  before(async () => {
    folder = copyFixture('lsp');
    tfUri = uriOf(path.join(folder, 'azure', 'vda.tf'));
    tfText = fs.readFileSync(path.join(folder, 'azure', 'vda.tf'), 'utf8');
    client = new TestClient();
    await client.initialize(folder);
    await client.waitFor('missing-flow in vda.tf', () => missing(client.lastFor(tfUri)) > 0);
    await client.open(tfUri, tfText, 'terraform');
  });

  after(async () => {
    await client.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('onType checks each edit; onSave waits for the save', async () => {
    // Without the deny rule nothing is blocked.
    const open = tfText.replace(/security_rule \{\s*name\s*=\s*"DenyAllInbound"[\s\S]*?\n {2}\}\n/, '');
    assert.notEqual(open, tfText);
    await client.change(tfUri, 2, [{ text: open }]);
    await client.waitFor('version 2 checked on type', () => ofVersion(2));

    const requests = client.configurationRequests.length;
    client.settings = { run: 'onSave' };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    // The run after a settings change reads them; from then on edits wait for a save.
    await client.waitFor('the settings read again', () => client.configurationRequests.length > requests);
    const statuses = client.statuses.length;
    await client.waitFor('that run done', () => client.statuses.length > statuses);
    const since = client.published.length;
    await client.change(tfUri, 3, [{ text: tfText }]);
    // Several debounce periods; on type, version 3 would have been published by now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(ofVersion(3, since), undefined, 'an edit is not checked before the save');
    await client.connection.sendNotification('textDocument/didSave', { textDocument: { uri: tfUri } });
    const saved = await client.waitFor('version 3 checked on save', () => ofVersion(3, since));
    assert.ok(missing(saved) > 0, 'the saved text is the one checked');
    client.settings = {};
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
  });
});
