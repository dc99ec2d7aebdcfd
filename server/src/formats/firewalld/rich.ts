import type { ParseProblem, Span } from '../../model';
import type { AddressMatch, Located, RichElement, RichRule } from './zone';

/**
 * The rich rule language of `firewall-cmd --add-rich-rule` (firewalld.richlanguage(5)):
 *   rule [family="ipv4|ipv6"] [priority="N"]
 *     [source [not] address="A"|mac="M"|ipset="S"] [destination [not] address="A"|ipset="S"]
 *     [service name=…|port port=… protocol=…|protocol value=…|icmp-block name=…|icmp-type name=…|
 *      masquerade|forward-port …|source-port port=… protocol=…|tcp-mss-clamp …]
 *     [log [prefix=…] [level=…] [limit value=…]] [audit [limit value=…]]
 *     [accept|reject [type=…]|drop|mark set=…] [limit value="rate/duration"]
 * `base` maps offsets in `text` to the file (when the text is the file's own
 * characters); otherwise every part points at `whole`.
 */

interface Token {
  readonly key: string;
  readonly value?: string;
  readonly span: Span;
}

const ELEMENTS = new Set(['service', 'port', 'protocol', 'icmp-block', 'icmp-type', 'masquerade', 'forward-port', 'source-port', 'tcp-mss-clamp']);

function tokens(text: string, at: (i: number, j: number) => Span): Token[] | string {
  const out: Token[] = [];
  const re = /\s*([A-Za-z][\w-]*)(?:=(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?/y;
  let i = 0;
  while (i < text.length) {
    const ws = /\s*/y;
    ws.lastIndex = i;
    ws.exec(text);
    if (ws.lastIndex >= text.length) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || m[0].length === 0) return `cannot read "${text.slice(i).trim().slice(0, 30)}" here`;
    const start = m.index + (m[0].length - m[0].trimStart().length);
    out.push({ key: m[1].toLowerCase(), value: m[2] ?? m[3] ?? m[4], span: at(start, m.index + m[0].length) });
    i = m.index + m[0].length;
    if (out.length > 64) return 'too many words for one rich rule';
  }
  return out;
}

export function parseRichRule(text: string, whole: Span, base: number | undefined, problems: ParseProblem[]): RichRule | undefined {
  const at = (i: number, j: number): Span => (base === undefined ? whole : { start: base + i, end: base + j });
  const fail = (message: string, span: Span = whole): undefined => {
    problems.push({ code: 'unparsed-rule', message: `rich rule not read: ${message}`, span, severity: 'warning' });
    return undefined;
  };
  const list = tokens(text, at);
  if (typeof list === 'string') return fail(list);
  if (list[0]?.key !== 'rule' || list[0].value !== undefined) return fail('a rich rule starts with the word "rule"', list[0]?.span ?? whole);
  let k = 1;
  const peek = (): Token | undefined => list[k];
  const located = (t: Token): Located => ({ value: t.value ?? '', span: t.span });
  let family: Located | undefined;
  let priority: Located<number> | undefined;
  let source: AddressMatch | undefined;
  let destination: AddressMatch | undefined;
  let element: RichElement | undefined;
  let action: RichRule['action'];
  while (peek() && (peek()?.key === 'family' || peek()?.key === 'priority')) {
    const t = list[k++];
    if (t.value === undefined) return fail(`${t.key} needs a value (${t.key}="…")`, t.span);
    if (t.key === 'family') family = located(t);
    else priority = { value: Number(t.value), span: t.span };
  }
  const addressMatch = (word: 'source' | 'destination'): AddressMatch | string => {
    const start = list[k++].span;
    let invert = false;
    if (peek()?.key === 'not' && peek()?.value === undefined) {
      invert = true;
      k++;
    }
    const t = peek();
    if (!t || t.value === undefined || !['address', 'mac', 'ipset'].includes(t.key)) return `${word} needs address="…"${word === 'source' ? ', mac="…"' : ''} or ipset="…"`;
    k++;
    const m: AddressMatch = { invert, span: { start: start.start, end: t.span.end }, [t.key]: located(t) };
    return m;
  };
  for (const word of ['source', 'destination'] as const) {
    if (peek()?.key === word && peek()?.value === undefined) {
      const m = addressMatch(word);
      if (typeof m === 'string') return fail(m);
      if (word === 'source') source = m;
      else destination = m;
    }
  }
  const attrs = (): Map<string, Token> => {
    const out = new Map<string, Token>();
    while (peek() && peek()?.value !== undefined) {
      const t = list[k++];
      out.set(t.key, t);
    }
    return out;
  };
  const e = peek();
  if (e && ELEMENTS.has(e.key) && e.value === undefined) {
    k++;
    const a = attrs();
    const span = { start: e.span.start, end: list[k - 1].span.end };
    const need = (name: string): Located | string => {
      const t = a.get(name);
      return t ? located(t) : `${e.key} needs ${name}="…"`;
    };
    if (e.key === 'service' || e.key === 'icmp-block' || e.key === 'icmp-type') {
      const name = need('name');
      if (typeof name === 'string') return fail(name, e.span);
      element = { kind: e.key, name, span };
    } else if (e.key === 'port' || e.key === 'source-port') {
      const port = need('port');
      const protocol = need('protocol');
      if (typeof port === 'string') return fail(port, e.span);
      if (typeof protocol === 'string') return fail(protocol, e.span);
      element = { kind: e.key, port, protocol, span };
    } else if (e.key === 'protocol') {
      const value = need('value');
      if (typeof value === 'string') return fail(value, e.span);
      element = { kind: 'protocol', value, span };
    } else element = { kind: e.key as 'masquerade' | 'forward-port' | 'tcp-mss-clamp', span };
  }
  for (;;) {
    const t = peek();
    if (!t) break;
    if ((t.key === 'log' || t.key === 'audit' || t.key === 'nflog') && t.value === undefined) {
      k++;
      attrs();
      if (peek()?.key === 'limit' && peek()?.value === undefined) {
        k++;
        attrs();
      }
      continue;
    }
    if (['accept', 'reject', 'drop', 'mark'].includes(t.key) && t.value === undefined && !action) {
      k++;
      attrs();
      let limit: string | undefined;
      if (peek()?.key === 'limit' && peek()?.value === undefined) {
        k++;
        limit = attrs().get('value')?.value ?? '';
      }
      action = { kind: t.key as 'accept' | 'reject' | 'drop' | 'mark', span: t.span, ...(limit !== undefined ? { limit } : {}) };
      continue;
    }
    return fail(`"${t.key}${t.value !== undefined ? `=${t.value}` : ''}" is not in the rich rule language here`, t.span);
  }
  if (!element && !action && !source && !destination) return fail('it matches nothing and does nothing');
  const key = list.map((t) => (t.value === undefined ? t.key : `${t.key}="${t.value}"`)).join(' ');
  return { span: whole, raw: text, key, family, priority, source, destination, element, action };
}
