/** A small argument reader: `--flag`, `--opt value`, `--opt=value`, repeated options, positionals. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string[]>;
  readonly flags: Set<string>;
}

export function parseArgs(args: readonly string[], spec: { options: readonly string[]; flags: readonly string[] }): ParsedArgs | { error: string } {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (spec.flags.includes(name)) {
      if (eq > 0) return { error: `--${name} takes no value` };
      flags.add(name);
      continue;
    }
    if (!spec.options.includes(name)) return { error: `unknown option --${name}` };
    const value: string | undefined = eq > 0 ? arg.slice(eq + 1) : args[i + 1];
    if (eq < 0) i++;
    if (value === undefined || (eq < 0 && value.startsWith('--'))) return { error: `--${name} needs a value` };
    // Repeated (`--role vda --role storefront`) or comma-separated (`--role vda,storefront`): a bare word after
    // the value is a path, never another role, so `check --role vda examples` reads as people mean it.
    const values = options.get(name) ?? [];
    values.push(...value.split(',').filter(Boolean));
    options.set(name, values);
  }
  return { positionals, options, flags };
}
