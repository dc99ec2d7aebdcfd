import * as path from 'node:path';
import { commands, Range, StatusBarAlignment, Uri, window, workspace, type ExtensionContext, type OutputChannel, type StatusBarItem } from 'vscode';
import { ServerGate } from './activation';
import { FileStatusItem } from './fileStatus';
import { FlowMapPanel } from './flowMap';
import { LanguageClient, TransportKind, type DocumentSelector, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { METHODS, request, type LspRequiredFlow, type StatusNotification } from '../../server/src/service/lspMethods';

/**
 * Starts the language server and gives its results a place in the UI:
 * commands, the status bar, the output channel. No analysis happens here.
 */
let client: LanguageClient | undefined;
/** Resolves once the server runs; the commands that need it wait here (and start it if the workspace had not). */
let ready: Promise<LanguageClient> | undefined;
let gate: ServerGate | undefined;

// Documents the client hands to the server. The server sniffs each (name, then first bytes) and serves only what it recognises,
// so a JSON, shell or plain-text file that holds no rules costs one sniff. Without the HashiCorp Terraform or Bicep extension,
// VS Code opens .tf and .bicep files as Plain Text: they are still ours to serve.
const LANGUAGES = ['terraform', 'bicep', 'json', 'jsonc', 'yaml', 'iptables', 'nftables', 'cisco-asa', 'netscaler', 'powershell', 'bat', 'shellscript', 'plaintext'];

export const DOCUMENT_SELECTOR: DocumentSelector = [
  ...LANGUAGES.map((language) => ({ scheme: 'file', language })),
  { scheme: 'file', pattern: '**/citrix-flows.yaml' },
];

const MARK: Record<LspRequiredFlow['status'], string> = { allowed: '$(pass)', denied: '$(error)', partial: '$(circle-large-outline)', unknown: '$(question)' };

export async function activate(context: ExtensionContext): Promise<void> {
  const output = window.createOutputChannel('Citrix Flow Lint');
  const status = window.createStatusBarItem('citrixFlowLint.status', StatusBarAlignment.Left, 10);
  status.name = 'Citrix Flow Lint';
  status.command = 'workbench.actions.view.problems';
  status.text = '$(shield) Citrix…';
  const fileStatus = new FileStatusItem(() => client);
  context.subscriptions.push(output, status, fileStatus);

  const startServer = (reason: string): void => {
    ready = startClient(context, output, status, fileStatus, reason);
    ready.catch((error: Error) => output.appendLine(`The language server did not start: ${error.message}`));
  };
  const needClient = async (): Promise<LanguageClient> => {
    if (!ready) gate?.go('a Citrix Flow Lint command was run');
    return ready!;
  };
  context.subscriptions.push(
    commands.registerCommand('citrixFlowLint.showRequiredFlows', async (args?: { role: string; uri?: string; ruleSetId?: string; title?: string }) => showRequiredFlows(await needClient(), args)),
    commands.registerCommand('citrixFlowLint.showRequiredFlowsForRole', async () => pickRoleAndShow(await needClient())),
    commands.registerCommand('citrixFlowLint.explainPort', async () => explainPort(await needClient(), output)),
    commands.registerCommand('citrixFlowLint.showDocumentation', (_id: string, href: string) => commands.executeCommand('markdown.showPreview', Uri.parse(href))),
    commands.registerCommand('citrixFlowLint.showOutput', () => output.show(true)),
    commands.registerCommand('citrixFlowLint.openCitrixFlowsReference', () => commands.executeCommand('markdown.showPreview', Uri.joinPath(context.extensionUri, 'docs', 'citrix-flows.md'))),
    commands.registerCommand('citrixFlowLint.insertRulesForRole', async () => insertRulesForRole(await needClient())),
    commands.registerCommand('citrixFlowLint.createCitrixFlows', async () => createCitrixFlows(await needClient())),
    commands.registerCommand('citrixFlowLint.declareRole', async (args?: { uri: string; ruleSetId: string }) => declareRole(await needClient(), args)),
    commands.registerCommand('citrixFlowLint.restartServer', async () => {
      if (!ready) {
        gate?.go('"Restart server" was run');
        await ready;
        return;
      }
      const running = await ready;
      output.appendLine('Restarting the language server ("Restart server" was run).');
      const started = Date.now();
      await running.restart();
      output.appendLine(`Server restarted in ${Date.now() - started} ms.`);
    }),
    FlowMapPanel.register(context, () => client, needClient),
  );
  gate = new ServerGate(startServer, (line) => output.appendLine(line));
  context.subscriptions.push(gate);
  await gate.decide();
}

async function startClient(context: ExtensionContext, output: OutputChannel, status: StatusBarItem, fileStatus: FileStatusItem, reason: string): Promise<LanguageClient> {
  const started = Date.now();
  output.appendLine(`Starting the language server: ${reason}.`);
  status.show();
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    synchronize: {
      // The server pulls settings per resource; this only tells it when they changed.
      configurationSection: 'citrixFlowLint',
      fileEvents: workspace.createFileSystemWatcher('**/{citrix-flows.yaml,*.tf,*.tfvars,*.tfvars.json,*.bicep,*.json,*.rules,*.v4,*.v6,*.nft,*.conf,*.asa,*.cfg,*.ps1,*.sh}'),
    },
  };
  const created = new LanguageClient('citrixFlowLint', 'Citrix Flow Lint', serverOptions, clientOptions);
  client = created;
  context.subscriptions.push(
    created.onNotification(METHODS.status, (s: StatusNotification) => {
      updateStatus(status, s);
      fileStatus.refresh();
    }),
  );
  if (!workspace.getConfiguration('citrixFlowLint').get<boolean>('enable', true)) output.appendLine('citrixFlowLint.enable is off: the server runs but publishes nothing.');
  await created.start();
  output.appendLine(`Server started in ${Date.now() - started} ms.`);
  fileStatus.refresh();
  return created;
}

