import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadCatalog } from '../catalog';
import { buildFlowMap } from '../service/flowMap';
import { parseArgs } from './args';
import { loadAndAnalyze } from '../engine/batch';
import { skippedNotes } from './check';
import { renderFlowMapHtml, type WebviewAssets } from './report.html';
import { EXIT_OK, EXIT_USAGE, usageError, type CliCommand, type CommandResult } from './types';
import { VERSION } from './version';

const USAGE = `Usage: citrix-flow-lint report [paths…] [--roles FILE] [--role ID…] --html FILE [--json FILE]

Draws the Flow Map — the Citrix roles at the site, the flows they need and
whether the rules allow each one — as one standalone HTML file (inline
script and style, no network access), for CI artifacts and change reviews.

  --html FILE   write the report here ('-' for standard output)
  --json FILE   also write the map's data as JSON ('-' for standard output)
  --roles FILE  citrix-flows.yaml to use (default: the nearest one above the first path)
  --role ID     bind every rule set in the given files to this role (repeat, or a,b,c)

Exit status: 0 report written (whatever it shows), 2 usage or internal error.`;

/** dist/flowmap.{js,css}: next to the bundled CLI, or in the repository's dist/ when run from sources. */
export function findWebviewAssets(): WebviewAssets | undefined {
  const candidates = [__dirname, path.join(__dirname, '..', '..', '..', 'dist'), path.join(__dirname, '..', '..', 'dist')];
  if (process.env.CITRIX_FLOW_LINT_ROOT) candidates.push(path.join(process.env.CITRIX_FLOW_LINT_ROOT, 'dist'));
  for (const dir of candidates) {
    const js = path.join(dir, 'flowmap.js');
    const css = path.join(dir, 'flowmap.css');
    if (existsSync(js) && existsSync(css)) return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  }
  return undefined;
}


export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'write the Flow Map of the required flows as one standalone HTML file',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['roles', 'role', 'html', 'json'], flags: ['help'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const htmlOut = parsed.options.get('html')?.[0];
    const jsonOut = parsed.options.get('json')?.[0];
    if (!htmlOut && !jsonOut) return usageError('--html FILE is required', USAGE);
    if (htmlOut === '-' && jsonOut === '-') return usageError('only one of --html and --json can write to standard output', USAGE);
    const assets = htmlOut ? findWebviewAssets() : undefined;
    if (htmlOut && !assets) return { exitCode: EXIT_USAGE, stdout: '', stderr: 'citrix-flow-lint: the Flow Map front-end (flowmap.js, flowmap.css) is missing next to the CLI; run `npm run build`.\n' };
    const loaded = await loadAndAnalyze(parsed.positionals, { rolesFile: parsed.options.get('roles')?.[0], roles: parsed.options.get('role') });
    if ('error' in loaded) return usageError(loaded.error);
    const badRole = loaded.analysis.findings.find((f) => f.uri === '<command-line>');
    if (badRole) return usageError(badRole.message, USAGE);
    const model = buildFlowMap(loaded.analysis, loadCatalog(), { texts: loaded.texts, workspaceRoot: loaded.cwd });
    let stdout = '';
    const lines: string[] = [];
    const write = (target: string, text: string, what: string): void => {
      if (target === '-') {
        stdout = text;
        return;
      }
      writeFileSync(path.resolve(loaded.cwd, target), text);
      lines.push(`Wrote ${what} ${target} (${(Buffer.byteLength(text) / 1024).toFixed(0)} KB)`);
    };
    if (htmlOut && assets) write(htmlOut, renderFlowMapHtml(model, assets, { generator: `citrix-flow-lint ${VERSION}`.trim() }), 'the Flow Map to');
    if (jsonOut) write(jsonOut, `${JSON.stringify(model, null, 2)}\n`, 'the Flow Map data to');
    const c = model.counts.byVerdict;
    lines.push(`${model.counts.nodes} roles, ${model.counts.edges} required flows: ${c.blocked} blocked, ${c.partial} partly allowed, ${c.unknown} unknown, ${c.unbound} with no rule set, ${c.allowed} allowed.`);
    const summary = `${lines.join('\n')}\n`;
    const notes = skippedNotes(loaded).map((l) => `${l}\n`).join('');
    return stdout ? { exitCode: EXIT_OK, stdout, stderr: notes + summary } : { exitCode: EXIT_OK, stdout: summary, stderr: notes };
  },
};
