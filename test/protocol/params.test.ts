import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient, uriOf } from './client';

/**
 * Issue 13, item 7: malformed parameters are answered with InvalidParams
 * naming the field (not an internal TypeError), and a stale didChange does
 * not replace a newer document.
 */
const IPTABLES = '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1494 -j ACCEPT\nCOMMIT\n';

describe('language server: request parameters and document versions', () => {
  let client: TestClient;
  let dir: string;
  let okUri: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-params-'));
    fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), 'roles:\n  vda: [10.0.2.0/24]\n');
    fs.writeFileSync(path.join(dir, 'ok.rules'), IPTABLES);
    okUri = uriOf(path.join(dir, 'ok.rules'));
    client = new TestClient();
    await client.initialize(dir);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string, unknown, RegExp][] = [
    ['hover without textDocument', 'textDocument/hover', { position: { line: 0, character: 0 } }, /^textDocument\/hover: params\.textDocument must be an object$/],
    ['hover with a number as uri', 'textDocument/hover', { textDocument: { uri: 5 }, position: { line: 0, character: 0 } }, /params\.textDocument\.uri must be a document URI/],
    ['hover without position', 'textDocument/hover', { textDocument: { uri: 'file:///x.rules' } }, /params\.position must be a position/],
    ['hover at a negative line', 'textDocument/hover', { textDocument: { uri: 'file:///x.rules' }, position: { line: -1, character: 0 } }, /params\.position\.line must be a non-negative integer/],
    ['completion at a fractional character', 'textDocument/completion', { textDocument: { uri: 'file:///x.rules' }, position: { line: 0, character: 0.5 } }, /params\.position\.character must be a non-negative integer/],
    ['codeAction without range', 'textDocument/codeAction', { textDocument: { uri: 'file:///x.rules' }, context: { diagnostics: [] } }, /params\.range must be a range/],
    ['codeAction with a bad range end', 'textDocument/codeAction', { textDocument: { uri: 'file:///x.rules' }, range: { start: { line: 0, character: 0 }, end: 'x' }, context: {} }, /params\.range\.end must be a position/],
    ['codeAction with only as a string', 'textDocument/codeAction', { textDocument: { uri: 'file:///x.rules' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { only: 'quickfix' } }, /params\.context\.only must be a list of strings/],
    ['codeLens with a string for textDocument', 'textDocument/codeLens', { textDocument: 'file:///x.rules' }, /params\.textDocument must be an object/],
    ['inlayHint without range', 'textDocument/inlayHint', { textDocument: { uri: 'file:///x.rules' } }, /params\.range must be a range/],
    ['generate without roles', 'citrixFlowLint/generate', { uri: 'file:///x.rules', position: { line: 0, character: 0 } }, /params\.roles must be a list of strings/],
    ['explainPort without params', 'citrixFlowLint/explainPort', null, /params must be an object/],
    ['explainPort with a number', 'citrixFlowLint/explainPort', { text: 2598 }, /params\.text must be a string/],
    ['flowMap with a number uri', 'citrixFlowLint/flowMap', { uri: 3 }, /params\.uri must be a document URI/],
  ];
  for (const [name, method, params, message] of cases) {
    it(`${name}: InvalidParams naming the field`, async () => {
      await assert.rejects(client.request(method, params), (error: { code?: number; message?: string }) => {
        assert.equal(error.code, -32602, error.message);
        assert.match(error.message ?? '', message);
        assert.doesNotMatch(error.message ?? '', /Cannot read|is not a function|is not iterable/);
        return true;
      });
    });
  }

  it('well-formed requests with optional fields left out are still answered', async () => {
    assert.equal(typeof (await client.request('citrixFlowLint/explainPort', { text: '2598' })), 'object');
    assert.ok(Array.isArray(await client.request('citrixFlowLint/generateRoles', null)));
  });

  it('a stale didChange (version 1 after 2003) is ignored; a newer one applies', async () => {
    await client.open(okUri, IPTABLES, 'iptables', 2003);
    await client.waitFor('diagnostics of version 2003', () => client.lastFor(okUri)?.version === 2003, 20_000);
    const countBefore = client.lastFor(okUri)!.diagnostics.length;
    await client.change(okUri, 1, [{ text: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' }]);
    // A newer change after the stale one: its diagnostics prove the stale one was read and dropped, in order.
    await client.change(okUri, 2004, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' }]);
    const published = await client.waitFor('diagnostics of version 2004', () => (client.lastFor(okUri)?.version === 2004 ? client.lastFor(okUri) : undefined), 20_000);
    assert.ok(!client.published.some((p) => p.uri === okUri && p.version === 1), 'nothing was published for the stale version');
    // 2004 was applied to the 2003 text (one line pushed down), not to the stale replacement.
    assert.equal(published.diagnostics.length, countBefore);
    const hover = await client.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: okUri }, position: { line: 4, character: 25 } });
    assert.match(hover?.contents.value ?? '', /1494/);
  });
});
