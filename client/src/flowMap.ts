import { randomBytes } from 'node:crypto';
import {
  commands,
  languages,
  Range,
  Selection,
  TextEditorRevealType,
  Uri,
  ViewColumn,
  window,
  workspace,
  type Disposable,
  type ExtensionContext,
  type WebviewPanel,
} from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { WebviewToHost } from '../../server/src/service/flowMapTypes';
import { METHODS, request } from '../../server/src/service/lspMethods';

const VIEW_TYPE = 'citrixFlowLint.flowMap';

/**
 * "Citrix Flow Lint: Show Flow Map": one webview beside the editor. The map
 * comes from the server (`METHODS.flowMap`, server/src/service/lspMethods.ts); the page only draws it and
 * asks the client to open files. It is asked again whenever diagnostics change,
 * which is after every analysis that changed anything.
 */
export class FlowMapPanel {
  private static current: FlowMapPanel | undefined;
  private ready = false;
  private stale = false;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly disposables: Disposable[] = [];
  private readonly panel: WebviewPanel;

  static register(context: ExtensionContext, client: () => LanguageClient | undefined, start: () => Promise<LanguageClient>): Disposable {
    return commands.registerCommand('citrixFlowLint.showFlowMap', async () => {
      await start();
      if (FlowMapPanel.current) FlowMapPanel.current.panel.reveal(undefined, false);
      else {
        FlowMapPanel.current = new FlowMapPanel(context, client);
        // Its own editor group, with the whole editor area: beside a file it is a thumbnail. Opening a rule from it brings the file's group back.
        if (workspace.getConfiguration('citrixFlowLint').get<boolean>('flowMap.maximize', true)) await commands.executeCommand('workbench.action.toggleMaximizeEditorGroup').then(undefined, () => undefined);
      }
    });
  }

  private constructor(
    private readonly context: ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
  ) {
    const dist = Uri.joinPath(context.extensionUri, 'dist');
    this.panel = window.createWebviewPanel(VIEW_TYPE, 'Citrix Flow Map', { viewColumn: ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      // Nothing but the bundle: no other file of the extension or the workspace is reachable from the page.
      localResourceRoots: [dist],
      retainContextWhenHidden: false,
    });
    this.panel.webview.html = this.html();
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => void this.onMessage(m)),
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible && this.stale) this.scheduleRefresh(0);
      }),
      languages.onDidChangeDiagnostics(() => this.scheduleRefresh()),
      workspace.onDidSaveTextDocument(() => this.scheduleRefresh()),
    );
  }


  private html(): string {
    const webview = this.panel.webview;
    const dist = Uri.joinPath(this.context.extensionUri, 'dist');
    const script = webview.asWebviewUri(Uri.joinPath(dist, 'flowmap.js'));
    const style = webview.asWebviewUri(Uri.joinPath(dist, 'flowmap.css'));
    const nonce = randomBytes(18).toString('base64');
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style.toString()}">
<title>Citrix Flow Map</title>
</head>
<body class="vscode">
<div id="flow-map"><div class="empty">Loading the flow map…</div></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  private scheduleRefresh(delay = 400): void {
    if (!this.ready) return;
    if (!this.panel.visible) {
      this.stale = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    const client = this.client();
    this.stale = false;
    const generation = ++this.generation;
    if (!client) {
      void this.panel.webview.postMessage({ type: 'error', message: 'The Citrix Flow Lint language server is not running.' });
      return;
    }
    try {
      const uri = window.activeTextEditor?.document.uri.toString();
      const model = await request(client, METHODS.flowMap, { uri });
      // A slower, older answer must not replace a newer one.
      if (generation !== this.generation) return;
      if (model) void this.panel.webview.postMessage({ type: 'model', model, matrixAbove: workspace.getConfiguration('citrixFlowLint').get<number>('flowMap.matrixAbove', 8) });
      else void this.panel.webview.postMessage({ type: 'error', message: 'Open a folder with citrix-flows.yaml or firewall files to see its flow map.' });
    } catch (error) {
      void this.panel.webview.postMessage({ type: 'error', message: `The flow map could not be built: ${(error as Error).message}` });
    }
  }

  private async onMessage(message: WebviewToHost): Promise<void> {
    if (message.type === 'ready' || message.type === 'refresh') {
      this.ready = true;
      await this.refresh();
      return;
    }
    if (message.type !== 'open' || !message.location.uri) return;
    const uri = Uri.parse(message.location.uri);
    const document = await workspace.openTextDocument(uri);
    const range = new Range(document.positionAt(message.location.span.start), document.positionAt(message.location.span.end));
    // The editor goes where the map is not, so the map stays in view.
    const column = this.panel.viewColumn === ViewColumn.One ? ViewColumn.Two : ViewColumn.One;
    const editor = await window.showTextDocument(document, { viewColumn: column, preserveFocus: false });
    editor.selection = new Selection(range.start, range.start);
    editor.revealRange(range, TextEditorRevealType.InCenterIfOutsideViewport);
    // The diagnostic sits on this range; VS Code's own quick-fix menu lists its fixes.
    if (message.quickFix) await commands.executeCommand('editor.action.quickFix');
  }

  private dispose(): void {
    FlowMapPanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
