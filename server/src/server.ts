import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type ClientCapabilities,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { initTreeSitter } from './formats';
import { loadCatalog } from './catalog';
import { generateInto } from './generate';
import { ALLOW_MISSING_FLOWS_KIND, doCodeActions, FIX_ALL_KIND } from './service/codeActions';
import { doCodeLens } from './service/codeLens';
import { explainPort } from './service/commands';
import { flowMapOfState } from './service/flowMap';
import { doCompletion } from './service/completion';
import { countSeverities, toDiagnostic, type StatusCounts } from './service/diagnostics';
import { doFileStatus } from './service/fileStatus';
import { doHover } from './service/hover';
import { doInlayHints } from './service/inlayHints';
import { toLspCodeAction, toLspCompletion, toLspDiagnostic, toLspRequiredFlow, toRange, toWorkspaceEdit, type IndexOf } from './service/protocol';
import { declareRuleSet } from './analysis/fixes';
import { requiredFlowItems, type RequiredFlowFilter } from './service/requiredFlows';
import { rolesSummary, siteFileFor } from './service/site';
import { analyzesOn, DEFAULT_SETTINGS, normalizeSettings, type Settings } from './service/settings';
import { readEditorBaseline, type EditorBaseline } from './service/baseline';
import type { ExcludeGlob } from './service/exclude';
import { AnalysisScheduler } from './service/schedule';
import type { WorkspaceState } from './service/state';
import { Workspace } from './service/workspace';
import { METHODS, type Notifications, type ParamsOf, type RequestMethod, type ResultOf } from './service/lspMethods';
import { AT_POSITION, checkParams, DOCUMENT_ONLY, IN_RANGE, optional, shapeProblem, type Shape } from './lspParams';

/**
 * The LSP adapter: every request is one call into service/, plus the
 * scheduling only a server has (debounce, the first scan, publishing).
 */
const connection: Connection = createConnection(ProposedFeatures.all);
// One failed promise (a client that does not answer a request, say) must not end the server for every open file.
process.on('unhandledRejection', (reason) => connection.console.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
const documents = new TextDocuments(TextDocument);
const catalog = loadCatalog();
let workspace = new Workspace([], catalog);
let capabilities: ClientCapabilities = {};
const treeSitter = initTreeSitter();
/** Resolves when the first scan of every folder is done; features wait for it so they never see half a workspace. */
let scanned: Promise<void> = Promise.resolve();

const scheduler = new AnalysisScheduler<WorkspaceState>((unit, ticket) => void analyzeAndPublish(unit, ticket), DEFAULT_SETTINGS, (unit) => !unit.root);

function folderUri(unit: WorkspaceState): string | undefined {
  return unit.root ? pathToFileURL(unit.root).toString() : undefined;
}

async function settingsFor(scopeUri: string | undefined): Promise<Settings> {
  if (!capabilities.workspace?.configuration) return DEFAULT_SETTINGS;
  try {
    // One request for both, so an edit waits for one round trip.
    const [own, filesExclude] = (await connection.workspace.getConfiguration([
      { scopeUri, section: 'citrixFlowLint' },
      { scopeUri, section: 'files.exclude' },
    ])) as unknown[];
    return normalizeSettings(own, filesExclude);
  } catch {
    return DEFAULT_SETTINGS;
  }
}

function schedule(unit: WorkspaceState | undefined, delay?: number): void {
  scheduler.schedule(unit, delay);
}

const indexOf: IndexOf = (uri) => workspace.unitFor(uri).lineIndex(uri);

async function analyzeAndPublish(unit: WorkspaceState, ticket: number): Promise<void> {
  const settings = await settingsFor(folderUri(unit));
  // An edit arrived while the settings were on their way: its own run will publish.
  if (!scheduler.isCurrent(unit, ticket)) return;
  if (unit.root) {
    workspace.setEditorExcludes(unit, editorExcludes(unit.root, settings));
    // The excludes changed (a setting, `exclude:` in citrix-flows.yaml): the folder is read again first.
    if (workspace.needsRescan(unit)) {
      await workspace.scan(unit, { maxBytes: settings.maxFileSizeKB * 1024, onSkip: (file, why) => connection.console.warn(`not read: ${file}: ${why}`) });
      if (!scheduler.isCurrent(unit, ticket)) return;
    }
  }
  scheduler.useTiming(unit, settings);
  const started = performance.now();
  try {
    // One file at a time, yielding after each parse, so a big or slow file holds a hover or an edit of
    // another for one parse at most, not for the whole unit; a newer edit ends this run (its own publishes).
    for (const uri of unit.uris()) {
      const before = unit.parses;
      unit.parsedFile(uri);
      if (unit.parses === before) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!scheduler.isCurrent(unit, ticket)) return;
    }
    for (const { uri, diagnostics, version } of workspace.changedDiagnostics(unit, { severities: settings.checks, infer: settings.infer }, settings.enable, baselineFor(unit, settings))) {
      void connection.sendDiagnostics({ uri, version, diagnostics: diagnostics.map((d) => toLspDiagnostic(d, uri, indexOf)) as never });
    }
  } catch (error) {
    connection.console.error(`analysis failed: ${(error as Error).stack ?? error}`);
    return;
  }
  const ms = performance.now() - started;
  scheduler.finished(unit, ms);
  hintWhenNothingDeclared(unit);
  sendStatus(ms);
  if (capabilities.workspace?.codeLens?.refreshSupport) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
}

