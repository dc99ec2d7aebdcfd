import { describe, it } from 'node:test';
import * as fs from 'node:fs';
import { fixturePath } from '../../helpers/fixtures';
import assert from 'node:assert/strict';
import { doHover } from '../../../server/src/service/hover';
import { IPTABLES, NSG_TF, TOPOLOGY, cut, stateWith, uri } from './helpers';

interface Case {
  readonly name: string;
  readonly file: string;
  /** The file's text with `|` at the hover position. */
  readonly text: string;
  /** Snippets the Markdown must contain, in any order; undefined: no hover. */
  readonly expect?: readonly (string | RegExp)[];
  readonly absent?: readonly (string | RegExp)[];
  /** The hovered text (the span the hover covers). */
  readonly covers?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'Terraform port in a list: catalog meaning and what this rule decides',
    file: 'azure/vda.tf',
    text: NSG_TF.replace('"1494"', '"14|94"'),
    expect: ['**Port 1494** — Citrix uses it for:', 'ICA/HDX', '**Required flows this rule decides:**', /✓ allows Citrix Gateway SNIP .* → Virtual Delivery Agent \(VDA\), TCP\/UDP 1494/],
    absent: ['2598 (Access'],
    covers: '1494',
  },
  {
    name: 'Terraform rule name: the effect in words',
    file: 'azure/vda.tf',
    text: NSG_TF.replace('"AllowIcaFromGateway"', '"Allow|IcaFromGateway"'),
    expect: ['**AllowIcaFromGateway** allows inbound TCP 1494, 2598 from 10.0.0.20 (gateway-snip) to any address; evaluated at priority 100.'],
  },
  {
    name: 'the deny rule lists the flows it blocks',
    file: 'azure/vda.tf',
    text: NSG_TF.replace('"DenyAllInbound"', '"Deny|AllInbound"'),
    expect: ['**DenyAllInbound** blocks inbound any protocol from any address to any address; evaluated at priority 4000.', /✗ blocks Delivery Controller → Virtual Delivery Agent \(VDA\), TCP 80/],
  },
  {
    name: 'iptables multiport list: the second port',
    file: 'linux/storefront-iptables.rules',
    text: IPTABLES.replace('1494,2598', '1494,25|98'),
    expect: ['**Port 2598**', 'Session Reliability'],
    covers: '2598',
  },
  {
    name: 'iptables range with a colon',
    file: 'linux/storefront-iptables.rules',
    text: IPTABLES.replace('16500:16509', '165|00:16509'),
    expect: ['**Ports 16500–16509**', 'audio'],
    covers: '16500:16509',
  },
  {
    name: 'a number inside an address is not a port: the rule hover instead',
    file: 'linux/storefront-iptables.rules',
    text: IPTABLES.replace('10.0.0.20', '10.0.0.2|0'),
    expect: ['allows inbound TCP 443 from 10.0.0.20 (gateway-snip) to any address; rule 1 of INPUT, first match wins'],
    absent: ['Port 20'],
  },
  {
    name: 'check id in a suppression comment',
    file: 'linux/storefront-iptables.rules',
    text: IPTABLES.replace('*filter', '*filter\n# citrix-flow-lint-disable-next-line missing-fl|ow -- reviewed'),
    expect: ['(`missing-flow`, default error)', 'docs/checks/missing-flow.md'],
    covers: 'missing-flow',
  },
  {
    name: 'role id in an annotation: role, addresses, required flows with status',
    file: 'azure/vda.tf',
    text: NSG_TF.replace('citrix-role: vda', 'citrix-role: v|da'),
    expect: ['**Virtual Delivery Agent (VDA)** (`vda`)', 'Addresses: `10.0.2.0/24`', /\*\*Required flows of vda\*\*: \d+\/\d+ allowed/, /✗ inbound: Delivery Controller → /, /◐ inbound: Citrix Gateway SNIP/],
    covers: 'vda',
  },
  {
    name: 'a stateless reply rule says it is return traffic, and how to write it safely',
    file: 'linux/host.rules',
    text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 203.0.113.0/24 -p tcp --sp|ort 6666:6668 -j ACCEPT\nCOMMIT\n',
    expect: ['Return traffic: it admits packets by the source port of a server (6666–6668)', 'It is not reported as exposure', '--ctstate ESTABLISHED,RELATED'],
  },
  {
    name: 'an ESTABLISHED,RELATED rule says it matches only connections already set up',
    file: 'linux/host.rules',
    text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ct|state ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n',
    expect: ['Return traffic: it matches only packets of connections already set up'],
    absent: ['source port of a server'],
  },
  {
    name: 'outside rules and comments: nothing',
    file: 'linux/storefront-iptables.rules',
    text: IPTABLES.replace('COMMIT', 'COM|MIT'),
  },
];

