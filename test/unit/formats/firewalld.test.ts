import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFirewalld } from '../../../server/src/formats/firewalld';
import { detectFormat } from '../../../server/src/formats/detect';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { fixtureInputs, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('firewalld', (text, file) => snapshotParsedFile(parseFirewalld(text, `file:///etc/firewalld/zones/${path.basename(file)}`)));

/**
 * Each fixture states its verdicts in its comments, worked out by hand from
 * firewalld.zone(5) and firewalld.richlanguage(5): rich rules with priority
 * < 0 first, then at priority 0 deny before allow (the zone's services and
 * ports are allows there), then priority > 0, then the zone target
 * (default: ICMP accepted, the rest rejected).
 */
const EXPECT = /^\s*expect: (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)\s*$/;
for (const file of fixtureInputs('firewalld')) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseFirewalld(text, `file:///etc/firewalld/zones/${path.basename(file)}`);
  const expectations = parsed.comments.map((c) => EXPECT.exec(c.text)).filter((m): m is RegExpExecArray => m !== null);
  test(`firewalld verdicts: ${path.basename(file)} states its verdicts`, () => {
    assert.ok(expectations.length >= 5, 'each fixture carries hand-worked verdicts');
    assert.equal(parsed.ruleSets.length, 1);
    for (const [line, flowText, verdict, deciding] of expectations) {
      const result = evaluate(parsed.ruleSets[0], flow(flowText));
      assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
      const ids = [...new Set(result.decidingRules.map((r) => r.id))].join(', ') || '-';
      assert.equal(ids, deciding.trim(), `${line}: deciding rules`);
    }
  });
}

