import type { Action, Span } from '../../model';
import type { ShellCommand, ShellWord } from '../shell';
import { chainOf, type ChainState, type Context, type Family, type PendingRule, problem, spanOf } from './context';
import { readRule, ruleKey } from './options';

/**
 * One iptables command (`-A`, `-I`, `-D`, `-P`, `-N`, `-F`, `-X`, …) run
 * against the chains read so far, for scripts and save files alike.
 */

const GLOBAL_FLAGS: ReadonlyMap<string, number> = new Map(Object.entries({
  '-w': 0, '--wait': 0, '-W': 1, '--wait-interval': 1, '-v': 0, '--verbose': 0, '-n': 0, '--numeric': 0, '-x': 0, '--exact': 0,
  '--line-numbers': 0, '-4': 0, '--ipv4': 0, '-6': 0, '--ipv6': 0, '--modprobe': 1,
}));

export function setPolicy(ctx: Context, chain: ChainState, family: Family, target: string, targetSpan: Span, span: Span): void {
  const action: Action | undefined = target === 'ACCEPT' ? 'allow' : target === 'DROP' ? 'deny' : undefined;
  if (!action) {
    problem(ctx, 'syntax-error', `a chain policy is ACCEPT or DROP, not "${target}"`, targetSpan, 'error');
    return;
  }
  if (!chain.builtin) {
    problem(ctx, 'syntax-error', `only built-in chains have a policy; ${chain.name} is a user chain`, span, 'error');
    return;
  }
  chain.policy[family] = { field: { value: action, span: targetSpan, text: target }, text: ctx.text.slice(span.start, span.end) };
}

/**
 * Index in `rules` of the `pos`-th (1-based) rule of `family`, or -1. Scans
 * only up to it: `-I CHAIN 1` in a long script must not copy the chain each time.
 */
function nthOfFamily(rules: readonly { family: Family }[], family: Family, pos: number): number {
  let seen = 0;
  for (let k = 0; k < rules.length; k++) {
    if (rules[k].family === family && ++seen === pos) return k;
  }
  return -1;
}