describe('doHover', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { text, offset } = cut(c.text);
      const state = await stateWith({ [c.file]: text });
      const hover = doHover(state, uri(c.file), offset);
      if (!c.expect) {
        assert.equal(hover, undefined);
        return;
      }
      assert.ok(hover, 'a hover');
      for (const e of c.expect) {
        if (typeof e === 'string') assert.ok(hover.contents.includes(e), `missing ${JSON.stringify(e)} in:\n${hover.contents}`);
        else assert.match(hover.contents, e);
      }
      for (const a of c.absent ?? []) {
        if (typeof a === 'string') assert.ok(!hover.contents.includes(a), `unexpected ${JSON.stringify(a)} in:\n${hover.contents}`);
        else assert.doesNotMatch(hover.contents, a);
      }
      if (c.covers) assert.equal(text.slice(hover.span.start, hover.span.end), c.covers);
    });
  }

  const YAML_CASES: readonly Case[] = [
    { name: 'role key in citrix-flows.yaml', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('  gateway-snip:', '  gateway-s|nip:'), expect: ['**Citrix Gateway SNIP (toward the back end)** (`gateway-snip`)', 'Addresses: `10.0.0.20`'], covers: 'gateway-snip' },
    { name: 'feature key in a flow map', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('{ edt: true }', '{ e|dt: true }'), expect: [/\*\*.*EDT.*\*\* \(`edt`\): on/, 'catalog flows depend on it'] },
    { name: 'an address is neither', file: 'citrix-flows.yaml', text: TOPOLOGY.replace('10.0.1.10', '10.0.|1.10') },
    { name: 'a machine key: the roles its name stands for', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  adc-0|1:\n    netscaler: { nsip: 10.0.0.10, snip: 10.0.0.20, peer: 10.0.0.11 }\n`, expect: ['**NetScaler ADC `adc-01`** (citrix-flows.yaml): stands for Citrix ADC NSIP (`adc-nsip`), Citrix ADC appliance (`adc`), Citrix Gateway SNIP (toward the back end) (`gateway-snip`)', 'it protects 10.0.0.10, 10.0.0.20'], absent: ['10.0.0.11'], covers: 'adc-01' },
    { name: 'a machine among the roles of a binding', file: 'citrix-flows.yaml', text: `${TOPOLOGY}machines:\n  ddc-01: { roles: [delivery-controller, license-server], addresses: [10.0.3.11] }\nbindings:\n  - { files: "x/*.rules", roles: [ddc-|01] }\n`, expect: ['**Machine `ddc-01`**', 'Delivery Controller (`delivery-controller`), Citrix License Server (`license-server`)'], covers: 'ddc-01' },
  ];
  for (const c of YAML_CASES) {
    it(c.name, async () => {
      const { text, offset } = cut(c.text);
      const state = await stateWith({ 'azure/vda.tf': NSG_TF }, text);
      const hover = doHover(state, uri(c.file), offset);
      if (!c.expect) return assert.equal(hover, undefined);
      assert.ok(hover);
      for (const e of c.expect) {
        if (typeof e === 'string') assert.ok(hover.contents.includes(e), `missing ${JSON.stringify(e)} in:\n${hover.contents}`);
        else assert.match(hover.contents, e);
      }
      if (c.covers) assert.equal(text.slice(hover.span.start, hover.span.end), c.covers);
    });
  }
});

it('hover on a machine named in a citrix-role annotation', async () => {
  const yaml = `${TOPOLOGY}machines:\n  adc-01:\n    netscaler: { nsip: 10.0.0.10, vip: 203.0.113.10 }\n`;
  const { text, offset } = cut(`# citrix-role: adc-|01\n${IPTABLES.replace(/^# citrix-role: .*\n/m, '')}`);
  const state = await stateWith({ 'adc/node.rules': text }, yaml);
  const hover = doHover(state, uri('adc/node.rules'), offset);
  assert.ok(hover?.contents.includes('**NetScaler ADC `adc-01`**'), hover?.contents);
  assert.ok(hover?.contents.includes('Citrix Gateway (as reached by users and admins) (`gateway`)'), hover?.contents);
});

it('hover on a port of a rule that decides a required flow lists the hops of its way across the site', async () => {
  // The four-firewall site of test/fixtures/sites/ica-path: the VDAs' own Windows Firewall admits 2598 from the SNIP,
  // and the hover there says the ASA on the way blocks it.
  const read = (name: string): string => fs.readFileSync(fixturePath('sites', 'ica-path', name), 'utf8');
  const files = Object.fromEntries(['edge/router.rules', 'dmz/dmz-fw.asa', 'azure/spoke.tf', 'vda/host-firewall.ps1'].map((n) => [n, read(n)]));
  const state = await stateWith(files, read('citrix-flows.yaml'));
  const ps1 = files['vda/host-firewall.ps1'];
  const hover = doHover(state, uri('vda/host-firewall.ps1'), ps1.indexOf('2598') + 1);
  const way = hover?.contents.split('\n').find((l) => l.startsWith('**On the way**'));
  assert.ok(way, hover?.contents);
  assert.match(way, /, denied\): dmz_in blocks \(the rule on line 18\) _\(dmz-fw\.asa\)_ · azurerm_network_security_group\.spoke: not reached; alone it allows \(Allow-ICA-From-Gateway \(priority 200\)\) _\(spoke\.tf\)_ · Windows Defender Firewall: not reached; alone it allows \(Citrix Session Reliability \(line 3\)\) _\(host-firewall\.ps1\)_$/);
});