test('firewalld: verdicts of single zone elements (target, priority, services)', () => {
  const zone = (body: string, target = ''): string => `<?xml version="1.0" encoding="utf-8"?>\n<zone${target}>\n  <interface name="eth0"/>\n${body}</zone>\n`;
  const table: [string, string, string, string][] = [
    // zone body, target attribute, flow, verdict — and why
    ['  <service name="ssh"/>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:22', 'allowed'], // ssh.xml ships 22/tcp
    ['  <service name="ssh"/>\n', '', 'in udp 10.0.0.1 -> 10.0.0.2:22', 'denied'], // only tcp
    ['  <service name="radius"/>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1812', 'allowed'], // radius.xml ships tcp and udp
    ['  <service name="citrix-vda"/>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'unknown'], // a service this reader does not have
    ['', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'denied'], // target default rejects
    ['', '', 'in icmp 10.0.0.1 -> 10.0.0.2', 'allowed'], // target default accepts ICMP
    ['', ' target="DROP"', 'in icmp 10.0.0.1 -> 10.0.0.2', 'denied'],
    ['', ' target="ACCEPT"', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed'],
    // At priority 0 deny comes before allow, whatever the order written.
    ['  <port port="1494" protocol="tcp"/>\n  <rule family="ipv4"><source address="10.0.0.1"/><drop/></rule>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'denied'],
    // A negative priority comes before the zone's deny chain.
    ['  <rule family="ipv4" priority="-1"><source address="10.0.0.1"/><accept/></rule>\n  <rule family="ipv4"><source address="10.0.0.0/24"/><reject/></rule>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed'],
    // A positive priority comes after the zone's ports.
    ['  <port port="1494" protocol="tcp"/>\n  <rule family="ipv4" priority="5"><source address="10.0.0.1"/><drop/></rule>\n', '', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed'],
    ['  <port port="16500-16509" protocol="udp"/>\n', '', 'in udp 10.0.0.1 -> 10.0.0.2:16505', 'allowed'],
  ];
  for (const [body, target, flowText, verdict] of table) {
    const rs = parseFirewalld(zone(body, target), 'file:///etc/firewalld/zones/z.xml').ruleSets[0];
    assert.equal(evaluate(rs, flow(flowText)).verdict, verdict, `${body}${target}: ${flowText}`);
  }
});

test('firewalld: what a zone file or script gets wrong is said at its place', () => {
  const table: [string, string, RegExp][] = [
    // input, the text its problem spans, its message
    ['<zone>\n  <port port="70000" protocol="tcp"/>\n</zone>\n', '70000', /"70000" is not a port or port range/],
    ['<zone>\n  <port port="1494" protocol="icmp"/>\n</zone>\n', 'icmp', /"icmp" is not a protocol a port takes/],
    ['<zone target="weird">\n</zone>\n', 'weird', /target is default, ACCEPT, %%REJECT%% or DROP/],
    ['<zone>\n  <bogus/>\n</zone>\n', '<bogus/>', /<bogus> is not an element this reader knows/],
    ['<zone>\n  <rule family="ipx"><accept/></rule>\n</zone>\n', 'ipx', /family is ipv4 or ipv6/],
    ['<notzone/>\n', '<', /no <zone> element/],
    ['firewall-cmd --zone=public --add-port\n', '--add-port', /--add-port needs a value/],
    ['firewall-cmd --zone=public --frobnicate\n', '--frobnicate', /not an option this reader knows/],
    ['firewall-cmd --add-rich-rule="rule bogus"\n', 'bogus', /is not in the rich rule language here/],
    ['<zone>\n  <rule><source address="10.0.0.1"/><accept/></rule>\n</zone>\n', '<rule><source address="10.0.0.1"/><accept/></rule>', /an address but no family .*: not in force/],
    ['<zone>\n  <rule family="ipv4"><port port="1494" protocol="tcp"/></rule>\n</zone>\n', '<rule family="ipv4"><port port="1494" protocol="tcp"/></rule>', /with a port and no action .*: not in force/],
  ];
  for (const [input, spanned, message] of table) {
    const parsed = parseFirewalld(input, 'file:///etc/firewalld/zones/z.xml');
    const p = parsed.problems.find((x) => message.test(x.message));
    assert.ok(p, `${JSON.stringify(input)}: ${JSON.stringify(parsed.problems.map((x) => x.message))}`);
    const at = input.slice(p.span.start, p.span.end);
    assert.ok(at.includes(spanned) || spanned.includes(at), `${JSON.stringify(input)}: span "${at}" for ${spanned}`);
  }
});

test('firewalld: a rich rule firewalld refuses admits nothing', () => {
  const rs = parseFirewalld('<zone>\n  <interface name="eth0"/>\n  <rule><source address="10.0.0.1"/><accept/></rule>\n  <rule family="ipv4"><port port="1494" protocol="tcp"/></rule>\n</zone>\n', 'file:///etc/firewalld/zones/z.xml').ruleSets[0];
  assert.equal(evaluate(rs, flow('in tcp 10.0.0.1 -> 10.0.0.2:22')).verdict, 'denied');
  assert.equal(evaluate(rs, flow('in tcp 10.0.0.5 -> 10.0.0.2:1494')).verdict, 'denied');
});

test('firewalld: detection by path, root element and firewall-cmd lines', () => {
  const table: [string, string, string, string | undefined][] = [
    // uri, language id, text, detected format
    ['file:///etc/firewalld/zones/public.xml', 'xml', '<?xml version="1.0"?>\n<zone>\n</zone>\n', 'firewalld'],
    ['file:///ws/citrix.xml', 'xml', '<?xml version="1.0"?>\n<!-- x -->\n<zone target="DROP">\n</zone>\n', 'firewalld'],
    ['file:///ws/pom.xml', 'xml', '<?xml version="1.0"?>\n<project>\n</project>\n', undefined],
    ['file:///ws/setup.sh', 'shellscript', '#!/bin/sh\nfirewall-cmd --permanent --add-port=1494/tcp\nfirewall-cmd --reload\n', 'firewalld'],
  ];
  for (const [uri, languageId, text, expected] of table) assert.equal(detectFormat(uri, text, languageId), expected, uri);
});

test('firewalld: hostile input is read in bounded time and never throws', () => {
  const inputs = ['<', '<zone', '<zone><rule>'.repeat(3000), `<zone>${'<port port="1" '.repeat(5000)}`, 'firewall-cmd --add-rich-rule="', `firewall-cmd ${'--add-service={a,b,c,d} '.repeat(3000)}`, '\u0000<zone/>'];
  for (const text of inputs) assert.ok(Array.isArray(parseFirewalld(text, 'file:///z.xml').problems));
});

test('firewalld scripts: --reload drops runtime-only changes, and a zone the script did not make keeps an unknown default', () => {
  const script = (body: string): string => `#!/bin/sh\n${body}`;
  const table: [string, string, string, string][] = [
    // script, flow, verdict, why
    ['firewall-cmd --zone=public --add-port=1494/tcp\nfirewall-cmd --reload\n', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'unknown', 'the runtime-only port is gone after the reload; what public held before is not known'],
    ['firewall-cmd --permanent --zone=public --add-port=1494/tcp\nfirewall-cmd --reload\n', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed', 'permanent, then reloaded'],
    ['firewall-cmd --reload\nfirewall-cmd --zone=public --add-port=1494/tcp\n', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed', 'runtime, after the last reload: in force until the next one'],
    ['firewall-cmd --permanent --new-zone=citrix\nfirewall-cmd --permanent --zone=citrix --add-source=10.0.0.0/24\nfirewall-cmd --permanent --zone=citrix --add-port=1494/tcp\nfirewall-cmd --reload\n', 'in tcp 10.0.0.1 -> 10.0.0.2:2598', 'denied', 'a zone the script made holds only what it adds: its default target rejects'],
    ['firewall-cmd --permanent --zone=public --add-port=1494/tcp\n', 'in tcp 10.0.0.1 -> 10.0.0.2:2598', 'unknown', 'public held settings before the script'],
  ];
  for (const [body, flowText, verdict, why] of table) {
    const parsed = parseFirewalld(script(body), 'file:///scripts/fw.sh');
    assert.equal(parsed.ruleSets.length, 1, body);
    assert.equal(evaluate(parsed.ruleSets[0], flow(flowText)).verdict, verdict, `${why}: ${body}`);
  }
  const reloaded = parseFirewalld(script('firewall-cmd --zone=public --add-port=1494/tcp\nfirewall-cmd --reload\n'), 'file:///scripts/fw.sh');
  assert.ok(reloaded.problems.some((p) => p.message === '--reload drops the change made above without --permanent: not read as in force'), JSON.stringify(reloaded.problems.map((p) => p.message)));
});

test('firewalld scripts: the unknown of a zone the script did not make says what the zone does as firewalld ships it', () => {
  const reasonFor = (zone: string): string => {
    const parsed = parseFirewalld(`#!/bin/sh\nfirewall-cmd --permanent --zone=${zone} --add-port=1494/tcp\n`, 'file:///scripts/fw.sh');
    const result = evaluate(parsed.ruleSets[0], flow('in tcp 10.0.0.1 -> 10.0.0.2:2598'));
    assert.equal(result.verdict, 'unknown', zone);
    return result.reasons.join('; ');
  };
  assert.match(reasonFor('public'), /zone public held settings before this script \(saved changes, its target\) that are not known here; as firewalld ships it, public admits ssh and dhcpv6-client \(and cockpit on RHEL and Fedora\) and rejects the rest/);
  assert.match(reasonFor('trusted'), /as firewalld ships it, trusted accepts everything \(target ACCEPT\)/);
  assert.match(reasonFor('drop'), /as firewalld ships it, drop drops everything/);
  assert.match(reasonFor('citrix'), /zone citrix held settings .* \(it is not one of the zones firewalld ships\)/);
});
