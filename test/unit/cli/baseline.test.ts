import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type * as Sarif from 'sarif';
import { baselineCounts, fingerprint, makeBaseline, parseBaseline, splitByBaseline } from '../../../server/src/analysis/baseline';
import type { Finding } from '../../../server/src/analysis/findings';
import { cli, ensureBuilt, fixtureText, workspace, writeFiles } from '../../helpers/cli';

before(ensureBuilt);

const finding = (checkId: string, uri: string, flowId?: string, ruleSetId?: string): Finding => ({
  checkId,
  severity: 'error',
  uri,
  span: { start: 0, end: 1 },
  message: `${checkId} in ${uri}`,
  ...(flowId ? { flowId } : {}),
  ...(ruleSetId ? { data: { ruleSetId } } : {}),
});

test('baseline: fingerprints are check, flow, path and rule set', () => {
  const table: [Finding, string, string][] = [
    [finding('missing-flow', 'file:///a/vda.tf', 'cvad.x.ica', 'rs1'), 'vda.tf', 'missing-flow:cvad.x.ica:vda.tf:rs1'],
    [finding('shadowed-rule', 'file:///a/rules.v4', undefined, 'filter/INPUT'), 'rules.v4', 'shadowed-rule::rules.v4:filter/INPUT'],
    [finding('unparsed-rule', 'file:///a/x.asa'), 'sub/x.asa', 'unparsed-rule::sub/x.asa:'],
  ];
  for (const [f, rel, expected] of table) assert.equal(fingerprint(f, rel), expected);
});

test('baseline: findings are counted per fingerprint and never stand in for another file', () => {
  const a1 = finding('shadowed-rule', 'file:///w/a.v4', undefined, 'INPUT');
  const a2 = finding('shadowed-rule', 'file:///w/a.v4', undefined, 'INPUT');
  const b1 = finding('shadowed-rule', 'file:///w/b.v4', undefined, 'INPUT');
  const rel = (f: Finding): string => f.uri.slice('file:///w/'.length);
  const baseline = makeBaseline([{ finding: a1, file: 'a.v4', line: 3 }]);
  const table: [string, Finding[], Finding[]][] = [
    ['the one baselined', [a1], []],
    ['a second finding with the same key is new', [a1, a2], [a2]],
    ['the same finding in another file is new', [a1, b1], [b1]],
  ];
  for (const [what, findings, fresh] of table) {
    const split = splitByBaseline(findings, baselineCounts(baseline), (f) => fingerprint(f, rel(f)));
    assert.deepEqual(split.fresh, fresh, what);
    assert.equal(split.baselined.length + split.fresh.length, findings.length, what);
  }
});

test('baseline: a file that is not a baseline is refused with the reason', () => {
  const table: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[]', /expected an object/],
    ['{"version":2,"findings":[]}', /unsupported version 2/],
    ['{"version":1}', /"findings" must be a list/],
    ['{"version":1,"findings":[{"file":"a"}]}', /findings\[0\] has no "fingerprint"/],
  ];
  for (const [text, error] of table) {
    const r = parseBaseline(text);
    assert.ok('error' in r, text);
    assert.match(r.error, error);
  }
  const ok = parseBaseline('{"version":1,"findings":[{"fingerprint":"k","checkId":"missing-flow","file":"a.tf","line":3,"message":"m"}]}');
  assert.deepEqual(ok, { version: 1, findings: [{ fingerprint: 'k', checkId: 'missing-flow', file: 'a.tf', line: 3, message: 'm' }] });
});

const ROLES = 'checks/missing-flow/citrix-flows.yaml';

