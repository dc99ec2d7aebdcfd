// The way a flow crosses a routing firewall: which interface ACLs it meets,
// worked by hand from Cisco's documented order in each fixture's `! path` lines:
// `! path <proto> <src> -> <dst>:<port> => <verdict> (<in>><out>[,…] | ->box | <if>=<if>) why`.
import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatePaths } from '../../../server/src/analysis/devicePath';
import { flow } from '../../../server/src/analysis/evaluate';
import { parseAs } from '../../../server/src/formats';
import { fixturePath } from '../../helpers/fixtures';

const PATH_LINE = /^! path (\S+ \S+ -> \S+) => (allowed|denied|partial|unknown) \(([^)]*)\) (.+)$/;

for (const name of ['citrix-edge.asa', 'levels-only.asa']) {
  const file = fixturePath(`asa-paths/${name}`);
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseAs('asa', text, `file://${file}`);
  const rows = text.split('\n').map((l) => PATH_LINE.exec(l)).filter((m): m is RegExpExecArray => m !== null);

  test(`${name}: ${rows.length} hand-worked paths through the ASA`, () => {
    assert.ok(rows.length >= 5, 'the fixture carries its table');
    for (const [, spec, verdict, legs, why] of rows) {
      const answer = evaluatePaths(parsed.ruleSets, flow(`forward ${spec}`), {});
      assert.ok(answer, `${spec}: the ASA's rule sets say where they sit`);
      const taken = answer.results
        .map(({ path }) => (path.egress === 'the device itself' ? '->box' : path.stages[0]?.name === 'same network' ? `${path.ingress}=${path.egress}` : `${path.ingress}>${path.egress}`))
        .join(',');
      assert.equal(taken, legs, `${spec} (${why}): interfaces`);
      assert.equal(answer.verdict, verdict, `${spec} (${why}): ${answer.results.map((r) => `${r.path.why.join(', ')} → ${r.result.verdict}`).join('; ')}`);
    }
  });
}

test('an ACL no access-group binds is never a stage, and the global ACL is not a second stage after an interface ACL', () => {
  const file = fixturePath('asa-paths/citrix-edge.asa');
  const parsed = parseAs('asa', fs.readFileSync(file, 'utf8'), `file://${file}`);
  const answer = evaluatePaths(parsed.ruleSets, flow('forward tcp 198.51.100.7 -> 10.50.0.10:443'), {});
  assert.ok(answer);
  assert.deepEqual(answer.unbound.map((rs) => rs.name), ['old_vpn_filter']);
  assert.deepEqual(answer.results[0].path.stages.map((rs) => rs.name), ['outside_in']);
});

test('thousands of routes asked about any → any: one unknown path saying to narrow the question, not millions of paths', () => {
  const routes = Array.from({ length: 2000 }, (_, i) => `route inside 10.${Math.floor(i / 250)}.${i % 250}.0 255.255.255.0 10.255.0.254`).join('\n');
  const text = `hostname big\ninterface Gi0/0\n nameif outside\n ip address 192.0.2.2 255.255.255.0\ninterface Gi0/1\n nameif inside\n ip address 10.255.0.1 255.255.255.0\naccess-list in_in extended permit tcp any any eq 443\naccess-group in_in in interface inside\n${routes}\nroute outside 0.0.0.0 0.0.0.0 192.0.2.1\n`;
  const parsed = parseAs('asa', text, 'file:///big.asa');
  const answer = evaluatePaths(parsed.ruleSets, flow('forward tcp any -> any:443'), {});
  assert.ok(answer);
  // The device's own addresses are one more (to-the-box) path.
  assert.ok(answer.results.length <= 2, `${answer.results.length} paths`);
  assert.equal(answer.verdict, 'unknown');
  assert.ok(answer.results.some((r) => /more than 256 different ways/.test(r.path.why[0])));
  // A question about one host on each side is still answered.
  const narrow = evaluatePaths(parsed.ruleSets, flow('forward tcp 10.1.2.3 -> 198.51.100.7:443'), {});
  assert.equal(narrow?.verdict, 'allowed');
});
