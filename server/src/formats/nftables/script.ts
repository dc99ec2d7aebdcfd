import type { Comment } from '../../model';
import type { ShellCommand } from '../shell';
import { tokenize, type SpanMapper } from './tokens';
import { type Context, Cursor, problem } from './context';
import { readTop } from './ruleset';

/**
 * Shell scripts of `nft …` commands: each command's words are read as one
 * line of nft syntax, with the shell's variables left unknown.
 */

/** A script calls `nft`; an nft file starts with `table`, `flush`, `define`, `add`, `include` or a `#!…nft` line. */
export function isShellScript(text: string): boolean {
  let i = 0;
  const n = text.length;
  while (i < n) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = n;
    const line = text.slice(i, end).replace(/^[\uFEFF\s]+/, '');
    i = end + 1;
    if (line.startsWith('#!')) return !/\bnft\b/.test(line);
    if (line === '' || line.startsWith('#')) continue;
    if (/^(table|flush|define|add|create|insert|include|delete|destroy|replace|list)\b/.test(line)) return false;
    if (/(^|[\s/])nft\s/.test(line) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(line) || /^(for|set|export|if)\b/.test(line)) return true;
  }
  return false;
}

export function runShellCommand(ctx: Context, cmd: ShellCommand, comments: Comment[]): void {
  const words = cmd.words.slice(1);
  let k = 0;
  while (k < words.length && words[k].value.startsWith('-') && words[k].value !== '-f' && words[k].value !== '--file') k++;
  if (words[k]?.value === '-f' || words[k]?.value === '--file') {
    const file = words[k + 1];
    if (cmd.hereDoc && (file?.value === '-' || file?.value === '/dev/stdin')) {
      const base = cmd.hereDoc.span.start;
      const tokens = tokenize(cmd.hereDoc.text, (s, e) => ({ start: base + s, end: base + e }), comments);
      readTop(ctx, new Cursor(tokens), cmd.iteration);
      return;
    }
    problem(ctx, 'unresolved-value', `nft -f ${file?.raw ?? ''}: the file is not read here, so its rules are unknown`, cmd.span, 'info');
    return;
  }
  const args = words.slice(k);
  if (args.length === 0) return;
  // Join the words into one nft command and keep a map back to where each came from.
  let joined = '';
  const segments: { from: number; to: number; start: number; end: number; exact: boolean; shift: number }[] = [];
  for (const w of args) {
    if (joined) joined += ' ';
    const from = joined.length;
    joined += w.value;
    let shift = 0;
    let exact = w.exact;
    if (!exact && w.unresolved.length === 0 && w.raw.length === w.value.length + 2 && /^(['"]).*\1$/s.test(w.raw) && w.raw.slice(1, -1) === w.value) {
      exact = true;
      shift = 1;
    }
    segments.push({ from, to: joined.length, start: w.span.start, end: w.span.end, exact, shift });
  }
  const map: SpanMapper = (s, e) => {
    const seg = segments.find((g) => s >= g.from && s <= g.to) ?? segments[segments.length - 1];
    const segEnd = segments.find((g) => e >= g.from && e <= g.to) ?? seg;
    return {
      start: seg.exact ? seg.start + seg.shift + (s - seg.from) : seg.start,
      end: segEnd.exact ? segEnd.start + segEnd.shift + (e - segEnd.from) : segEnd.end,
    };
  };
  const unresolvedWords = args.filter((w) => w.unresolved.length);
  for (const w of unresolvedWords) for (const u of w.unresolved) problem(ctx, 'unresolved-value', `${u.text}: ${u.reason}`, u.span ?? w.span, 'info');
  const tokens = tokenize(joined, map, undefined);
  readTop(ctx, new Cursor(tokens), cmd.iteration, cmd.span);
}
