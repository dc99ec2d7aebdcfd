import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../catalog';
import { detectFormat } from '../formats/detect';
import { parseAs } from '../formats';
import type { FormatId, ParsedFile } from '../model';
import type { Finding } from '../analysis/findings';
import { applyEditorBaseline, type EditorBaseline } from './baseline';
import { toDiagnostic, type ServiceDiagnostic } from './diagnostics';
import { WorkspaceState, isTopologyUri, uriToPath, type AnalysisSettings, type DocumentInput } from './state';
import { readGated } from './fileGate';
import { Excluder, type ExcludeGlob } from './exclude';
import { ARM_PARAMETERS_FILE, DEFAULT_MAX_FILE_BYTES, TERRAFORM_FILE, TFVARS_FILE, TOPOLOGY_FILE, collectFiles, definesModuleValues, readArmParameters, readText, readTfvars } from './workspaceFiles';


export interface ScanOptions {
  readonly maxBytes?: number;
  /** Called after each chunk, with how many files of how many are loaded. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked between chunks; a true answer stops the scan (a newer scan replaced it). */
  readonly isCancelled?: () => boolean;
  readonly chunkSize?: number;
  /** A file or folder the scan could not or would not read, and why; the scan goes on without it. */
  readonly onSkip?: (file: string, why: string) => void;
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
  /** Per unit, the Terraform documents of each folder (by path); dropped whenever documents come or go. */
  private readonly terraformByDir = new Map<WorkspaceState, Map<string, string[]>>();
  /** The `*.tfvars` of each folder, read once; dropped when the watcher reports a change to one. */
  private readonly tfvars = new Map<string, Map<string, string>>();
  /** The ARM parameter files of each folder, likewise. */
  private readonly armParameterFiles = new Map<string, Map<string, string>>();
  private readonly published = new Map<string, { findings: readonly Finding[]; versionKey: string; digest?: string }>();
  /** Per unit, the excludes from the editor's settings (`citrixFlowLint.exclude`, `files.exclude`). */
  private readonly editorExcludes = new Map<WorkspaceState, readonly ExcludeGlob[]>();
  private readonly excluders = new Map<WorkspaceState, { key: string; excluder: Excluder }>();
  /** Files scripts load (`iptables-restore < rules.v4`) that are no document, parsed once per version on disk. */
  private readonly loadedFiles = new Map<string, { mtimeMs: number; size: number; format: FormatId; parsed: ParsedFile }>();
  /** The exclusion key each unit's files were last scanned with. */
  private readonly scannedWith = new Map<WorkspaceState, string>();

  constructor(folders: readonly string[], private readonly catalog?: Catalog) {
    // Longest root first, so a nested folder wins over its parent.
    for (const root of [...folders].sort((a, b) => b.length - a.length)) this.units.push(this.makeUnit(root));
    this.loose = this.makeUnit(undefined);
  }

  private makeUnit(root: string | undefined): WorkspaceState {
    const unit: WorkspaceState = new WorkspaceState({ root, catalog: this.catalog, siblingFiles: (uri) => this.terraformSiblings(unit, uri) ?? this.armParameters(unit, uri), loadedFile: (file, format, dir) => this.loadedFile(file, format, dir) });
    return unit;
  }

