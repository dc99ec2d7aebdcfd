import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Sarif from 'sarif';
import { fingerprint } from '../analysis/baseline';
import { CHECKS, ENGINE_DIAGNOSTICS } from '../analysis/checks';
import { packageRoot } from '../analysis/checks/docs';
import type { Finding, Severity } from '../analysis/findings';
import type { LoadedWorkspace } from '../engine/batch';
import { toUri } from '../service/workspaceFiles';
import { displayPath, positions } from './report';
import { VERSION } from './version';

export interface SarifOptions {
  /**
   * Where the check pages are published: `https://…/docs/checks/` (the page
   * is `<base><id>.md`) or a template with `{id}`. Without one, rules carry
   * no helpUri: a `file://` path of the machine that ran the check means
   * nothing to the reader of a code-scanning alert, and the page itself is
   * in `help` anyway.
   */
  readonly docsUrl?: string;
  /** Fingerprints the baseline holds: results get `baselineState` `unchanged` or `new`. */
  readonly baselined?: ReadonlySet<Finding>;
}

const LEVEL: Record<Severity, Sarif.ReportingConfiguration.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function helpUri(docsUrl: string | undefined, checkId: string): string | undefined {
  if (!docsUrl) return undefined;
  if (docsUrl.includes('{id}')) return docsUrl.split('{id}').join(encodeURIComponent(checkId));
  return `${docsUrl.replace(/\/?$/, '/')}${encodeURIComponent(checkId)}.md`;
}

/** The check's page from docs/checks (shipped beside dist/), as code scanning shows it under "Show more". */
export function checkHelp(checkId: string, root = packageRoot()): Sarif.MultiformatMessageString | undefined {
  let page: string;
  try {
    page = fs.readFileSync(path.join(root, 'docs', 'checks', `${checkId}.md`), 'utf8');
  } catch {
    return undefined;
  }
  // The `# id` heading repeats the rule id code scanning already shows; example markers are for the docs test.
  const markdown = page.replace(/^# .*\n+/, '').replace(/<!--[\s\S]*?-->\n?/g, '').trim();
  return { text: plainText(markdown), markdown };
}

/** Markdown as readable plain text: emphasis and link syntax dropped, link targets kept in brackets. */
function plainText(markdown: string): string {
  return markdown
    .replace(/^#{1,6} +/gm, '')
    .replace(/\[([^\]\n]*)\]\(([^)\s]*)\)/g, (_m, label: string, href: string) => (href.startsWith('http') ? `${label} (${href})` : label))
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1');
}

export function sarifLog(loaded: LoadedWorkspace, options: SarifOptions = {}): Sarif.Log {
  const at = positions(loaded.texts);
  const definitions = [...CHECKS, ...ENGINE_DIAGNOSTICS];
  const rules: Sarif.ReportingDescriptor[] = definitions.map((c) => {
    const help = checkHelp(c.id);
    const uri = helpUri(options.docsUrl, c.id);
    return {
      id: c.id,
      name: c.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : '')),
      shortDescription: { text: c.title },
      fullDescription: { text: c.summary },
      ...(uri ? { helpUri: uri } : {}),
      ...(help ? { help } : {}),
      defaultConfiguration: { level: LEVEL[c.defaultSeverity] },
    };
  });
  const ruleIndex = new Map(definitions.map((d, i) => [d.id, i]));
  const location = (uri: string, span: { start: number; end: number }): Sarif.Location => {
    const p = at(uri, span);
    return {
      physicalLocation: {
        artifactLocation: { uri: encodeURI(displayPath(uri, loaded.cwd)), uriBaseId: '%SRCROOT%' },
        region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn },
      },
    };
  };
  const result = (f: Finding, suppression?: Sarif.Suppression): Sarif.Result => ({
    ruleId: f.checkId,
    ...(ruleIndex.has(f.checkId) ? { ruleIndex: ruleIndex.get(f.checkId) } : {}),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [location(f.uri, f.span)],
    ...(f.related?.length
      ? { relatedLocations: f.related.filter((r) => r.uri.startsWith('file:')).map((r, i) => ({ id: i + 1, message: { text: r.message }, ...location(r.uri, r.span) })) }
      : {}),
    partialFingerprints: { 'citrixFlowLint/v1': fingerprint(f, displayPath(f.uri, loaded.cwd)) },
    ...(options.baselined ? { baselineState: options.baselined.has(f) ? 'unchanged' : 'new' } : {}),
    ...(suppression ? { suppressions: [suppression] } : {}),
    ...(f.flowId || f.assumptions?.length ? { properties: { ...(f.flowId ? { flowId: f.flowId } : {}), ...(f.assumptions?.length ? { assumptions: f.assumptions.map((a) => a.text) } : {}) } } : {}),
  });
  const results = loaded.analysis.findings.map((f) => result(f));
  for (const s of loaded.analysis.suppressed) {
    results.push(result(s.finding, { kind: 'inSource', ...(s.justification ? { justification: s.justification } : {}) }));
  }
  // A file that was not read is not "clean": code scanning lists these under the tool's run, not as alerts.
  const toolExecutionNotifications: Sarif.Notification[] = [...(loaded.unsupported ?? []), ...loaded.skipped].map((s) => {
    const file = displayPath(toUri(s.file), loaded.cwd);
    return {
      level: 'warning',
      descriptor: { id: 'skipped-file' },
      message: { text: `Skipped ${file}: ${s.why}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(file), uriBaseId: '%SRCROOT%' } } }],
    };
  });
  const srcRoot = `${encodeURI(loaded.cwd.split(path.sep).join('/')).replace(/\/?$/, '/')}`.replace(/^(?!file:)/, 'file://');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'citrix-flow-lint',
            version: VERSION,
            semanticVersion: VERSION,
            rules,
            notifications: [{ id: 'skipped-file', shortDescription: { text: 'A file under the given paths was not checked.' } }],
          },
        },
        invocations: [{ executionSuccessful: !loaded.analysis.findings.some((f) => f.checkId === 'internal-error'), toolExecutionNotifications }],
        originalUriBaseIds: { '%SRCROOT%': { uri: srcRoot } },
        results,
      },
    ],
  };
}

export function formatSarif(loaded: LoadedWorkspace, options: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(loaded, options), null, 2)}\n`;
}
