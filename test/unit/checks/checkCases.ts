import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeParsed, parseSource, readTopology, type AnalyzeOptions, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import type { Finding } from '../../../server/src/analysis/findings';
import { initTreeSitter } from '../../../server/src/formats';
import { LineIndex, type ParsedFile } from '../../../server/src/model';
import { fixturePath } from '../../helpers/fixtures';

/** A finding as the CLI and the docs show it: 1-based line and column, the message. */
export interface ShownFinding {
  readonly checkId: string;
  readonly severity: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
}

export const CHECK_FIXTURES = 'checks';
export const TOPOLOGY_NAME = 'citrix-flows.yaml';

/**
 * The example files of one check's folder: `bad.<ext>` and `good.<ext>`. A
 * `bad.yaml` / `good.yaml` is itself a citrix-flows.yaml (for problems in the
 * declarations); any other example is checked with the folder's
 * citrix-flows.yaml, when there is one.
 */
export function exampleFiles(checkId: string): { bad?: string; good?: string; topology?: string } {
  const dir = fixturePath(CHECK_FIXTURES, checkId);
  if (!fs.existsSync(dir)) return {};
  const names = fs.readdirSync(dir);
  const pick = (stem: string): string | undefined => {
    const name = names.find((n) => n.startsWith(`${stem}.`) && !n.endsWith('.expected.json'));
    return name ? path.join(dir, name) : undefined;
  };
  const topology = names.includes(TOPOLOGY_NAME) ? path.join(dir, TOPOLOGY_NAME) : undefined;
  return { bad: pick('bad'), good: pick('good'), topology };
}

export const isTopologyExample = (file: string): boolean => file.endsWith('.yaml');

export async function analyzeExample(file: string, topologyFile: string | undefined, options: AnalyzeOptions = {}): Promise<{ analysis: WorkspaceAnalysis; texts: Map<string, string> }> {
  await initTreeSitter();
  const texts = new Map<string, string>();
  const uriOf = (p: string): string => pathToFileURL(p).toString();
  const topologyPath = isTopologyExample(file) ? file : topologyFile;
  const topologyText = topologyPath ? fs.readFileSync(topologyPath, 'utf8') : undefined;
  if (topologyPath && topologyText !== undefined) texts.set(uriOf(topologyPath), topologyText);
  const topology = readTopology(topologyText, topologyPath ? uriOf(topologyPath) : undefined);
  const files: ParsedFile[] = [];
  if (!isTopologyExample(file)) {
    const text = fs.readFileSync(file, 'utf8');
    const parsed = parseSource({ uri: uriOf(file), text });
    if (!parsed) throw new Error(`${file} is not a format we read`);
    files.push(parsed);
    texts.set(parsed.uri, text);
  }
  const analysis = analyzeParsed(files, topology, { workspaceRoot: path.dirname(file), reportUnmatchedBindings: false, ...options });
  return { analysis, texts };
}

export function shown(findings: readonly Finding[], texts: ReadonlyMap<string, string>): ShownFinding[] {
  const indexes = new Map<string, LineIndex>();
  return findings.map((f) => {
    let index = indexes.get(f.uri);
    if (!index) indexes.set(f.uri, (index = new LineIndex(texts.get(f.uri) ?? '')));
    const s = index.positionAt(f.span.start);
    const e = index.positionAt(f.span.end);
    return { checkId: f.checkId, severity: f.severity, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, message: f.message };
  });
}

/** How the docs show a finding: `12:5-12:14 warning <message>`. */
export function findingLine(f: ShownFinding): string {
  return `${f.line}:${f.column}-${f.endLine}:${f.endColumn} ${f.severity} ${f.message}`;
}