const hintedNothingDeclared = new Set<string>();

/**
 * Once per workspace folder, not per file: with no role declared or inferred
 * only the role-free checks run, and a new user should hear why and what to do.
 */
function hintWhenNothingDeclared(unit: WorkspaceState): void {
  const analysis = unit.lastAnalysis;
  const key = unit.root ?? '';
  if (!analysis?.inference?.nothing || hintedNothingDeclared.has(key) || !analysis.files.some((f) => f.ruleSets.length)) return;
  hintedNothingDeclared.add(key);
  const message =
    'Citrix Flow Lint: no Citrix role is declared or named in these files, so no required flow is checked (only the checks that need no roles ran). ' +
    'Add a "citrix-role: vda" comment above a rule set, or run "Citrix Flow Lint: Create citrix-flows.yaml from this workspace" (`citrix-flow-lint init` on the command line).';
  void connection.sendNotification('window/showMessage', { type: 3, message }).catch(() => undefined);
}

function editorExcludes(root: string, settings: Settings): ExcludeGlob[] {
  return [
    ...settings.exclude.map((glob) => ({ glob, base: root, source: 'citrixFlowLint.exclude' })),
    ...settings.filesExclude.map((glob) => ({ glob, base: root, source: 'files.exclude' })),
  ];
}

const baselineWarnings = new Set<string>();

/** `citrixFlowLint.baseline.file` of the unit's folder, read (and re-read when it changes) from disk. */
function baselineFor(unit: WorkspaceState, settings: Settings): EditorBaseline | undefined {
  if (!settings.baseline.file) return undefined;
  const file = path.resolve(unit.root ?? process.cwd(), settings.baseline.file);
  const baseline = readEditorBaseline(file, settings.baseline.showAs);
  if ('error' in baseline) {
    // Once per problem, not once per keystroke.
    if (!baselineWarnings.has(baseline.error)) connection.console.warn(`citrixFlowLint.baseline.file: ${baseline.error}; findings are shown without it.`);
    baselineWarnings.add(baseline.error);
    return undefined;
  }
  return baseline;
}

function sendStatus(ms: number): void {
  const counts: StatusCounts = { errors: 0, warnings: 0, infos: 0, hints: 0 };
  let files = 0;
  for (const unit of workspace.allUnits()) {
    const analysis = unit.lastAnalysis;
    if (!analysis) continue;
    countSeverities(analysis, counts);
    files += analysis.files.length;
  }
  const status: Notifications[typeof METHODS.status] = { ...counts, files, analysisMs: Math.round(ms * 10) / 10 };
  void connection.sendNotification(METHODS.status, status);
}

connection.onInitialize((params): InitializeResult => {
  capabilities = params.capabilities;
  const folders = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []))
    .filter((f) => f.uri.startsWith('file:'))
    .map((f) => fileURLToPath(f.uri));
  workspace = new Workspace(folders, catalog);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      hoverProvider: true,
      completionProvider: { triggerCharacters: [':', ' ', ',', '[', '"', '='] },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND, ALLOW_MISSING_FLOWS_KIND] },
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: true,
    },
    serverInfo: { name: 'citrix-flow-lint' },
  };
});

connection.onInitialized(() => {
  scanned = firstScan();
});

