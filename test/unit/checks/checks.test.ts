import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology, type AnalyzeOptions } from '../../../server/src/analysis/analyze';
import { CHECKS, type CheckDefinition } from '../../../server/src/analysis/checks';
import type { Finding } from '../../../server/src/analysis/findings';
import { initTreeSitter } from '../../../server/src/formats';
import { LineIndex } from '../../../server/src/model';

const TOPOLOGY_URI = 'file:///site/citrix-flows.yaml';

interface Case {
  readonly name: string;
  /** File name decides the format. */
  readonly file: string;
  readonly text: string;
  readonly topology?: string;
  readonly options?: AnalyzeOptions;
  readonly check: string;
  /** Each expected finding: the line (1-based) and text its span covers, and words its message holds. */
  readonly expect: readonly { line: number; covers?: string; says?: readonly string[]; severity?: string; data?: Record<string, unknown> }[];
}

async function run(c: Pick<Case, 'file' | 'text' | 'topology' | 'options'>): Promise<{ findings: readonly Finding[]; text: string }> {
  await initTreeSitter();
  const parsed = parseSource({ uri: `file:///site/${c.file}`, text: c.text });
  assert.ok(parsed, `${c.file} is not a format we read`);
  const topology = readTopology(c.topology, c.topology === undefined ? undefined : TOPOLOGY_URI);
  const analysis = analyzeParsed([parsed], topology, { workspaceRoot: '/site', reportUnmatchedBindings: false, ...c.options });
  return { findings: analysis.findings, text: c.text };
}

function check(c: Case): void {
  test(`${c.check}: ${c.name}`, async () => {
    const { findings, text } = await run(c);
    assert.deepEqual(findings.filter((f) => f.checkId === 'internal-error'), []);
    const mine = findings.filter((f) => f.checkId === c.check);
    assert.equal(mine.length, c.expect.length, `findings: ${JSON.stringify(mine.map((f) => f.message), null, 1)}`);
    mine.forEach((f, i) => {
      const e = c.expect[i];
      const source = f.uri === TOPOLOGY_URI ? (c.topology ?? '') : text;
      assert.equal(new LineIndex(source).positionAt(f.span.start).line + 1, e.line, f.message);
      if (e.covers !== undefined) assert.equal(source.slice(f.span.start, f.span.end), e.covers);
      for (const words of e.says ?? []) assert.ok(f.message.includes(words), `"${f.message}" should say "${words}"`);
      if (e.severity) assert.equal(f.severity, e.severity);
      for (const [k, v] of Object.entries(e.data ?? {})) assert.deepEqual(f.data?.[k], v, `data.${k}`);
    });
  });
}

const nsg = (rules: string, annotation = '# citrix-role: vda'): string =>
  `${annotation}\nresource "azurerm_network_security_group" "n" {\n  name                = "nsg"\n  location            = "westeurope"\n  resource_group_name = "rg"\n${rules}}\n`;
const rule = (name: string, priority: number, access: string, protocol: string, ports: string, source: string, direction = 'Inbound'): string =>
  `  security_rule {\n    name                       = "${name}"\n    priority                   = ${priority}\n    direction                  = "${direction}"\n    access                     = "${access}"\n    protocol                   = "${protocol}"\n    source_port_range          = "*"\n    destination_port_range     = "${ports}"\n    source_address_prefix      = "${source}"\n    destination_address_prefix = "*"\n  }\n`;

const iptables = (rules: string, annotation = ''): string => `${annotation}*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}COMMIT\n`;

/** A VDA subnet's network ACL with one ingress and one egress entry, both for `peer` (TCP). */
const naclFor = (peer: string, ingress: [number, number], egress: [number, number]): string => `# citrix-role: vda
resource "aws_network_acl" "vda" {
  vpc_id = "vpc-1"

  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "${peer}"
    from_port  = ${ingress[0]}
    to_port    = ${ingress[1]}
  }

  egress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "${peer}"
    from_port  = ${egress[0]}
    to_port    = ${egress[1]}
  }
}
`;

