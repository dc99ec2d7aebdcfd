import type { Comment, ParseProblem, Span, Unresolved } from '../../model';

/**
 * A small reader for the shell scripts firewall rules live in (`iptables …`
 * and `nft …` lines). It is not a shell: it knows literal assignments,
 * `for x in a b c; do … done` over literal words, quoting, line
 * continuations, comments and here-documents, which is what such scripts
 * use. Everything it cannot know (a sourced file, `$(…)`, an unset
 * variable) stays visible as an Unresolved entry on the word.
 */

/** One word of a command after quote removal and expansion. */
export interface ShellWord {
  readonly value: string;
  readonly span: Span;
  readonly raw: string;
  /** The value is the raw text unchanged, so offsets inside the word map one to one. */
  readonly exact: boolean;
  readonly unresolved: readonly Unresolved[];
}

export interface HereDoc {
  readonly span: Span;
  readonly text: string;
  /** The delimiter was unquoted (`<<EOF`, not `<<'EOF'`): the shell expands `$…` in the body. */
  readonly expands?: boolean;
}

export interface ShellCommand {
  readonly words: readonly ShellWord[];
  readonly span: Span;
  /** Set when the command came from an unrolled loop: `p=22`, so ids can tell iterations apart. */
  readonly iteration?: string;
  readonly hereDoc?: HereDoc;
  /** The file after `<` (`iptables-restore < rules.v4`); other redirections are dropped with their targets. */
  readonly input?: ShellWord;
}

export interface ShellScript {
  readonly commands: readonly ShellCommand[];
  readonly comments: readonly Comment[];
  readonly problems: readonly ParseProblem[];
  /** Files pulled in with `source`/`.`; we do not read them, so what they set stays unknown. */
  readonly sourced: readonly { readonly path: string; readonly span: Span }[];
}

export interface ShellOptions {
  /**
   * false for formats that only borrow shell quoting (iptables-save): `$`
   * is literal and only line breaks end a command.
   */
  readonly expand?: boolean;
  /** Stop after this many commands (loop unrolling multiplies them). */
  readonly maxCommands?: number;
}

type Part =
  | { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'var'; readonly name: string; readonly quoted: boolean; readonly start: number; readonly end: number }
  | { readonly kind: 'subst'; readonly text: string; readonly quoted: boolean; readonly start: number; readonly end: number };

interface RawWord {
  readonly parts: Part[];
  readonly start: number;
  readonly end: number;
}

interface RawCommand {
  readonly words: RawWord[];
  hereDoc?: HereDoc;
  input?: RawWord;
}

