import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRoleAnnotations } from '../../../server/src/topology';
import { syntheticFile } from './syntheticFile';
import { TEST_VOCABULARY } from './testVocabulary';
import { at } from './summary';

interface Case {
  name: string;
  text: string;
  /** `roles -> rule set ids` (or `file`) per annotation, in order. */
  annotations: string[];
  problems?: string[];
}

const cases: Case[] = [
  {
    name: 'directly above a rule set',
    text: '# citrix-role: vda\nruleset nsg-vda\nrule\nend\nruleset nsg-sf\nend\n',
    annotations: ['vda -> nsg-vda'],
  },
  {
    name: 'two roles, comma separated, with no space after the colon',
    text: 'ruleset a\nend\n# citrix-role:vda, storefront\nruleset b\nend\n',
    annotations: ['vda,storefront -> b'],
  },
  {
    name: 'blank lines and other comments between annotation and rule set',
    text: 'ruleset a\nend\n\n# citrix-role: storefront\n\n# StoreFront servers, both sites\n# citrix-flow-lint-disable-next-line missing-flow\nruleset b\nend\n',
    annotations: ['storefront -> b'],
  },
  {
    name: 'top of the file, not directly above a rule set, binds every rule set',
    text: '# citrix-role: vda\n\nset x 1\nruleset a\nend\nruleset b\nend\n',
    annotations: ['vda -> file'],
  },
  {
    name: 'a header at the top of the file, set off by a blank line, binds every rule set',
    text: '# Site A\n# citrix-role: storefront\n\nruleset a\nend\nruleset b\nend\n',
    annotations: ['storefront -> file'],
  },
  {
    name: 'further down, blank lines between annotation and rule set are skipped',
    text: 'ruleset a\nend\n# citrix-role: vda\n\n\nruleset b\nend\n',
    annotations: ['vda -> b'],
  },
  {
    name: 'top of the file but directly above the first rule set binds only it',
    text: '# citrix-role: vda\nruleset a\nend\nruleset b\nend\n',
    annotations: ['vda -> a'],
  },
  {
    name: 'inside a rule set, above its rules, binds the enclosing rule set',
    text: 'ruleset a\nend\nruleset b\n  # citrix-role: gateway-snip\n  rule\nend\n',
    annotations: ['gateway-snip -> b'],
  },
  {
    name: 'between rule sets, above no rule set, binds nothing and says so',
    text: 'ruleset a\nend\n# citrix-role: vda\nset x 1\nruleset b\nend\n',
    annotations: [],
    problems: ['unmatched-binding 3:3-3:14'],
  },
  {
    name: 'a file without rule sets still records a file-wide annotation',
    text: '# citrix-role: vda\n',
    annotations: ['vda -> file'],
  },
  {
    name: 'aliases are normalized, with an info hint',
    text: '# citrix-role: Delivery Controller, DDC\nruleset a\nend\n',
    annotations: ['delivery-controller -> a'],
    problems: ['role-alias 1:16-1:35 delivery-controller', 'role-alias 1:37-1:40 delivery-controller'],
  },
  {
    name: 'unknown ids: a problem at the exact id, with a suggestion; known ids still bind',
    text: 'ruleset a\nend\n# citrix-role: storefrnt, vda\nruleset b\nend\n',
    annotations: ['vda -> b'],
    problems: ['unknown-role 3:16-3:25 storefront'],
  },
  {
    name: 'space separated ids are read one by one',
    text: '# citrix-role: vda storefrnt\nruleset a\nend\n',
    annotations: ['vda -> a'],
    problems: ['unknown-role 1:20-1:29 storefront'],
  },
  {
    name: 'only unknown ids: nothing binds',
    text: '# citrix-role: mail-relay\nruleset a\nend\n',
    annotations: [],
    problems: ['unknown-role 1:16-1:26'],
  },
  {
    name: 'empty annotation',
    text: '# citrix-role:\nruleset a\nend\n',
    annotations: [],
    problems: ['unknown-role 1:3-1:14'],
  },
  {
    name: 'trailing reason after -- is not a role',
    text: '# citrix-role: vda -- pooled desktops\nruleset a\nend\n',
    annotations: ['vda -> a'],
  },
  {
    name: 'mentioned in prose without a colon is not an annotation',
    text: '# see the citrix-role docs\nruleset a\nend\n# my-citrix-role: vda\nruleset b\nend\n',
    annotations: [],
  },
  {
    name: 'CRLF line endings and a BOM',
    text: '\uFEFF# citrix-role: vda\r\n\r\nruleset a\r\nend\r\n# citrix-role: storefront\r\nruleset b\r\nend\r\n',
    annotations: ['vda -> file', 'storefront -> b'],
  },
  {
    name: 'non-ASCII text before the id keeps UTF-16 offsets',
    text: '# Münchner VDAs 🖥 citrix-role: vdx\nruleset a\nend\n',
    annotations: [],
    problems: ['unknown-role 1:33-1:36 vda'],
  },
];

for (const c of cases) {
  test(`annotation: ${c.name}`, () => {
    const file = syntheticFile(c.text);
    const { annotations, problems } = findRoleAnnotations(file, TEST_VOCABULARY);
    const shown = annotations.map((a) => `${a.roles.map((r) => r.id).join(',')} -> ${a.scope === 'file' ? 'file' : a.ruleSetIds?.join(',')}`);
    assert.deepEqual(shown, c.annotations);
    assert.deepEqual(
      problems.map((p) => `${p.code} ${at(c.text, p.span)}${p.suggestion ? ` ${p.suggestion}` : ''}`),
      c.problems ?? [],
    );
    for (const a of annotations) {
      assert.equal(a.scope === 'file', a.ruleSetId === undefined, 'ruleSetId is undefined exactly for file-wide annotations');
      for (const r of a.roles) assert.ok(file.text.slice(r.span.start, r.span.end).length > 0);
    }
  });
}

test('annotation role spans point at the ids as written', () => {
  const text = '# citrix-role: vda,  storefront\nruleset a\nend\n';
  const [a] = findRoleAnnotations(syntheticFile(text), TEST_VOCABULARY).annotations;
  assert.deepEqual(a.roles.map((r) => text.slice(r.span.start, r.span.end)), ['vda', 'storefront']);
});

test('a comment span that excludes the leader works the same', () => {
  const text = '// citrix-role: vda\nruleset a\nend\n';
  const base = syntheticFile('ruleset a\nend\n');
  const file = { ...syntheticFile(text), comments: [{ span: { start: 3, end: 19 }, text: 'citrix-role: vda' }] };
  assert.equal(base.ruleSets.length, 1);
  const { annotations } = findRoleAnnotations(file, TEST_VOCABULARY);
  assert.deepEqual(annotations.map((a) => [a.ruleSetId, text.slice(a.roles[0].span.start, a.roles[0].span.end)]), [['a', 'vda']]);
});
