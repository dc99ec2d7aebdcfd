/** What a command produced; cli.ts alone writes it out and sets the exit code. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliCommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  usage: string;
  run(args: string[]): CommandResult | Promise<CommandResult>;
}

/** Exit codes shared by every command (see "Interfaces" in DESIGN.md). */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export const ok = (stdout: string): CommandResult => ({ exitCode: EXIT_OK, stdout, stderr: '' });
export const usageError = (message: string, usage?: string): CommandResult => ({
  exitCode: EXIT_USAGE,
  stdout: '',
  stderr: `citrix-flow-lint: ${message}\n${usage ? `\n${usage}` : ''}`,
});