interface Value {
  readonly text: string;
  readonly unresolved: readonly Unresolved[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF';
}

/** Tokenizes the whole text in one pass into commands (word lists) split at separators. */
function tokenize(text: string, expand: boolean, comments: Comment[], problems: ParseProblem[]): RawCommand[] {
  const commands: RawCommand[] = [];
  let words: RawWord[] = [];
  let input: RawWord | undefined;
  let pendingHereDocs: { delimiter: string; stripTabs: boolean; expands: boolean; command: RawCommand | undefined }[] = [];
  const n = text.length;
  let i = 0;
  const endCommand = (): RawCommand | undefined => {
    if (words.length === 0) {
      input = undefined;
      return undefined;
    }
    const cmd: RawCommand = input ? { words, input } : { words };
    commands.push(cmd);
    words = [];
    input = undefined;
    return cmd;
  };
  const readHereDocs = (): void => {
    // Called just after a newline: the bodies follow in order.
    for (const h of pendingHereDocs) {
      const bodyStart = i;
      let bodyEnd = n;
      while (i < n) {
        let lineEnd = text.indexOf('\n', i);
        if (lineEnd < 0) lineEnd = n;
        let line = text.slice(i, lineEnd);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (h.stripTabs) line = line.replace(/^\t+/, '');
        if (line === h.delimiter) {
          bodyEnd = i;
          i = Math.min(n, lineEnd + 1);
          break;
        }
        i = Math.min(n, lineEnd + 1);
        if (lineEnd >= n) bodyEnd = n;
      }
      if (h.command) h.command.hereDoc = { span: { start: bodyStart, end: bodyEnd }, text: text.slice(bodyStart, bodyEnd), expands: h.expands };
    }
    pendingHereDocs = [];
  };
  while (i < n) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '\n') {
      const cmd = endCommand();
      i++;
      if (pendingHereDocs.length) {
        for (const h of pendingHereDocs) h.command ??= cmd;
        readHereDocs();
      }
      continue;
    }
    if (c === '#') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      let contentEnd = end;
      if (text[contentEnd - 1] === '\r') contentEnd--;
      comments.push({ span: { start: i, end: contentEnd }, text: text.slice(i + 1, contentEnd).trim() });
      i = end;
      continue;
    }
    if (expand && (c === ';' || c === '&' || c === '|' || c === '(' || c === ')')) {
      endCommand();
      i++;
      continue;
    }
    if (expand && c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      // Here-document: the delimiter word follows; the body starts on the next line.
      let j = i + 2;
      let stripTabs = false;
      if (text[j] === '-') {
        stripTabs = true;
        j++;
      }
      while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
      const word = readWord(text, j, false, problems);
      const delimiter = word.parts.map((p) => (p.kind === 'lit' ? p.text : p.kind === 'var' ? `$${p.name}` : p.text)).join('');
      const expands = word.parts.every((p) => p.kind !== 'lit' || !p.quoted);
      pendingHereDocs.push({ delimiter, stripTabs, expands, command: undefined });
      i = word.end;
      continue;
    }
    if (expand && (c === '<' || c === '>')) {
      // A redirection is not a word of the command: `2>/dev/null`, `>> log`, `< rules.v4`, `<<< "$x"`, `>&2`.
      const last = words[words.length - 1];
      if (last && last.end === i && /^\d+$/.test(text.slice(last.start, last.end))) words.pop();
      let j = i + 1;
      while (j < n && (text[j] === '<' || text[j] === '>' || text[j] === '&' || text[j] === '|') && j < i + 3) j++;
      const op = text.slice(i, j);
      while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
      if (op.endsWith('&') && /[0-9-]/.test(text[j] ?? '')) {
        // `>&2`, `2>&1`, `<&-`: a descriptor, not a file.
        while (j < n && /[0-9-]/.test(text[j])) j++;
        i = j;
        continue;
      }
      const target = readWord(text, j, expand, problems);
      if (op === '<' && target.end > j) input = target;
      i = Math.max(target.end, i + 1);
      continue;
    }
    const word = readWord(text, i, expand, problems);
    if (word.end === i) {
      i++;
      continue;
    }
    words.push(word);
    i = word.end;
  }
  const last = endCommand();
  for (const h of pendingHereDocs) {
    h.command ??= last;
    if (h.command) h.command.hereDoc = { span: { start: n, end: n }, text: '' };
  }
  return commands;
}

function isWordEnd(c: string, expand: boolean): boolean {
  if (c === '\n' || isSpace(c)) return true;
  return expand && (c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '<' || c === '>');
}

/** Not special anywhere in an unquoted word: not a word end, quote, escape or (when expanding) `$` or backquote. */
function isPlain(code: number, expand: boolean): boolean {
  switch (code) {
    case 10: case 32: case 9: case 13: case 12: case 11: case 0xfeff: // word ends (isWordEnd)
    case 92: case 39: case 34: // \\ ' "
      return false;
    case 59: case 38: case 124: case 40: case 41: case 60: case 62: case 36: case 96: // ; & | ( ) < > $ `
      return !expand;
    default:
      return true;
  }
}

