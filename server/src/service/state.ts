import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisCache, analyzeParsed, parseSource, readTopology, unreadTopology, type AnalyzeOptions, type WorkspaceAnalysis } from '../analysis/analyze';
import { loadCatalog, type Catalog } from '../catalog';
import { disposeReuse, incrementalParsesOf } from '../formats/treeSitter';
import { LineIndex, type ParsedFile, type ParseOptions, type ParseReuse } from '../model';
import type { CheckSeverity, Topology } from '../topology';
import { withLoadedFiles, type LoadedFileReader } from '../analysis/loads';
import { TOPOLOGY_FILE } from './workspaceFiles';

/** A document as the editor (or the disk) has it; `version` is the editor's version, or -1 for a file read from disk. */
export interface DocumentInput {
  readonly uri: string;
  readonly text: string;
  readonly version: number;
  readonly languageId?: string;
}

interface DocumentEntry extends DocumentInput {
  /** Bumped when something outside the text changes what the parser reads (a sibling `.tfvars`). */
  readonly inputsGeneration: number;
}

interface CacheEntry {
  readonly version: number;
  readonly inputsGeneration: number;
  readonly text: string;
  readonly parsed: ParsedFile | undefined;
}

export interface StateOptions {
  /** The workspace folder (a path); bindings' globs are relative to it. */
  readonly root?: string;
  readonly catalog?: Catalog;
  /** Files a format reads beside a document (Terraform's `*.tfvars`). */
  readonly siblingFiles?: (uri: string) => ReadonlyMap<string, string> | undefined;
  /** Reads a file a script loads (`iptables-restore < rules.v4`) that is not a document here; without it, such files are not read. */
  readonly loadedFile?: LoadedFileReader;
}

export interface AnalysisSettings {
  readonly severities?: Readonly<Record<string, CheckSeverity>>;
  /** False to check only what is declared (the `citrixFlowLint.infer` setting). */
  readonly infer?: boolean;
}

export function isTopologyUri(uri: string): boolean {
  return uri.endsWith(`/${TOPOLOGY_FILE}`) || uri === TOPOLOGY_FILE;
}

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/**
 * One analysis unit (a workspace folder): its documents, each parsed once per
 * version and shared by every feature, its citrix-flows.yaml, and the latest
 * workspace analysis. Plain data in, plain data out; no editor types.
 */
export class WorkspaceState {
  readonly root: string | undefined;
  readonly catalog: Catalog;
  private readonly documents = new Map<string, DocumentEntry>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lineIndexes = new Map<string, { text: string; index: LineIndex }>();
  /**
   * Per-document caches the parsers keep between versions of a document the editor has open: the line-oriented
   * parsers' per-line results (iptables, nftables), and the last tree-sitter tree, so the next version parses
   * incrementally (Terraform, Bicep).
   */
  private readonly reuse = new Map<string, ParseReuse>();
  private topologyDoc: DocumentInput | undefined;
  private topologyCache: { doc: DocumentInput; topology: Topology } | undefined;
  /** citrix-flows.yaml the file gate refused: its problem says so until the file is read or gone. */
  private topologyRefusal: { uri: string; why: string } | undefined;
  private current: { analysis: WorkspaceAnalysis; key: string } | undefined;
  /** Per-file results of the last analysis: an edit re-binds, re-evaluates and re-checks only the edited file. */
  private readonly analysisCache = new AnalysisCache();
  /** Bumped on every change; an analysis remembers the generation it saw. */
  private generation = 0;
  private parseCount = 0;
  /** Severities of the last analysis, so a hover between two edits analyses as the diagnostics did. */
  private lastSettings: AnalysisSettings | undefined;

  constructor(private readonly options: StateOptions = {}) {
    this.root = options.root;
    this.catalog = options.catalog ?? loadCatalog();
  }

  /** Adds or replaces a document. citrix-flows.yaml at the root (or anywhere, without a root) becomes the topology. */
  setDocument(doc: DocumentInput): void {
    if (isTopologyUri(doc.uri)) {
      if (this.ownsTopology(doc.uri)) {
        if (this.topologyDoc?.text !== doc.text || this.topologyDoc.uri !== doc.uri || this.topologyRefusal) this.generation++;
        this.topologyDoc = doc;
        this.topologyRefusal = undefined;
      }
      return;
    }
    const old = this.documents.get(doc.uri);
    if (old && old.text === doc.text && old.version === doc.version && old.languageId === doc.languageId) return;
    this.documents.set(doc.uri, { ...doc, inputsGeneration: old?.inputsGeneration ?? 0 });
    this.generation++;
  }

  /** citrix-flows.yaml at `uri` is there but was not read (`why`): the topology is a problem saying so. */
  refuseTopology(uri: string, why: string): void {
    if (!this.ownsTopology(uri)) return;
    if (this.topologyRefusal?.uri === uri && this.topologyRefusal.why === why && !this.topologyDoc) return;
    this.topologyDoc = undefined;
    this.topologyRefusal = { uri, why };
    this.generation++;
  }

  removeDocument(uri: string): void {
    if (this.topologyRefusal?.uri === uri) {
      this.topologyRefusal = undefined;
      this.generation++;
    }
    if (this.topologyDoc?.uri === uri) {
      this.topologyDoc = undefined;
      this.generation++;
      return;
    }
    this.dropReuse(uri);
    if (this.documents.delete(uri)) {
      this.cache.delete(uri);
      this.lineIndexes.delete(uri);
      this.generation++;
    }
  }