async function firstScan(): Promise<void> {
  await treeSitter;
  const progress = capabilities.window?.workDoneProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
  progress?.begin('Citrix Flow Lint', 0, 'reading the workspace', false);
  const unreadable: string[] = [];
  for (const unit of workspace.allUnits()) {
    if (!unit.root) continue;
    const settings = await settingsFor(folderUri(unit));
    try {
      workspace.setEditorExcludes(unit, editorExcludes(unit.root, settings));
      await workspace.scan(unit, {
        maxBytes: settings.maxFileSizeKB * 1024,
        onProgress: (done, total) => progress?.report(Math.round((done / Math.max(total, 1)) * 100), `${done}/${total} files`),
        onSkip: (file, why) => {
          connection.console.warn(`not read: ${file}: ${why}`);
          if (/permission denied/.test(why)) unreadable.push(file);
        },
      });
    } catch (error) {
      // A scan that fails part-way still leaves the files it loaded, and the other folders still get theirs.
      connection.console.error(`workspace scan of ${unit.root} failed: ${(error as Error).stack ?? error}`);
    }
    scheduler.ready(unit);
  }
  progress?.done();
  if (unreadable.length) {
    const more = unreadable.length > 1 ? ` and ${unreadable.length - 1} more (see the output channel)` : '';
    // A notification, not showWarningMessage's request: there is nothing to answer, and a client without the request must not matter.
    void connection.sendNotification('window/showMessage', { type: 2, message: `Citrix Flow Lint could not read ${unreadable[0]}${more}: permission denied. The readable files are checked.` }).catch(() => undefined);
  }
}

documents.onDidChangeContent(({ document }) => {
  const unit = workspace.unitFor(document.uri);
  const known = unit.has(document.uri);
  workspace.openOrChange({ uri: document.uri, text: document.getText(), version: document.version, languageId: document.languageId });
  // With `citrixFlowLint.run: onSave` an edit only updates the text; a document new to the workspace is still checked once.
  if (analyzesOn(known ? 'change' : 'open', scheduler.runsOn(unit))) schedule(unit);
});
documents.onDidSave(({ document }) => {
  if (analyzesOn('save', scheduler.runsOn(workspace.unitFor(document.uri)))) schedule(workspace.unitFor(document.uri), 0);
});
documents.onDidClose(({ document }) => {
  schedule(workspace.close(document.uri));
});

connection.onDidChangeWatchedFiles((params) => {
  if (!Array.isArray(params?.changes)) return void connection.console.error('workspace/didChangeWatchedFiles ignored: params.changes must be a list');
  const units = new Set<WorkspaceState>();
  for (const c of params.changes) {
    if (shapeProblem(c, { uri: 'uri' }, 'change')) continue;
    const kind = c.type === FileChangeType.Created ? 'created' : c.type === FileChangeType.Deleted ? 'deleted' : 'changed';
    const unit = workspace.fileChanged(c.uri, kind);
    if (unit) units.add(unit);
  }
  for (const unit of units) schedule(unit);
});

connection.onDidChangeConfiguration(() => {
  for (const unit of workspace.allUnits()) {
    unit.touch();
    schedule(unit, 0);
  }
  if (capabilities.workspace?.inlayHint?.refreshSupport) void connection.languages.inlayHint.refresh().catch(() => undefined);
});

/** The unit and offset of a request, after the first scan. */
async function at(uri: string, position?: { line: number; character: number }): Promise<{ unit: WorkspaceState; offset: number } | undefined> {
  await treeSitter;
  await scanned;
  const unit = workspace.unitFor(uri);
  if (!unit.has(uri)) return undefined;
  const index = unit.lineIndex(uri);
  if (!index) return undefined;
  return { unit, offset: position ? index.offsetAt(position.line, position.character) : 0 };
}

connection.onHover(async (params) => {
  checkParams('textDocument/hover', params, AT_POSITION);
  const { textDocument, position } = params;
  const where = await at(textDocument.uri, position);
  const hover = where && doHover(where.unit, textDocument.uri, where.offset);
  return hover ? { contents: { kind: 'markdown', value: hover.contents }, range: toRange(indexOf(textDocument.uri), hover.span) } : null;
});

connection.onCompletion(async (params) => {
  checkParams('textDocument/completion', params, AT_POSITION);
  const { textDocument, position } = params;
  const where = await at(textDocument.uri, position);
  if (!where) return [];
  const index = indexOf(textDocument.uri);
  return doCompletion(where.unit, textDocument.uri, where.offset).map((item) => toLspCompletion(item, index)) as never;
});