  /**
   * A file a script loads that the editor has no document for, read through
   * the gate kept to the script's folder (a hostile repository's rules.v4 may
   * be a link out or a FIFO) and parsed once per size and modification time.
   */
  private loadedFile(file: string, format: FormatId, scriptDir: string): ParsedFile | undefined {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return undefined;
    }
    if (!stat.isFile()) return undefined;
    const hit = this.loadedFiles.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size && hit.format === format) return hit.parsed;
    const text = readText(file, { root: scriptDir });
    if (text === undefined) return undefined;
    const parsed = parseAs(format, text, pathToFileURL(file).toString());
    this.loadedFiles.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, format, parsed });
    return parsed;
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

  /** Sets the excludes the editor's settings give for a unit; `needsRescan` says whether its files must be read again. */
  setEditorExcludes(unit: WorkspaceState, globs: readonly ExcludeGlob[]): void {
    this.editorExcludes.set(unit, globs);
  }

  /**
   * What the unit leaves out: the editor's excludes, `exclude:` of its
   * citrix-flows.yaml and .gitignore files. Built again only when one of
   * them changed.
   */
  excluderFor(unit: WorkspaceState): Excluder {
    const globs: ExcludeGlob[] = [...(this.editorExcludes.get(unit) ?? [])];
    const topology = unit.topology();
    const yamlBase = unit.root ?? (topology.uri ? uriToPath(topology.uri) : undefined);
    if (yamlBase) for (const e of topology.exclude ?? []) globs.push({ glob: e.glob, base: unit.root ?? path.dirname(yamlBase), source: 'exclude: in citrix-flows.yaml' });
    const key = JSON.stringify(globs);
    const hit = this.excluders.get(unit);
    if (hit && hit.key === key) return hit.excluder;
    const excluder = new Excluder({ globs, gitignore: true });
    this.excluders.set(unit, { key, excluder });
    return excluder;
  }

  /** True when a folder unit's excludes changed since its files were read. */
  needsRescan(unit: WorkspaceState): boolean {
    if (!unit.root || !this.scannedWith.has(unit)) return false;
    this.excluderFor(unit);
    return this.excluders.get(unit)?.key !== this.scannedWith.get(unit);
  }

  private isExcluded(unit: WorkspaceState, uri: string): boolean {
    if (isTopologyUri(uri)) return false;
    const file = uriToPath(uri);
    return file !== undefined && this.excluderFor(unit).excluded(file) !== undefined;
  }

  /** An editor opened or changed a document. Returns the unit to re-analyse. */
  openOrChange(doc: DocumentInput): WorkspaceState {
    this.open.add(doc.uri);
    const unit = this.unitFor(doc.uri);
    // An excluded file is not checked even while it is open: that is what excluding it asks for.
    if (this.isExcluded(unit, doc.uri)) {
      if (unit.has(doc.uri)) {
        unit.removeDocument(doc.uri);
        this.terraformByDir.delete(unit);
      }
      return unit;
    }
    const before = unit.document(doc.uri)?.text;
    if (before === undefined) this.terraformByDir.delete(unit);
    unit.setDocument(doc);
    if (TERRAFORM_FILE.test(doc.uri) && (definesModuleValues(before) || definesModuleValues(doc.text))) this.invalidateModule(unit, doc.uri);
    return unit;
  }

  /** The editor closed a document: a file of a folder goes back to its disk text, anything else leaves. */
  close(uri: string): WorkspaceState {
    this.open.delete(uri);
    const unit = this.unitFor(uri);
    const file = uriToPath(uri);
    const text = unit.root && file ? readIfOurs(uri, file, unit.root) : undefined;
    if (text === undefined) unit.removeDocument(uri);
    else unit.setDocument({ uri, text, version: -1 });
    this.terraformByDir.delete(unit);
    if (TERRAFORM_FILE.test(uri)) this.invalidateModule(unit, uri);
    return unit;
  }

  /** A file changed on disk (`workspace/didChangeWatchedFiles`). Open documents keep the editor's text. */
  fileChanged(uri: string, change: 'created' | 'changed' | 'deleted'): WorkspaceState | undefined {
    const unit = this.unitFor(uri);
    if (TFVARS_FILE.test(uri)) {
      const file = uriToPath(uri);
      if (file) this.tfvars.delete(path.dirname(file));
      this.invalidateModule(unit, uri);
      return unit;
    }
    if (ARM_PARAMETERS_FILE.test(uri)) {
      // The templates beside it take their parameters' values from it: read them again.
      const file = uriToPath(uri);
      if (file) this.armParameterFiles.delete(path.dirname(file));
      const dir = path.posix.dirname(uri);
      for (const other of unit.uris()) if (/\.json$/i.test(other) && path.posix.dirname(other) === dir) unit.invalidate(other);
      return unit;
    }
    if (this.open.has(uri)) return undefined;
    if (!unit.root && !unit.has(uri)) return undefined;
    const file = uriToPath(uri);
    if (change === 'deleted' || !file || this.isExcluded(unit, uri)) {
      if (!unit.has(uri)) return undefined;
      unit.removeDocument(uri);
    } else {
      const root = unit.root ?? path.dirname(file);
      const text = readIfOurs(uri, file, root);
      if (text === undefined && isTopologyUri(uri)) {
        const read = readGated(file, { root });
        if (read.ok || read.kind === 'missing') unit.removeDocument(uri);
        else unit.refuseTopology(uri, read.why);
      } else if (text === undefined) {
        if (!unit.has(uri)) return undefined;
        unit.removeDocument(uri);
      } else unit.setDocument({ uri, text, version: -1 });
    }
    this.terraformByDir.delete(unit);
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
    if (!this.open.has(topologyUri) && fs.existsSync(topologyPath)) {
      const read = readGated(topologyPath, { root: unit.root });
      if (read.ok) unit.setDocument({ uri: topologyUri, text: read.text, version: -1 });
      else {
        options.onSkip?.(topologyPath, read.why);
        unit.refuseTopology(topologyUri, read.why);
      }
    }
    const excluder = this.excluderFor(unit);
    const files = collectFiles([unit.root], { maxBytes: options.maxBytes ?? DEFAULT_MAX_FILE_BYTES, exclude: excluder, onSkip: options.onSkip });
    this.scannedWith.set(unit, this.excluders.get(unit)?.key ?? '');
    this.tfvars.clear();
    this.armParameterFiles.clear();
    // Files read before that are now excluded (or gone) leave; open documents stay as the editor has them.
    const collected = new Set(files.map((f) => f.uri));
    for (const uri of unit.uris()) {
      if (isTopologyUri(uri) || collected.has(uri)) continue;
      if (this.open.has(uri) && !this.isExcluded(unit, uri)) continue;
      unit.removeDocument(uri);
    }
    // Every file is a document before any is parsed, so a Terraform file's parse sees the whole module.
    for (const f of files) if (!this.open.has(f.uri)) unit.setDocument({ uri: f.uri, text: f.text, version: -1 });
    this.terraformByDir.delete(unit);
    const chunk = options.chunkSize ?? 50;
    for (let i = 0; i < files.length; i += chunk) {
      if (options.isCancelled?.()) return i;
      for (const f of files.slice(i, i + chunk)) {
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
  changedDiagnostics(unit: WorkspaceState, settings: AnalysisSettings | undefined, enabled = true, baseline?: EditorBaseline): { uri: string; diagnostics: ServiceDiagnostic[]; version?: number }[] {
    const analysis = enabled ? unit.analyze(settings) : undefined;
    const byUri: ReadonlyMap<string, readonly Finding[]> = analysis ? (analysis.findingsByUri ?? findingsByUri(analysis.findings)) : new Map();
    const out: { uri: string; diagnostics: ServiceDiagnostic[]; version?: number }[] = [];
    for (const [uri, all] of byUri) {
      const findings = baseline ? applyEditorBaseline(uri, all, baseline) : all;
      const version = unit.document(uri)?.version;
      // An open document's diagnostics are sent again for each new version, so the editor knows they are current.
      const versionKey = this.open.has(uri) ? String(version) : '';
      const last = this.published.get(uri);
      // The analysis keeps an unchanged file's findings as the same list: nothing to compare, nothing to send.
      if (last && last.findings === findings && last.versionKey === versionKey) continue;
      const diagnostics = findings.map(toDiagnostic);
      // A digest, not the text: a big workspace's published diagnostics would otherwise be held twice. It only
      // matters when the version is the one published (another file's edit re-analysed this one): a new version is
      // sent whatever it holds, and digesting 10,000 diagnostics on every keystroke took longer than checking them.
      if (last && last.versionKey === versionKey) {
        last.digest ??= digestOf(last.findings.map(toDiagnostic));
        const digest = digestOf(diagnostics);
        this.published.set(uri, { findings, versionKey, digest });
        if (last.digest === digest) continue;
      } else this.published.set(uri, { findings, versionKey });
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

  private terraformDocuments(unit: WorkspaceState): Map<string, string[]> {
    let byDir = this.terraformByDir.get(unit);
    if (!byDir) {
      byDir = new Map();
      for (const uri of unit.uris()) {
        if (!TERRAFORM_FILE.test(uri)) continue;
        const p = uriToPath(uri);
        if (!p) continue;
        const dir = path.dirname(p);
        const list = byDir.get(dir);
        if (list) list.push(uri);
        else byDir.set(dir, [uri]);
      }
      this.terraformByDir.set(unit, byDir);
    }
    return byDir;
  }

  /** The parameter files beside an ARM template, from disk (they are not documents we track). */
  private armParameters(unit: WorkspaceState, uri: string): Map<string, string> | undefined {
    if (!/\.json$/i.test(uri) || ARM_PARAMETERS_FILE.test(uri)) return undefined;
    const file = uriToPath(uri);
    if (!file) return undefined;
    const dir = path.dirname(file);
    let found = this.armParameterFiles.get(dir);
    if (!found) this.armParameterFiles.set(dir, (found = readArmParameters(dir, { root: unit.root ?? dir })));
    return found.size ? found : undefined;
  }

  private terraformSiblings(unit: WorkspaceState, uri: string): Map<string, string> | undefined {
    if (!TERRAFORM_FILE.test(uri)) return undefined;
    const file = uriToPath(uri);
    if (!file) return undefined;
    const dir = path.dirname(file);
    const out = new Map<string, string>();
    // The other .tf files as the editor has them; .tfvars from disk (they are not documents we track).
    for (const other of this.terraformDocuments(unit).get(dir) ?? []) {
      if (other === uri) continue;
      const text = unit.document(other)?.text;
      if (definesModuleValues(text)) out.set(uriToPath(other) as string, text ?? '');
    }
    let tfvars = this.tfvars.get(dir);
    if (!tfvars) this.tfvars.set(dir, (tfvars = readTfvars(dir, { root: unit.root ?? dir })));
    for (const [p, text] of tfvars) out.set(p, text);
    return out;
  }
}

/** The disk text of a file the watcher or a close names, through the gate (inside `root`). */
function readIfOurs(uri: string, file: string, root: string): string | undefined {
  const text = readText(file, { root });
  if (text === undefined) return undefined;
  if (isTopologyUri(uri)) return text;
  return detectFormat(uri, text) ? text : undefined;
}

function findingsByUri(findings: readonly Finding[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = out.get(f.uri);
    if (list) list.push(f);
    else out.set(f.uri, [f]);
  }
  return out;
}

function digestOf(diagnostics: readonly ServiceDiagnostic[]): string {
  return createHash('sha1').update(JSON.stringify(diagnostics)).digest('base64');
}