test('check --write-baseline, then --baseline: only new findings are reported and fail the run', () => {
  const dir = workspace({ 'citrix-flows.yaml': ROLES, 'vda.tf': 'checks/missing-flow/bad.tf' });
  const write = cli(['check', '--write-baseline', 'baseline.json'], dir);
  assert.equal(write.status, 0, write.stdout + write.stderr);
  assert.match(write.stderr, /wrote 1 finding to the baseline baseline\.json/);
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'baseline.json'), 'utf8')) as { version: number; findings: Record<string, unknown>[] };
  assert.equal(written.version, 1);
  assert.equal(written.findings.length, 1);
  const { fingerprint: key, message, ...rest } = written.findings[0] as { fingerprint: string; message: string };
  assert.deepEqual(rest, { checkId: 'missing-flow', file: 'vda.tf', line: 20 });
  assert.match(message, /TCP 2598/);
  // check : flow : path : rule set
  assert.match(key, /^missing-flow:gateway\.gateway-snip-to-vda\.ica-session-reliability:vda\.tf:.+$/);

  const same = cli(['check', '--baseline', 'baseline.json'], dir);
  assert.equal(same.status, 0, same.stdout);
  assert.doesNotMatch(same.stdout, /missing-flow/);
  assert.match(same.stdout, /^No problems in 1 file with 1 rule set; \d+ required flows checked; 1 in the baseline\.\n$/);

  // Lines added above the finding do not make it new.
  fs.writeFileSync(path.join(dir, 'vda.tf'), `# moved down\n\n${fixtureText('checks/missing-flow/bad.tf')}`);
  assert.equal(cli(['check', '--baseline', 'baseline.json'], dir).status, 0);

  // From another working directory the baseline's paths still match (they are relative to the baseline file).
  fs.mkdirSync(path.join(dir, 'elsewhere'));
  const away = cli(['check', '..', '--baseline', '../baseline.json'], path.join(dir, 'elsewhere'));
  assert.equal(away.status, 0, away.stdout);

  // The same finding in a second file is new: findings of different files never collapse.
  writeFiles(dir, { 'copy/vda.tf': 'checks/missing-flow/bad.tf' });
  const json = cli(['check', '--baseline', 'baseline.json', '--format', 'json'], dir);
  assert.equal(json.status, 1, json.stdout);
  const out = JSON.parse(json.stdout) as { findings: { checkId: string; file: string }[] };
  assert.deepEqual(out.findings.map((f) => `${f.checkId} ${f.file}`), ['missing-flow copy/vda.tf']);

  const compact = cli(['check', '--baseline', 'baseline.json', '--format', 'compact'], dir);
  assert.deepEqual(compact.stdout.trim().split('\n').map((l) => l.split(':')[0]), ['copy/vda.tf']);

  // SARIF keeps baselined results, marked unchanged, so code scanning does not close their alerts.
  const sarif = JSON.parse(cli(['check', '--baseline', 'baseline.json', '--format', 'sarif'], dir).stdout) as Sarif.Log;
  const states = (sarif.runs[0].results ?? []).map((r) => `${r.locations?.[0].physicalLocation?.artifactLocation?.uri} ${r.baselineState}`).sort();
  assert.deepEqual(states, ['copy/vda.tf new', 'vda.tf unchanged']);
});

test('check --baseline: usage errors exit 2', () => {
  const dir = workspace({ 'citrix-flows.yaml': ROLES, 'vda.tf': 'checks/missing-flow/bad.tf', 'broken.json': '{ not json\n', 'other.json': '{"version":7,"findings":[]}\n' });
  const table: [string[], RegExp][] = [
    [['--baseline', 'nowhere.json'], /cannot read the baseline nowhere\.json/],
    [['--baseline', 'broken.json'], /the baseline broken\.json is not one citrix-flow-lint wrote: not JSON/],
    [['--baseline', 'other.json'], /unsupported version 7/],
    [['--baseline', 'other.json', '--write-baseline', 'x.json'], /do not go together/],
    [['--write-baseline', 'no/such/folder/b.json'], /cannot write the baseline/],
  ];
  for (const [args, message] of table) {
    const r = cli(['check', ...args], dir);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
