// The extension through the `vscode` API, inside a real extension host, on a
// copy of test/e2e/workspace: diagnostics, hovers and the "Allow …" quick fix.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface Target { file: string; line: number; missingPort: string; hoverPort: string; hoverSays: RegExp }

const TARGETS: Target[] = [
  { file: 'vda-nsg.tf', line: 20, missingPort: '1494', hoverPort: '2598', hoverSays: /Session Reliability/i },
  { file: 'vda-nsg.bicep', line: 21, missingPort: '2598', hoverPort: '1494', hoverSays: /ICA\/HDX/ },
  { file: 'vda-iptables.rules', line: 11, missingPort: '1494', hoverPort: '2598', hoverSays: /Session Reliability/i },
];

function fileUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the extension host was started without a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

function codeOf(d: vscode.Diagnostic): string | number | undefined {
  return typeof d.code === 'object' ? d.code.value : d.code;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function missingFlows(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'missing-flow');
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('Citrix Flow Lint in the extension host', () => {
  before(async () => {
    const extension = vscode.extensions.all.find((e) => e.packageJSON?.name === 'citrix-flow-lint');
    assert.ok(extension, 'the citrix-flow-lint extension is not loaded');
  });

  for (const target of TARGETS) {
    describe(target.file, () => {
      let document: vscode.TextDocument;

      before(async () => {
        document = await vscode.workspace.openTextDocument(fileUri(target.file));
        await vscode.window.showTextDocument(document);
      });

      it(`has a missing-flow error on line ${target.line}`, async () => {
        const [d] = await until(`a missing-flow diagnostic in ${target.file}`, () => {
          const found = missingFlows(document.uri);
          return found.length ? found : undefined;
        });
        assert.equal(d!.range.start.line + 1, target.line);
        assert.equal(d!.severity, vscode.DiagnosticSeverity.Error);
        assert.match(d!.message, new RegExp(`^[^:]*TCP ${target.missingPort}\\b[^:]* blocked by `));
      });

      it(`explains port ${target.hoverPort} on hover`, async () => {
        const offset = document.getText().indexOf(target.hoverPort);
        assert.ok(offset >= 0, `${target.hoverPort} is not in ${target.file}`);
        const position = document.positionAt(offset + 1);
        const text = await until(`a hover on ${target.hoverPort} (language "${document.languageId}")`, async () => {
          const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
          const t = hoverText(hovers ?? []);
          return t.includes(`Port ${target.hoverPort}`) ? t : undefined;
        }, 20_000);
        assert.match(text, target.hoverSays);
        assert.match(text, /Citrix Gateway SNIP.*Virtual Delivery Agent/);
      });

      it('applies the "Allow …" quick fix and the diagnostic goes away', async () => {
        const [d] = missingFlows(document.uri);
        assert.ok(d, 'no missing-flow diagnostic to fix');
        const actions = await until(`code actions for the missing-flow diagnostic (language "${document.languageId}")`, async () => {
          const found = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, d.range, vscode.CodeActionKind.QuickFix.value);
          return found?.some((a) => a.title.startsWith('Allow')) ? found : undefined;
        }, 20_000);
        const allow = actions.find((a) => a.title.startsWith('Allow'))!;
        assert.match(allow.title, new RegExp(`TCP ${target.missingPort}\\b`));
        assert.ok(allow.edit, `"${allow.title}" carries no WorkspaceEdit`);
        const before = document.getText();
        assert.ok(await vscode.workspace.applyEdit(allow.edit), 'workspace.applyEdit refused the edit');
        const after = document.getText();
        assert.ok(after.length > before.length, 'the edit added text');
        assert.ok(after.includes(`${target.missingPort}`) && after.split(target.missingPort).length > before.split(target.missingPort).length, `the new rule names port ${target.missingPort}`);
        await until(`the missing-flow diagnostic in ${target.file} to go away`, () => (missingFlows(document.uri).length === 0 ? true : undefined), 30_000);
      });
    });
  }
});
