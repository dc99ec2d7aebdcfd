import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient } from './client';

/**
 * Issue 17 item 8: with nothing declared and nothing a name gives away, the
 * editor says once per workspace folder (not once per file) how to declare
 * roles; a folder whose files name a role hears nothing.
 */
describe('language server: one hint when no role is declared or inferred', () => {
  const folders: string[] = [];
  const clients: TestClient[] = [];
  const rule = (port: number): string => `-A INPUT -p tcp --dport ${port} -j ACCEPT\n`;

  const workspaceWith = (files: Record<string, string>): string => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-nothing-'));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
    folders.push(folder);
    return folder;
  };
  const started = async (folder: string): Promise<TestClient> => {
    const client = new TestClient();
    clients.push(client);
    await client.initialize(folder);
    await client.waitFor('a first analysis', () => client.statuses.length > 0);
    return client;
  };

  before(() => undefined);
  after(async () => {
    for (const c of clients) await c.stop();
    for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
  });

  it('says it once for a folder of unnamed host firewalls', async () => {
    const folder = workspaceWith({ 'a.rules': `*filter\n${rule(22)}COMMIT\n`, 'b.rules': `*filter\n${rule(443)}COMMIT\n` });
    const client = await started(folder);
    const hints = client.shown.filter((m) => /no Citrix role is declared or named/.test(m.message));
    assert.equal(hints.length, 1, JSON.stringify(client.shown));
    assert.equal(hints[0].type, 3);
    assert.match(hints[0].message, /citrix-role: vda/);
  });

  it('says nothing when a file names its role', async () => {
    const folder = workspaceWith({ 'vda.rules': `*filter\n${rule(1494)}${rule(2598)}COMMIT\n` });
    const client = await started(folder);
    assert.deepEqual(client.shown.filter((m) => /no Citrix role/.test(m.message)), []);
  });
});
