import * as path from 'node:path';
import { Uri, workspace, type Disposable, type TextDocument } from 'vscode';
import { detectFormat, SNIFF_LIMIT } from '../../server/src/formats/detect';
import { CANDIDATE_GLOBS, CLAIMED_GLOBS, OWN_LANGUAGES, SKIPPED_FOLDERS_GLOB, TOPOLOGY_GLOB } from '../../server/src/formats/filePatterns';

/** How many candidate files (udev `.rules`, `*firewall*` scripts, …) are sniffed at activation before giving up. */
const MAX_SNIFFED = 50;

const either = (globs: readonly string[]): string => `{${globs.map((g) => g.replace(/^\*\*\//, '')).map((g) => `**/${g}`).join(',')}}`;

/**
 * Decides whether this workspace needs the language server, cheaply: a
 * citrix-flows.yaml or a file claimed by name starts it; otherwise candidate
 * files are sniffed (their first 64 KiB through the server's own
 * detectFormat), then every document opened later. Nothing is parsed here;
 * `start` is called at most once, with the reason.
 */
export class ServerGate implements Disposable {
  private started = false;
  private readonly disposables: Disposable[] = [];

  constructor(private readonly start: (reason: string) => void, private readonly log: (line: string) => void) {}

  async decide(): Promise<void> {
    for (const doc of workspace.textDocuments) if (this.consider(doc)) return;
    this.disposables.push(workspace.onDidOpenTextDocument((doc) => void this.consider(doc)));
    const watcher = workspace.createFileSystemWatcher(either([TOPOLOGY_GLOB, ...CLAIMED_GLOBS]), false, true, true);
    this.disposables.push(watcher, watcher.onDidCreate((uri) => this.go(`${workspace.asRelativePath(uri)} was created`)));
    if (!workspace.workspaceFolders?.length) return;
    const [claimed] = await workspace.findFiles(either([TOPOLOGY_GLOB, ...CLAIMED_GLOBS]), SKIPPED_FOLDERS_GLOB, 1);
    if (claimed) return this.go(`the workspace contains ${workspace.asRelativePath(claimed)}`);
    const candidates = await workspace.findFiles(either(CANDIDATE_GLOBS), SKIPPED_FOLDERS_GLOB, MAX_SNIFFED);
    for (const uri of candidates) {
      if (this.started) return;
      const head = await readHead(uri);
      if (head !== undefined && detectFormat(uri.toString(), head)) return this.go(`${workspace.asRelativePath(uri)} holds firewall rules`);
    }
    if (!this.started) {
      this.log(
        `Not starting the language server: this workspace has no citrix-flows.yaml and no firewall or IaC rule file (sniffed ${candidates.length} candidate${candidates.length === 1 ? '' : 's'}). ` +
          'It starts when you open or create one, or with "Citrix Flow Lint: Restart server".',
      );
    }
  }

  /** A document opened in the editor: ours by language, by name or by its first bytes. */
  private consider(doc: TextDocument): boolean {
    if (this.started || doc.uri.scheme !== 'file') return this.started;
    const name = path.basename(doc.uri.fsPath);
    const recognised = name === 'citrix-flows.yaml' || OWN_LANGUAGES.includes(doc.languageId) || detectFormat(doc.uri.toString(), doc.getText().slice(0, SNIFF_LIMIT), doc.languageId) !== undefined;
    if (recognised) this.go(`${workspace.asRelativePath(doc.uri)} was opened`);
    return recognised;
  }

  go(reason: string): void {
    if (this.started) return;
    this.started = true;
    this.start(reason);
    this.dispose();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

async function readHead(uri: Uri): Promise<string | undefined> {
  try {
    const stat = await workspace.fs.stat(uri);
    // A candidate bigger than the server would analyse is not a hand-edited rule file.
    if (stat.size > 16 * 1024 * 1024) return undefined;
    const bytes = await workspace.fs.readFile(uri);
    const head = bytes.subarray(0, SNIFF_LIMIT);
    if (head.subarray(0, 8192).includes(0)) return undefined;
    return new TextDecoder().decode(head);
  } catch {
    // Deleted or unreadable since the search: not a reason to start.
    return undefined;
  }
}
