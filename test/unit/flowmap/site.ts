import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeParsed, parseSource, readTopology, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import type { ParsedFile } from '../../../server/src/model';

export const ROOT = process.env.CITRIX_FLOW_LINT_ROOT ?? path.resolve(__dirname, '..', '..', '..');
export const SITE = path.join(ROOT, 'test', 'fixtures', 'flowmap', 'site');

export interface LoadedSite {
  readonly analysis: WorkspaceAnalysis;
  readonly texts: Map<string, string>;
}

/** The engine in-process on one folder: every file parsed, citrix-flows.yaml read, one analysis. */
export async function analyzeFolder(folder: string): Promise<LoadedSite> {
  await initTreeSitter();
  const texts = new Map<string, string>();
  const files: ParsedFile[] = [];
  for (const name of readdirSync(folder).sort()) {
    if (name === 'citrix-flows.yaml') continue;
    const uri = pathToFileURL(path.join(folder, name)).href;
    const text = readFileSync(path.join(folder, name), 'utf8');
    const parsed = parseSource({ uri, text });
    if (!parsed) continue;
    files.push(parsed);
    texts.set(uri, text);
  }
  const topologyUri = pathToFileURL(path.join(folder, 'citrix-flows.yaml')).href;
  const topologyText = readFileSync(path.join(folder, 'citrix-flows.yaml'), 'utf8');
  texts.set(topologyUri, topologyText);
  const analysis = analyzeParsed(files, readTopology(topologyText, topologyUri), { workspaceRoot: folder });
  return { analysis, texts };
}
