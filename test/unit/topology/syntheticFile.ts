import { makeRule, type Comment, type FormatId, type ParsedFile, type Rule, type RuleSet } from '../../../server/src/model';

/**
 * A ParsedFile built by hand from a tiny line language, so annotation and
 * binding tests need no real parser:
 *   `# text`           a comment (also after code on the same line)
 *   `ruleset ID [NAME]` starts a rule set, `end` closes it
 *   `rule ...`          a rule inside it (`rule -i eth0` adds an interface-in condition)
 *   `applies in:outside` sets the rule set's appliesTo
 */
export function syntheticFile(text: string, uri = 'file:///work/site/test.rules', format: FormatId = 'iptables'): ParsedFile {
  const comments: Comment[] = [];
  const ruleSets: RuleSet[] = [];
  let open: { id: string; name: string; start: number; rules: Rule[]; appliesTo: string[] } | undefined;
  let offset = 0;
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) comments.push({ span: { start: offset + hash, end: offset + line.length }, text: line.slice(hash + 1).trim() });
    const code = (hash >= 0 ? line.slice(0, hash) : line).trim();
    const words = code.split(/\s+/);
    const lead = line.length - line.trimStart().length;
    if (words[0] === 'ruleset') open = { id: words[1], name: words[2] ?? words[1], start: offset + lead, rules: [], appliesTo: [] };
    else if (words[0] === 'applies' && open) open.appliesTo.push(...words.slice(1));
    else if (words[0] === 'rule' && open) {
      const i = words.indexOf('-i');
      const o = words.indexOf('-o');
      open.rules.push(
        makeRule({
          id: `line ${index + 1}`,
          target: { kind: 'allow' },
          direction: 'forward',
          span: { start: offset + lead, end: offset + line.length },
          raw: line,
          order: open.rules.length,
          conditions: [
            ...(i > 0 ? [{ kind: 'interface-in' as const, text: `-i ${words[i + 1]}`, effect: 'assume-match' as const }] : []),
            ...(o > 0 ? [{ kind: 'interface-out' as const, text: `-o ${words[o + 1]}`, effect: 'assume-match' as const }] : []),
          ],
        }),
      );
    } else if (words[0] === 'end' && open) {
      ruleSets.push({
        id: open.id,
        name: open.name,
        format,
        kind: 'test',
        semantics: 'first-match',
        directions: ['forward'],
        rules: open.rules,
        defaults: { forward: { value: 'deny' } },
        span: { start: open.start, end: offset + line.length },
        ...(open.appliesTo.length ? { appliesTo: open.appliesTo } : {}),
      });
      open = undefined;
    }
    offset += rawLine.length + 1;
  });
  return { uri, format, text, ruleSets, problems: [], comments };
}
