import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
// vscode-jsonrpc 10 publishes `./node` only through package exports, which this project's
// "node" module resolution does not read; the types are taken from the declaration file by path.
import type * as Rpc from '../../node_modules/vscode-jsonrpc/lib/node/main';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node') as typeof Rpc;
type MessageConnection = Rpc.MessageConnection;

export const ROOT = process.env.CITRIX_FLOW_LINT_ROOT ?? path.resolve(__dirname, '..', '..');
export const SERVER = path.join(ROOT, 'dist', 'server.js');
const WAIT_MS = 10_000;

export interface Published {
  uri: string;
  version?: number;
  diagnostics: { range: { start: { line: number; character: number } }; code: string; message: string; source: string; severity: number; codeDescription?: { href: string }; data?: Record<string, unknown>; relatedInformation?: unknown[] }[];
}

/** Copies a fixture folder to a fresh temporary folder, so tests may change files on disk. */
export function copyFixture(name: string): string {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), `cfl-lsp-${name}-`));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', name), target, { recursive: true });
  return target;
}

export function uriOf(file: string): string {
  return pathToFileURL(file).toString();
}

/**
 * A language client over stdio against the built server: it answers the
 * server's requests (configuration, progress, refresh) and records every
 * notification so tests can wait for one, always with a time limit.
 */
export class TestClient {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  readonly published: Published[] = [];
  readonly statuses: Record<string, number>[] = [];
  readonly progress: unknown[] = [];
  /** What `workspace/configuration` answers with; tests change it. */
  settings: Record<string, unknown> = {};
  /** What `files.exclude` is (VS Code's own setting), separately from `citrixFlowLint`. */
  filesExclude: Record<string, boolean> = {};
  readonly configurationRequests: { scopeUri?: string; section?: string }[] = [];
  private waiters: (() => void)[] = [];
  stderr = '';

  /** Messages the server showed the user (`window/showMessage`). */
  readonly shown: { type: number; message: string }[] = [];

  /** `wrap`: a command the server runs under (setpriv, to run as another user). */
  constructor(options: { wrap?: readonly string[] } = {}) {
    const [cmd, ...args] = [...(options.wrap ?? []), process.execPath, SERVER, '--stdio'];
    this.process = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (d) => (this.stderr += String(d)));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: Published) => this.record(() => this.published.push(p)));
    this.connection.onNotification('citrixFlowLint/status', (p: Record<string, number>) => this.record(() => this.statuses.push(p)));
    this.connection.onNotification('$/progress', (p: unknown) => this.record(() => this.progress.push(p)));
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onNotification('window/showMessage', (p: { type: number; message: string }) => this.record(() => this.shown.push(p)));
    this.connection.onRequest('workspace/configuration', (p: { items: { scopeUri?: string; section?: string }[] }) => {
      this.configurationRequests.push(...p.items);
      return p.items.map((item) => (item.section === 'files.exclude' ? this.filesExclude : this.settings));
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.listen();
  }

  private record(action: () => void): void {
    action();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `test` returns a value (checked now and after each notification); rejects after the time limit. */
  waitFor<T>(what: string, test: () => T | undefined | false, ms = WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}\nserver stderr:\n${this.stderr}`)), ms);
      const check = (): void => {
        let value: T | undefined | false;
        try {
          value = test();
        } catch (error) {
          clearTimeout(timer);
          reject(error);
          return;
        }
        if (value !== undefined && value !== false) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** The last diagnostics published for a uri (after index `since` of the log, when given). */
  lastFor(uri: string, since = 0): Published | undefined {
    for (let i = this.published.length - 1; i >= since; i--) if (this.published[i].uri === uri) return this.published[i];
    return undefined;
  }

  async initialize(folder: string, capabilities: Record<string, unknown> = DEFAULT_CAPABILITIES): Promise<Record<string, unknown>> {
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uriOf(folder),
      workspaceFolders: [{ uri: uriOf(folder), name: path.basename(folder) }],
      capabilities,
    });
    await this.connection.sendNotification('initialized', {});
    return result as Record<string, unknown>;
  }

  open(uri: string, text: string, languageId: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  change(uri: string, version: number, changes: unknown[]): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // The server may already be gone.
    }
    this.connection.dispose();
    if (this.process.exitCode === null) this.process.kill();
  }
}

export const DEFAULT_CAPABILITIES = {
  workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false }, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true }, workspaceFolders: true },
  window: { workDoneProgress: true },
  textDocument: {
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    hover: { contentFormat: ['markdown'] },
    completion: { completionItem: { snippetSupport: false } },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } } },
  },
};

/** Position of the `|` marker in `text`, and the text without it. */
export function marker(text: string): { text: string; line: number; character: number } {
  const at = text.indexOf('|');
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  const character = at - (before.lastIndexOf('\n') + 1);
  return { text: text.slice(0, at) + text.slice(at + 1), line, character };
}
