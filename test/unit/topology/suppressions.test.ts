import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySuppressions, findSuppressions } from '../../../server/src/analysis/suppressions';
import { LineIndex } from '../../../server/src/model';
import { syntheticFile } from './syntheticFile';
import { TEST_VOCABULARY } from './testVocabulary';
import { at } from './summary';

const CHECKS = TEST_VOCABULARY.checks;

interface FindCase {
  name: string;
  text: string;
  /** `kind ids @line (reason)` per suppression; line is 1-based, `-` for file-wide or none. */
  expected: string[];
  problems?: string[];
}

const findCases: FindCase[] = [
  { name: 'next-line, one id', text: '# citrix-flow-lint-disable-next-line missing-flow\nrule\n', expected: ['next-line missing-flow @2'] },
  {
    name: 'next-line, several ids and a reason',
    text: 'x\n# citrix-flow-lint-disable-next-line missing-flow, partial-flow -- VDAs here use TCP only\nrule\n',
    expected: ['next-line missing-flow,partial-flow @3 (VDAs here use TCP only)'],
  },
  { name: 'ids separated by spaces', text: '# citrix-flow-lint-disable-next-line missing-flow partial-flow\nrule\n', expected: ['next-line missing-flow,partial-flow @2'] },
  { name: 'whole file', text: 'a\n# citrix-flow-lint-disable shadowed-rule -- generated file\nb\n', expected: ['file shadowed-rule @- (generated file)'] },
  {
    name: 'next-line skips blank lines and comments (stacked directives and annotations)',
    text: '# citrix-flow-lint-disable-next-line missing-flow\n\n# citrix-role: vda\n# citrix-flow-lint-disable-next-line edt-needs-udp\nrule\n',
    expected: ['next-line missing-flow @5', 'next-line edt-needs-udp @5'],
  },
  { name: 'at the end of the file it covers nothing', text: 'rule\n# citrix-flow-lint-disable-next-line missing-flow\n', expected: ['next-line missing-flow @-'] },
  { name: 'a trailing comment covers the line after it', text: 'rule # citrix-flow-lint-disable-next-line missing-flow\nrule2\n', expected: ['next-line missing-flow @2'] },
  {
    name: 'unknown ids are reported with a suggestion; known ones still count',
    text: '# citrix-flow-lint-disable-next-line missing-flows, partial-flow\nrule\n',
    expected: ['next-line partial-flow @2'],
    problems: ['unknown-check 1:38-1:51 missing-flow'],
  },
  { name: 'a directive with no id', text: '# citrix-flow-lint-disable-next-line -- because\nrule\n', expected: ['next-line  @2 (because)'], problems: ['no-check-id 1:3-1:37'] },
  { name: 'longer words are not the directive', text: '# citrix-flow-lint-disabled missing-flow\n# xcitrix-flow-lint-disable missing-flow\nrule\n', expected: [] },
  { name: 'CRLF', text: '# citrix-flow-lint-disable-next-line missing-flow\r\n\r\nrule\r\n', expected: ['next-line missing-flow @3'] },
];

for (const c of findCases) {
  test(`findSuppressions: ${c.name}`, () => {
    const file = syntheticFile(c.text);
    const found = findSuppressions(file, CHECKS);
    assert.deepEqual(
      found.map((s) => `${s.kind} ${s.checkIds.map((i) => i.id).join(',')} @${s.appliesToLine === undefined ? '-' : s.appliesToLine + 1}${s.reason ? ` (${s.reason})` : ''}`),
      c.expected,
    );
    assert.deepEqual(
      found.flatMap((s) => s.problems.map((p) => `${p.code} ${at(c.text, p.span)}${p.suggestion ? ` ${p.suggestion}` : ''}`)),
      c.problems ?? [],
    );
    for (const s of found) for (const id of s.checkIds) assert.equal(c.text.slice(id.span.start, id.span.end), id.id, 'id spans are exact');
  });
}

test('applySuppressions: kept, suppressed and unused', () => {
  const text = [
    '# citrix-flow-lint-disable shadowed-rule', // 1
    'ruleset a', // 2
    '# citrix-flow-lint-disable-next-line missing-flow, partial-flow -- TCP only here', // 3
    'rule one', // 4
    'rule two', // 5
    '# citrix-flow-lint-disable-next-line exposed-to-internet', // 6
    'rule three', // 7
    'end', // 8
  ].join('\n');
  const file = syntheticFile(text, 'file:///a.rules');
  const lines = new LineIndex(text);
  const onLine = (line: number, checkId: string, uri = file.uri) => ({ checkId, uri, span: { start: lines.lineStart(line - 1) + 2, end: lines.lineEnd(line - 1) }, line });
  const findings = [
    onLine(4, 'missing-flow'), // suppressed by line 3
    onLine(5, 'missing-flow'), // kept: only the next line
    onLine(4, 'edt-needs-udp'), // kept: another check
    onLine(5, 'shadowed-rule'), // suppressed file-wide
    onLine(7, 'shadowed-rule'), // suppressed file-wide
    onLine(4, 'missing-flow', 'file:///other.rules'), // kept: another file
    { checkId: 'missing-flow', uri: file.uri, span: { start: lines.lineStart(1), end: lines.lineEnd(7) }, line: 2 }, // spans line 4: suppressed
  ];
  const { kept, suppressed, unused } = applySuppressions(findings, findSuppressions(file, CHECKS));
  assert.deepEqual(kept.map((f) => `${f.checkId}@${f.line}${f.uri === file.uri ? '' : ' other'}`), ['missing-flow@5', 'edt-needs-udp@4', 'missing-flow@4 other']);
  assert.deepEqual(suppressed.map((s) => `${s.finding.checkId}@${s.finding.line} by ${s.by.kind}`), [
    'missing-flow@4 by next-line',
    'shadowed-rule@5 by file',
    'shadowed-rule@7 by file',
    'missing-flow@2 by next-line',
  ]);
  assert.deepEqual(unused.map((u) => `${u.checkId.id} ${at(text, u.checkId.span)}`), ['partial-flow 3:52-3:64', 'exposed-to-internet 6:38-6:57']);
  assert.equal(suppressed[0].finding.line, 4, 'extra fields of findings are kept');
});

test('a finding on the line before or after is not covered', () => {
  const text = 'a\n# citrix-flow-lint-disable-next-line missing-flow\nb\nc\n';
  const file = syntheticFile(text);
  const lines = new LineIndex(text);
  const [s] = findSuppressions(file, CHECKS);
  const span = (l: number) => ({ start: lines.lineStart(l), end: lines.lineEnd(l) });
  const table: [number, boolean][] = [[0, false], [1, false], [2, true], [3, false]];
  for (const [line, covered] of table) {
    const r = applySuppressions([{ checkId: 'missing-flow', uri: file.uri, span: span(line) }], [s]);
    assert.equal(r.suppressed.length === 1, covered, `line ${line}`);
  }
  // A finding ending exactly where the covered line starts does not reach it.
  const r = applySuppressions([{ checkId: 'missing-flow', uri: file.uri, span: { start: 0, end: lines.lineStart(2) } }], [s]);
  assert.equal(r.suppressed.length, 0);
});
