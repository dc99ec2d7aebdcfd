import type { LoadedFile, ParsedFile, ParseOptions } from '../../model';
import { readShell } from '../shell';
import { type Context, problem } from './context';
import { buildRuleSets } from './convert';
import { isSaveFormat, parseSaveFile } from './save';
import { readScript } from './script';

/**
 * iptables-save / ip6tables-save output and shell scripts of iptables and
 * ip6tables commands. Only the filter table decides whether a flow passes;
 * the other tables are read and kept (with no direction, so nothing
 * evaluates them) and a note says so.
 */

export function parseIptables(text: string, uri: string, options?: ParseOptions): ParsedFile {
  if (isSaveFormat(text)) return parseSaveFile(text, uri, options?.reuse);
  const script = readShell(text, { expand: true });
  const ctx: Context = { text, problems: [...script.problems], tables: new Map(), families: new Set() };
  for (const s of script.sourced) {
    problem(ctx, 'unresolved-value', `"${s.path}" is sourced but not read: variables it sets stay unknown`, s.span, 'info');
  }
  const loads: LoadedFile[] = [];
  readScript(ctx, script.commands, loads);
  return { uri, format: 'iptables', text, ruleSets: buildRuleSets(ctx, false), problems: ctx.problems, comments: script.comments, ...(loads.length ? { loads } : {}) };
}
