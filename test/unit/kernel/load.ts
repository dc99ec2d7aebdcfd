import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandName, readShell } from '../../../server/src/formats/shell';
import type { SpawnSyncReturns } from 'node:child_process';
import { run } from '../../helpers/netns';

/** A command taken from a fixture script, ready to run with a real binary. */
export interface Extracted {
  readonly bin: string;
  readonly args: string[];
  readonly stdin?: string;
}

const LEGACY: Readonly<Record<string, string>> = {
  iptables: 'iptables-legacy',
  'iptables-legacy': 'iptables-legacy',
  'iptables-nft': 'iptables-legacy',
  ip6tables: 'ip6tables-legacy',
  'ip6tables-legacy': 'ip6tables-legacy',
  'ip6tables-nft': 'ip6tables-legacy',
};

/**
 * The iptables / nft commands of a shell fixture, with literal variables and
 * loops already expanded by our reader. Commands that still hold an unknown
 * variable cannot be run and are counted as skipped.
 */
export function extractCommands(text: string, tool: 'iptables' | 'nft'): { commands: Extracted[]; skipped: number } {
  const script = readShell(text);
  const commands: Extracted[] = [];
  let skipped = 0;
  for (const cmd of script.commands) {
    const name = commandName(cmd.words[0]) ?? '';
    const restore = /^(ip6?tables)(?:-legacy|-nft)?-restore$/.exec(name);
    if (tool === 'iptables' && restore) {
      // `iptables-restore <<EOF`: the here-document is its input; a restore from a file is read as that file.
      if (cmd.hereDoc) commands.push({ bin: `${restore[1]}-legacy-restore`, args: cmd.words.slice(1).map((w) => w.value), stdin: cmd.hereDoc.text });
      else skipped++;
      continue;
    }
    const ours = tool === 'nft' ? name === 'nft' : name in LEGACY;
    if (!ours) continue;
    const args = cmd.words.slice(1);
    if (args.some((w) => w.unresolved.length > 0)) {
      skipped++;
      continue;
    }
    const values = args.map((w) => w.value);
    if (tool === 'nft') {
      const f = values.indexOf('-f');
      if (f >= 0 && values[f + 1] === '-' && cmd.hereDoc) commands.push({ bin: 'nft', args: ['-f', '-'], stdin: cmd.hereDoc.text });
      else if (f >= 0) skipped++;
      else commands.push({ bin: 'nft', args: values });
    } else commands.push({ bin: LEGACY[name], args: values });
  }
  return { commands, skipped };
}

/** A shell script that runs the commands in order and stops at the first failure. */
export function asScript(commands: readonly Extracted[]): { script: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-cmds-'));
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['set -e'];
  commands.forEach((c, i) => {
    if (c.stdin !== undefined) {
      const f = path.join(dir, `stdin${i}`);
      fs.writeFileSync(f, c.stdin);
      lines.push(`${c.bin} ${c.args.map(q).join(' ')} < ${q(f)}`);
    } else lines.push(`${c.bin} ${c.args.map(q).join(' ')}`);
  });
  return { script: lines.join('\n'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the commands as one script in a fresh network namespace of their own (`unshare -rn`). */
export function runInFreshNamespace(commands: readonly Extracted[]): SpawnSyncReturns<string> {
  const { script, cleanup } = asScript(commands);
  try {
    return run('unshare', ['-rn', 'sh', '-c', script]);
  } finally {
    cleanup();
  }
}

/** A bare list of rules (no `*table` line) is read as the filter table; iptables-restore gets it the same way. */
export function asRestoreInput(text: string): string {
  return /^[ \t]*\*/m.test(text) ? text : `*filter\n${text}${text.endsWith('\n') ? '' : '\n'}COMMIT\n`;
}

/** ip6tables-save files go to ip6tables-restore. */
export function isIpv6SaveFile(text: string): boolean {
  return /ip6tables-save/.test(text.slice(0, 2000));
}