function readWord(text: string, start: number, expand: boolean, problems: ParseProblem[]): RawWord {
  const parts: Part[] = [];
  const n = text.length;
  let i = start;
  let lit = '';
  let litQuoted = false;
  const flush = (): void => {
    if (lit) parts.push({ kind: 'lit', text: lit, quoted: litQuoted });
    lit = '';
  };
  const addLit = (s: string, quoted: boolean): void => {
    if (lit && litQuoted !== quoted) flush();
    litQuoted = quoted;
    lit += s;
  };
  const readDollar = (quoted: boolean): boolean => {
    // At text[i] === '$'; returns false when it is a literal dollar.
    const next = text[i + 1];
    if (next === '{') {
      const close = text.indexOf('}', i + 2);
      const nl = text.indexOf('\n', i + 2);
      if (close < 0 || (nl >= 0 && nl < close)) return false;
      const inner = text.slice(i + 2, close);
      const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(inner) ? inner : undefined;
      flush();
      if (name) parts.push({ kind: 'var', name, quoted, start: i, end: close + 1 });
      else parts.push({ kind: 'subst', text: text.slice(i, close + 1), quoted, start: i, end: close + 1 });
      i = close + 1;
      return true;
    }
    if (next === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < n; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      const end = Math.min(n, j + 1);
      flush();
      parts.push({ kind: 'subst', text: text.slice(i, end), quoted, start: i, end });
      i = end;
      return true;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < n && NAME_CHAR.test(text[j])) j++;
      flush();
      parts.push({ kind: 'var', name: text.slice(i + 1, j), quoted, start: i, end: j });
      i = j;
      return true;
    }
    if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
      flush();
      parts.push({ kind: 'subst', text: text.slice(i, i + 2), quoted, start: i, end: i + 2 });
      i += 2;
      return true;
    }
    return false;
  };
  while (i < n) {
    // A run of ordinary characters is one slice, not a string grown a character at a time.
    let run = i;
    while (run < n && isPlain(text.charCodeAt(run), expand)) run++;
    if (run > i) {
      addLit(text.slice(i, run), false);
      i = run;
      continue;
    }
    const c = text[i];
    if (isWordEnd(c, expand)) break;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        i += 2;
        continue;
      }
      if (next === '\r' && text[i + 2] === '\n') {
        i += 3;
        continue;
      }
      if (next === undefined) {
        i++;
        continue;
      }
      addLit(next, true);
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) {
        problems.push({ code: 'syntax-error', severity: 'error', message: 'unterminated single quote', span: { start: i, end: n } });
        addLit(text.slice(i + 1), true);
        i = n;
        break;
      }
      addLit(text.slice(i + 1, close), true);
      if (close === i + 1) addLit('', true);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      const quoteStart = i;
      let j = i + 1;
      let closed = false;
      // Marks an empty "" so the word still exists.
      addLit('', true);
      while (j < n) {
        let run = j;
        for (let code = text.charCodeAt(run); run < n && code !== 34 && code !== 92 && !(code === 36 && expand); code = text.charCodeAt(++run));
        if (run > j) {
          addLit(text.slice(j, run), true);
          j = run;
          continue;
        }
        const d = text[j];
        if (d === '"') {
          closed = true;
          j++;
          break;
        }
        if (d === '\\' && j + 1 < n && '"\\$`\n'.includes(text[j + 1])) {
          if (text[j + 1] !== '\n') addLit(text[j + 1], true);
          j += 2;
          continue;
        }
        if (d === '$' && expand) {
          i = j;
          if (readDollar(true)) {
            j = i;
            continue;
          }
        }
        addLit(d, true);
        j++;
      }
      if (!closed) problems.push({ code: 'syntax-error', severity: 'error', message: 'unterminated double quote', span: { start: quoteStart, end: n } });
      i = j;
      continue;
    }
    if (c === '$' && expand) {
      if (readDollar(false)) continue;
    }
    if (c === '`' && expand) {
      const close = text.indexOf('`', i + 1);
      const end = close < 0 ? n : close + 1;
      flush();
      parts.push({ kind: 'subst', text: text.slice(i, end), quoted: false, start: i, end });
      i = end;
      continue;
    }
    addLit(c, false);
    i++;
  }
  flush();
  if (parts.length === 0 && litQuoted) parts.push({ kind: 'lit', text: '', quoted: true });
  return { parts, start, end: i };
}

function rawLiteral(word: RawWord): string | undefined {
  let s = '';
  for (const p of word.parts) {
    if (p.kind !== 'lit') return undefined;
    s += p.text;
  }
  return s;
}

function unquotedLiteral(word: RawWord): string | undefined {
  return word.parts.length === 1 && word.parts[0].kind === 'lit' && !word.parts[0].quoted ? word.parts[0].text : undefined;
}

type Node =
  | { readonly kind: 'cmd'; readonly cmd: RawCommand }
  | { readonly kind: 'for'; readonly name: string; readonly list: RawWord[] | undefined; readonly body: Node[]; readonly span: Span }
  | { readonly kind: 'while'; readonly body: Node[] };

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', '{', '}', '!', 'time', 'esac']);

