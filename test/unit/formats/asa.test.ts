import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAsa, ASA_PORT_NAMES } from '../../../server/src/formats/asa';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { type RuleSet } from '../../../server/src/model';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { formatPortSet } from '../../../server/src/net';
import { fixtureInputs, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('asa', (text, file) => snapshotParsedFile(parseAsa(text, path.basename(file))));

/**
 * Each fixture states the verdicts it must produce in its own comments:
 * `! expect ACL[>ACL2]: <flow> => <verdict> (<deciding rule ids> | -)`.
 * The stages are evaluated in the order written.
 */
const EXPECT = /^expect ([^:]+): (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)$/;
for (const file of fixtureInputs('asa')) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseAsa(text, path.basename(file));
  const expectations = parsed.comments.map((c) => EXPECT.exec(c.text)).filter((m): m is RegExpExecArray => m !== null);
  if (expectations.length === 0) continue;
  test(`asa verdicts: ${path.basename(file)}`, () => {
    for (const [line, stagesText, flowText, verdict, deciding] of expectations) {
      const stages = stagesText.split('>').map((name) => {
        const rs = parsed.ruleSets.find((r) => r.id === name.trim());
        assert.ok(rs, `${line}: no rule set ${name}`);
        return rs;
      });
      const result = evaluate(stages as RuleSet[], flow(flowText));
      assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
      const ids = result.decidingRules.map((r) => r.id).join(', ') || '-';
      assert.equal(ids, deciding.trim(), `${line}: deciding rules`);
    }
  });
}

const acl = (body: string): RuleSet => {
  const parsed = parseAsa(body, 'inline.asa');
  assert.deepEqual(parsed.problems, [], 'no problems expected');
  assert.equal(parsed.ruleSets.length, 1);
  return parsed.ruleSets[0];
};

test('asa: named ports follow Cisco’s table, including its traps', () => {
  const table: [string, number][] = [
    ['citrix-ica', 1494],
    ['www', 80],
    ['https', 443],
    ['ldap', 389],
    ['ldaps', 636],
    ['domain', 53],
    ['sqlnet', 1521],
    ['kerberos', 750],
    ['radius', 1645],
    ['radius-acct', 1646],
    ['netbios-ssn', 139],
    ['bootps', 67],
    ['snmptrap', 162],
  ];
  for (const [name, port] of table) {
    assert.equal(ASA_PORT_NAMES[name], port, name);
    const rs = acl(`access-list A extended permit tcp any any eq ${name}\n`);
    assert.equal(formatPortSet(rs.rules[0].destinationPorts.value), String(port), name);
  }
  assert.equal(ASA_PORT_NAMES.rdp, undefined, 'ASA has no rdp literal');
});

test('asa: port operators', () => {
  const table: [string, string][] = [
    ['eq 1494', '1494'],
    ['neq 80', '0-79, 81-65535'],
    ['lt 1024', '0-1023'],
    ['gt 1023', '1024-65535'],
    ['range 16500 16509', '16500-16509'],
    ['range ftp-data ftp', '20-21'],
  ];
  for (const [op, ports] of table) {
    const rs = acl(`access-list A extended permit udp any any ${op}\n`);
    assert.equal(formatPortSet(rs.rules[0].destinationPorts.value), ports, op);
  }
});

test('asa: addresses', () => {
  const table: [string, string][] = [
    ['host 0.0.0.0', '0.0.0.0'],
    ['0.0.0.0 0.0.0.0', '0.0.0.0/0'],
    ['10.1.0.0 255.255.0.0', '10.1.0.0/16'],
    ['any4', '0.0.0.0/0'],
    ['any6', '::/0'],
    ['any', 'any'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['host 2001:db8::5', '2001:db8::5'],
  ];
  for (const [written, expected] of table) {
    const rs = acl(`access-list A extended permit ip ${written} any\n`);
    assert.equal(rs.rules[0].source.value.toString(), expected, written);
    assert.equal(rs.rules[0].source.text, written);
  }
});

test('asa: a broken entry is reported and the next one still parses', () => {
  const table: [string, RegExp][] = [
    ['access-list A extended permit tcp any any eq rdp', /no name for 3389/],
    ['access-list A extended permit udp any any eq dns', /spells DNS "domain"/],
    ['access-list A extended permit ip 10.0.0.0 0.0.0.255 any', /wildcard mask/],
    ['access-list A extended permitt ip any any', /expected permit or deny/],
    ['access-list A extended permit tcp any any eq 1494 lgo', /unexpected "lgo"/],
    ['access-list A extended permit tcp any', /expected an address/],
    ['access-list A extended permit tcp any any eq 70000', /above 65535/],
  ];
  for (const [bad, message] of table) {
    const parsed = parseAsa(`${bad}\naccess-list A extended permit tcp any any eq 443\n`, 'x.asa');
    assert.equal(parsed.problems.length, 1, bad);
    assert.equal(parsed.problems[0].code, 'unparsed-rule');
    assert.match(parsed.problems[0].message, message);
    assert.deepEqual(parsed.problems[0].span, { start: 0, end: bad.length });
    assert.deepEqual(parsed.ruleSets[0].rules.map((r) => r.id), ['line 2']);
  }
});

test('asa: CRLF, LF and CR give the same rules', () => {
  const lf = fs.readFileSync(fixtureInputs('asa').find((f) => f.endsWith('basic-running-config.asa'))!, 'utf8');
  const shape = (t: string): unknown =>
    parseAsa(t, 'x').ruleSets.map((rs) => rs.rules.map((r) => [r.id, r.source.value.toString(), r.destination.value.toString(), formatPortSet(r.destinationPorts.value), r.source.text]));
  assert.deepEqual(shape(lf.replace(/\n/g, '\r\n')), shape(lf));
  assert.deepEqual(shape(lf.replace(/\n/g, '\r')), shape(lf));
});

test('asa: never throws and stays linear on hostile input', () => {
  const inputs = [
    '',
    '\uFEFF',
    'access-list',
    'access-list A',
    'access-list A line',
    'access-list A line 99 extended permit',
    'access-group',
    'access-group A in interface',
    'no access-list A extended permit ip any any',
    'object-group network G\n group-object G\naccess-list A extended permit ip object-group G any',
    'object-group service S tcp\n group-object S\naccess-list A extended permit tcp any any object-group S',
    'object network O\n range 10.0.0.9 10.0.0.1\naccess-list A extended permit ip object O any',
    '\u0000\u2028access-list A extended permit ip any any\u00a0log',
  ];
  for (const input of inputs) assert.doesNotThrow(() => parseAsa(input, 'x'), JSON.stringify(input));
  const line = 'access-list BIG extended permit tcp 10.0.0.0 255.0.0.0 host 10.1.2.3 eq citrix-ica log\n';
  // Growth with size is measured in the bench (bench/growth.mjs), not timed here.
  assert.equal(parseAsa(line.repeat(20_000), 'x').ruleSets.flatMap((rs) => rs.rules).length, 20_000);
});
