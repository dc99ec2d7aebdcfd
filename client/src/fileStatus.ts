import { languages, LanguageStatusSeverity, window, type Disposable, type LanguageStatusItem } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { METHODS, request, type ResultOf } from '../../server/src/service/lspMethods';

const SELECTOR = [{ scheme: 'file' }];

/**
 * The language status item ("{}" in the status bar) for the active file:
 * which format Citrix Flow Lint reads it as, and the roles its rule sets are
 * bound to and how (declared, annotated, assumed). Only for files the
 * server recognises; others get no item.
 */
export class FileStatusItem implements Disposable {
  private item: LanguageStatusItem | undefined;
  private readonly subscriptions: Disposable[] = [];
  private generation = 0;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.subscriptions.push(window.onDidChangeActiveTextEditor(() => this.refresh()));
  }

  refresh(): void {
    void this.update();
  }

  private async update(): Promise<void> {
    const client = this.client();
    const editor = window.activeTextEditor;
    const generation = ++this.generation;
    if (!client || !editor || editor.document.uri.scheme !== 'file') return this.hide();
    let status: ResultOf<typeof METHODS.fileStatus> | undefined;
    try {
      status = await request(client, METHODS.fileStatus, { uri: editor.document.uri.toString() });
    } catch {
      // The server is restarting: the next status notification refreshes this.
      return;
    }
    if (generation !== this.generation) return;
    if (!status?.recognised) return this.hide();
    this.item ??= languages.createLanguageStatusItem('citrixFlowLint.file', SELECTOR);
    this.item.name = 'Citrix Flow Lint';
    this.item.text = status.text;
    this.item.detail = status.detail;
    this.item.severity = status.roles.length ? LanguageStatusSeverity.Information : LanguageStatusSeverity.Warning;
    this.item.command = status.roles.length
      ? { title: 'Show required flows', command: 'citrixFlowLint.showRequiredFlowsForRole' }
      : { title: 'Declare roles', command: 'workbench.action.openWalkthrough', arguments: ['citrix-flow-lint.citrix-flow-lint#citrixFlowLint.gettingStarted', false] };
  }

  private hide(): void {
    this.item?.dispose();
    this.item = undefined;
  }

  dispose(): void {
    this.hide();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