/** Builds loops out of the flat command list; other compound commands are read straight through. */
function structure(commands: RawCommand[], problems: ParseProblem[]): Node[] {
  const root: Node[] = [];
  const stack: { body: Node[]; kind: 'for' | 'while' }[] = [];
  const current = (): Node[] => (stack.length ? stack[stack.length - 1].body : root);
  for (const cmd of commands) {
    let words = cmd.words;
    // Leading keywords (`then iptables …`, `do iptables …`) belong to the structure, not the command.
    for (;;) {
      const first = words.length ? unquotedLiteral(words[0]) : undefined;
      if (first === undefined) break;
      if (first === 'do') {
        words = words.slice(1);
        continue;
      }
      if (first === 'done') {
        const frame = stack.pop();
        if (!frame) problems.push({ code: 'syntax-error', severity: 'warning', message: '"done" without a loop', span: { start: words[0].start, end: words[0].end } });
        words = words.slice(1);
        continue;
      }
      if (KEYWORDS.has(first)) {
        words = words.slice(1);
        continue;
      }
      if (first === 'for') {
        const nameWord = words[1];
        const name = nameWord ? rawLiteral(nameWord) : undefined;
        const span = { start: words[0].start, end: words[words.length - 1].end };
        const hasIn = words[2] && unquotedLiteral(words[2]) === 'in';
        const body: Node[] = [];
        current().push({ kind: 'for', name: name ?? '', list: hasIn ? words.slice(3) : undefined, body, span });
        stack.push({ body, kind: 'for' });
        words = [];
        break;
      }
      if (first === 'while' || first === 'until') {
        const body: Node[] = [];
        current().push({ kind: 'while', body });
        stack.push({ body, kind: 'while' });
        words = [];
        break;
      }
      break;
    }
    if (words.length) current().push({ kind: 'cmd', cmd: { words, hereDoc: cmd.hereDoc, input: cmd.input } });
  }
  return root;
}

const NOTHING_UNRESOLVED: readonly Unresolved[] = Object.freeze([]);

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/;

class Executor {
  readonly out: ShellCommand[] = [];
  readonly sourced: { path: string; span: Span }[] = [];
  private readonly env = new Map<string, Value>();
  private limited = false;

  constructor(
    private readonly text: string,
    private readonly problems: ParseProblem[],
    private readonly maxCommands: number,
  ) {}

  run(nodes: Node[], iteration?: string): void {
    for (const node of nodes) {
      if (this.limited) return;
      if (node.kind === 'cmd') this.command(node.cmd, iteration);
      else if (node.kind === 'while') this.run(node.body, iteration);
      else this.loop(node, iteration);
    }
  }

  private loop(node: Extract<Node, { kind: 'for' }>, iteration?: string): void {
    let items: Value[];
    if (node.list === undefined) {
      items = [{ text: '$@', unresolved: [{ text: `for ${node.name}`, span: node.span, reason: 'loop over the script arguments' }] }];
    } else {
      items = [];
      for (const w of node.list) items.push(...this.expand(w).map((e) => ({ text: e.value, unresolved: e.unresolved })));
    }
    const saved = this.env.get(node.name);
    for (const item of items) {
      this.env.set(node.name, item);
      const label = `${node.name}=${item.text}`;
      this.run(node.body, iteration ? `${iteration}, ${label}` : label);
      if (this.limited) break;
    }
    if (saved) this.env.set(node.name, saved);
    else this.env.delete(node.name);
  }

  private command(cmd: RawCommand, iteration?: string): void {
    let words = cmd.words;
    const first = words.length ? rawLiteral(words[0]) : undefined;
    if (first !== undefined && ['export', 'readonly', 'local', 'declare', 'typeset'].includes(first)) {
      words = words.slice(1).filter((w) => !(rawLiteral(w) ?? '').startsWith('-'));
      for (const w of words) this.assign(w);
      return;
    }
    // Leading assignments: alone they set shell variables; before a command they only set its environment.
    let k = 0;
    while (k < words.length && this.isAssignment(words[k])) k++;
    if (k === words.length) {
      for (const w of words) this.assign(w);
      return;
    }
    words = words.slice(k);
    const name = rawLiteral(words[0]);
    if ((name === 'source' || name === '.') && words[1]) {
      const path = this.expand(words[1]).map((e) => e.value).join(' ');
      this.sourced.push({ path, span: { start: words[0].start, end: words[words.length - 1].end } });
      return;
    }
    const all: ShellWord[] = [];
    for (const w of words) all.push(...this.expand(w));
    const expanded = stripWrappers(all);
    if (expanded.length === 0) return;
    if (this.out.length >= this.maxCommands) {
      this.limited = true;
      this.problems.push({
        code: 'limit',
        severity: 'warning',
        message: `stopped after ${this.maxCommands} commands (loops unroll to too many); later rules are not read`,
        span: { start: words[0].start, end: words[words.length - 1].end },
      });
      return;
    }
    const input = cmd.input ? this.expand(cmd.input)[0] : undefined;
    this.out.push({ words: expanded, span: { start: words[0].start, end: words[words.length - 1].end }, iteration, hereDoc: cmd.hereDoc, ...(input ? { input } : {}) });
  }

