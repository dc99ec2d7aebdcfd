import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateRuleSet, type GenerateDirection } from '../generate';
import { readTopology } from '../analysis/analyze';
import { loadCatalog } from '../catalog';
import { initTreeSitter } from '../formats';
import { GENERATE_FORMATS, type GenerateFormat } from '../generate/skeletons';
import { findTopologyFile, readText, toUri } from '../service/workspaceFiles';
import { parseArgs } from './args';
import { EXIT_OK, usageError, type CliCommand, type CommandResult } from './types';

const USAGE = `Usage: citrix-flow-lint generate --role ID… --format FMT [--roles FILE] [--direction in|out|both] [--output FILE]

Prints a complete, least-privilege rule set that allows every Citrix flow the
roles need (for the features and versions citrix-flows.yaml enables), with
peers narrowed to their declared addresses, ports merged, and each rule
commented with the catalog flows it serves. Peers whose addresses are not
declared become placeholders to fill in, never "any".

  --role ID         the protected role (repeat, or a,b,c)
  --format FMT      ${GENERATE_FORMATS.join(' | ')}
  --roles FILE      citrix-flows.yaml to use (default: the nearest one above the current folder)
  --direction DIR   in, out or both (default: both)
  --output FILE     write the rules to FILE instead of standard output

Exit status: 0 written, 2 usage or internal error.`;

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'write a least-privilege rule set for Citrix roles in any supported format',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['role', 'roles', 'format', 'direction', 'output'], flags: ['help'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    if (parsed.positionals.length) return usageError(`unexpected argument "${parsed.positionals[0]}"`, USAGE);
    const format = parsed.options.get('format')?.[0];
    if (!format) return usageError('--format is required', USAGE);
    if (!(GENERATE_FORMATS as readonly string[]).includes(format)) return usageError(`--format must be one of ${GENERATE_FORMATS.join(', ')}, not "${format}"`, USAGE);
    const direction = parsed.options.get('direction')?.[0] ?? 'both';
    if (!['in', 'out', 'both'].includes(direction)) return usageError(`--direction must be in, out or both, not "${direction}"`, USAGE);
    const catalog = loadCatalog();
    const roles: string[] = [];
    for (const text of parsed.options.get('role') ?? []) {
      const role = catalog.roleById(text) ?? catalog.resolveRole(text);
      if (!role) {
        const [suggestion] = catalog.suggestRole(text);
        return usageError(`unknown role "${text}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (citrix-flow-lint explain --role ID lists a role's flows)`, USAGE);
      }
      if (!roles.includes(role.id)) roles.push(role.id);
    }
    if (roles.length === 0) return usageError('--role is required', USAGE);

    const cwd = process.cwd();
    const rolesFile = parsed.options.get('roles')?.[0];
    const topologyPath = rolesFile ? path.resolve(cwd, rolesFile) : findTopologyFile(cwd);
    let topologyText: string | undefined;
    if (topologyPath) {
      topologyText = readText(topologyPath);
      if (topologyText === undefined) return usageError(`cannot read ${rolesFile ?? topologyPath}`);
    }
    const topology = readTopology(topologyText, topologyPath ? toUri(topologyPath) : undefined);
    const errors = topology.problems.filter((p) => p.severity === 'error');
    if (errors.length) return usageError(`${path.relative(cwd, topologyPath!) || topologyPath}: ${errors[0].message}`);

    await initTreeSitter();
    const result = generateRuleSet({
      roles,
      topology,
      format: format as GenerateFormat,
      direction: direction as GenerateDirection,
      catalog,
      topologyName: topologyPath ? path.relative(cwd, topologyPath) || path.basename(topologyPath) : undefined,
    });
    if ('error' in result) return { exitCode: 2, stdout: '', stderr: `citrix-flow-lint: cannot generate ${format} rules: ${result.error}\n` };
    const summary = `${result.ruleCount} rule${result.ruleCount === 1 ? '' : 's'} for ${roles.join(', ')} (${result.plan.rules.length} merged flow group${result.plan.rules.length === 1 ? '' : 's'})${result.plan.placeholders.length ? `; fill in the placeholders for ${result.plan.placeholders.join(', ')}` : ''}\n`;
    const output = parsed.options.get('output')?.[0];
    if (output) {
      try {
        fs.writeFileSync(path.resolve(cwd, output), result.text);
      } catch (e) {
        return usageError(`cannot write ${output}: ${(e as Error).message}`);
      }
      return { exitCode: EXIT_OK, stdout: '', stderr: `wrote ${output}: ${summary}` };
    }
    return { exitCode: EXIT_OK, stdout: result.text, stderr: '' };
  },
};