function updateStatus(item: StatusBarItem, s: StatusNotification): void {
  item.text = `$(shield) ${s.errors} $(error) ${s.warnings} $(warning)`;
  item.tooltip = `Citrix Flow Lint: ${s.errors} errors, ${s.warnings} warnings, ${s.infos} infos in ${s.files} files (last analysis ${s.analysisMs} ms). Click for the Problems panel.`;
}

async function showRequiredFlows(client: LanguageClient, args?: { role: string; uri?: string; ruleSetId?: string; title?: string }): Promise<void> {
  if (!args?.role) return pickRoleAndShow(client);
  const items = await request(client, METHODS.requiredFlows, { role: args.role, uri: args.uri, ruleSetId: args.ruleSetId });
  if (items.length === 0) {
    void window.showInformationMessage(`No required flow of ${args.role} is checked: bind a rule set to it and declare its peers in citrix-flows.yaml.`);
    return;
  }
  const picked = await window.showQuickPick(
    items.map((f) => ({ label: `${MARK[f.status]} ${f.label}`, description: `${f.side} · ${f.status}`, detail: `${f.ruleSet}${f.decidedBy ? ` — decided by ${f.decidedBy}` : ''}`, flow: f })),
    { title: args.title ?? `Required flows of ${args.role}`, matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) return;
  const { start, end } = picked.flow.range;
  await window.showTextDocument(Uri.parse(picked.flow.uri), { selection: new Range(start.line, start.character, end.line, end.character) });
}

async function pickRoleAndShow(client: LanguageClient): Promise<void> {
  const roles = await request(client, METHODS.roles, {});
  if (roles.length === 0) {
    void window.showInformationMessage('No Citrix role is declared: add roles to citrix-flows.yaml or a "citrix-role: vda" comment above a rule set.');
    return;
  }
  const picked = await window.showQuickPick(
    roles.map((r) => ({ label: r.id, description: r.name, detail: r.total ? `${r.allowed}/${r.total} required flows allowed` : 'no required flow checked', role: r.id })),
    { title: 'Citrix Flow Lint: show required flows for role' },
  );
  if (picked) await showRequiredFlows(client, { role: picked.role });
}

/** The server writes what it inferred; an existing citrix-flows.yaml is never overwritten (the new text opens unsaved beside it). */
async function createCitrixFlows(client: LanguageClient): Promise<void> {
  const answer = await request(client, METHODS.createSiteFile, { uri: window.activeTextEditor?.document.uri.toString() });
  if ('error' in answer) {
    void window.showWarningMessage(`Citrix Flow Lint: ${answer.error}`);
    return;
  }
  if (answer.exists) {
    await window.showTextDocument(await workspace.openTextDocument({ language: 'yaml', content: answer.text }));
    void window.showInformationMessage('Citrix Flow Lint: citrix-flows.yaml exists, so what the files say opened as a new, unsaved file: copy what you want from it.');
    return;
  }
  const target = Uri.file(answer.path);
  await workspace.fs.writeFile(target, new TextEncoder().encode(answer.text));
  await window.showTextDocument(target);
}

/** The "Declare" code lens: the server writes the annotation for the roles it assumed, the client applies it. */
async function declareRole(client: LanguageClient, args?: { uri: string; ruleSetId: string }): Promise<void> {
  if (!args) return;
  const answer = await request(client, METHODS.declareRole, args);
  if ('error' in answer) {
    void window.showInformationMessage(`Citrix Flow Lint: ${answer.error}`);
    return;
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(answer.edit as never);
  if (!edit || !(await workspace.applyEdit(edit))) void window.showWarningMessage('Citrix Flow Lint: the annotation could not be written (the file changed meanwhile?)');
}

/** Pick roles, then the server writes their rules into the active file with its own emitter, at the rule set under the cursor. */
async function insertRulesForRole(client: LanguageClient): Promise<void> {
  const editor = window.activeTextEditor;
  if (!editor) return;
  const uri = editor.document.uri.toString();
  const roles = await request(client, METHODS.generateRoles, { uri });
  const picked = await window.showQuickPick(
    roles.map((r) => ({ label: r.id, description: r.name, detail: r.declared ? 'declared in citrix-flows.yaml' : undefined, role: r.id })),
    { title: 'Citrix Flow Lint: insert rules for role', canPickMany: true, matchOnDescription: true },
  );
  if (!picked || picked.length === 0) return;
  const { line, character } = editor.selection.active;
  const answer = await request(client, METHODS.generate, { uri, position: { line, character }, roles: picked.map((p) => p.role) });
  if ('error' in answer) {
    void window.showWarningMessage(`Citrix Flow Lint: ${answer.error}`);
    return;
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(answer.edit as never);
  if (!edit || !(await workspace.applyEdit(edit))) void window.showWarningMessage('Citrix Flow Lint: the rules could not be inserted (the file changed meanwhile?)');
}

async function explainPort(client: LanguageClient, output: OutputChannel): Promise<void> {
  const text = await window.showInputBox({ title: 'Citrix Flow Lint: explain port', prompt: 'A port, range or port/protocol: 1494, 2598/udp, 16500-16509', validateInput: (v) => (/^\s*(?:(?:tcp|udp|icmp)\s+)?\d{1,5}(?:\s*[-–:]\s*\d{1,5})?(?:\/(?:tcp|udp|icmp))?\s*$/i.test(v) ? undefined : 'Write a port such as 1494, 2598/udp or 16500-16509') });
  if (!text) return;
  const answer = await request(client, METHODS.explainPort, { text });
  if ('error' in answer) {
    void window.showWarningMessage(answer.error);
    return;
  }
  const doc = await workspace.openTextDocument({ language: 'markdown', content: `# Citrix Flow Lint: port ${text.trim()}\n\n${answer.markdown}\n` });
  await commands.executeCommand('markdown.showPreview', doc.uri);
  output.appendLine(`explained ${text.trim()}`);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
