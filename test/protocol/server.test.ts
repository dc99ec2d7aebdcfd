import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestClient, copyFixture, marker, uriOf, type Published } from './client';

/**
 * The built server (dist/server.js) over stdio, driven the way VS Code drives
 * it. The workspace is a copy of test/fixtures/lsp: an Azure NSG in
 * Terraform bound to the VDA role, an iptables-save file annotated as a
 * StoreFront server, and citrix-flows.yaml.
 */
describe('language server over stdio', () => {
  let client: TestClient;
  let folder: string;
  let tfUri: string;
  let tfText: string;
  let yamlUri: string;
  let initResult: Record<string, unknown>;

  const codes = (p: Published | undefined): string[] => (p?.diagnostics ?? []).map((d) => d.code);

  before(async () => {
    folder = copyFixture('lsp');
    tfUri = uriOf(path.join(folder, 'azure', 'vda.tf'));
    tfText = fs.readFileSync(path.join(folder, 'azure', 'vda.tf'), 'utf8');
    yamlUri = uriOf(path.join(folder, 'citrix-flows.yaml'));
    client = new TestClient();
    initResult = await client.initialize(folder);
  });

  after(async () => {
    await client.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('announces its features', () => {
    const caps = initResult.capabilities as Record<string, unknown>;
    assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2, save: { includeText: false } });
    for (const key of ['hoverProvider', 'completionProvider', 'codeActionProvider', 'codeLensProvider', 'inlayHintProvider']) assert.ok(caps[key], key);
  });

  it('analyses closed files of the workspace, with progress, and publishes per file', async () => {
    const tf = await client.waitFor('diagnostics of the closed vda.tf', () => {
      const p = client.lastFor(tfUri);
      return p && codes(p).includes('missing-flow') ? p : undefined;
    });
    const iptablesUri = uriOf(path.join(folder, 'linux', 'storefront-iptables.rules'));
    await client.waitFor('diagnostics of the closed iptables file', () => codes(client.lastFor(iptablesUri)).includes('unparsed-rule'));
    const missing = tf.diagnostics.find((d) => d.code === 'missing-flow')!;
    assert.equal(missing.source, 'citrix-flow-lint');
    assert.equal(missing.severity, 1);
    assert.match(missing.codeDescription!.href, /^file:.*docs\/checks\/missing-flow\.md$/);
    assert.equal(missing.data!.checkId, 'missing-flow');
    assert.equal(typeof missing.data!.flowId, 'string');
    assert.equal(missing.range.start.line, 19, 'on the name of the DenyAllInbound rule (line 20), not the whole block');
    const related = (missing.relatedInformation ?? []) as { location: { range: { start: { line: number } } }; message: string }[];
    // The whole deciding rule (from line 19) and the role declaration in citrix-flows.yaml are related information.
    assert.ok(related.some((r) => r.location.range.start.line === 18 && r.message.includes('deciding rule')), JSON.stringify(related));
    assert.ok(JSON.stringify(missing.relatedInformation).includes('citrix-flows.yaml'), JSON.stringify(missing.relatedInformation));
    const kinds = client.progress.map((p) => (p as { value: { kind: string } }).value.kind);
    assert.ok(kinds.includes('begin') && kinds.includes('end'), `progress: ${kinds.join(',')}`);
    const status = await client.waitFor('a status notification', () => client.statuses.at(-1));
    assert.ok(status.errors >= 1 && status.files >= 2, JSON.stringify(status));
  });

  it('hovers a port with its Citrix meaning and a rule with its effect', async () => {
    await client.open(tfUri, tfText, 'terraform');
    const port = marker(tfText.replace('"1494"', '"14|94"'));
    const portHover = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: tfUri }, position: port });
    assert.match(portHover.contents.value, /Port 1494/);
    assert.match(portHover.contents.value, /ICA\/HDX/);
    assert.match(portHover.contents.value, /✓ allows .*Gateway SNIP/);
    const rule = marker(tfText.replace('"AllowIcaFromGateway"', '"Allow|IcaFromGateway"'));
    const ruleHover = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: tfUri }, position: rule });
    assert.match(ruleHover.contents.value, /allows inbound TCP 1494, 2598 from 10\.0\.0\.20 \(gateway-snip\) to any address; evaluated at priority 100/);
    const role = marker(tfText.replace('citrix-role: vda', 'citrix-role: v|da'));
    const roleHover = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: tfUri }, position: role });
    assert.match(roleHover.contents.value, /Virtual Delivery Agent/);
    assert.match(roleHover.contents.value, /Required flows of vda/);
    assert.match(roleHover.contents.value, /✗ inbound: Delivery Controller → Virtual Delivery Agent \(VDA\), TCP 80/);
  });

  it('completes role ids in an annotation and Citrix ports in a port field', async () => {
    const annotated = marker(tfText.replace('citrix-role: vda', 'citrix-role: st|'));
    await client.change(tfUri, 2, [{ text: annotated.text }]);
    const roles = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: tfUri }, position: annotated });
    assert.ok(roles.some((i) => i.label === 'storefront'));
    assert.ok(roles.some((i) => i.label === 'vda'));
    const ports = marker(tfText.replace('["1494", "2598"]', '["1494", "2598", "|"]'));
    await client.change(tfUri, 3, [{ text: ports.text }]);
    const items = await client.request<{ label: string; detail?: string }[]>('textDocument/completion', { textDocument: { uri: tfUri }, position: ports });
    assert.equal(items.find((i) => i.label === '1494')?.detail, 'ICA/HDX');
    await client.change(tfUri, 4, [{ text: tfText }]);
  });

  it('offers code actions on a diagnostic: disable for this line, documentation, allow the flow', async () => {
    const published = await client.waitFor('diagnostics of version 4', () => {
      const p = client.lastFor(tfUri);
      return p?.version === 4 ? p : undefined;
    });
    const diagnostic = published.diagnostics.find((d) => d.code === 'missing-flow')!;
    const actions = await client.request<{ title: string; kind: string; edit?: { changes: Record<string, { newText: string }[]> }; command?: { command: string; arguments: unknown[] }; diagnostics?: unknown[] }[]>(
      'textDocument/codeAction',
      { textDocument: { uri: tfUri }, range: (diagnostic as unknown as { range: unknown }).range, context: { diagnostics: [diagnostic] } },
    );
    const titles = actions.map((a) => a.title);
    const disable = actions.find((a) => a.title.startsWith('Disable missing-flow'));
    assert.ok(disable, titles.join('\n'));
    assert.match(disable.edit!.changes[tfUri][0].newText, /^ {2}# citrix-flow-lint-disable-next-line missing-flow\n$/);
    const docs = actions.find((a) => a.title === 'Show documentation for missing-flow');
    assert.equal(docs?.command?.command, 'citrixFlowLint.showDocumentation');
    assert.ok(actions.some((a) => a.title.startsWith('Allow ') && a.edit), titles.join('\n'));
    assert.ok(actions.every((a) => a.kind.startsWith('quickfix') || a.kind.startsWith('source')));
  });

  it('shows a code lens above the bound rule set', async () => {
    const lenses = await client.request<{ range: { start: { line: number } }; command: { title: string; command: string; arguments: { role: string }[] } }[]>('textDocument/codeLens', { textDocument: { uri: tfUri } });
    assert.equal(lenses.length, 1);
    assert.match(lenses[0].command.title, /^VDA · \d+\/\d+ required inbound flows allowed/);
    assert.equal(lenses[0].command.command, 'citrixFlowLint.showRequiredFlows');
    assert.equal(lenses[0].range.start.line, 1);
    const items = await client.request<{ status: string; side: string; decidedBy?: string }[]>('citrixFlowLint/requiredFlows', lenses[0].command.arguments[0]);
    // EDT is on and only TCP is open for ICA, so ICA and CGP are partial; ports 80 and 89 are denied.
    assert.deepEqual(items.map((i) => `${i.side} ${i.status}`).sort(), ['inbound denied', 'inbound denied', 'inbound partial', 'inbound partial', 'outbound unknown']);
    assert.equal(lenses[0].command.title, 'VDA · 0/4 required inbound flows allowed · 0/1 outbound');
    assert.ok(items.filter((i) => i.status === 'denied').every((i) => i.decidedBy?.startsWith('"DenyAllInbound"')));
  });

  it('gives inlay hints after Citrix ports', async () => {
    const hints = await client.request<{ position: { line: number; character: number }; label: string }[]>('textDocument/inlayHint', {
      textDocument: { uri: tfUri },
      range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } },
    });
    // One short hint per port field, after the closing bracket of ["1494", "2598"].
    assert.deepEqual(hints.map((h) => h.label), ['ICA, CGP']);
    assert.deepEqual(hints[0].position, { line: 13, character: 49 });
    client.settings = { inlayHints: { style: 'perPort' } };
    const perPort = await client.request<{ position: { line: number; character: number }; label: string }[]>('textDocument/inlayHint', {
      textDocument: { uri: tfUri },
      range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } },
    });
    // After the closing quote of "1494", then of "2598".
    assert.deepEqual(perPort.map((h) => [h.label, h.position.character]), [['ICA', 40], ['CGP', 48]]);
    client.settings = { inlayHints: { style: 'hover' } };
    assert.deepEqual(await client.request('textDocument/inlayHint', { textDocument: { uri: tfUri }, range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } } }), []);
    client.settings = {};
  });

  it('re-reads settings on didChangeConfiguration: a check set to off disappears', async () => {
    const since = client.published.length;
    client.settings = { checks: { 'missing-flow': 'off' } };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor('diagnostics without missing-flow', () => {
      const p = client.lastFor(tfUri, since);
      return p && !codes(p).includes('missing-flow') && codes(p).includes('edt-needs-udp');
    });
    assert.ok(client.configurationRequests.some((r) => r.section === 'citrixFlowLint' && r.scopeUri === uriOf(folder)));
    const hintsOff = { inlayHints: { enabled: false } };
    client.settings = hintsOff;
    const none = await client.request<unknown[]>('textDocument/inlayHint', { textDocument: { uri: tfUri }, range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } } });
    assert.deepEqual(none, []);
    client.settings = {};
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor('missing-flow back', () => codes(client.lastFor(tfUri)).includes('missing-flow'));
  });

  it('re-analyses when citrix-flows.yaml changes on disk', async () => {
    const file = path.join(folder, 'citrix-flows.yaml');
    const since = client.published.length;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('features: { edt: true }', 'features: { edt: false }'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: yamlUri, type: 2 }] });
    await client.waitFor('diagnostics without edt-needs-udp', () => {
      const p = client.lastFor(tfUri, since);
      return p && !codes(p).includes('edt-needs-udp') && codes(p).includes('missing-flow');
    });
  });

  it('publishes diagnostics for citrix-flows.yaml problems and completes role ids there', async () => {
    const text = fs.readFileSync(path.join(folder, 'citrix-flows.yaml'), 'utf8').replace('storefront: [10.0.1.10, 10.0.1.11]', 'storefrnt: [10.0.1.10, 10.0.1.11]');
    await client.open(yamlUri, text, 'yaml');
    const p = await client.waitFor('unknown-role in citrix-flows.yaml', () => {
      const last = client.lastFor(yamlUri);
      return last && codes(last).includes('unknown-role') ? last : undefined;
    });
    assert.match(p.diagnostics.find((d) => d.code === 'unknown-role')!.message, /storefront/);
    const typed = marker(text.replace('  vda: [10.0.2.0/24]', '  vda: [10.0.2.0/24]\n  lic|'));
    await client.change(yamlUri, 2, [{ text: typed.text }]);
    const items = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: yamlUri }, position: typed });
    assert.ok(items.some((i) => i.label === 'license-server'));
    const hover = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: yamlUri }, position: { line: 2, character: 3 } });
    assert.match(hover.contents.value, /Virtual Delivery Agent/);
    await client.close(yamlUri);
  });

  it('ends a burst of 200 rapid edits with the diagnostics of the last version only', async () => {
    const since = client.published.length;
    const lines = tfText.split('\n');
    // Every edit inserts one character into a comment at the top; the last one breaks the file's syntax.
    await client.change(tfUri, 10, [{ text: `#\n${tfText}` }]);
    for (let v = 11; v < 210; v++) {
      await client.change(tfUri, v, [{ range: { start: { line: 0, character: 1 }, end: { line: 0, character: 1 } }, text: 'x' }]);
    }
    const finalLine = lines.length + 1;
    await client.change(tfUri, 210, [{ range: { start: { line: finalLine, character: 0 }, end: { line: finalLine, character: 0 } }, text: 'resource "azurerm_network_security_group" "broken" {\n' }]);
    const last = await client.waitFor('diagnostics of version 210', () => {
      const p = client.lastFor(tfUri, since);
      return p?.version === 210 ? p : undefined;
    });
    assert.ok(last.diagnostics.some((d) => d.code === 'unparsed-rule' && d.range.start.line >= finalLine), JSON.stringify(codes(last)));
    const burst = client.published.slice(since).filter((p) => p.uri === tfUri);
    assert.ok(burst.length <= 5, `debounced: ${burst.length} publishes for 201 edits`);
    assert.equal(burst.at(-1)?.version, 210);
    assert.ok(burst.every((p) => p.version === 210 || !p.diagnostics.some((d) => d.range.start.line >= finalLine)));
  });

  it('on close, goes back to the file on disk', async () => {
    const since = client.published.length;
    await client.close(tfUri);
    const p = await client.waitFor('diagnostics of the disk text', () => {
      const last = client.lastFor(tfUri, since);
      return last && last.version === undefined ? last : undefined;
    });
    assert.ok(codes(p).includes('missing-flow'));
    assert.ok(!codes(p).includes('unparsed-rule'));
  });
});
