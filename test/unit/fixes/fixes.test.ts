import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { stripComments } from 'jsonc-parser';
import { parseDocument } from 'yaml';
import { analyzeParsed, readTopology, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import { fixesFor, type CodeFix } from '../../../server/src/analysis/fixes';
import type { Finding } from '../../../server/src/analysis/findings';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { applyEdits } from '../../../server/src/model/edits';
import type { FormatId, ParsedFile } from '../../../server/src/model';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { fixturePath } from '../../helpers/fixtures';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * Every "Allow …" quick fix, in every shape of every cloud format: apply it,
 * re-parse (and re-read with an independent parser where one exists),
 * re-analyse. The finding must be gone, no rule that was there may change,
 * no parse problem may appear, and the file after "allow all" must equal the
 * `<input>.fixed` snapshot a person checked.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = (() => {
  try {
    return (require('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<unknown> }).parse;
  } catch {
    return undefined;
  }
})();

const FLOW_CHECKS = new Set(['missing-flow', 'partial-flow', 'edt-needs-udp']);
const FORMATS: readonly { folder: string; format: FormatId }[] = [
  { folder: 'terraform', format: 'terraform' },
  { folder: 'bicep', format: 'bicep' },
  { folder: 'arm', format: 'arm' },
  { folder: 'cloudformation', format: 'cloudformation' },
];
const TOPOLOGY_URI = 'file:///ws/citrix-flows.yaml';

before(async () => {
  await initTreeSitter();
});

function inputs(folder: string): string[] {
  const dir = fixturePath('fixes', folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.endsWith('.fixed') && !f.endsWith('.yaml') && !f.endsWith('.expected.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** `<input>.citrix-flows.yaml` when the fixture needs its own topology, else the one in its folder. */
function topologyFor(input: string): string {
  const own = `${input}.citrix-flows.yaml`;
  return fs.readFileSync(fs.existsSync(own) ? own : path.join(path.dirname(input), 'citrix-flows.yaml'), 'utf8');
}

interface Run {
  file: ParsedFile;
  analysis: WorkspaceAnalysis;
}

function run(format: FormatId, text: string, uri: string, topologyText: string): Run {
  const file = parseAs(format, text, uri);
  const analysis = analyzeParsed([file], readTopology(topologyText, TOPOLOGY_URI));
  return { file, analysis };
}

/** What a rule means, without where it is written (insertions move lines) and without `line N` ids. */
function ruleFacts(file: ParsedFile): string[] {
  const snap = snapshotParsedFile(file) as { ruleSets: { id: string; rules: Record<string, unknown>[] }[] };
  const out: string[] = [];
  for (const rs of snap.ruleSets) {
    for (const r of rs.rules) {
      const { at: _at, fieldSpans: _spans, id, ...rest } = r;
      out.push(JSON.stringify({ ruleSet: rs.id, id: typeof id === 'string' && id.startsWith('line ') ? undefined : id, ...rest }));
    }
  }
  return out.sort();
}

function problemKeys(file: ParsedFile): string[] {
  return file.problems.map((p) => `${p.code}: ${p.message.replace(/line \d+/g, 'line N')}`);
}

const flowKey = (f: Finding): string => `${f.flowId}|${f.data?.role}|${f.data?.direction}|${f.data?.ruleSetId}`;

/** Which rule sets are bound to which roles: a fix must not lose or move an annotation. */
function bindings(r: Run): string[] {
  return r.analysis.binding.bound.map((b) => `${b.ruleSet.id}: ${[...b.roles].sort().join(',')}`).sort();
}

/** Old rules all still there unchanged, new ones all allows; returns the added ones. */
function assertOnlyAdded(before: ParsedFile, after: ParsedFile): string[] {
  const old = ruleFacts(before);
  const now = ruleFacts(after);
  const remaining = [...now];
  for (const r of old) {
    const i = remaining.indexOf(r);
    assert.ok(i >= 0, `a rule changed or disappeared: ${r}`);
    remaining.splice(i, 1);
  }
  for (const r of remaining) assert.equal(JSON.parse(r).target, 'allow', `the fix added a rule that is not an allow: ${r}`);
  assert.equal(before.ruleSets.length, after.ruleSets.length, 'the number of rule sets changed');
  return remaining;
}

function assertNoNewProblems(before: ParsedFile, after: ParsedFile): void {
  const old = new Set(problemKeys(before));
  const added = problemKeys(after).filter((p) => !old.has(p));
  assert.deepEqual(added, [], 'the fix introduced parse problems');
}

async function assertIndependentlyValid(format: FormatId, text: string, name: string, t: { skip: (why: string) => void }): Promise<void> {
  if (format === 'terraform') {
    if (!hcl2json) {
      skipOutsideCi(t, '@cdktf/hcl2json is not installed: the Terraform result is NOT checked by an independent parser');
      return;
    }
    await hcl2json(name, text);
  } else if (format === 'arm') {
    JSON.parse(stripComments(text.replace(/^\uFEFF/, '')));
  } else if (format === 'cloudformation') {
    if (/^\s*\{/.test(text)) JSON.parse(text);
    else {
      // The yaml library, which knows nothing of CloudFormation: short-form tags are only warnings to it.
      const doc = parseDocument(text);
      assert.deepEqual(doc.errors.map((e) => e.message), [], `${name} is not valid YAML after the fix`);
    }
  }
}

function allowFix(fixes: readonly CodeFix[]): CodeFix | undefined {
  return fixes.find((f) => f.isPreferred && f.title.startsWith('Allow ') && !f.title.startsWith('Allow all'));
}

for (const { folder, format } of FORMATS) {
  describe(`quick fixes: ${folder}`, () => {
    const files = inputs(folder);
    test('has fixtures', () => assert.ok(files.length > 0));
    for (const input of files) {
      const base = path.basename(input);
      const uri = `file:///ws/${base}`;
      const text = fs.readFileSync(input, 'utf8');
      const topologyText = topologyFor(input);
      const placeholder = fs.existsSync(`${input}.citrix-flows.yaml`) && /placeholder/.test(base);

      test(`${base}: each "Allow" fix removes its finding and changes nothing else`, async (t) => {
        const first = run(format, text, uri, topologyText);
        const findings = first.analysis.findings.filter((f) => FLOW_CHECKS.has(f.checkId) && f.uri === uri);
        assert.ok(findings.length > 0, 'the fixture must have a blocked flow to fix');
        for (const finding of findings) {
          const fix = allowFix(fixesFor(finding, first.analysis));
          assert.ok(fix, `no Allow fix for ${finding.checkId} ${finding.flowId}`);
          const fixed = applyEdits(text, fix.edits);
          const second = run(format, fixed, uri, topologyText);
          assertNoNewProblems(first.file, second.file);
          assert.deepEqual(bindings(second), bindings(first), 'the fix changed which rule sets are bound to roles');
          const added = assertOnlyAdded(first.file, second.file);
          assert.ok(added.length > 0, `${finding.flowId}: no rule was added`);
          const still = second.analysis.findings.filter((f) => FLOW_CHECKS.has(f.checkId) && flowKey(f) === flowKey(finding));
          assert.deepEqual(
            still.map((f) => f.message),
            [],
            `${finding.checkId} ${finding.flowId} is still reported after its fix`,
          );
          await assertIndependentlyValid(format, fixed, base, t);
        }
      });

      test(`${base}: "Allow all missing flows" fixes every one at once and matches ${base}.fixed`, async (t) => {
        const first = run(format, text, uri, topologyText);
        const findings = first.analysis.findings.filter((f) => FLOW_CHECKS.has(f.checkId) && f.uri === uri);
        const all = fixesFor(findings[0], first.analysis, { all: true }).find((f) => f.kind === 'source.citrix-flow-lint.allowMissingFlows');
        assert.ok(all, 'no fix-all action');
        const fixed = applyEdits(text, all.edits);
        const second = run(format, fixed, uri, topologyText);
        assertNoNewProblems(first.file, second.file);
        assert.deepEqual(bindings(second), bindings(first), 'the fix changed which rule sets are bound to roles');
        assertOnlyAdded(first.file, second.file);
        const role = findings[0].data?.role;
        const left = second.analysis.findings.filter((f) => FLOW_CHECKS.has(f.checkId) && f.data?.role === role && f.data?.ruleSetId === findings[0].data?.ruleSetId);
        assert.deepEqual(left.map((f) => f.message), [], 'flows still blocked after "allow all"');
        if (placeholder) {
          // The undeclared peer is written as a placeholder, so its flows become unknown rather than opened to everyone.
          assert.ok(all.edits.some((e) => /citrix.?delivery.?controller.?(addresses|cidr)/i.test(e.newText)), 'no placeholder for the undeclared peer');
        }
        await assertIndependentlyValid(format, fixed, base, t);
        const snapshot = `${input}.fixed`;
        if (process.env.UPDATE_SNAPSHOTS === '1') fs.writeFileSync(snapshot, fixed);
        assert.ok(fs.existsSync(snapshot), `no ${path.basename(snapshot)}; run with UPDATE_SNAPSHOTS=1 and check it by hand`);
        assert.equal(fixed, fs.readFileSync(snapshot, 'utf8'));
      });

      test(`${base}: "Disable … for this line" silences exactly that finding`, () => {
        const first = run(format, text, uri, topologyText);
        const findings = first.analysis.findings.filter((f) => f.uri === uri);
        assert.ok(findings.length > 0);
        for (const finding of findings.slice(0, 3)) {
          const disable = fixesFor(finding, first.analysis).find((f) => f.title.startsWith('Disable '));
          assert.ok(disable, `no disable fix for ${finding.checkId}`);
          assert.notEqual(disable.isPreferred, true);
          const fixed = applyEdits(text, disable.edits);
          const second = run(format, fixed, uri, topologyText);
          assertNoNewProblems(first.file, second.file);
          assert.deepEqual(bindings(second), bindings(first), 'the suppression comment changed which rule sets are bound to roles');
          assert.deepEqual(ruleFacts(second.file), ruleFacts(first.file));
          const same = (f: Finding): boolean => f.checkId === finding.checkId && f.message.replace(/line \d+/g, '') === finding.message.replace(/line \d+/g, '');
          assert.equal(second.analysis.findings.filter(same).length, 0, `${finding.checkId} still reported after disabling it`);
          assert.equal(second.analysis.findings.filter((f) => f.checkId === 'unused-suppression').length, 0);
        }
      });
    }
  });
}
