import type { LoadedFile } from '../../model';
import { commandName, readLineCommand, type ShellCommand, type ShellWord } from '../shell';
import { runCommand } from './commands';
import { type Context, type Family, problem } from './context';
import { readSaveItems, type SaveItem } from './save';

/**
 * Shell scripts of iptables and ip6tables commands, and the save-file text
 * they hand to `iptables-restore` (here-documents, or files it loads).
 */

const IPTABLES_COMMANDS: Readonly<Record<string, Family>> = {
  iptables: 4,
  'iptables-legacy': 4,
  'iptables-nft': 4,
  ip6tables: 6,
  'ip6tables-legacy': 6,
  'ip6tables-nft': 6,
};

const RESTORE_COMMANDS: Readonly<Record<string, Family>> = {
  'iptables-restore': 4,
  'iptables-legacy-restore': 4,
  'iptables-nft-restore': 4,
  'ip6tables-restore': 6,
  'ip6tables-legacy-restore': 6,
  'ip6tables-nft-restore': 6,
};

/**
 * `iptables-restore <<EOF … EOF` loads the here-document: it is read here as
 * save-file lines. `iptables-restore < FILE` (or `iptables-restore FILE`)
 * loads another file: its path is kept so the caller can read it, and a note
 * says where the rules are.
 */
function readRestore(ctx: Context, cmd: ShellCommand, family: Family, loads: LoadedFile[]): void {
  if (cmd.hereDoc) {
    const { start, end } = cmd.hereDoc.span;
    const items: SaveItem[] = [];
    let line = 1;
    for (let k = 0; k < start; k++) if (ctx.text.charCodeAt(k) === 10) line++;
    let i = start;
    while (i < end) {
      const read = readLineCommand(ctx.text, i, [], ctx.problems);
      if (read.words.length) {
        const words = read.words.filter((w) => w.span.end <= end).map((w) => (cmd.hereDoc?.expands && w.value.includes('$') ? hereDocVariable(w) : w));
        if (words.length) items.push({ kind: 'words', words, span: { start: words[0].span.start, end: words[words.length - 1].span.end }, start: i, line });
      }
      for (let k = i; k < read.next; k++) if (ctx.text.charCodeAt(k) === 10) line++;
      i = read.next;
    }
    readSaveItems(ctx, items, family);
    return;
  }
  const args = cmd.words.slice(1).filter((w) => !w.value.startsWith('-'));
  const file = cmd.input ?? args[args.length - 1];
  if (!file) {
    problem(ctx, 'unresolved-value', `${cmd.words[0].value} reads its rules from standard input, which is not in this file; they are not read`, cmd.span, 'info');
    return;
  }
  if (file.unresolved.length) {
    problem(ctx, 'unresolved-value', `${cmd.words[0].value} loads ${file.raw}, a path not known in this file; its rules are not read here`, cmd.span, 'info');
    return;
  }
  loads.push({ path: file.value, span: file.span, format: 'iptables' });
  problem(ctx, 'unresolved-value', `${cmd.words[0].value} loads its rules from ${file.value}; they are checked as that file, not as part of this script`, cmd.span, 'info');
}

/** A word of an unquoted here-document that the shell would expand: its value is not known here. */
function hereDocVariable(w: ShellWord): ShellWord {
  return { ...w, exact: false, unresolved: [{ text: w.raw, span: w.span, reason: 'the shell expands it in the here-document; its value is not known in this file' }] };
}

export function readScript(ctx: Context, commands: readonly ShellCommand[], loads: LoadedFile[] = []): void {
  for (const cmd of commands) {
    const name = commandName(cmd.words[0]) ?? '';
    const restore = RESTORE_COMMANDS[name];
    if (restore !== undefined) {
      readRestore(ctx, cmd, restore, loads);
      continue;
    }
    let family = IPTABLES_COMMANDS[name];
    if (family === undefined) {
      // `$IPT -A INPUT …` with IPT set outside the file: read it as iptables, and say so.
      const unknownCommand = cmd.words[0].unresolved.length > 0;
      const looksLikeRule = cmd.words.slice(1).some((w) => /^(-[AIPNDRFX]|--append|--insert|--policy)$/.test(w.value));
      if (!unknownCommand || !looksLikeRule) continue;
      problem(ctx, 'unresolved-value', `${cmd.words[0].raw} is not set in this file; read as iptables (IPv4)`, cmd.words[0].span, 'info');
      family = 4;
    }
    runCommand(ctx, cmd.words.slice(1), family, undefined, cmd);
  }
}