connection.onCodeAction(async (params) => {
  checkParams('textDocument/codeAction', params, { ...(IN_RANGE as object), context: { only: optional('string[]') } } as Shape);
  const { textDocument, range, context } = params;
  const where = await at(textDocument.uri);
  const index = indexOf(textDocument.uri);
  if (!where || !index) return [];
  const span = { start: index.offsetAt(range.start.line, range.start.character), end: index.offsetAt(range.end.line, range.end.character) };
  return doCodeActions(where.unit, textDocument.uri, span, { only: context.only }).map((action) =>
    toLspCodeAction(action, action.finding ? toLspDiagnostic(toDiagnostic(action.finding), action.finding.uri, indexOf) : undefined, indexOf),
  ) as never;
});

connection.onCodeLens(async (params) => {
  checkParams('textDocument/codeLens', params, DOCUMENT_ONLY);
  const { textDocument } = params;
  const where = await at(textDocument.uri);
  if (!where) return [];
  const index = indexOf(textDocument.uri);
  return doCodeLens(where.unit, textDocument.uri).map((lens) => ({ range: toRange(index, lens.span), command: { title: lens.title, command: lens.command, arguments: lens.arguments } }));
});

connection.languages.inlayHint.on(async (params) => {
  checkParams('textDocument/inlayHint', params, IN_RANGE);
  const { textDocument, range } = params;
  const where = await at(textDocument.uri);
  const index = indexOf(textDocument.uri);
  if (!where || !index) return [];
  const { enabled, style } = (await settingsFor(textDocument.uri)).inlayHints;
  if (!enabled) return [];
  const span = { start: index.offsetAt(range.start.line, range.start.character), end: index.offsetAt(range.end.line, range.end.character) };
  return doInlayHints(where.unit, textDocument.uri, span, style).map((h) => ({ position: index.positionAt(h.offset), label: h.label, paddingLeft: true, tooltip: h.tooltip }));
});

