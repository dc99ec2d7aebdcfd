import { LineIndex, type Comment, type ParsedFile, type ParseOptions } from '../../model';
import { commandName, readShell } from '../shell';
import { tokenize } from './tokens';
import { type Context, Cursor, problem } from './context';
import { buildRuleSets } from './convert';
import { cacheOf, tokenizeReusing } from './lineCache';
import { readTop } from './ruleset';
import { isShellScript, runShellCommand } from './script';

/**
 * `nft list ruleset` output, `.nft` files and shell scripts of `nft …`
 * commands. Each filter base chain on the input, output or forward hook is
 * a RuleSet; base chains on one hook are stages (an accept in one does not
 * stop the next, a drop is final). Other chain types and hooks are read,
 * kept with no direction, and a note says they are not evaluated.
 */

export function parseNftables(text: string, uri: string, options?: ParseOptions): ParsedFile {
  const shellScript = isShellScript(text);
  const cache = shellScript ? undefined : cacheOf(options?.reuse);
  const ctx: Context = { text, lines: LineIndex.of(text), problems: [], tables: new Map(), defines: new Map(), tableOrder: [], cache };
  const comments: Comment[] = [];
  const shell = shellScript;
  const cr = text.indexOf('\r\n');
  if (!shell && cr >= 0) problem(ctx, 'syntax-error', 'nft rejects Windows (CRLF) line endings ("unexpected junk"); save the file with LF endings', { start: cr, end: cr + 2 }, 'warning');
  if (shell) {
    const script = readShell(text);
    ctx.problems.push(...script.problems);
    comments.push(...script.comments);
    for (const s of script.sourced) problem(ctx, 'unresolved-value', `"${s.path}" is sourced but not read: variables it sets stay unknown`, s.span, 'info');
    for (const cmd of script.commands) if (commandName(cmd.words[0]) === 'nft') runShellCommand(ctx, cmd, comments);
  } else {
    const tokens = cache ? tokenizeReusing(text, cache, comments) : tokenize(text, undefined, comments);
    readTop(ctx, new Cursor(tokens), undefined);
  }
  const ruleSets = buildRuleSets(ctx);
  if (cache && cache.lines.size > 2 * ctx.lines.lineCount + 1000) {
    // Lines no recent version had: an edit leaves one behind per keystroke.
    for (const [key, e] of cache.lines) if (cache.generation - e.used > 2) cache.lines.delete(key);
  }
  return { uri, format: 'nftables', text, ruleSets, problems: ctx.problems, comments };
}
