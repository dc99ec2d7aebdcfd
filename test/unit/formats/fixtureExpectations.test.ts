import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { detectFormat } from '../../../server/src/formats/detect';
import type { RuleSet } from '../../../server/src/model';
import { fixtureInputs } from '../../helpers/fixtures';

/**
 * Verdicts worked out by hand and written in the fixture itself, beside the
 * rules they judge, for the formats whose other tests are snapshots the code
 * wrote (issue 25 item 3):
 *   # expect RULESET[>RULESET2]: <flow> => <verdict> (<deciding rule ids> | - | *)
 * `-` means no rule decided (the rule set's default), `*` leaves the
 * deciding rules unchecked where the verdict is made of several (a partial
 * one). No citrix-flows.yaml: service tags and variables without a value stay
 * unresolved. Stages are evaluated in the order written.
 */
const EXPECT = /^expect ([^:]+): (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)$/;
const FOLDERS = ['terraform', 'bicep', 'cloudformation'];

before(async () => {
  await initTreeSitter();
});

let counted = 0;
for (const folder of FOLDERS) {
  for (const file of fixtureInputs(folder)) {
    const text = fs.readFileSync(file, 'utf8');
    const uri = `file:///fixtures/${folder}/${path.basename(file)}`;
    const format = detectFormat(uri, text);
    // The parsers are ready only after `before`; which files to test is read off the text.
    if (!format || !/(#|\/\/) ?expect [^:]+: /.test(text)) continue;
    test(`hand-worked verdicts: ${folder}/${path.basename(file)}`, () => {
      const parsed = parseAs(format, text, uri);
      const expectations = parsed.comments.map((c) => EXPECT.exec(c.text.trim())).filter((m): m is RegExpExecArray => m !== null);
      assert.ok(expectations.length > 0, 'the expect lines are comments the parser reads');
      counted += expectations.length;
      for (const [line, stagesText, flowText, verdict, deciding] of expectations) {
        const stages = stagesText.split('>').map((name) => {
          const rs = parsed.ruleSets.find((r) => r.id === name.trim());
          assert.ok(rs, `${line}: no rule set ${name} (there are ${parsed.ruleSets.map((r) => r.id).join(', ')})`);
          return rs;
        });
        const result = evaluate(stages as RuleSet[], flow(flowText));
        assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
        if (deciding.trim() === '*') continue;
        assert.equal(result.decidingRules.map((r) => r.id).join(', ') || '-', deciding.trim(), `${line}: deciding rules`);
      }
    });
  }
}

test('hand-worked verdicts: the fixtures carry enough of them', () => {
  assert.ok(counted >= 15, `only ${counted} hand-worked verdicts in ${FOLDERS.join(', ')}`);
});
