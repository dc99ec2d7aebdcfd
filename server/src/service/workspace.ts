import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../catalog';
import { detectFormat } from '../formats/detect';
import { diagnosticsByUri, type ServiceDiagnostic } from './diagnostics';
import { WorkspaceState, isTopologyUri, uriToPath, type AnalysisSettings, type DocumentInput } from './state';
import { DEFAULT_MAX_FILE_BYTES, TOPOLOGY_FILE, collectFiles, readText } from './workspaceFiles';

const TERRAFORM_FILE = /\.tf$/;
const TFVARS_FILE = /\.(tfvars|tfvars\.json)$/;
/**
 * A Terraform file reads only the `variable` and `locals` blocks of the other
 * files of its module; a file with neither word followed by a label or brace
 * adds nothing, so it is neither handed to its siblings' parses nor a reason
 * to parse them again. Over-matching (the word in a comment) only costs time.
 */
const MODULE_VALUES = /(?:^|[\s}])(?:variable|locals)[\s"{]/;
const definesModuleValues = (text: string | undefined): boolean => text !== undefined && MODULE_VALUES.test(text);

export interface ScanOptions {
  readonly maxBytes?: number;
  /** Called after each chunk, with how many files of how many are loaded. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked between chunks; a true answer stops the scan (a newer scan replaced it). */
  readonly isCancelled?: () => boolean;
  readonly chunkSize?: number;
}

/**
 * Every workspace folder as its own analysis unit (its own citrix-flows.yaml),
 * plus one unit for files outside every folder. Routes documents to units,
 * reads closed files from disk, and remembers what was published so only
 * changed diagnostics are sent again.
 */
export class Workspace {
  private readonly units: WorkspaceState[] = [];
  private readonly loose: WorkspaceState;
  private readonly open = new Set<string>();
  private readonly published = new Map<string, string>();

  constructor(folders: readonly string[], private readonly catalog?: Catalog) {
    // Longest root first, so a nested folder wins over its parent.
    for (const root of [...folders].sort((a, b) => b.length - a.length)) this.units.push(this.makeUnit(root));
    this.loose = this.makeUnit(undefined);
  }

  private makeUnit(root: string | undefined): WorkspaceState {
    const unit: WorkspaceState = new WorkspaceState({ root, catalog: this.catalog, siblingFiles: (uri) => this.terraformSiblings(unit, uri) });
    return unit;
  }

  allUnits(): WorkspaceState[] {
    return [...this.units, this.loose];
  }

  unitFor(uri: string): WorkspaceState {
    return this.units.find((u) => u.contains(uri)) ?? this.loose;
  }

  isOpen(uri: string): boolean {
    return this.open.has(uri);
  }

  /** An editor opened or changed a document. Returns the unit to re-analyse. */
  openOrChange(doc: DocumentInput): WorkspaceState {
    this.open.add(doc.uri);
    const unit = this.unitFor(doc.uri);
    const before = unit.document(doc.uri)?.text;
    unit.setDocument(doc);
    if (TERRAFORM_FILE.test(doc.uri) && (definesModuleValues(before) || definesModuleValues(doc.text))) this.invalidateModule(unit, doc.uri);
    return unit;
  }

  /** The editor closed a document: a file of a folder goes back to its disk text, anything else leaves. */
  close(uri: string): WorkspaceState {
    this.open.delete(uri);
    const unit = this.unitFor(uri);
    const file = uriToPath(uri);
    const text = unit.root && file ? readIfOurs(uri, file) : undefined;
    if (text === undefined) unit.removeDocument(uri);
    else unit.setDocument({ uri, text, version: -1 });
    if (TERRAFORM_FILE.test(uri)) this.invalidateModule(unit, uri);
    return unit;
  }

  /** A file changed on disk (`workspace/didChangeWatchedFiles`). Open documents keep the editor's text. */
  fileChanged(uri: string, change: 'created' | 'changed' | 'deleted'): WorkspaceState | undefined {
    const unit = this.unitFor(uri);
    if (TFVARS_FILE.test(uri)) {
      this.invalidateModule(unit, uri);
      return unit;
    }
    if (this.open.has(uri)) return undefined;
    if (!unit.root && !unit.has(uri)) return undefined;
    const file = uriToPath(uri);
    if (change === 'deleted' || !file) {
      if (!unit.has(uri)) return undefined;
      unit.removeDocument(uri);
    } else {
      const text = readIfOurs(uri, file);
      if (text === undefined) {
        if (!unit.has(uri)) return undefined;
        unit.removeDocument(uri);
      } else unit.setDocument({ uri, text, version: -1 });
    }
    if (TERRAFORM_FILE.test(uri)) this.invalidateModule(unit, uri);
    return unit;
  }

  /**
   * Loads the closed files of a folder unit from disk, in chunks so that a
   * newer request (an edit, a cancel) gets in between. Open documents keep
   * the editor's text.
   */
  async scan(unit: WorkspaceState, options: ScanOptions = {}): Promise<number> {
    if (!unit.root) return 0;
    const topologyPath = path.join(unit.root, TOPOLOGY_FILE);
    const topologyUri = pathToFileURL(topologyPath).toString();
    if (!this.open.has(topologyUri)) {
      const text = fs.existsSync(topologyPath) ? readText(topologyPath) : undefined;
      if (text !== undefined) unit.setDocument({ uri: topologyUri, text, version: -1 });
    }
    const files = collectFiles([unit.root], { maxBytes: options.maxBytes ?? DEFAULT_MAX_FILE_BYTES });
    const chunk = options.chunkSize ?? 50;
    for (let i = 0; i < files.length; i += chunk) {
      if (options.isCancelled?.()) return i;
      for (const f of files.slice(i, i + chunk)) {
        if (!this.open.has(f.uri)) unit.setDocument({ uri: f.uri, text: f.text, version: -1 });
        // Parsing now spreads the work over the chunks instead of one long first analysis.
        unit.parsedFile(f.uri);
      }
      options.onProgress?.(Math.min(i + chunk, files.length), files.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return files.length;
  }

  /**
   * Diagnostics of the unit's analysis that differ from what was last
   * published, and an empty list for files that had some and now have none.
   */
  changedDiagnostics(unit: WorkspaceState, settings: AnalysisSettings | undefined, enabled = true): { uri: string; diagnostics: ServiceDiagnostic[]; version?: number }[] {
    const byUri = enabled ? diagnosticsByUri(unit.analyze(settings)) : new Map<string, ServiceDiagnostic[]>();
    const out: { uri: string; diagnostics: ServiceDiagnostic[]; version?: number }[] = [];
    for (const [uri, diagnostics] of byUri) {
      const version = unit.document(uri)?.version;
      // An open document's diagnostics are sent again for each new version, so the editor knows they are current.
      const key = `${this.open.has(uri) ? version : ''}\u0000${JSON.stringify(diagnostics)}`;
      if (this.published.get(uri) === key) continue;
      this.published.set(uri, key);
      out.push({ uri, diagnostics, ...(version !== undefined && version >= 0 ? { version } : {}) });
    }
    for (const uri of [...this.published.keys()]) {
      if (byUri.has(uri) || this.unitFor(uri) !== unit) continue;
      this.published.delete(uri);
      out.push({ uri, diagnostics: [] });
    }
    return out;
  }

  /** Every other Terraform file of the folder reads this one's variables and locals: parse them again. */
  private invalidateModule(unit: WorkspaceState, uri: string): void {
    const dir = path.posix.dirname(uri);
    for (const other of unit.uris()) if (other !== uri && TERRAFORM_FILE.test(other) && path.posix.dirname(other) === dir) unit.invalidate(other);
  }

  private terraformSiblings(unit: WorkspaceState, uri: string): Map<string, string> | undefined {
    if (!TERRAFORM_FILE.test(uri)) return undefined;
    const file = uriToPath(uri);
    if (!file) return undefined;
    const dir = path.dirname(file);
    const out = new Map<string, string>();
    // The other .tf files as the editor has them; .tfvars from disk (they are not documents we track).
    for (const other of unit.uris()) {
      if (other === uri || !TERRAFORM_FILE.test(other)) continue;
      const p = uriToPath(other);
      const text = unit.document(other)?.text;
      if (p && path.dirname(p) === dir && definesModuleValues(text)) out.set(p, text ?? '');
    }
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return out;
    }
    for (const name of names.sort()) {
      if (!TFVARS_FILE.test(name)) continue;
      const text = readText(path.join(dir, name));
      if (text !== undefined) out.set(path.join(dir, name), text);
    }
    return out;
  }
}

function readIfOurs(uri: string, file: string): string | undefined {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > DEFAULT_MAX_FILE_BYTES) return undefined;
    const text = readText(file);
    if (text === undefined) return undefined;
    if (isTopologyUri(uri)) return text;
    return detectFormat(uri, text) ? text : undefined;
  } catch {
    return undefined;
  }
}
