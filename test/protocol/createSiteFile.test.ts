import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient } from './client';

type Answer = { path: string; exists: boolean; text: string } | { error: string };

/**
 * "Create citrix-flows.yaml from this workspace" (issue 17 item 6, issue 19
 * item 6): the server answers with what `citrix-flow-lint init` writes, and
 * says whether the file exists, so the client never overwrites one.
 */
describe('language server: citrixFlowLint/createSiteFile', () => {
  const folders: string[] = [];
  const clients: TestClient[] = [];
  const vdaRules = '*filter\n-A INPUT -p tcp --dport 1494 -j ACCEPT\n-A INPUT -p tcp --dport 2598 -j ACCEPT\nCOMMIT\n';

  const ask = async (files: Record<string, string>): Promise<{ folder: string; answer: Answer }> => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-site-'));
    folders.push(folder);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
    const client = new TestClient();
    clients.push(client);
    await client.initialize(folder);
    await client.waitFor('a first analysis', () => client.statuses.length > 0);
    return { folder, answer: await client.connection.sendRequest<Answer>('citrixFlowLint/createSiteFile', {}) };
  };

  after(async () => {
    for (const c of clients) await c.stop();
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
  });

  it('writes the inferred VDA with its evidence, at the folder root', async () => {
    const { folder, answer } = await ask({ 'host.rules': vdaRules });
    assert.ok(!('error' in answer), JSON.stringify(answer));
    assert.equal(answer.path, path.join(folder, 'citrix-flows.yaml'));
    assert.equal(answer.exists, false);
    assert.match(answer.text, /\bvda\b/);
    assert.match(answer.text, /1494/);
    assert.equal(fs.existsSync(answer.path), false, 'the server only answers; the client writes');
  });

  it('says when citrix-flows.yaml exists already', async () => {
    const { answer } = await ask({ 'host.rules': vdaRules, 'citrix-flows.yaml': 'features:\n  edt: true\n' });
    assert.ok(!('error' in answer), JSON.stringify(answer));
    assert.equal(answer.exists, true);
  });
});
