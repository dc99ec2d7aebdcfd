import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCatalog } from '../catalog';
import { TOPOLOGY_FILE } from '../service/workspaceFiles';
import { writeSiteYaml } from '../topology';
import { parseArgs } from './args';
import { loadAndAnalyze } from '../engine/batch';
import { EXIT_OK, usageError, type CliCommand, type CommandResult } from './types';

const USAGE = `Usage: citrix-flow-lint init [paths…] [--output FILE] [--force] [--stdout]

Writes a commented citrix-flows.yaml from what the files under the paths
(default: the current folder) say: the roles inferred for each rule set and
why, the bindings that tie them to their files, and the peers every site has.
\`check\` with the written file gives the same verdicts, declared.

  --output FILE   where to write (default: citrix-flows.yaml in the first path, or here)
  --force         overwrite an existing file
  --stdout        print the file instead of writing it`;

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'write a commented citrix-flows.yaml from what the files say',
  usage: USAGE,
  async run(args): Promise<CommandResult> {
    const parsed = parseArgs(args, { options: ['output'], flags: ['help', 'force', 'stdout'] });
    if ('error' in parsed) return usageError(parsed.error, USAGE);
    if (parsed.flags.has('help')) return { exitCode: EXIT_OK, stdout: `${USAGE}\n`, stderr: '' };
    const cwd = process.cwd();
    const first = parsed.positionals[0] ? path.resolve(cwd, parsed.positionals[0]) : cwd;
    const folder = fs.existsSync(first) && fs.statSync(first).isDirectory() ? first : path.dirname(first);
    const output = path.resolve(cwd, parsed.options.get('output')?.[0] ?? path.join(folder, TOPOLOGY_FILE));
    const toStdout = parsed.flags.has('stdout');
    if (!toStdout && fs.existsSync(output) && !parsed.flags.has('force')) {
      return usageError(`${path.relative(cwd, output) || output} exists; pass --force to overwrite it, or --stdout to see what would be written`);
    }
    // What the files alone say: an existing citrix-flows.yaml is what is being replaced, so it is not read.
    const loaded = await loadAndAnalyze(parsed.positionals, { cwd, infer: true, ignoreTopology: true });
    if ('error' in loaded) return usageError(loaded.error);
    const inference = loaded.analysis.inference;
    if (!inference) return usageError('nothing to infer from');
    const catalog = loadCatalog();
    const declaredRoles = [...new Set(loaded.analysis.binding.bound.filter((b) => b.via === 'annotation').flatMap((b) => b.roles))];
    const text = writeSiteYaml(inference, {
      root: path.dirname(output),
      roleName: (id) => (id === 'any-citrix-component' ? 'Citrix components that license' : catalog.roleById(id)?.name ?? id),
      declaredRoles,
      usersFromAnywhere: true,
    });
    if (toStdout) return { exitCode: EXIT_OK, stdout: text, stderr: '' };
    fs.writeFileSync(output, text);
    const roles = new Set([...inference.bindings.flatMap((b) => b.roles), ...inference.peers.map((p) => p.role), ...declaredRoles]);
    return {
      exitCode: EXIT_OK,
      stdout: `Wrote ${path.relative(cwd, output) || output}: ${roles.size} role${roles.size === 1 ? '' : 's'}, ${inference.bindings.length} binding${inference.bindings.length === 1 ? '' : 's'}${inference.hints.length ? `, ${inference.hints.length} hint${inference.hints.length === 1 ? '' : 's'} left as comments` : ''}. Check each entry and add the addresses you know.\n`,
      stderr: '',
    };
  },
};
