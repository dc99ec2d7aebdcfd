import type { Comment, ParseProblem, Span } from '../../model';

/**
 * The XML firewalld writes and reads: elements, attributes, comments, the
 * declaration, text. Not a validating parser: an unclosed or stray tag is
 * reported at its place and reading goes on, so a half-typed zone still
 * shows its rules. Entities are decoded for the five XML names and numeric
 * references; DOCTYPE and CDATA are skipped whole.
 */

export interface XmlAttribute {
  readonly value: string;
  readonly span: Span;
}

export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, XmlAttribute>;
  /** From `<` to the end of `/>` or of the closing tag (or of the open tag when the closing one is missing). */
  span: Span;
  /** The open tag alone. */
  readonly open: Span;
  /** Where the closing tag starts (`</name>`), when there is one: new children go before it. */
  closeStart?: number;
  readonly children: XmlElement[];
  text: string;
}

export interface XmlDocument {
  readonly roots: readonly XmlElement[];
  readonly comments: readonly Comment[];
  readonly problems: readonly ParseProblem[];
}

const MAX_DEPTH = 64;
const MAX_ELEMENTS = 20_000;
const NAME = /[A-Za-z_:][\w:.-]*/y;
const ATTR = /\s*([A-Za-z_:][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const n = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
  });
}

export function parseXml(text: string): XmlDocument {
  const roots: XmlElement[] = [];
  const comments: Comment[] = [];
  const problems: ParseProblem[] = [];
  const stack: XmlElement[] = [];
  const problem = (message: string, span: Span, severity: ParseProblem['severity'] = 'error'): void => {
    if (problems.length < 200) problems.push({ code: 'syntax-error', message, span, severity });
  };
  let count = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i && stack.length) stack[stack.length - 1].text += text.slice(i, textEnd);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      const stop = end < 0 ? n : end + 3;
      comments.push({ span: { start: i, end: stop }, text: text.slice(i + 4, end < 0 ? n : end).trim() });
      if (end < 0) problem('this comment is never closed (-->)', { start: i, end: i + 4 });
      i = stop;
      continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) {
      const close = text.startsWith('<![CDATA[', i) ? ']]>' : text.startsWith('<?', i) ? '?>' : '>';
      const end = text.indexOf(close, i + 2);
      i = end < 0 ? n : end + close.length;
      continue;
    }
    if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      const gt = text.indexOf('>', i);
      const end = gt < 0 ? n : gt + 1;
      const name = m ? m[0] : '';
      const at = stack.map((e) => e.name).lastIndexOf(name);
      if (at < 0) {
        problem(`</${name}> closes no open element`, { start: i, end });
      } else {
        while (stack.length > at + 1) {
          const open = stack.pop() as XmlElement;
          problem(`<${open.name}> is never closed`, open.open);
        }
        const el = stack.pop() as XmlElement;
        el.closeStart = i;
        el.span = { start: el.span.start, end };
      }
      i = end;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) {
      problem('"<" does not start a tag here (write &lt; in text)', { start: i, end: Math.min(n, i + 1) });
      i++;
      continue;
    }
    let j = i + 1 + m[0].length;
    const attrs = new Map<string, XmlAttribute>();
    for (;;) {
      ATTR.lastIndex = j;
      const a = ATTR.exec(text);
      if (!a) break;
      const quoted = a[3] ?? a[4] ?? '';
      const valueStart = a.index + a[0].length - quoted.length - 1;
      if (attrs.has(a[1])) problem(`attribute ${a[1]} is given twice`, { start: a.index, end: a.index + a[0].length });
      attrs.set(a[1], { value: decodeEntities(quoted), span: { start: valueStart, end: valueStart + quoted.length } });
      j = a.index + a[0].length;
    }
    while (j < n && /\s/.test(text[j])) j++;
    let selfClosing = false;
    let end: number;
    if (text.startsWith('/>', j)) {
      selfClosing = true;
      end = j + 2;
    } else if (text[j] === '>') end = j + 1;
    else {
      const gt = text.indexOf('>', j);
      const nextLt = text.indexOf('<', j);
      end = gt < 0 || (nextLt >= 0 && nextLt < gt) ? (nextLt < 0 ? n : nextLt) : gt + 1;
      problem(`the tag <${m[0]}> is not well formed here (attributes are name="value")`, { start: Math.min(j, n), end: Math.min(n, Math.max(j + 1, end)) });
      selfClosing = text[end - 2] === '/';
    }
    const el: XmlElement = { name: m[0], attrs, span: { start: i, end }, open: { start: i, end }, children: [], text: '' };
    if (++count > MAX_ELEMENTS) {
      problems.push({ code: 'limit', message: `more than ${MAX_ELEMENTS} elements: the rest of the file is not read`, span: el.open, severity: 'warning' });
      break;
    }
    if (stack.length) stack[stack.length - 1].children.push(el);
    else roots.push(el);
    if (!selfClosing) {
      if (stack.length >= MAX_DEPTH) problem(`elements nest deeper than ${MAX_DEPTH}`, el.open);
      else stack.push(el);
    }
    i = end;
  }
  while (stack.length) {
    const open = stack.pop() as XmlElement;
    problem(`<${open.name}> is never closed`, open.open);
  }
  return { roots, comments, problems };
}