  /** Makes the next read of `uri` parse again although its text did not change. */
  invalidate(uri: string): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    this.documents.set(uri, { ...doc, inputsGeneration: doc.inputsGeneration + 1 });
    this.generation++;
  }

  /** Forces the next `analyze` to run (a setting changed). */
  touch(): void {
    this.generation++;
  }

  has(uri: string): boolean {
    return this.documents.has(uri) || this.topologyDoc?.uri === uri;
  }

  document(uri: string): DocumentInput | undefined {
    return this.documents.get(uri) ?? (this.topologyDoc?.uri === uri ? this.topologyDoc : undefined);
  }

  uris(): string[] {
    return [...this.documents.keys(), ...(this.topologyDoc ? [this.topologyDoc.uri] : [])];
  }

  get documentCount(): number {
    return this.documents.size;
  }

  /** How many parses ran; tests use it to prove that features share one parse per version. */
  get parses(): number {
    return this.parseCount;
  }

  get topologyUri(): string | undefined {
    return this.topologyDoc?.uri;
  }

  /** The parsed file for the document's current version, parsed now only if this version was never parsed. */
  parsedFile(uri: string): ParsedFile | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const hit = this.cache.get(uri);
    if (hit && hit.version === doc.version && hit.inputsGeneration === doc.inputsGeneration && (doc.version >= 0 || hit.text === doc.text)) return hit.parsed;
    const siblingFiles = this.options.siblingFiles?.(uri);
    // Only editor documents keep their parsers' caches: they change a character at a time, files read from disk rarely change.
    if (doc.version < 0) this.dropReuse(uri);
    let reuse = doc.version >= 0 ? this.reuse.get(uri) : undefined;
    if (doc.version >= 0 && !reuse) this.reuse.set(uri, (reuse = {}));
    const options: ParseOptions | undefined = siblingFiles && siblingFiles.size ? { siblingFiles, reuse } : reuse ? { reuse } : undefined;
    this.parseCount++;
    const parsed = parseSource(doc, options);
    this.cache.set(uri, { version: doc.version, inputsGeneration: doc.inputsGeneration, text: doc.text, parsed });
    return parsed;
  }

  /** How many parses of `uri` reused its previous tree-sitter tree. */
  incrementalParses(uri: string): number {
    return incrementalParsesOf(this.reuse.get(uri));
  }

  private dropReuse(uri: string): void {
    disposeReuse(this.reuse.get(uri));
    this.reuse.delete(uri);
  }

  topology(): Topology {
    const doc = this.topologyDoc;
    if (!doc) return this.topologyRefusal ? unreadTopology(this.topologyRefusal.uri, this.topologyRefusal.why) : readTopology(undefined, undefined);
    if (this.topologyCache?.doc === doc) return this.topologyCache.topology;
    const topology = readTopology(doc.text, doc.uri);
    this.topologyCache = { doc, topology };
    return topology;
  }

  /**
   * The analysis of every document with the current texts and settings;
   * recomputed only when a document, the topology or the settings changed
   * since the last call.
   */
  analyze(settings: AnalysisSettings | undefined = this.lastSettings): WorkspaceAnalysis {
    this.lastSettings = settings;
    const key = this.keyFor(settings);
    if (this.current?.key === key) return this.current.analysis;
    const files: ParsedFile[] = [];
    for (const uri of this.documents.keys()) {
      const parsed = this.parsedFile(uri);
      if (parsed) files.push(parsed);
    }
    const options: AnalyzeOptions = { workspaceRoot: this.root, severities: settings?.severities, reportUnmatchedBindings: true, cache: this.analysisCache, infer: settings?.infer !== false };
    const read = this.options.loadedFile;
    const documentPaths = read ? new Set([...this.documents.keys()].map(uriToPath)) : undefined;
    const withLoads = read && documentPaths ? withLoadedFiles(files, (file) => documentPaths.has(file), read) : files;
    const analysis = analyzeParsed(withLoads, this.topology(), options, this.catalog);
    this.current = { analysis, key };
    return analysis;
  }

  /** The last analysis, whatever changed since; undefined before the first. */
  get lastAnalysis(): WorkspaceAnalysis | undefined {
    return this.current?.analysis;
  }

  /** True when `analyze()` with these settings would return the cached analysis. */
  isFresh(settings: AnalysisSettings | undefined = this.lastSettings): boolean {
    return this.current?.key === this.keyFor(settings);
  }

  private keyFor(settings: AnalysisSettings | undefined): string {
    return `${this.generation}\u0000${JSON.stringify(settings?.severities ?? {})}\u0000${settings?.infer !== false}`;
  }

  lineIndex(uri: string): LineIndex | undefined {
    const doc = this.document(uri);
    if (!doc) return undefined;
    const hit = this.lineIndexes.get(uri);
    if (hit && hit.text === doc.text) return hit.index;
    const index = LineIndex.of(doc.text);
    this.lineIndexes.set(uri, { text: doc.text, index });
    return index;
  }

  /** Whether a path belongs to this unit: under its root, or anywhere when it has none. */
  contains(uri: string): boolean {
    if (!this.root) return true;
    const file = uriToPath(uri);
    if (!file) return false;
    const rel = path.relative(this.root, file);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  }

  private ownsTopology(uri: string): boolean {
    if (!this.root) return !this.topologyDoc || this.topologyDoc.uri === uri;
    const file = uriToPath(uri);
    return file !== undefined && path.dirname(file) === path.resolve(this.root);
  }
}
