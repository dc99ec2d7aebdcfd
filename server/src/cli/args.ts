import { parseArgs as parseNodeArgs } from 'node:util';

/**
 * Command-line options, read by node:util's parseArgs: `--flag`, `--opt
 * value`, `--opt=value`, repeated options, `--` before positionals. Every
 * command also takes `-h` / `--help` and `--version` (see `standardFlags`).
 * Option values are lists: repeated (`--role vda --role storefront`) or
 * comma-separated (`--role vda,storefront`); a bare word after the value is
 * a positional, never another value, so `check --role vda examples` reads as
 * people mean it.
 */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string[]>;
  readonly flags: Set<string>;
}

export interface ArgSpec {
  readonly options: readonly string[];
  readonly flags: readonly string[];
  /** Options whose value is kept whole (a path may hold a comma); default: the path options. */
  readonly whole?: readonly string[];
}

const PATH_OPTIONS = ['roles', 'html', 'json', 'output'];

export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs | { error: string } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const name of spec.options) options[name] = { type: 'string', multiple: true };
  for (const name of [...spec.flags, 'help', 'version']) options[name] = { type: 'boolean' };
  options.help = { type: 'boolean', short: 'h' };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseNodeArgs({ args: [...args], options, strict: true, allowPositionals: true }));
  } catch (error) {
    return { error: argumentError(error as Error & { code?: string }, spec) };
  }
  const parsed: ParsedArgs = { positionals, options: new Map(), flags: new Set() };
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') {
      if (value) parsed.flags.add(name);
      continue;
    }
    const list = (Array.isArray(value) ? value : [value]).map(String);
    parsed.options.set(name, (spec.whole ?? PATH_OPTIONS).includes(name) ? list : list.flatMap((v) => v.split(',').filter(Boolean)));
  }
  return parsed;
}

/** parseArgs' messages name the option but speak of "arguments"; these say what to do, in the words of the usage text. */
function argumentError(error: Error & { code?: string }, spec: ArgSpec): string {
  const message = error.message ?? String(error);
  const quoted = /'(-[^'\s]*)/.exec(message)?.[1] ?? '';
  const long = /--([\w-]+)/.exec(message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && long) {
    if (spec.flags.includes(long) || long === 'help' || long === 'version') return `--${long} takes no value`;
    return `--${long} needs a value`;
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return message;
  return message.split('\n')[0];
}