/** Runs one iptables command; for `-A` it returns what it appended, so a save file can keep it for the next version. */
export function runCommand(
  ctx: Context,
  words: readonly ShellWord[],
  family: Family,
  saveTable: string | undefined,
  cmd: ShellCommand,
  line?: number,
): { chain: ChainState; nameSpan: Span; rules: PendingRule[] } | undefined {
  let table = saveTable ?? 'filter';
  const rest: ShellWord[] = [];
  let op: { flag: string; word: ShellWord; args: ShellWord[] } | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const v = w.value;
    if ((v === '-t' || v === '--table') && !saveTable) {
      table = words[++i]?.value ?? 'filter';
      continue;
    }
    const skip = v.charCodeAt(0) === 45 ? GLOBAL_FLAGS.get(v) : undefined;
    if (skip !== undefined) {
      i += skip;
      // `-w` / `--wait` take an optional number of seconds (`iptables -w 5 -A …`).
      if ((v === '-w' || v === '--wait') && /^\d+(?:\.\d+)?$/.test(words[i + 1]?.value ?? '')) i++;
      continue;
    }
    const opFlag = commandFlag(v);
    if (opFlag && !op) {
      const args: ShellWord[] = [];
      const arity = opFlag === '-E' ? 2 : opFlag === '-P' ? 2 : 1;
      for (let k = 0; k < arity && i + 1 < words.length && !words[i + 1].value.startsWith('-'); k++) args.push(words[++i]);
      // -I, -D and -R take an optional (for -R required) rule number next.
      if ((opFlag === '-I' || opFlag === '-D' || opFlag === '-R') && /^\d+$/.test(words[i + 1]?.value ?? '')) args.push(words[++i]);
      op = { flag: opFlag, word: w, args };
      continue;
    }
    rest.push(w);
  }
  if (!op) {
    if (words.length) problem(ctx, 'syntax-error', 'no command (-A, -I, -P, -N, …) in this iptables line', spanOf(words), 'error');
    return;
  }
  const chainWord = op.args[0];
  if (chainWord && chainWord.unresolved.length) {
    problem(ctx, 'unresolved-value', `chain ${chainWord.raw} is not known in this file; the command is not read`, chainWord.span);
    return;
  }
  const chainName = chainWord?.value;
  const span = cmd.span;
  ctx.families.add(family);
  switch (op.flag) {
    case '-A':
    case '-I':
    case '-R':
    case '-D': {
      if (!chainName) return problem(ctx, 'syntax-error', `${op.word.value} needs a chain name`, op.word.span, 'error');
      const chain = chainOf(ctx, table, chainName, span, chainWord.span);
      const num = op.args[1] ? Number(op.args[1].value) : undefined;
      if (op.flag === '-D') {
        if (num !== undefined) chain.rules = chain.rules.filter((r) => r.family !== family).concat(chain.rules.filter((r) => r.family === family).filter((_, k) => k !== num - 1));
        else {
          const key = ruleKey(rest);
          const at = chain.rules.findIndex((r) => r.family === family && r.key === key);
          if (at >= 0) chain.rules.splice(at, 1);
          else problem(ctx, 'syntax-error', `-D: no earlier rule in ${chainName} matches this one`, span, 'warning');
        }
        return;
      }
      const rules = readRule(ctx, rest, table, chainName, family, span, cmd.iteration, op.word.value, line);
      if (op.flag === '-A') {
        for (const r of rules) chain.rules.push(r);
        return { chain, nameSpan: chainWord.span, rules };
      } else {
        const pos = Math.max(1, num ?? 1);
        const at = nthOfFamily(chain.rules, family, pos);
        if (op.flag === '-R') {
          if (at < 0) problem(ctx, 'syntax-error', `-R: ${chainName} has no rule ${pos}`, span, 'warning');
          else chain.rules.splice(at, 1, ...rules);
        } else {
          chain.rules.splice(at >= 0 ? at : chain.rules.length, 0, ...rules);
        }
      }
      return;
    }
    case '-P': {
      if (!chainName) return problem(ctx, 'syntax-error', '-P needs a chain and a policy', op.word.span, 'error');
      const target = op.args[1];
      if (!target) return problem(ctx, 'syntax-error', `-P ${chainName} needs a policy (ACCEPT or DROP)`, span, 'error');
      if (target.unresolved.length) {
        problem(ctx, 'unresolved-value', `policy ${target.raw} is not known in this file; the policy is taken as ACCEPT, the default`, target.span);
        return;
      }
      const chain = chainOf(ctx, table, chainName, span, chainWord.span);
      setPolicy(ctx, chain, family, target.value, target.span, span);
      return;
    }
    case '-N':
      if (!chainName) return problem(ctx, 'syntax-error', '-N needs a chain name', op.word.span, 'error');
      chainOf(ctx, table, chainName, span, chainWord.span);
      return;
    case '-F': {
      const chains = ctx.tables.get(table);
      for (const c of chains?.values() ?? []) if (!chainName || c.name === chainName) c.rules = c.rules.filter((r) => r.family !== family);
      return;
    }
    case '-X': {
      const chains = ctx.tables.get(table);
      for (const c of [...(chains?.values() ?? [])]) if (!c.builtin && (!chainName || c.name === chainName)) chains?.delete(c.name);
      return;
    }
    case '-E': {
      const chains = ctx.tables.get(table);
      const c = chainName ? chains?.get(chainName) : undefined;
      const to = op.args[1]?.value;
      if (c && to && chains) {
        chains.delete(c.name);
        chains.set(to, { ...c, name: to });
      }
      return;
    }
    default:
      return; // -L, -S, -Z, -C: they change no rule.
  }
}

const COMMAND_FLAGS: ReadonlyMap<string, string> = new Map([
  ...['-A', '-I', '-D', '-R', '-P', '-N', '-F', '-X', '-E', '-L', '-S', '-Z', '-C'].map((f) => [f, f] as const),
  ...Object.entries({
    '--append': '-A', '--insert': '-I', '--delete': '-D', '--replace': '-R', '--policy': '-P', '--new-chain': '-N', '--new': '-N',
    '--flush': '-F', '--delete-chain': '-X', '--rename-chain': '-E', '--list': '-L', '--list-rules': '-S', '--zero': '-Z', '--check': '-C',
  }),
]);

function commandFlag(v: string): string | undefined {
  // Only options are looked up: hashing every address and port string would cost more than the rest of the line.
  return v.charCodeAt(0) === 45 ? COMMAND_FLAGS.get(v) : undefined;
}