  private isAssignment(w: RawWord): boolean {
    const head = w.parts[0];
    return head !== undefined && head.kind === 'lit' && !head.quoted && ASSIGNMENT.test(head.text);
  }

  private assign(w: RawWord): void {
    const head = w.parts[0];
    if (!head || head.kind !== 'lit') return;
    const m = ASSIGNMENT.exec(head.text);
    if (!m) return;
    const rest: Part[] = [{ ...head, text: head.text.slice(m[0].length) }, ...w.parts.slice(1)];
    // Assignments do not split words, so the value is expanded as if quoted.
    const value = this.expandParts(rest.map((p) => ({ ...p, quoted: true })))[0] ?? { value: '', unresolved: [] };
    const prev = m[2] === '+' ? this.env.get(m[1]) : undefined;
    this.env.set(m[1], {
      text: (prev?.text ?? '') + value.value,
      unresolved: [...(prev?.unresolved ?? []), ...value.unresolved],
    });
  }

  expand(w: RawWord): ShellWord[] {
    // Most words are one literal: no fields to split, nothing unresolved.
    if (w.parts.length === 1 && w.parts[0].kind === 'lit') {
      const value = w.parts[0].text;
      const raw = this.text.slice(w.start, w.end);
      return [{ value, span: { start: w.start, end: w.end }, raw, exact: value === raw, unresolved: NOTHING_UNRESOLVED }];
    }
    return this.expandParts(w.parts).map((e) => {
      const raw = this.text.slice(w.start, w.end);
      return { value: e.value, span: { start: w.start, end: w.end }, raw, exact: e.value === raw, unresolved: e.unresolved };
    });
  }

  /** Expands parts into one or more fields; unquoted variable values split at white space. */
  private expandParts(parts: readonly Part[]): { value: string; unresolved: Unresolved[] }[] {
    const fields: { value: string; unresolved: Unresolved[] }[] = [];
    let cur: { value: string; unresolved: Unresolved[] } | undefined;
    const ensure = (): { value: string; unresolved: Unresolved[] } => (cur ??= { value: '', unresolved: [] });
    for (const p of parts) {
      if (p.kind === 'lit') {
        ensure().value += p.text;
        continue;
      }
      if (p.kind === 'subst') {
        const f = ensure();
        f.value += p.text;
        f.unresolved.push({ text: p.text, span: { start: p.start, end: p.end }, reason: 'command substitution or special parameter is not evaluated' });
        continue;
      }
      const v = this.env.get(p.name);
      const span = { start: p.start, end: p.end };
      if (!v) {
        const f = ensure();
        f.value += `$${p.name}`;
        f.unresolved.push({ text: `$${p.name}`, span, reason: `variable ${p.name} is not assigned a literal value in this file` });
        continue;
      }
      const unresolved = v.unresolved.map((u) => ({ ...u, span }));
      if (p.quoted || !/\s/.test(v.text)) {
        const f = ensure();
        f.value += v.text;
        f.unresolved.push(...unresolved);
        continue;
      }
      const pieces = v.text.split(/[ \t\n]+/);
      pieces.forEach((piece, idx) => {
        if (idx > 0) {
          if (cur && (cur.value !== '' || cur.unresolved.length)) fields.push(cur);
          cur = undefined;
        }
        if (piece === '') return;
        const f = ensure();
        f.value += piece;
        f.unresolved.push(...unresolved);
      });
    }
    if (cur) fields.push(cur);
    else if (parts.length && parts.every((p) => p.kind === 'lit' && p.quoted)) fields.push({ value: '', unresolved: [] });
    return fields;
  }
}

/**
 * Commands that run the next word as the command (`sudo iptables …`,
 * `env LC_ALL=C nft …`), with the options of each that take a value. A
 * word after the wrapper that is not one of its options is the command.
 */
const WRAPPERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['sudo', new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-R', '-T', '-U', '--user', '--group', '--host', '--prompt', '--chdir', '--chroot'])],
  ['doas', new Set(['-u', '-C'])],
  ['env', new Set(['-u', '-C', '-S', '--unset', '--chdir'])],
  ['command', new Set()],
  ['builtin', new Set()],
  ['exec', new Set(['-a'])],
  ['nohup', new Set()],
  ['time', new Set(['-f', '-o'])],
  ['nice', new Set(['-n', '--adjustment'])],
  ['ionice', new Set(['-c', '-n', '-p', '--class', '--classdata'])],
  ['stdbuf', new Set(['-i', '-o', '-e'])],
  ['timeout', new Set(['-s', '-k', '--signal', '--kill-after'])],
]);