/** `connection.onRequest` with the declared parameter and result types of `method` (service/lspMethods.ts). */
function onRequest<M extends RequestMethod>(method: M, handler: (params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>): void {
  connection.onRequest(method, handler);
}

onRequest(METHODS.roles, async () => {
  await scanned;
  return rolesSummary(workspace.allUnits(), catalog);
});

onRequest(METHODS.requiredFlows, async (filter) => {
  checkParams(METHODS.requiredFlows, filter ?? {}, { uri: optional('uri') });
  filter ??= {} as RequiredFlowFilter;
  await scanned;
  const units = filter.uri ? [workspace.unitFor(filter.uri)] : workspace.allUnits();
  return units.flatMap((unit) => (unit.documentCount ? requiredFlowItems(unit.analyze(), catalog, filter).map((item) => toLspRequiredFlow(item, indexOf)) : []));
});

// The language status item of the active file: format, rule sets, roles and how they were bound.
onRequest(METHODS.fileStatus, async (params) => {
  checkParams(METHODS.fileStatus, params, { uri: 'uri' });
  const { uri } = params;
  const where = await at(uri);
  return where ? doFileStatus(where.unit, uri) : doFileStatus(workspace.unitFor(uri), uri);
});

onRequest(METHODS.explainPort, (params) => {
  checkParams(METHODS.explainPort, params, { text: 'string' });
  return explainPort(catalog, params.text);
});

// "Insert rules for role…": the roles' rules written by the file's own emitter, as a WorkspaceEdit the client applies.
onRequest(METHODS.generate, async (params) => {
  checkParams(METHODS.generate, params, { uri: 'uri', position: 'position', roles: 'string[]' });
  const { uri, position, roles } = params;
  const where = await at(uri, position);
  const analysis = where?.unit.analyze();
  const file = analysis?.files.find((f) => f.uri === uri);
  if (!where || !analysis || !file) return { error: 'Citrix Flow Lint does not read this file as a firewall or IaC rule file' };
  const result = generateInto(file, where.offset, { roles, topology: analysis.topology, catalog });
  if ('error' in result) return result;
  const index = indexOf(uri);
  return { edit: { changes: { [uri]: result.edits.map((e) => ({ range: toRange(index, e.span), newText: e.newText })) } }, rules: result.plan.rules.length };
});

// The "Declare" code lens: the annotation that turns an inferred rule set's roles into a declaration.
onRequest(METHODS.declareRole, async (params) => {
  checkParams(METHODS.declareRole, params, { uri: 'uri', ruleSetId: 'string' });
  const { uri, ruleSetId } = params;
  const where = await at(uri);
  const declared = where ? declareRuleSet(where.unit.analyze(), uri, ruleSetId) : undefined;
  if (!declared) return { error: 'Nothing is assumed about this rule set any more' };
  return { edit: toWorkspaceEdit([declared.edit], indexOf), title: declared.title };
});

// "Create citrix-flows.yaml from this workspace": what `citrix-flow-lint init` writes, for the folder of the active file.
onRequest(METHODS.createSiteFile, async (params) => {
  checkParams(METHODS.createSiteFile, params ?? {}, { uri: optional('uri') });
  await scanned;
  const unit = params?.uri ? workspace.unitFor(params.uri) : workspace.allUnits().find((u) => u.root);
  if (!unit?.root) return { error: 'Open a folder first: citrix-flows.yaml belongs at the root of a workspace folder.' };
  return siteFileFor(unit, unit.root, catalog);
});

// The roles "Insert rules for role…" offers: every catalog role, those the site declares first.
onRequest(METHODS.generateRoles, async (params) => {
  checkParams(METHODS.generateRoles, params ?? {}, { uri: optional('uri') });
  const uri = params?.uri;
  const declared = new Set(uri ? (await at(uri))?.unit.analyze().topology.roles.keys() ?? [] : []);
  return [...catalog.roles].sort((a, b) => Number(declared.has(b.id)) - Number(declared.has(a.id)) || a.id.localeCompare(b.id)).map((r) => ({ id: r.id, name: r.name, declared: declared.has(r.id) }));
});

// The Flow Map webview: the map of the folder holding `uri` (the active editor), else of the first folder with files.
onRequest(METHODS.flowMap, async (params) => {
  checkParams(METHODS.flowMap, params ?? {}, { uri: optional('uri') });
  const uri = params?.uri;
  await scanned;
  const units = workspace.allUnits();
  const hasFiles = (u: WorkspaceState): boolean => u.documentCount > 0 || !!u.topologyUri;
  const active = uri ? workspace.unitFor(uri) : undefined;
  const unit = active && hasFiles(active) ? active : (units.find(hasFiles) ?? units[0]);
  return unit ? flowMapOfState(unit, catalog) : undefined;
});

/**
 * Document sync through a guard: malformed notifications are logged and
 * dropped (TextDocuments would throw a TypeError), and a change whose version
 * is not newer than the document's is ignored rather than replacing it (a
 * stale `didChange`, version 1 after 2003, would otherwise win).
 */
function guarded<P>(method: string, shape: Shape, handler: (params: P) => void, stale?: (params: P) => string | undefined): (params: P) => void {
  return (params) => {
    const problem = shapeProblem(params, shape, 'params');
    if (problem) {
      connection.console.error(`${method} ignored: ${problem}`);
      return;
    }
    const why = stale?.(params);
    if (why) {
      connection.console.warn(`${method} ignored: ${why}`);
      return;
    }
    handler(params);
  };
}
documents.listen({
  onDidOpenTextDocument: (h) => connection.onDidOpenTextDocument(guarded('textDocument/didOpen', { textDocument: { uri: 'uri', languageId: 'string', text: 'string' } }, h)),
  onDidChangeTextDocument: (h) =>
    connection.onDidChangeTextDocument(
      guarded('textDocument/didChange', DOCUMENT_ONLY, h, (p) => {
        if (!Array.isArray(p.contentChanges)) return 'contentChanges must be a list';
        const version = p.textDocument.version;
        if (typeof version !== 'number' || !Number.isInteger(version)) return 'textDocument.version must be an integer';
        const current = documents.get(p.textDocument.uri)?.version;
        return current !== undefined && version <= current ? `version ${version} of ${p.textDocument.uri} is not newer than the open version ${current}` : undefined;
      }),
    ),
  onDidCloseTextDocument: (h) => connection.onDidCloseTextDocument(guarded('textDocument/didClose', DOCUMENT_ONLY, h)),
  onWillSaveTextDocument: (h) => connection.onWillSaveTextDocument(h),
  onWillSaveTextDocumentWaitUntil: (h) => connection.onWillSaveTextDocumentWaitUntil(h),
  onDidSaveTextDocument: (h) => connection.onDidSaveTextDocument(guarded('textDocument/didSave', DOCUMENT_ONLY, h)),
});
connection.listen();
