import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { parseAs } from '../../../server/src/formats';
import { emitAllowRules as asa } from '../../../server/src/formats/asa/emit';
import { emitAllowRules as iptables } from '../../../server/src/formats/iptables/emit';
import { emitAllowRules as nftables } from '../../../server/src/formats/nftables/emit';
import { emitAllowRules as windows } from '../../../server/src/formats/windows-firewall/emit';
import { applyEdits, type AllowRuleEmitter, type AllowRuleRequest, type Direction, type FormatId } from '../../../server/src/model';
import { AddressSet } from '../../../server/src/net';

/**
 * Shapes the analysed fixtures do not reach: several addresses and several
 * ports in one request (object-groups, anonymous sets, multiport, lists),
 * written by each emitter, re-parsed with no problem, and evaluated: the
 * flow the request asked for is allowed afterwards.
 */
interface Shape {
  readonly name: string;
  readonly format: FormatId;
  readonly emit: AllowRuleEmitter;
  readonly text: string;
  readonly direction: Direction;
  readonly probe: string;
  /** Text the output must hold (the shape under test). */
  readonly contains: readonly string[];
}

const SHAPES: readonly Shape[] = [
  {
    name: 'ASA with object-groups: network and service groups',
    format: 'asa',
    emit: asa,
    direction: 'forward',
    text: 'object-group network WEB\n network-object host 10.9.9.9\naccess-list IN extended permit tcp any object-group WEB eq 443\naccess-list IN extended deny ip any any\n',
    probe: 'forward tcp 10.0.1.20 -> 10.0.2.5:2598',
    contains: ['object-group network ALLOW-CITRIX-TEST-SRC\n network-object host 10.0.1.10\n network-object host 10.0.1.20\n', 'object-group service ALLOW-CITRIX-TEST-PORTS tcp\n port-object eq 1494\n port-object range 2598 2600\n', 'access-list IN line 2 remark test flows\naccess-list IN line 3 extended permit tcp object-group ALLOW-CITRIX-TEST-SRC 10.0.2.0 255.255.255.0 object-group ALLOW-CITRIX-TEST-PORTS'],
  },
  {
    name: 'ASA without object-groups: one entry per address and port',
    format: 'asa',
    emit: asa,
    direction: 'forward',
    text: 'access-list IN extended permit tcp any host 10.9.9.9 eq 443\n',
    probe: 'forward tcp 10.0.1.10 -> 10.0.2.5:2599',
    contains: ['access-list IN extended permit tcp host 10.0.1.20 10.0.2.0 255.255.255.0 range 2598 2600\n'],
  },
  {
    name: 'nftables: anonymous sets for addresses and ports',
    format: 'nftables',
    emit: nftables,
    direction: 'inbound',
    text: 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n',
    probe: 'in tcp 10.0.1.20 -> 10.0.2.5:2600',
    contains: ['\t\tip saddr { 10.0.1.10, 10.0.1.20 } ip daddr 10.0.2.0/24 tcp dport { 1494, 2598-2600 } accept\n'],
  },
  {
    name: 'iptables-save: multiport and an address list',
    format: 'iptables',
    emit: iptables,
    direction: 'inbound',
    text: '*filter\n:INPUT DROP [0:0]\nCOMMIT\n',
    probe: 'in tcp 10.0.1.20 -> 10.0.2.5:2599',
    contains: ['-A INPUT -s 10.0.1.10/32,10.0.1.20/32 -d 10.0.2.0/24 -p tcp -m multiport --dports 1494,2598:2600 -j ACCEPT\nCOMMIT'],
  },
  {
    name: 'New-NetFirewallRule: port list with a range, address list',
    format: 'windows-firewall',
    emit: windows,
    direction: 'inbound',
    text: 'New-NetFirewallRule -DisplayName "x" -Direction Inbound -Action Allow -Protocol TCP -LocalPort 443\n',
    probe: 'in tcp 10.0.1.20 -> 10.0.2.5:2600',
    contains: ['-LocalPort 1494,"2598-2600" -RemoteAddress "10.0.1.10","10.0.1.20"'],
  },
];

for (const s of SHAPES) {
  test(`emitter shape: ${s.name}`, () => {
    const file = parseAs(s.format, s.text, `file:///ws/shape.${s.format}`);
    const ruleSet = file.ruleSets[0];
    const addresses = (list: string[]): AddressSet => {
      const r = AddressSet.parseList(list);
      assert.ok(r.ok);
      return r.value;
    };
    const request: AllowRuleRequest = {
      file,
      ruleSet,
      direction: s.direction,
      protocols: ['tcp'],
      ports: [
        { from: 1494, to: 1494 },
        { from: 2598, to: 2600 },
      ],
      source: addresses(['10.0.1.10', '10.0.1.20']),
      destination: addresses(['10.0.2.0/24']),
      name: 'Allow-Citrix-test',
      comment: 'test flows',
      before: ruleSet.rules.find((r) => r.target.kind === 'deny' && !r.implicit),
    };
    const out = s.emit([request]);
    assert.ok('edits' in out, 'error' in out ? out.error : '');
    const fixed = applyEdits(s.text, out.edits);
    for (const c of s.contains) assert.ok(fixed.includes(c), `expected ${JSON.stringify(c)} in:\n${fixed}`);
    const again = parseAs(s.format, fixed, file.uri);
    assert.deepEqual(again.problems.map((p) => p.message), file.problems.map((p) => p.message));
    const rs = again.ruleSets.find((r) => r.id === ruleSet.id);
    assert.ok(rs);
    assert.equal(evaluate(rs, flow(s.probe)).verdict, 'allowed');
  });
}

test('emitters refuse what they cannot write, with the reason', () => {
  const file = parseAs('windows-firewall', 'netsh advfirewall firewall add rule name="x" dir=in action=allow protocol=TCP localport=443\n', 'file:///ws/x.cmd');
  const out = windows([
    {
      file,
      ruleSet: file.ruleSets[0],
      direction: 'inbound',
      protocols: ['tcp'],
      ports: [{ from: 1494, to: 1494 }],
      source: AddressSet.symbol('variable', 'role:gateway-snip'),
      destination: AddressSet.any(),
      name: 'Allow-Citrix-ica',
      comment: 'ica',
    },
  ]);
  assert.ok('error' in out && /declare them in citrix-flows.yaml/.test(out.error));
});
