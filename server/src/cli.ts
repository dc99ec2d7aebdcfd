import { checkCommand } from './cli/check';
import { diffCommand } from './cli/diff';
import { explainCommand } from './cli/explain';
import { generateCommand } from './cli/generate';
import { initCommand } from './cli/init';
import { reportCommand } from './cli/reportCommand';
import { testFlowCommand } from './cli/testFlow';
import { VERSION } from './cli/version';
import { EXIT_USAGE, type CliCommand, type CommandResult } from './cli/types';

// New commands (check, test-flow, generate, report) register here, one line
// each, with their handler in cli/<command>.ts.
const commands: ReadonlyMap<string, CliCommand> = new Map([checkCommand, diffCommand, testFlowCommand, explainCommand, generateCommand, reportCommand, initCommand].map((c) => [c.name, c]));

function topLevelHelp(): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: citrix-flow-lint <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'citrix-flow-lint <command> --help' for a command's options, 'citrix-flow-lint --version' for the version.\n`;
}

export async function main(argv: string[]): Promise<CommandResult> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    return { exitCode: name === undefined ? EXIT_USAGE : 0, stdout: name === undefined ? '' : topLevelHelp(), stderr: name === undefined ? topLevelHelp() : '' };
  }
  if (name === '--version') return { exitCode: 0, stdout: `${VERSION}\n`, stderr: '' };
  const command = commands.get(name);
  if (!command) return { exitCode: EXIT_USAGE, stdout: '', stderr: `citrix-flow-lint: unknown command '${name}'\n\n${topLevelHelp()}` };
  // Every command answers -h, --help and --version the same way, before its own options are read.
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('-h') || own.includes('--help')) return { exitCode: 0, stdout: `${command.usage}\n`, stderr: '' };
  if (own.includes('--version')) return { exitCode: 0, stdout: `${VERSION}\n`, stderr: '' };
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (result) => {
    if (result.stdout) process.stdout.write(result.stdout);
    if (result.stderr) process.stderr.write(result.stderr);
    process.exitCode = result.exitCode;
  },
  (err: unknown) => {
    process.stderr.write(`citrix-flow-lint: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
