/**
 * Where in citrix-flows.yaml an offset is, from the text alone, so completion
 * works while the file is half typed (when the YAML parser would give up):
 * the top-level section, and whether the cursor is at a key or a value and
 * of which key.
 */
export interface YamlPlace {
  /** Top-level key the offset is under; undefined at the top level itself. */
  readonly section?: string;
  readonly position: 'key' | 'value';
  /** For a key: the key owning the map the key goes in. For a value: the key the value belongs to. */
  readonly key?: string;
  /** Whether the owning key sits directly under the section (`roles:` → `vda:`), not deeper. */
  readonly depth: number;
}

interface Line {
  readonly start: number;
  readonly text: string;
}

function lineAround(text: string, offset: number): Line {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r') start--;
  return { start, text: text.slice(start, offset) };
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

/** The key of `key:` at the start of a line's content (after `- `), or undefined. */
function leadingKey(content: string): string | undefined {
  let s = content;
  if (s.startsWith('- ')) s = s.slice(2).trimStart();
  const colon = s.indexOf(':');
  if (colon <= 0) return undefined;
  const key = s.slice(0, colon).trim().replace(/^["']|["']$/g, '');
  return /^[A-Za-z0-9_.\-]+$/.test(key) ? key : undefined;
}

/** Previous lines (nearest first) with content, as [indent, content]. */
function* linesAbove(text: string, before: number): Generator<{ indent: number; content: string }> {
  let end = before;
  while (end > 0) {
    let start = end - 1;
    // Skip the line break that ends the previous line.
    if (text[start] === '\n') start--;
    if (start >= 0 && text[start] === '\r') start--;
    const lineEnd = start + 1;
    while (start >= 0 && text[start] !== '\n' && text[start] !== '\r') start--;
    const raw = text.slice(start + 1, lineEnd);
    end = start + 1;
    if (start < 0) end = 0;
    const indent = indentOf(raw);
    const content = raw.slice(indent);
    if (content === '' || content.startsWith('#')) {
      if (end === 0) return;
      continue;
    }
    yield { indent, content };
    if (end === 0) return;
  }
}

/** Inside flow collections on this line: the stack of open brackets with the key that opened each. */
function flowStack(segment: string): { bracket: '[' | '{'; key?: string; at: number }[] {
  const stack: { bracket: '[' | '{'; key?: string; at: number }[] = [];
  let quote: string | undefined;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      const before = segment.slice(0, i).trimEnd();
      let key: string | undefined;
      if (before.endsWith(':')) {
        const m = /([A-Za-z0-9_.\-"']+)\s*:$/.exec(before);
        key = m?.[1].replace(/^["']|["']$/g, '');
      }
      stack.push({ bracket: c, key, at: i });
    } else if ((c === ']' || c === '}') && stack.length) stack.pop();
  }
  return stack;
}

export function yamlPlace(text: string, offset: number): YamlPlace {
  const line = lineAround(text, offset);
  const indent = indentOf(line.text);
  const content = line.text.slice(indent);
  const isItem = content.startsWith('- ') || content === '-';

  // The chain of owning keys, from the nearest line above with less indentation up to the top level.
  const owners: string[] = [];
  let limit = indent;
  // A list item's owner sits at the same or lower indentation ("roles:\n- vda").
  if (isItem) limit++;
  for (const above of linesAbove(text, line.start)) {
    if (above.indent >= limit) continue;
    const key = leadingKey(above.content);
    if (above.content.startsWith('-')) {
      // `- files: x` opens a map whose keys sit after the dash: a key there at our
      // indentation is a sibling, not an owner; the list's owner may share the dash's column.
      const keyIndent = above.indent + 1 + indentOf(above.content.slice(1));
      if (key && keyIndent < limit) owners.unshift(key);
      limit = above.indent + 1;
      continue;
    }
    if (key) owners.unshift(key);
    limit = above.indent;
    if (limit === 0) break;
  }

  const stack = flowStack(content);
  let position: 'key' | 'value';
  let key: string | undefined;
  const lineKey = leadingKey(content);
  if (stack.length) {
    const top = stack[stack.length - 1];
    const inner = content.slice(top.at + 1);
    const lastSep = Math.max(inner.lastIndexOf(','), -1);
    const tail = inner.slice(lastSep + 1);
    if (top.bracket === '[') {
      position = 'value';
      key = top.key ?? lineKey;
    } else if (tail.includes(':')) {
      position = 'value';
      key = tail.slice(0, tail.indexOf(':')).trim();
    } else {
      position = 'key';
      key = top.key ?? lineKey;
    }
    // Every open bracket but the innermost adds a level under the line's own key.
    const levels = stack.filter((s) => s.key !== undefined).map((s) => s.key as string);
    const chain = [...owners, ...levels];
    if (position === 'key') return place(chain, 'key', key);
    return place(position === 'value' && top.bracket === '[' ? chain : [...chain, key ?? ''], 'value', key);
  }
  const body = isItem ? content.slice(1).trimStart() : content;
  if (lineKey && body.includes(':')) {
    position = 'value';
    key = lineKey;
    return place([...owners, key], position, key);
  }
  if (isItem && owners.length) {
    // `- vda` under `roles:` is a value of roles; `- files` under `bindings:` starts a map item.
    const owner = owners[owners.length - 1];
    if (owner === 'roles' && owners.length > 1) return place(owners, 'value', owner);
    return place(owners, 'key', owner);
  }
  return place(owners, 'key', owners[owners.length - 1]);
}

function place(chain: readonly string[], position: 'key' | 'value', key: string | undefined): YamlPlace {
  return { section: chain[0], position, key, depth: Math.max(0, chain.length - 1) };
}