const CASES: Case[] = [
  {
    // Stateless, the entry cannot tell replies from new connections; it is the return path AWS documents, and the
    // stateful group behind it is what admits ICA, as a host firewall's `--sport` rule for replies is not reported.
    name: "a network ACL's entry for the replies from the Internet (1024-65535) exposes no ICA port",
    file: 'nacl.tf',
    text: naclFor('0.0.0.0/0', [1024, 65535], [1024, 65535]),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n',
    check: 'exposed-to-internet',
    expect: [],
  },
  {
    name: 'an ACL letting 1494 in from anywhere, and its replies out, does expose ICA',
    file: 'nacl.tf',
    text: naclFor('0.0.0.0/0', [1494, 1494], [1024, 65535]),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n',
    check: 'exposed-to-internet',
    expect: [{ line: 9, says: ['TCP 1494', 'from 0.0.0.0/0'] }],
  },
  {
    name: "a stateless ACL's rule for replies to the ephemeral ports opens no Citrix port (1024-65535 holds 1494, 2598, 8008)",
    file: 'nacl.tf',
    text: naclFor('10.0.0.20/32', [1494, 1494], [1024, 65535]),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  gateway-snip: [10.0.0.20]\n',
    check: 'unneeded-citrix-port',
    expect: [],
  },
  {
    name: 'the same egress rule from port 1000 is no reply range: it opens Citrix ports the VDA does not need outbound',
    file: 'nacl.tf',
    text: naclFor('10.0.0.20/32', [1494, 1494], [1000, 65535]),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  gateway-snip: [10.0.0.20]\n',
    check: 'unneeded-citrix-port',
    expect: [{ line: 19, says: ['TCP 1494'] }],
  },
  {
    name: 'a variable source says its value and where it comes from',
    file: 'mgmt.tf',
    text: `variable "rdp_sources" {\n  default = "*"\n}\n${nsg(rule('rdp', 100, 'Allow', 'Tcp', '3389', '*').replace('source_address_prefix      = "*"', 'source_address_prefix      = var.rdp_sources'), '')}`,
    check: 'exposed-to-internet',
    expect: [{ line: 17, covers: 'var.rdp_sources', says: ['allows it from "*", the default of var.rdp_sources.'] }],
  },
  {
    name: 'ICA ports are named per protocol: UDP 16500-16509 is HDX audio, TCP there is not ICA',
    file: 'vda.tf',
    text: nsg(rule('open-hdx', 100, 'Allow', '*', '1494-2598', '*').replace('destination_port_range     = "1494-2598"', 'destination_port_ranges    = ["1494", "2598", "16500-16509"]')),
    check: 'exposed-to-internet',
    expect: [{ line: 14, says: ['ICA/HDX (TCP 1494, 2598; UDP 1494, 2598, 16500–16509) to Virtual Delivery Agent (VDA) is reachable from the Internet'] }],
  },
  // exposed-to-internet through NAT: the filter sees the translated packet, so the public port is not what is exposed.
  {
    name: 'DNAT from anywhere to an internal ICA port that FORWARD lets through',
    file: 'gw.rules',
    text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eth0 -p tcp --dport 443 -j DNAT --to-destination 10.0.2.5:1494\n-A PREROUTING -i eth0 -p tcp --dport 2222 -j DNAT --to-destination 10.0.2.6:22\n-A PREROUTING -s 198.51.100.7 -p tcp --dport 3390 -j DNAT --to-destination 10.0.2.8:3389\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n-A FORWARD -d 10.0.2.5 -p tcp --dport 1494 -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n',
    check: 'exposed-to-internet',
    // Line 4's SSH is dropped by FORWARD; line 5 forwards RDP from one admin address only. Line 9 is the filter rule itself.
    expect: [
      { line: 3, says: ['ICA/HDX (TCP 1494) on 10.0.2.5 is reachable from the Internet through address translation', 'sends port 443 from any address there (DNAT)', 'FORWARD lets it through (the rule at line 9)'] },
      { line: 9, says: ['ICA/HDX (TCP 1494) is reachable from the Internet'] },
    ],
  },
  {
    name: 'REDIRECT of a public port to local SSH, judged by INPUT; a script without the filter table says so',
    file: 'host.sh',
    text: '#!/bin/sh\niptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 22\n',
    check: 'exposed-to-internet',
    expect: [{ line: 2, says: ['SSH/RDP management access (TCP 22) on this host is reachable from the Internet through address translation', 'the filter table that decides is not in this file'] }],
  },
  // exposed-to-internet
  {
    name: 'no roles: SSH open to 0.0.0.0/0 on an iptables host',
    file: 'rules.v4',
    text: iptables('-A INPUT -s 0.0.0.0/0 -p tcp --dport 22 -j ACCEPT\n'),
    check: 'exposed-to-internet',
    // The host's own firewall: a warning that says so, where a perimeter rule gets the check's error.
    expect: [{ line: 4, covers: '0.0.0.0/0', severity: 'warning', says: ['SSH/RDP management access (TCP 22)', 'allows it from 0.0.0.0/0', "This is the host's own firewall"] }],
  },
  {
    name: 'the same SSH opening on a perimeter NSG keeps the error',
    file: 'nsg.tf',
    text: nsg(rule('ssh', 100, 'Allow', 'Tcp', '22', '0.0.0.0/0'), ''),
    check: 'exposed-to-internet',
    expect: [{ line: 14, severity: 'error', says: ['SSH/RDP management access (TCP 22)'] }],
  },
  {
    // e2evc-citrix-aws platform/ctx_poc: the admins' list is a local that holds 0.0.0.0/0.
    name: 'a source given by name says what it holds',
    file: 'sg.tf',
    text: 'locals {\n  management_ips = ["0.0.0.0/0"]\n}\nresource "aws_security_group" "vda" {\n  ingress {\n    from_port   = 3389\n    to_port     = 3389\n    protocol    = "tcp"\n    cidr_blocks = local.management_ips\n  }\n}\n',
    check: 'exposed-to-internet',
    expect: [{ line: 9, covers: 'local.management_ips', says: ['(TCP 3389)', 'allows it from local.management_ips (any IPv4 address)'] }],
  },
  {
    name: 'no roles: ICA open to any in an ASA ACL (forward)',
    file: 'fw.asa',
    text: ': Saved\nASA Version 9.12(4)\naccess-list outside_in extended permit tcp any host 10.0.2.5 eq 1494\naccess-group outside_in in interface outside\n',
    check: 'exposed-to-internet',
    expect: [{ line: 3, says: ['ICA/HDX (TCP 1494)', 'through Citrix Gateway'] }],
  },
  {
    name: 'an earlier deny from the Internet makes a later allow-all safe',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 3389 -s 10.0.0.0/8 -j ACCEPT\n-A INPUT -p tcp --dport 3389 -j DROP\n-A INPUT -p tcp --dport 3389 -j ACCEPT\n'),
    check: 'exposed-to-internet',
    expect: [],
  },
  {
    name: 'a private source is not the Internet',
    file: 'nsg.tf',
    text: nsg(rule('Ica', 100, 'Allow', 'Tcp', '1494', '10.0.0.0/8')),
    check: 'exposed-to-internet',
    expect: [],
  },
  {
    name: 'an unresolved source is not assumed public',
    file: 'nsg.tf',
    text: nsg(rule('Ica', 100, 'Allow', 'Tcp', '1494', '${var.clients}')),
    check: 'exposed-to-internet',
    expect: [],
  },
  {
    name: 'ICA from the Internet tag, narrowTo carries the Gateway SNIP',
    file: 'nsg.tf',
    text: nsg(rule('Ica', 100, 'Allow', 'Tcp', '2598', 'Internet')),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  gateway-snip: [10.0.0.20, 10.0.0.21]\n',
    check: 'exposed-to-internet',
    expect: [{ line: 14, covers: '"Internet"', says: ['ICA/HDX (TCP 2598)', '(10.0.0.20, 10.0.0.21)'], data: { narrowTo: ['10.0.0.20', '10.0.0.21'], exposure: 'ica' } }],
  },
  {
    name: 'the ADC GUI over HTTPS on the NSIP is management',
    file: 'nsg.tf',
    text: nsg(rule('Gui', 100, 'Allow', 'Tcp', '443', '*'), '# citrix-role: adc-nsip'),
    topology: 'roles:\n  adc-nsip: [10.0.9.5]\n  admin-workstation: [10.0.8.0/24]\n',
    check: 'exposed-to-internet',
    expect: [{ line: 14, says: ['Management access (TCP 443) to'], data: { exposure: 'management', narrowTo: ['10.0.8.0/24'] } }],
  },
  {
    // Shape of netscaler/citrix-adc-azure-templates saca/mainTemplate.json's "default-allow-tcp": one finding, not one per exposure.
    name: 'a rule opening every TCP port from * is one finding naming ICA and management',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp -j ACCEPT\n'),
    check: 'exposed-to-internet',
    expect: [{ line: 4, says: ['opens every TCP port from any address', 'ICA/HDX (TCP 1494, 2598) and SSH/RDP management access (TCP 22, 3389) are reachable'], data: { exposures: ['ica', 'management'] } }],
  },
  {
    name: 'every port open, but an earlier deny covers management: only ICA is named',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp -m multiport --dports 22,3389 -j DROP\n-A INPUT -p tcp -j ACCEPT\n'),
    check: 'exposed-to-internet',
    expect: [{ line: 5, says: ['opens every TCP port from any address', 'ICA/HDX (TCP 1494, 2598) is reachable'], data: { exposures: ['ica'] } }],
  },
  // insecure-variant
  {
    name: 'LDAP 389 outbound from the Gateway SNIP, with the secure port in data',
    file: 'nsg.tf',
    text: nsg(rule('Ldap', 100, 'Allow', 'Tcp', '389', '*', 'Outbound'), '# citrix-role: gateway-snip'),
    topology: 'roles:\n  gateway-snip: [10.0.0.20]\n  ldap-server: [10.0.7.10]\n',
    check: 'insecure-variant',
    expect: [{ line: 13, covers: '"389"', says: ['opens TCP 389', 'Use TCP 636 instead'], data: { insecurePort: 389, securePort: 636 } }],
  },
  {
    name: 'HA sync 3010 between ADCs; 3008 instead',
    file: 'rules.v4',
    text: iptables('-A OUTPUT -p tcp --dport 3010 -j ACCEPT\n', '# citrix-role: adc-nsip\n'),
    topology: 'roles:\n  adc-nsip: [10.0.9.5]\n  adc: [10.0.9.6]\nfeatures:\n  ha: true\n',
    check: 'insecure-variant',
    expect: [{ line: 5, says: ['TCP 3010', 'Use TCP 3008'], data: { insecurePort: 3010, securePort: 3008 } }],
  },
  {
    name: 'a deny before the HTTP allow closes it',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 80 -j DROP\n-A INPUT -p tcp --dport 80 -j ACCEPT\n', '# citrix-role: storefront\n'),
    topology: 'roles:\n  storefront: [10.0.1.10]\n',
    check: 'insecure-variant',
    expect: [],
  },
  {
    name: 'an allow-all egress rule is not "the HTTP rule": no advice to use 443',
    file: 'nsg.tf',
    text: nsg(rule('AllowAllOut', 100, 'Allow', '*', '*', '*', 'Outbound'), '# citrix-role: storefront'),
    topology: 'roles:\n  storefront: [10.0.1.10]\n  delivery-controller: [10.0.3.10]\n',
    check: 'insecure-variant',
    expect: [],
  },
  {
    name: 'TCP 80 from a VDA to the Controllers is registration, not Session Recording over HTTP',
    file: 'rules.v4',
    text: iptables('-A OUTPUT -d 10.0.3.10 -p tcp --dport 80 -j ACCEPT\n', '# citrix-role: vda\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n  session-recording-server: [10.0.3.10]\n',
    check: 'insecure-variant',
    expect: [],
  },
  {
    name: 'no Session Recording server at the site: a VDA\'s TCP 80 rule serves no such flow',
    file: 'rules.v4',
    text: iptables('-A OUTPUT -p tcp --dport 80 -j ACCEPT\n', '# citrix-role: vda\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n',
    check: 'insecure-variant',
    expect: [],
  },
  {
    name: 'a VDA-and-StoreFront host: TCP 80 to the Controllers carries VDA registration, so no advice to move it',
    file: 'rules.v4',
    text: iptables('-A OUTPUT -d 10.0.3.10 -p tcp --dport 80 -j ACCEPT\n', '# citrix-role: vda storefront\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  storefront: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n',
    check: 'insecure-variant',
    expect: [],
  },
  {
    name: 'StoreFront alone: the XML service over HTTP to the Controllers is reported',
    file: 'rules.v4',
    text: iptables('-A OUTPUT -d 10.0.3.10 -p tcp --dport 80 -j ACCEPT\n', '# citrix-role: storefront\n'),
    topology: 'roles:\n  storefront: [10.0.1.10]\n  delivery-controller: [10.0.3.10]\n',
    check: 'insecure-variant',
    expect: [{ line: 5, covers: '80', says: ['TCP 80', 'StoreFront server → Delivery Controller', 'Use TCP 443'] }],
  },
  {
    name: 'an ASA rule between any and any on a web service group serves no one Citrix flow',
    file: 'fw.asa',
    text: ': Saved\nASA Version 9.12(4)\nobject-group service WEB tcp\n port-object eq www\n port-object eq https\naccess-list dmz_in extended permit tcp any any object-group WEB\naccess-group dmz_in in interface dmz\n',
    topology: 'roles:\n  storefront: [10.0.1.10]\n  delivery-controller: [10.0.3.10]\nbindings:\n  - { files: "*.asa", roles: [storefront] }\n',
    check: 'insecure-variant',
    expect: [],
  },
  // deprecated-port
  {
    name: 'WEM 8288 on 1909',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 8288 -j ACCEPT\n', '# citrix-role: wem-infrastructure\n'),
    topology: 'roles:\n  wem-infrastructure: [10.0.4.20]\nversions:\n  wem: "1909"\n',
    check: 'deprecated-port',
    expect: [{ line: 5, covers: '8288', says: ['from 1912', 'declares Workspace Environment Management 1909', 'That version uses TCP 8285'], data: { port: 8288, replacementPort: 8285 } }],
  },
  {
    name: 'WEM 8285 with no version declared: nothing to judge by',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 8285 -j ACCEPT\n', '# citrix-role: wem-infrastructure\n'),
    topology: 'roles:\n  wem-infrastructure: [10.0.4.20]\n',
    check: 'deprecated-port',
    expect: [],
  },
  {
    name: 'Local Host Cache 89 "might change" is no finding: the rule is right today (the hover quotes the seed)',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 89 -j ACCEPT\n', '# citrix-role: vda\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n',
    check: 'deprecated-port',
    expect: [],
  },
  {
    name: 'a configured severity applies to a version finding',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 8288 -j ACCEPT\n', '# citrix-role: wem-infrastructure\n'),
    topology: 'roles:\n  wem-infrastructure: [10.0.4.20]\nversions:\n  wem: "1909"\nchecks:\n  deprecated-port: error\n',
    check: 'deprecated-port',
    expect: [{ line: 5, severity: 'error' }],
  },
  // shadowed-rule
  {
    name: 'priority: a broad deny at a lower number shadows a later allow',
    file: 'nsg.tf',
    text: nsg(rule('DenyAll', 100, 'Deny', '*', '*', '*') + rule('AllowIca', 200, 'Allow', 'Tcp', '1494', '10.0.0.20')),
    check: 'shadowed-rule',
    expect: [{ line: 17, says: ['"AllowIca" (priority 200, line 17) is never reached', '"DenyAll" (priority 100, line 6)', 'Its allow never takes effect'] }],
  },
  {
    name: 'priority order, not text order, decides',
    file: 'nsg.tf',
    text: nsg(rule('AllowIca', 200, 'Allow', 'Tcp', '1494', '10.0.0.20') + rule('DenyAll', 100, 'Deny', '*', '*', '*')),
    check: 'shadowed-rule',
    expect: [{ line: 6, says: ['"AllowIca" (priority 200, line 6)', '"DenyAll" (priority 100, line 17)'] }],
  },
  {
    // 60 rules: past 32 the check asks the port-block index for the earlier rules only. Rule lines are 4 + n.
    // Line 14 (TCP 20010 from 10.9.0.0/16) covers line 54's TCP 20010 from 10.9.40.0/24; line 59's TCP 20055 from
    // 10.9.55.0/24 is covered by line 56 (20052–20055 from anywhere); line 24's TCP 20020 is covered by nothing
    // before it — only by line 49 after it, and a later rule shadows nothing; line 63 is covered by the rule just
    // before it (line 62) and by no other.
    name: 'in a 60-rule chain, only earlier rules shadow, found through the port index',
    file: 'rules.v4',
    text: iptables(
      Array.from({ length: 60 }, (_, n) =>
        n === 10 ? '-A INPUT -s 10.9.0.0/16 -p tcp --dport 20010 -j ACCEPT\n'
          : n === 20 ? '-A INPUT -s 10.9.20.0/24 -p tcp --dport 20020 -j ACCEPT\n'
            : n === 45 ? '-A INPUT -p tcp --dport 20020 -j ACCEPT\n'
              : n === 50 ? '-A INPUT -s 10.9.40.0/24 -p tcp --dport 20010 -j ACCEPT\n'
                : n === 52 ? '-A INPUT -p tcp --dport 20052:20055 -j ACCEPT\n'
                  : n === 55 ? '-A INPUT -s 10.9.55.0/24 -p tcp --dport 20055 -j ACCEPT\n'
                    : n === 58 ? '-A INPUT -s 10.7.0.0/16 -p tcp --dport 20058 -j ACCEPT\n'
                      : n === 59 ? '-A INPUT -s 10.7.1.0/24 -p tcp --dport 20058 -j ACCEPT\n'
                        : `-A INPUT -s 10.8.${n}.0/24 -p tcp --dport ${30000 + n * 100} -j ACCEPT\n`,
      ).join(''),
    ),
    check: 'shadowed-rule',
    expect: [
      { line: 54, says: ['the rule at line 14'] },
      { line: 59, says: ['the rule at line 56'] },
      { line: 63, says: ['the rule at line 62'] },
    ],
  },
  {
    name: 'two earlier rules together cover a third',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 1000:1999 -j ACCEPT\n-A INPUT -p tcp --dport 2000:2999 -j DROP\n-A INPUT -p tcp --dport 1500:2500 -j ACCEPT\n'),
    check: 'shadowed-rule',
    expect: [{ line: 6, says: ['the rule at line 4', 'the rule at line 5'] }],
  },
  {
    name: 'partly covered is not shadowed',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 1000:1999 -j ACCEPT\n-A INPUT -p tcp --dport 1500:2500 -j ACCEPT\n'),
    check: 'shadowed-rule',
    expect: [],
  },
  {
    name: 'an established-only rule does not cover new connections',
    file: 'rules.v4',
    text: iptables('-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n'),
    check: 'shadowed-rule',
    expect: [],
  },
  {
    name: 'a rule with an unresolved source never covers',
    file: 'nsg.tf',
    text: nsg(rule('DenyClients', 100, 'Deny', '*', '*', '${var.clients}') + rule('AllowIca', 200, 'Allow', 'Tcp', '1494', '${var.clients}')),
    check: 'shadowed-rule',
    expect: [],
  },
  {
    name: 'union of allows: an allow inside another is redundant; of two equal ones the later',
    file: 'sg.tf',
    text:
      'resource "aws_security_group" "s" {\n  name = "s"\n' +
      '  ingress {\n    from_port   = 1000\n    to_port     = 2000\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n' +
      '  ingress {\n    from_port   = 1494\n    to_port     = 1494\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.20/32"]\n  }\n' +
      '  ingress {\n    from_port   = 3000\n    to_port     = 3000\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n' +
      '  ingress {\n    from_port   = 3000\n    to_port     = 3000\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n',
    check: 'shadowed-rule',
    expect: [{ line: 9, says: ['is redundant', 'the rule at line 3'] }, { line: 21, says: ['is redundant', 'the rule at line 15'] }],
  },
  {
    name: 'block wins: an allow inside a block never allows',
    file: 'fw.ps1',
    text:
      'New-NetFirewallRule -DisplayName "Block RDP" -Direction Inbound -Protocol TCP -LocalPort 3389 -Action Block\n' +
      'New-NetFirewallRule -DisplayName "RDP from admins" -Direction Inbound -Protocol TCP -LocalPort 3389 -RemoteAddress 10.0.8.0/24 -Action Allow\n',
    check: 'shadowed-rule',
    expect: [{ line: 2, says: ['"RDP from admins"', 'never allows anything', '"Block RDP"', 'a block wins'] }],
  },
  // unneeded-citrix-port
  {
    name: 'UDP 1494 to a VDA with EDT off',
    file: 'rules.v4',
    text: iptables('-A INPUT -p udp --dport 1494 -j ACCEPT\n-A INPUT -p tcp --dport 1494 -j ACCEPT\n', '# citrix-role: vda\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\nfeatures:\n  edt: false\n',
    check: 'unneeded-citrix-port',
    expect: [{ line: 5, covers: '1494', says: ['UDP 1494', 'Enlightened Data Transport', 'is off'] }],
  },
  {
    name: 'a Citrix port of another role: ICA opened on StoreFront',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 1494 -j ACCEPT\n', '# citrix-role: storefront\n'),
    topology: 'roles:\n  storefront: [10.0.1.10]\n',
    check: 'unneeded-citrix-port',
    expect: [{ line: 5, says: ['TCP 1494', 'that flow goes to Virtual Delivery Agent (VDA)', 'No flow to StoreFront server needs it'] }],
  },
  {
    // netscaler/citrix-adc-azure-templates: "autoscale-daemon" opens 9001 on the ADC; the VDA's 9001 listens on 127.0.0.1 only.
    name: 'a loopback-only Citrix port (the VDA\'s 127.0.0.1:9001) is no Citrix port on a network rule',
    file: 'nsg.tf',
    text: nsg(rule('autoscale-daemon', 1001, 'Allow', 'Tcp', '9001', '10.0.9.0/24'), '# citrix-role: adc'),
    topology: 'roles:\n  adc: [10.0.9.5]\n',
    check: 'unneeded-citrix-port',
    expect: [],
  },
  {
    // netscaler/netscaler-adc-aws-cloudformation templates/external-adm-agent: the agent's group opens what instances send to ADM.
    name: 'an ADM agent receives what managed instances send to ADM (AppFlow, logstream, metrics), so those ports are its own',
    file: 'rules.v4',
    text: iptables('-A INPUT -p udp --dport 4739 -j ACCEPT\n-A INPUT -p tcp --dport 5557 -j ACCEPT\n-A INPUT -p tcp --dport 5563 -j ACCEPT\n', '# citrix-role: adm-agent\n'),
    topology: 'roles:\n  adm-agent: [10.0.5.10]\nfeatures:\n  appflow: true\n',
    check: 'unneeded-citrix-port',
    expect: [],
  },
  {
    name: 'the same ports on a host that relays nothing to ADM are another role\'s',
    file: 'rules.v4',
    text: iptables('-A INPUT -p udp --dport 4739 -j ACCEPT\n', '# citrix-role: storefront\n'),
    topology: 'roles:\n  storefront: [10.0.1.10]\n',
    check: 'unneeded-citrix-port',
    expect: [{ line: 5, says: ['UDP 4739', 'No flow to StoreFront server needs it'] }],
  },
  {
    name: 'a port that is no Citrix port is not this check\'s business',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 4444 -j ACCEPT\n', '# citrix-role: vda\n'),
    topology: 'roles:\n  vda: [10.0.2.0/24]\n',
    check: 'unneeded-citrix-port',
    expect: [],
  },
  {
    name: 'no roles: nothing to judge by',
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 8008 -j ACCEPT\n'),
    check: 'unneeded-citrix-port',
    expect: [],
  },
  // unknown-role, from its three sources
  {
    name: 'in citrix-flows.yaml',
    file: 'rules.v4',
    text: iptables(''),
    topology: 'roles:\n  storefrnt: [10.0.1.10]\n',
    check: 'unknown-role',
    expect: [{ line: 2, covers: 'storefrnt', says: ['storefrnt', 'storefront'] }],
  },
  {
    name: 'in an annotation',
    file: 'rules.v4',
    text: iptables('', '# citrix-role: delivery-controler\n'),
    check: 'unknown-role',
    expect: [{ line: 1, covers: 'delivery-controler', says: ['did you mean "delivery-controller"'] }],
  },
  {
    name: 'an alias is not unknown',
    file: 'rules.v4',
    text: iptables('', '# citrix-role: Virtual Delivery Agent\n'),
    check: 'unknown-role',
    expect: [],
  },
];

for (const c of CASES) check(c);

test('unknown-role: from --role, reported against the command line', async () => {
  const { findings } = await run({ file: 'rules.v4', text: iptables(''), options: { commandLineRoles: ['vdaa'] } });
  const unknown = findings.filter((f) => f.checkId === 'unknown-role');
  assert.equal(unknown.length, 1);
  assert.equal(unknown[0].uri, '<command-line>');
  assert.match(unknown[0].message, /Unknown role "vdaa".*did you mean "vda"/);
});

test('a check that throws becomes one internal-error finding and the others still run', async () => {
  const failing: CheckDefinition = {
    id: 'always-fails',
    title: 'fails',
    summary: 'fails',
    defaultSeverity: 'warning',
    needsRoles: false,
    run() {
      throw new Error('boom');
    },
  };
  const { findings } = await run({
    file: 'rules.v4',
    text: iptables('-A INPUT -p tcp --dport 22 -j ACCEPT\n'),
    options: { checks: [failing, ...CHECKS] },
  });
  const internal = findings.filter((f) => f.checkId === 'internal-error');
  assert.equal(internal.length, 1);
  assert.equal(internal[0].severity, 'error');
  assert.match(internal[0].message, /The check "always-fails" failed.*boom/s);
  assert.deepEqual(internal[0].data, { check: 'always-fails' });
  assert.ok(findings.some((f) => f.checkId === 'exposed-to-internet'), 'the other checks ran');
});
