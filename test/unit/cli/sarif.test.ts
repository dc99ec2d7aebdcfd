import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type * as Sarif from 'sarif';
import { allCheckIds } from '../../../server/src/analysis/checks';
import { helpUri } from '../../../server/src/cli/sarif';
import { cli, ensureBuilt, fixtureText, workspace } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';
import { sarifValidator } from '../../helpers/sarif';

before(ensureBuilt);

const ROLES = 'checks/missing-flow/citrix-flows.yaml';
const BAD = workspace({ 'citrix-flows.yaml': ROLES, 'vda.tf': 'checks/missing-flow/bad.tf' });
const GOOD = workspace({ 'citrix-flows.yaml': ROLES, 'vda.tf': 'checks/missing-flow/good.tf' });
/** bad.tf with its one missing-flow finding silenced by a comment with a reason. */
const SUPPRESSED = workspace({
  'citrix-flows.yaml': ROLES,
  'vda.tf': fixtureText('checks/missing-flow/bad.tf').replace(
    '\n  security_rule {\n    name                       = "DenyAllInbound"',
    '\n  # citrix-flow-lint-disable-next-line missing-flow -- session reliability is off at this site until CHG-1234\n  security_rule {\n    name                       = "DenyAllInbound"',
  ),
  'notes.txt': 'nothing a firewall would read\n',
});

function sarifOf(args: string[], cwd: string): Sarif.Log {
  const r = cli(['check', '--format', 'sarif', ...args], cwd);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return JSON.parse(r.stdout) as Sarif.Log;
}

test('sarif: every log validates against the SARIF 2.1.0 schema', () => {
  const validate = sarifValidator();
  const table: [string, string[], string][] = [
    ['findings', [], BAD],
    ['no findings', [], GOOD],
    ['a suppressed finding and a skipped file', ['.', 'notes.txt', '--skip-unsupported'], SUPPRESSED],
    ['a docs URL', ['--docs-url', 'https://example.com/docs/checks/'], BAD],
  ];
  for (const [what, args, dir] of table) {
    const log = sarifOf(args, dir);
    assert.ok(validate(log), `${what}: ${JSON.stringify(validate.errors, null, 1)}`);
    assert.equal(log.version, '2.1.0');
    const { rules = [] } = log.runs[0].tool.driver;
    assert.deepEqual(rules.map((x) => x.id).sort(), [...allCheckIds()].sort(), what);
    for (const result of log.runs[0].results ?? []) assert.equal(rules[result.ruleIndex as number].id, result.ruleId, what);
  }
});

test('sarif: each rule carries its docs page as help, and never a file:// helpUri', () => {
  const log = sarifOf([], BAD);
  for (const rule of log.runs[0].tool.driver.rules ?? []) {
    const page = fs.readFileSync(path.join(repoRoot(), 'docs', 'checks', `${rule.id}.md`), 'utf8');
    assert.equal(rule.helpUri, undefined, `${rule.id}: no helpUri without --docs-url`);
    assert.ok(rule.help?.markdown, `${rule.id} has help.markdown`);
    assert.ok(!rule.help.markdown.startsWith(`# ${rule.id}`), 'the heading that repeats the id is dropped');
    assert.doesNotMatch(rule.help.markdown, /<!--/, 'example markers are dropped');
    // Every paragraph of the page is in the help.
    const firstSection = page.split('\n## ')[1].split('\n').slice(1).join('\n').trim().split('\n\n')[0];
    assert.ok(rule.help.markdown.includes(firstSection), `${rule.id}: ${firstSection.slice(0, 60)}`);
    assert.ok(rule.help.text.length > 100, rule.id);
    assert.doesNotMatch(rule.help.text, /\*\*|\]\(/, `${rule.id}: help.text has no Markdown emphasis or link syntax`);
  }
  assert.doesNotMatch(JSON.stringify(log.runs[0].tool), /file:/, 'nothing in the tool description points at this machine');
});

test('sarif: --docs-url gives each rule a public helpUri', () => {
  const table: [string, string, string][] = [
    ['https://example.com/docs/checks/', 'missing-flow', 'https://example.com/docs/checks/missing-flow.md'],
    ['https://example.com/docs/checks', 'missing-flow', 'https://example.com/docs/checks/missing-flow.md'],
    ['https://docs.example.com/checks/{id}.html', 'shadowed-rule', 'https://docs.example.com/checks/shadowed-rule.html'],
  ];
  for (const [base, id, expected] of table) assert.equal(helpUri(base, id), expected);
  assert.equal(helpUri(undefined, 'missing-flow'), undefined);
  const log = sarifOf(['--docs-url', 'https://github.com/acme/citrix-flow-lint/blob/v1/docs/checks/'], BAD);
  const rule = log.runs[0].tool.driver.rules?.find((r) => r.id === 'missing-flow');
  assert.equal(rule?.helpUri, 'https://github.com/acme/citrix-flow-lint/blob/v1/docs/checks/missing-flow.md');
});

test('sarif: a suppressed finding is a result with an in-source suppression and its justification', () => {
  const log = sarifOf(['.', 'notes.txt', '--skip-unsupported'], SUPPRESSED);
  const results = log.runs[0].results ?? [];
  const missing = results.filter((r) => r.ruleId === 'missing-flow');
  assert.equal(missing.length, 1, JSON.stringify(results, null, 1));
  assert.deepEqual(missing[0].suppressions, [{ kind: 'inSource', justification: 'session reliability is off at this site until CHG-1234' }]);
  assert.equal(missing[0].locations?.[0].physicalLocation?.region?.startLine, 21); // the rule's name line, below the suppression comment
  // Unsuppressed results carry no suppressions at all (code scanning reads an empty list as "not suppressed" too, but say nothing).
  for (const r of results.filter((x) => x !== missing[0])) assert.equal(r.suppressions, undefined);
  // The text report does not list it, and the exit status ignores it.
  const text = cli(['check'], SUPPRESSED);
  assert.equal(text.status, 0, text.stdout);
  assert.match(text.stdout, /; 1 suppressed\./);
});

test('sarif: skipped files are tool execution notifications, not results', () => {
  // A named path that does not exist is a usage error (exit 2, no log); a named file in no format is skipped on request.
  assert.equal(cli(['check', '--format', 'sarif', 'vda.tf', 'missing.tf'], SUPPRESSED).status, 2);
  const log = sarifOf(['vda.tf', 'notes.txt', '--skip-unsupported'], SUPPRESSED);
  const invocation = log.runs[0].invocations?.[0];
  assert.equal(invocation?.executionSuccessful, true);
  const notes = invocation?.toolExecutionNotifications ?? [];
  const byFile = new Map(notes.map((n) => [n.locations?.[0].physicalLocation?.artifactLocation?.uri, n]));
  assert.deepEqual([...byFile.keys()].sort(), ['notes.txt']);
  for (const n of notes) {
    assert.equal(n.level, 'warning');
    assert.equal(n.descriptor?.id, 'skipped-file');
  }
  assert.match(byFile.get('notes.txt')?.message.text ?? '', /^Skipped notes\.txt: /);
  assert.ok(log.runs[0].tool.driver.notifications?.some((d) => d.id === 'skipped-file'));
});