/** The words of the command a wrapper runs: `sudo -u root /sbin/iptables -A …` → `/sbin/iptables -A …`. */
export function stripWrappers(words: readonly ShellWord[]): readonly ShellWord[] {
  let i = 0;
  for (;;) {
    const w = words[i];
    if (!w || w.unresolved.length) return i === 0 ? words : words.slice(i);
    const name = w.value.slice(w.value.lastIndexOf('/') + 1);
    const valued = WRAPPERS.get(name);
    if (!valued || i + 1 >= words.length) return i === 0 ? words : words.slice(i);
    let j = i + 1;
    // `timeout 10 iptables …`: its duration comes first.
    let positional = name === 'timeout' ? 1 : 0;
    while (j < words.length) {
      const v = words[j].value;
      if (v === '--') {
        j++;
        break;
      }
      if (v.startsWith('-') && v.length > 1) {
        j += valued.has(v) ? 2 : 1;
        continue;
      }
      if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
        j++;
        continue;
      }
      if (positional > 0) {
        positional--;
        j++;
        continue;
      }
      break;
    }
    if (j >= words.length) return i === 0 ? words : words.slice(i);
    i = j;
  }
}

/** Reads a script into the simple commands it would run, loops unrolled and literal variables substituted. */
export function readShell(text: string, options: ShellOptions = {}): ShellScript {
  const expand = options.expand ?? true;
  const comments: Comment[] = [];
  const problems: ParseProblem[] = [];
  const raw = tokenize(text, expand, comments, problems);
  const nodes = expand ? structure(raw, problems) : raw.map((cmd) => ({ kind: 'cmd' as const, cmd }));
  // Without expansion nothing unrolls: the command count is the line count, so there is nothing to cap.
  const exec = new Executor(text, problems, options.maxCommands ?? (expand ? 100_000 : Number.POSITIVE_INFINITY));
  exec.run(nodes);
  return { commands: exec.out, comments, problems, sourced: exec.sourced };
}

/**
 * Reads one command of a line-oriented file that only borrows shell quoting
 * (iptables-save): from `start`, a line start, to the line break that ends
 * it. Plain words are sliced straight from the text; only words with quotes
 * or escapes go through the general word reader. Gives the words the
 * reader without expansion would give, and `next`, the offset after the
 * command's line break. `simple` is true when the command is the one line
 * from `start` to its line break (no continuation, no quote running on).
 */
export function readLineCommand(
  text: string,
  start: number,
  comments: Comment[],
  problems: ParseProblem[],
): { words: ShellWord[]; next: number; simple: boolean } {
  const words: ShellWord[] = [];
  const n = text.length;
  let i = start;
  let simple = true;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === 92 && (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10))) {
      i += text.charCodeAt(i + 1) === 10 ? 2 : 3;
      simple = false;
      continue;
    }
    if (code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xfeff) {
      i++;
      continue;
    }
    if (code === 10) return { words, next: i + 1, simple };
    if (code === 35) {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      let contentEnd = end;
      if (text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
      comments.push({ span: { start: i, end: contentEnd }, text: text.slice(i + 1, contentEnd).trim() });
      i = end;
      continue;
    }
    let j = i;
    while (j < n && isPlain(text.charCodeAt(j), false)) j++;
    const stop = j < n ? text[j] : '\n';
    if (isWordEnd(stop, false)) {
      const raw = text.slice(i, j);
      words.push({ value: raw, span: { start: i, end: j }, raw, exact: true, unresolved: NOTHING_UNRESOLVED });
      i = j;
      continue;
    }
    const word = readWord(text, i, false, problems);
    if (word.end === i) {
      i++;
      continue;
    }
    if (text.slice(i, word.end).includes('\n')) simple = false;
    if (word.parts.length) {
      let value = '';
      for (const p of word.parts) if (p.kind === 'lit') value += p.text;
      const raw = text.slice(i, word.end);
      words.push({ value, span: { start: i, end: word.end }, raw, exact: value === raw, unresolved: NOTHING_UNRESOLVED });
    }
    i = word.end;
  }
  return { words, next: n, simple };
}

/** The last path segment of a command name (`/usr/sbin/iptables` → `iptables`). */
export function commandName(word: ShellWord | undefined): string | undefined {
  if (!word) return undefined;
  const v = word.value;
  const slash = v.lastIndexOf('/');
  return slash >= 0 ? v.slice(slash + 1) : v;
}
