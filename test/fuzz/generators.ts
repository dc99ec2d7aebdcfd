/**
 * Generators of structurally valid but random configurations, one target per
 * dialect a parser reads. A file is `wrap(chunks)`: a header, any number of
 * chunks (a resource, a rule line, a table), a footer. The values inside are
 * drawn mostly from what the formats accept and sometimes from just outside
 * it (octet 256, port 70000, unknown keywords), because that is where parsers
 * break. The same chunk generators feed `bench/parsers.mjs`, sampled with a
 * fixed seed, so the benchmark measures the shapes the fuzzer checks.
 */
import fc from 'fast-check';
import type { FormatId } from '../../server/src/model';

export interface FuzzTarget {
  /** Dialect name used on the command line (`--format`) and in fuzz-found paths. */
  readonly name: string;
  readonly format: FormatId;
  /** File extension for the uri and for counterexamples (some parsers look at it). */
  readonly ext: string;
  /** Fixture folder whose files are mutated byte-wise for this target. */
  readonly fixtures: string;
  /** Only fixtures with one of these extensions are mutated under this target (the folder may mix dialects). */
  readonly fixtureExts: readonly string[];
  readonly chunk: fc.Arbitrary<string>;
  /** Chunks the benchmark leaves out because they discard everything before them (`flush ruleset`, `iptables -F`). */
  readonly benchExclude?: RegExp;
  wrap(chunks: readonly string[]): string;
}

const pick = <T>(...xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const sometimes = (arb: fc.Arbitrary<string>, freq = 3): fc.Arbitrary<string> => fc.oneof({ weight: freq, arbitrary: fc.constant('') }, { weight: 1, arbitrary: arb });

// Names: mostly identifiers, sometimes with non-ASCII letters, since spans are UTF-16 offsets.
const ident = fc.oneof(
  { weight: 30, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/) },
  { weight: 1, arbitrary: pick('café', 'ñandú', 'zoë_vda', 'ДДК', 'vda😀', 'a'.repeat(300)) },
);
const dashName = ident.map((s) => s.replace(/_/g, '-'));

const octet = fc.oneof({ weight: 100, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.integer({ min: 256, max: 999 }) });
export const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const prefix4 = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 32 }) }, { weight: 1, arbitrary: fc.integer({ min: 33, max: 99 }) });
export const cidr4 = fc.tuple(ipv4, prefix4).map(([a, p]) => `${a}/${p}`);
const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
export const ipv6 = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(hextet, hextet).map(([a, b]) => `2001:db8:${a}::${b}`) },
  { weight: 4, arbitrary: pick('::1', '::', 'fe80::1', '2001:db8::', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8') },
  { weight: 1, arbitrary: pick('1::2::3', 'gggg::1') },
);
export const cidr6 = fc.tuple(ipv6, fc.integer({ min: 0, max: 130 })).map(([a, p]) => `${a}/${p}`);
export const addressLiteral = fc.oneof(
  { weight: 6, arbitrary: cidr4 },
  { weight: 4, arbitrary: ipv4 },
  { weight: 2, arbitrary: ipv6 },
  { weight: 1, arbitrary: cidr6 },
  { weight: 1, arbitrary: fc.tuple(ipv4, ipv4).map(([a, b]) => `${a}-${b}`) },
);
const azureAddress = fc.oneof(
  { weight: 6, arbitrary: addressLiteral },
  { weight: 3, arbitrary: pick('*', 'VirtualNetwork', 'Internet', 'AzureLoadBalancer', 'Storage.WestEurope', 'Any', 'GatewayManager') },
);

const port = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 65535 }) }, { weight: 1, arbitrary: fc.integer({ min: 65536, max: 99999 }) });
const citrixPort = pick(80, 443, 1494, 2598, 16500, 8008, 3389, 22, 53, 389);
const anyPort = fc.oneof(citrixPort, port);
const portRange = fc.tuple(anyPort, anyPort);
const dashPorts = fc.oneof(
  anyPort.map(String),
  portRange.map(([a, b]) => `${a}-${b}`),
  pick('*', '', '1494-', '-5', 'x'),
);

const comment = (leader: string): fc.Arbitrary<string> =>
  fc.oneof(
    pick(`${leader} citrix-role: vda`, `${leader} citrix-role: storefront, delivery-controller`, `${leader} citrix-flow-lint-disable-next-line missing-flow`, `${leader} citrix-role: nosuchrole`),
    fc.string({ maxLength: 40 }).map((s) => `${leader} ${s.replace(/[\r\n]/g, ' ')}`),
  );
const lineComment = (leader: string): fc.Arbitrary<string> => sometimes(comment(leader).map((c) => `${c}\n`), 2);

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// ---------------------------------------------------------------- Terraform

const tfValue = (literal: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: literal.map(quote) }, { weight: 1, arbitrary: pick('var.extra', 'local.cidrs[0]', 'module.net.cidr', '"${var.prefix}.0.0/16"', 'cidrsubnet(var.vnet, 8, 1)', 'each.value') });
const tfList = (literal: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ weight: 6, arbitrary: fc.array(tfValue(literal), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`) }, { weight: 1, arbitrary: pick('var.cidrs', 'concat(var.a, ["10.0.0.0/8"])', '[for s in var.subnets : s.cidr]') });

const awsProtocol = pick('tcp', 'udp', 'icmp', '-1', 'all', '6', '17', 'icmpv6', '58', 'TCP', 'sctp');
const awsRule = fc.record({ from: anyPort, to: anyPort, proto: awsProtocol, cidrs: tfList(cidr4), v6: sometimes(tfList(cidr6).map((l) => `    ipv6_cidr_blocks = ${l}\n`)), sg: sometimes(pick('    security_groups = [aws_security_group.ddc.id]\n', '    self = true\n', '    prefix_list_ids = ["pl-123"]\n')) });
const awsBlock = (kind: 'ingress' | 'egress') =>
  awsRule.map((r) => `  ${kind} {\n    from_port   = ${r.from}\n    to_port     = ${r.to}\n    protocol    = "${r.proto}"\n    cidr_blocks = ${r.cidrs}\n${r.v6}${r.sg}  }\n`);
const awsChunk = fc.oneof(
  fc.tuple(lineComment('#'), ident, fc.array(awsBlock('ingress'), { maxLength: 4 }), fc.array(awsBlock('egress'), { maxLength: 2 })).map(
    ([c, n, ins, outs]) => `${c}resource "aws_security_group" "${n}" {\n  name = "${n}"\n${ins.join('')}${outs.join('')}}\n\n`,
  ),
  fc.tuple(ident, pick('ingress', 'egress'), awsRule, ident).map(
    ([n, type, r, sg]) => `resource "aws_security_group_rule" "${n}" {\n  type              = "${type}"\n  from_port         = ${r.from}\n  to_port           = ${r.to}\n  protocol          = "${r.proto}"\n  cidr_blocks       = ${r.cidrs}\n  security_group_id = aws_security_group.${sg}.id\n}\n\n`,
  ),
  fc.tuple(ident, pick('ingress', 'egress'), awsRule, ident, tfValue(cidr4)).map(
    ([n, dir, r, sg, c]) => `resource "aws_vpc_security_group_${dir}_rule" "${n}" {\n  security_group_id = aws_security_group.${sg}.id\n  cidr_ipv4         = ${c}\n  from_port         = ${r.from}\n  to_port           = ${r.to}\n  ip_protocol       = "${r.proto}"\n}\n\n`,
  ),
  fc.tuple(ident, awsRule).map(
    ([n, r]) =>
      `resource "aws_security_group" "${n}" {\n  dynamic "ingress" {\n    for_each = var.ports\n    content {\n      from_port   = ingress.value\n      to_port     = ingress.value\n      protocol    = "${r.proto}"\n      cidr_blocks = ${r.cidrs}\n    }\n  }\n}\n\n`,
  ),
);

const azureProtocol = pick('Tcp', 'Udp', 'Icmp', '*', 'Any', 'Esp', 'Ah', 'tcp', 'Bogus');
const azureRuleFields = fc.record({
  name: dashName,
  priority: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 100, max: 4096 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 70000 }) }),
  direction: pick('Inbound', 'Outbound', 'inbound', 'Sideways'),
  access: pick('Allow', 'Deny', 'allow', 'Maybe'),
  protocol: azureProtocol,
  srcPort: dashPorts,
  dstPort: dashPorts,
  dstPorts: fc.array(dashPorts, { maxLength: 3 }),
  src: azureAddress,
  dst: azureAddress,
  srcs: fc.array(azureAddress, { maxLength: 3 }),
  plural: fc.boolean(),
});
const tfAzureRule = azureRuleFields.map(
  (r) =>
    `  security_rule {\n    name                       = "${r.name}"\n    priority                   = ${r.priority}\n    direction                  = "${r.direction}"\n    access                     = "${r.access}"\n    protocol                   = "${r.protocol}"\n    source_port_range          = "${r.srcPort}"\n` +
    (r.plural
      ? `    destination_port_ranges    = [${r.dstPorts.map(quote).join(', ')}]\n    source_address_prefixes    = [${r.srcs.map(quote).join(', ')}]\n`
      : `    destination_port_range     = "${r.dstPort}"\n    source_address_prefix      = "${r.src}"\n`) +
    `    destination_address_prefix = "${r.dst}"\n  }\n`,
);
const azureTfChunk = fc.oneof(
  fc.tuple(lineComment('#'), ident, fc.array(tfAzureRule, { maxLength: 5 })).map(
    ([c, n, rules]) => `${c}resource "azurerm_network_security_group" "${n}" {\n  name                = "${n}"\n  location            = "westeurope"\n  resource_group_name = "rg"\n\n${rules.join('')}}\n\n`,
  ),
  fc.tuple(ident, azureRuleFields, ident).map(
    ([n, r, nsg]) =>
      `resource "azurerm_network_security_rule" "${n}" {\n  name                        = "${r.name}"\n  priority                    = ${r.priority}\n  direction                   = "${r.direction}"\n  access                      = "${r.access}"\n  protocol                    = "${r.protocol}"\n  source_port_range           = "${r.srcPort}"\n  destination_port_range      = "${r.dstPort}"\n  source_address_prefix       = "${r.src}"\n  destination_address_prefix  = "${r.dst}"\n  resource_group_name         = "rg"\n  network_security_group_name = azurerm_network_security_group.${nsg}.name\n}\n\n`,
  ),
  fc.tuple(ident, ident).map(
    ([a, b]) => `resource "azurerm_subnet_network_security_group_association" "${a}" {\n  subnet_id                 = azurerm_subnet.${b}.id\n  network_security_group_id = azurerm_network_security_group.${b}.id\n}\n\n`,
  ),
);

const gcpPorts = fc.array(fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`)), { maxLength: 4 });
const gcpChunk = fc
  .tuple(lineComment('#'), ident, pick('allow', 'deny'), pick('tcp', 'udp', 'icmp', 'all', 'esp', '6'), gcpPorts, fc.option(fc.integer({ min: 0, max: 70000 })), pick('INGRESS', 'EGRESS', ''), tfList(cidr4), fc.array(dashName, { maxLength: 2 }))
  .map(
    ([c, n, verb, proto, ports, prio, dir, ranges, tags]) =>
      `${c}resource "google_compute_firewall" "${n}" {\n  name    = "${n.replace(/_/g, '-')}"\n  network = google_compute_network.main.name\n` +
      (prio === null ? '' : `  priority = ${prio}\n`) +
      (dir ? `  direction = "${dir}"\n` : '') +
      `  ${verb} {\n    protocol = "${proto}"\n    ports    = [${ports.map(quote).join(', ')}]\n  }\n  ${dir === 'EGRESS' ? 'destination_ranges' : 'source_ranges'} = ${ranges}\n  target_tags   = [${tags.map(quote).join(', ')}]\n}\n\n`,
  );

const tfHeader = 'variable "extra" {\n  default = "172.16.0.0/12"\n}\n\nvariable "ports" {\n  default = [1494, 2598]\n}\n\n';

// ---------------------------------------------------------------- Bicep / ARM

const bicepRule = azureRuleFields.map(
  (r) =>
    `      {\n        name: '${r.name}'\n        properties: {\n          access: '${r.access}'\n          direction: '${r.direction}'\n          priority: ${r.priority}\n          protocol: '${r.protocol}'\n          sourcePortRange: '${r.srcPort}'\n` +
    (r.plural
      ? `          destinationPortRanges: [\n${r.dstPorts.map((p) => `            '${p}'\n`).join('')}          ]\n          sourceAddressPrefixes: [ ${r.srcs.map((s) => `'${s}'`).join(' ')} ]\n`
      : `          destinationPortRange: '${r.dstPort}'\n          sourceAddressPrefix: '${r.src}'\n`) +
    `          destinationAddressPrefix: '${r.dst}'\n        }\n      }\n`,
);
const bicepChunk = fc.oneof(
  { weight: 4, arbitrary: fc
    .tuple(lineComment('//'), ident, fc.array(bicepRule, { maxLength: 5 }))
    .map(([c, n, rules]) => `${c}resource ${n} 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: 'nsg-${n}'\n  location: location\n  properties: {\n    securityRules: [\n${rules.join('')}    ]\n  }\n}\n\n`) },
  { weight: 1, arbitrary: fc
    .tuple(ident, ident, azureRuleFields)
    .map(([n, parent, r]) => `resource ${n} 'Microsoft.Network/networkSecurityGroups/securityRules@2023-04-01' = {\n  parent: ${parent}\n  name: '${r.name}'\n  properties: {\n    access: '${r.access}'\n    direction: '${r.direction}'\n    priority: ${r.priority}\n    protocol: '${r.protocol}'\n    sourcePortRange: '${r.srcPort}'\n    destinationPortRange: '${r.dstPort}'\n    sourceAddressPrefix: prefix\n    destinationAddressPrefix: '${r.dst}'\n  }\n}\n\n`) },
  { weight: 1, arbitrary: fc
    .tuple(ident, fc.array(citrixPort, { maxLength: 4 }))
    .map(([n, ports]) => `resource ${n} 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: '${n}'\n  location: location\n  properties: {\n    securityRules: [for (p, i) in [${ports.join(', ')}]: {\n      name: 'allow-\${p}'\n      properties: { access: 'Allow', direction: 'Inbound', priority: 100 + i, protocol: 'Tcp', sourcePortRange: '*', destinationPortRange: string(p), sourceAddressPrefix: '*', destinationAddressPrefix: '*' }\n    }]\n  }\n}\n\n`) },
);
const bicepHeader = "param location string = resourceGroup().location\nparam prefix string = '10.0.0.0/8'\nvar ica = '1494'\n\n";

const json = (v: unknown): string => JSON.stringify(v);
const armRule = azureRuleFields.map((r) =>
  json({
    name: r.name,
    properties: {
      access: r.access,
      direction: r.direction,
      priority: r.priority,
      protocol: r.protocol,
      sourcePortRange: r.srcPort,
      ...(r.plural ? { destinationPortRanges: r.dstPorts, sourceAddressPrefixes: r.srcs } : { destinationPortRange: r.dstPort, sourceAddressPrefix: r.src }),
      destinationAddressPrefix: r.dst,
    },
  }),
);
const armChunk = fc.oneof(
  { weight: 4, arbitrary: fc
    .tuple(dashName, fc.array(armRule, { maxLength: 5 }))
    .map(([n, rules]) => `    {\n      "type": "Microsoft.Network/networkSecurityGroups",\n      "apiVersion": "2023-04-01",\n      "name": "${n}",\n      "location": "[parameters('location')]",\n      "properties": {\n        "securityRules": [\n          ${rules.join(',\n          ')}\n        ]\n      }\n    }`) },
  { weight: 1, arbitrary: fc
    .tuple(dashName, armRule)
    .map(([n, r]) => `    {\n      "type": "Microsoft.Network/networkSecurityGroups/securityRules",\n      "apiVersion": "2023-04-01",\n      "name": "[concat('nsg', '/${n}')]",\n      "properties": ${JSON.stringify((JSON.parse(r) as { properties: unknown }).properties)}\n    }`) },
);
const armWrap = (chunks: readonly string[]): string =>
  `{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n  "contentVersion": "1.0.0.0",\n  "parameters": { "location": { "type": "string", "defaultValue": "westeurope" } },\n  "variables": { "ica": "1494" },\n  "resources": [\n${chunks.join(',\n')}\n  ]\n}\n`;

// ---------------------------------------------------------------- iptables

const iptChain = pick('INPUT', 'OUTPUT', 'FORWARD', 'CITRIX', 'LOGDROP');
const iptTarget = pick('ACCEPT', 'DROP', 'REJECT', 'RETURN', 'LOG --log-prefix "x "', 'CITRIX', 'LOGDROP', 'MARK --set-mark 1', 'NOSUCH');
const iptProto = pick('tcp', 'udp', 'icmp', 'all', '6', 'ipv6-icmp', 'sctp');
const neg = sometimes(fc.constant('! '), 6);
const iptMatch = fc.oneof(
  fc.tuple(neg, addressLiteral).map(([n, a]) => `${n}-s ${a}`),
  fc.tuple(neg, addressLiteral).map(([n, a]) => `${n}-d ${a}`),
  fc.tuple(neg, anyPort).map(([n, p]) => `${n}--dport ${p}`),
  portRange.map(([a, b]) => `--sport ${a}:${b}`),
  fc.array(fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}:${b}`)), { minLength: 1, maxLength: 5 }).map((ps) => `-m multiport --dports ${ps.join(',')}`),
  pick('-m conntrack --ctstate ESTABLISHED,RELATED', '-m state --state NEW', '-i eth0', '-o lo', '! -i lo', '-m comment --comment "citrix ica"', '-m set --match-set admins src', '-m iprange --src-range 10.0.0.1-10.0.0.9', '-m limit --limit 5/min', '--icmp-type echo-request', '-f', '-m recent --name x'),
);
const iptRuleArgs = fc.tuple(fc.oneof({ weight: 6, arbitrary: iptProto.map((p) => `-p ${p} `) }, { weight: 1, arbitrary: fc.constant('') }), fc.array(iptMatch, { maxLength: 5 }), iptTarget).map(([p, ms, t]) => `${p}${ms.join(' ')} -j ${t}`);
const saveChunk = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(lineComment('#'), fc.oneof({ weight: 12, arbitrary: fc.constant('-A') }, { weight: 1, arbitrary: pick('-I', '-I 1', '-D', '-R 2') }), iptChain, iptRuleArgs).map(([c, op, ch, r]) => `${c}${op} ${ch} ${r}\n`) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(99), fc.nat(9999), iptChain, iptRuleArgs).map(([a, b, ch, r]) => `[${a}:${b}] -A ${ch} ${r}\n`) },
);
const saveWrap = (chunks: readonly string[]): string =>
  `# Generated by iptables-save v1.8.7\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:CITRIX - [0:0]\n:LOGDROP - [0:0]\n${chunks.join('')}COMMIT\n# Completed\n`;

const scriptChunk = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(lineComment('#'), pick('$IPT', 'iptables', 'ip6tables', '/sbin/iptables', '$IP6T'), fc.oneof({ weight: 12, arbitrary: pick('-A', '--append') }, { weight: 1, arbitrary: pick('-I', '-I 1', '-D', '-R 1') }), iptChain, iptRuleArgs).map(([c, cmd, op, ch, r]) => `${c}${cmd} ${op} ${ch} ${r}\n`) },
  { weight: 1, arbitrary: fc.tuple(pick('p', 'port'), fc.array(citrixPort, { maxLength: 4 }), iptChain).map(([v, ps, ch]) => `for ${v} in ${ps.join(' ')}; do\n  $IPT -A ${ch} -p tcp --dport "$${v}" -j ACCEPT\ndone\n`) },
  { weight: 1, arbitrary: fc.tuple(iptChain, addressLiteral).map(([ch, a]) => `$IPT -A ${ch} -s "$ADMIN_NET" \\\n    -d ${a} -p tcp \\\n    --dport 22 -j ACCEPT\n`) },
  { weight: 1, arbitrary: pick('$IPT -P INPUT DROP\n', '$IPT -N CITRIX\n', '$IPT -F\n', 'ADMIN_NET=10.9.0.0/16\n', 'echo "done"\n', '. /etc/default/firewall\n', 'if [ -x /x ]; then $IPT -A INPUT -j DROP; fi\n', '$IPT -A INPUT -s $UNKNOWN -j ACCEPT\n') },
);
const scriptWrap = (chunks: readonly string[]): string => `#!/bin/sh\nIPT=/sbin/iptables\nIP6T="/sbin/ip6tables"\nADMIN_NET=10.200.0.0/24\n$IPT -N CITRIX\n$IPT -N LOGDROP\n${chunks.join('')}`;

// ---------------------------------------------------------------- nftables

const nftSet = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<string> => fc.array(arb, { minLength: 1, maxLength: 4 }).map((xs) => (xs.length === 1 ? String(xs[0]) : `{ ${xs.join(', ')} }`));
const nftMatch = fc.oneof(
  fc.tuple(pick('ip saddr', 'ip daddr', 'ip saddr !='), nftSet(fc.oneof(cidr4, ipv4))).map(([k, v]) => `${k} ${v}`),
  fc.tuple(pick('ip6 saddr', 'ip6 daddr'), nftSet(ipv6)).map(([k, v]) => `${k} ${v}`),
  fc.tuple(pick('tcp dport', 'udp dport', 'tcp sport', 'th dport', 'tcp dport !='), nftSet(fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`), pick('ssh', 'https', 'http')))).map(([k, v]) => `${k} ${v}`),
  pick('ct state established,related', 'ct state { established, related }', 'ct state new', 'iif lo', 'iifname "eth0"', 'oifname { "eth0", "eth1" }', 'meta l4proto { tcp, udp }', 'meta l4proto icmp', 'ip protocol tcp', 'counter', 'log prefix "x "', 'limit rate 5/second', 'ip saddr $admins', 'ip saddr @allowed', 'meta nfproto ipv4', 'icmp type echo-request'),
);
// nft strings have no escapes (its scanner reads `"[^"]*"`): a `"` inside a comment ends it and the rest of the line is junk, so none is generated.
const nftVerdict = pick('accept', 'drop', 'reject', 'reject with tcp reset', 'jump citrix', 'goto citrix', 'return', 'continue', 'counter', 'queue', 'jump nowhere');
const nftRule = fc.tuple(fc.array(nftMatch, { maxLength: 4 }), nftVerdict, sometimes(fc.string({ maxLength: 12 }).map((s) => ` comment "${s.replace(/[\r\n"]/g, '')}"`))).map(([ms, v, c]) => `\t\t${[...ms, v].join(' ')}${c}\n`);
const nftChain = fc
  .tuple(pick('input', 'output', 'forward', 'prerouting'), pick('filter', 'nat'), pick('0', '-100', 'filter', '10'), pick('drop', 'accept', ''), fc.array(nftRule, { maxLength: 8 }), lineComment('#'))
  .map(([hook, type, prio, policy, rules, c]) => `\t${c}\tchain ${hook} {\n\t\ttype ${type} hook ${hook} priority ${prio};${policy ? ` policy ${policy};` : ''}\n${rules.join('')}\t}\n`);
const nftChunk = fc.oneof(
  { weight: 5, arbitrary: fc
    .tuple(pick('inet', 'ip', 'ip6', 'bridge', 'netdev'), ident, fc.array(nftChain, { maxLength: 3 }), fc.array(nftRule, { maxLength: 4 }))
    .map(([fam, n, chains, userRules]) => `table ${fam} ${n} {\n\tset allowed {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.2 }\n\t}\n${chains.join('')}\tchain citrix {\n${userRules.join('')}\t}\n}\n\n`) },
  { weight: 1, arbitrary: fc.tuple(ident, nftRule).map(([t, r]) => `add rule inet ${t} input ${r.trim()}\n`) },
  { weight: 1, arbitrary: pick('flush ruleset\n', 'define admins = { 10.0.0.0/8, 192.168.1.1 }\n', 'include "/etc/nftables.d/*.nft"\n', 'delete table inet filter\n') },
);
const nftWrap = (chunks: readonly string[]): string => `#!/usr/sbin/nft -f\ndefine admins = 10.200.0.0/24\n${chunks.join('')}`;

// ---------------------------------------------------------------- Cisco ASA

const mask = pick('255.255.255.0', '255.255.0.0', '255.255.255.255', '0.0.0.0', '255.0.255.0', '255.255.254.0');
const asaAddr = fc.oneof(
  pick('any', 'any4', 'any6', 'interface inside'),
  ipv4.map((a) => `host ${a}`),
  fc.tuple(ipv4, mask).map(([a, m]) => `${a} ${m}`),
  ident.map((n) => `object ${n}`),
  ident.map((n) => `object-group ${n}`),
  cidr6,
);
const asaPortOp = fc.oneof(
  fc.tuple(pick('eq', 'neq', 'lt', 'gt'), fc.oneof(anyPort.map(String), pick('www', 'https', 'citrix-ica', 'domain', 'ldap', 'bogus'))).map(([o, p]) => ` ${o} ${p}`),
  portRange.map(([a, b]) => ` range ${a} ${b}`),
  ident.map((n) => ` object-group ${n}`),
  fc.constant(''),
);
const aclName = fc.oneof({ weight: 4, arbitrary: pick('inside_in', 'outside_in', 'dmz_in') }, { weight: 1, arbitrary: ident });
const asaAce = fc
  .tuple(aclName, sometimes(fc.nat(50).map((n) => `line ${n + 1} `), 4), pick('permit', 'deny'), pick('tcp', 'udp', 'ip', 'icmp', 'tcp-udp', 'object-group tcp-or-udp', '6', 'esp'), asaAddr, asaAddr, asaPortOp, pick('', ' log', ' log 6 interval 300', ' inactive', ' time-range work'))
  .map(([acl, line, act, proto, s, d, p, tail]) => `access-list ${acl} ${line}extended ${act} ${proto} ${s} ${d}${p}${tail}\n`);
const asaChunk = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(lineComment('!'), asaAce).map(([c, a]) => c + a) },
  { weight: 2, arbitrary: fc.tuple(ident, fc.oneof(ipv4.map((a) => ` host ${a}`), fc.tuple(ipv4, mask).map(([a, m]) => ` subnet ${a} ${m}`), fc.tuple(ipv4, ipv4).map(([a, b]) => ` range ${a} ${b}`), pick(' fqdn ddc.corp.example'))).map(([n, body]) => `object network ${n}\n${body}\n`) },
  { weight: 2, arbitrary: fc.tuple(ident, fc.array(fc.oneof(ipv4.map((a) => ` network-object host ${a}`), ident.map((n) => ` network-object object ${n}`), ident.map((n) => ` group-object ${n}`)), { maxLength: 4 })).map(([n, xs]) => `object-group network ${n}\n${xs.join('\n')}${xs.length ? '\n' : ''}`) },
  { weight: 1, arbitrary: fc.tuple(ident, pick('tcp', 'udp', 'tcp-udp', ''), fc.array(fc.oneof(anyPort.map((p) => ` port-object eq ${p}`), portRange.map(([a, b]) => ` port-object range ${a} ${b}`)), { maxLength: 3 })).map(([n, p, xs]) => `object-group service ${n} ${p}\n${xs.join('\n')}${xs.length ? '\n' : ''}`) },
  { weight: 1, arbitrary: fc.tuple(aclName, pick('in', 'out'), pick('inside', 'outside', 'dmz')).map(([acl, dir, ifc]) => `access-group ${acl} ${dir} interface ${ifc}\n`) },
  { weight: 1, arbitrary: fc.tuple(ident, fc.string({ maxLength: 30 })).map(([acl, s]) => `access-list ${acl} remark ${s.replace(/[\r\n]/g, ' ')}\n`) },
  { weight: 1, arbitrary: pick('no access-list inside_in extended permit ip any any\n', 'clear configure access-list x\n', 'name 10.20.0.10 ddc1\n', 'interface GigabitEthernet1/1\n nameif outside\n security-level 0\n!\n') },
);
const asaWrap = (chunks: readonly string[]): string => `: Saved\nASA Version 9.12(4)\n!\nhostname fw\n${chunks.join('')}access-group inside_in in interface inside\n: end\n`;

// ---------------------------------------------------------------- NetScaler ADC

const nsIpTerm = fc.oneof(ipv4, fc.tuple(ipv4, ipv4).map(([a, b]) => `${a}-${b}`), pick('bogus', '10.0.0.1-', '0.0.0.0'));
const nsOp = pick('= ', '!= ', 'EQ ', 'NEQ ', '');
const nsOption = fc.oneof(
  fc.tuple(pick('-srcIP', '-destIP'), nsOp, nsIpTerm).map(([o, op, v]) => `${o} ${op}${v}`),
  fc.tuple(pick('-srcPort', '-destPort'), nsOp, fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`), pick('x', '70000'))).map(([o, op, v]) => `${o} ${op}${v}`),
  pick('TCP', 'UDP', 'ICMP', 'ANY', 'IPoverIP', 'Bogus', '6').map((p) => `-protocol ${p}`),
  fc.nat(200000).map((n) => `-priority ${n}`),
  pick('-state DISABLED', '-state ENABLED', '-established', '-interface 1/1', '-vlan 20', '-td 3', '-logstate ENABLED', '-kernelstate SFAPPLIED61', '-kernelstate NOTAPPLIED', '-srcIPDataset admins', '-frobnicate', '-srcIPv6 = 2001:db8::1'),
);
const nsName = fc.oneof(ident, ident.map((n) => `"${n} x"`), pick('"unclosed'));
const nsChunk = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(lineComment('#'), pick('acl', 'acl6'), nsName, pick('ALLOW', 'DENY', 'BRIDGE', 'PERMIT'), fc.array(nsOption, { maxLength: 6 })).map(([c, k, n, a, os]) => `${c}add ns ${k} ${n} ${a} ${os.join(' ')}\n`) },
  { weight: 2, arbitrary: fc.tuple(pick('set', 'unset', 'rm', 'enable', 'disable', 'rename'), nsName, fc.array(nsOption, { maxLength: 3 })).map(([v, n, os]) => `${v} ns acl ${n} ${os.join(' ')}\n`) },
  { weight: 2, arbitrary: fc.tuple(ipv4, fc.oneof(anyPort.map(String), fc.constant(''))).map(([a, p]) => `add ns simpleacl s${a.replace(/\./g, '')} DENY -srcIP ${a}${p ? ` -destPort ${p} -protocol TCP` : ''}\n`) },
  { weight: 2, arbitrary: pick('apply ns acls\n', 'apply ns acls6\n', 'clear ns acls\n', 'renumber ns acls\n', 'add policy dataset admins ipv4\n', 'bind policy dataset admins 10.5.0.1 -endRange 10.5.0.9\n', 'add vpn vserver gw SSL 203.0.113.10 443\n', 'add ns ip 10.0.0.20 255.255.255.0 -type SNIP\n', 'set ns config -IPAddress 10.0.0.10 -netmask 255.255.255.0\n') },
);
const nsWrap = (chunks: readonly string[]): string => `#NS13.1 Build 52.19\n${chunks.join('')}`;

// ---------------------------------------------------------------- Windows Firewall

const psQuote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const winAddr = fc.oneof(addressLiteral, pick('LocalSubnet', 'Any', 'DNS', 'Internet', 'Intranet', 'DefaultGateway', '10.0.0.0/255.255.255.0'));
const winPort = fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`), pick('RPC', 'RPCEPMap', 'Any', 'IPHTTPSIn', 'x'));
const psList = <T extends string>(arb: fc.Arbitrary<T>): fc.Arbitrary<string> =>
  fc.oneof(arb.map((x) => psQuote(x)), fc.array(arb, { minLength: 1, maxLength: 3 }).map((xs) => `@(${xs.map(psQuote).join(', ')})`), fc.array(arb, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(',')), pick('$ports', '$controllers', '$nosuch'));
const psParam = fc.oneof(
  pick('Inbound', 'Outbound', 'In', 'Out', 'Sideways').map((d) => `-Direction ${d}`),
  pick('Allow', 'Block', 'NotConfigured').map((a) => `-Action ${a}`),
  pick('TCP', 'UDP', 'ICMPv4', 'Any', '6', 'Bogus').map((p) => `-Protocol ${p}`),
  psList(winPort).map((p) => `-LocalPort ${p}`),
  psList(winPort).map((p) => `-RemotePort ${p}`),
  psList(winAddr).map((a) => `-RemoteAddress ${a}`),
  psList(winAddr).map((a) => `-LocalAddress ${a}`),
  pick('Any', 'Domain', 'Private,Public', 'Domain, Private').map((p) => `-Profile ${p}`),
  pick('True', 'False', '$true', '1').map((e) => `-Enabled ${e}`),
  pick('-Program "C:\\Program Files\\x.exe"', '-Group "Citrix"', '-EdgeTraversalPolicy Allow', '-NoSuchParam x', '-IcmpType 8', '–Direction Inbound'),
);
const psChunk = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(lineComment('#'), dashName, fc.array(psParam, { maxLength: 7 }), fc.boolean()).map(([c, n, ps, tick]) => `${c}New-NetFirewallRule -DisplayName ${psQuote(n)} ${ps.join(tick ? ' `\n    ' : ' ')}\n`) },
  { weight: 1, arbitrary: fc.tuple(dashName, fc.array(psParam, { maxLength: 3 })).map(([n, ps]) => `Set-NetFirewallRule -DisplayName ${psQuote(n)} ${ps.join(' ')}\n`) },
  { weight: 1, arbitrary: fc.tuple(pick('Remove-NetFirewallRule', 'Disable-NetFirewallRule', 'Enable-NetFirewallRule'), dashName).map(([c, n]) => `${c} -DisplayName ${psQuote(n)}\n`) },
  { weight: 1, arbitrary: fc.tuple(ident, fc.array(psParam, { maxLength: 4 })).map(([n, ps]) => `$${n} = @{\n${ps.map((p) => `    ${p.replace(/^-(\w+) /, '$1 = ')}\n`).join('')}}\nNew-NetFirewallRule @${n} -DisplayName 'splat'\n`) },
  { weight: 1, arbitrary: pick("$ports = @(80, 443)\n", "$controllers = '10.20.0.10','10.20.0.11'\n", '<# block\ncomment #>\n', 'Write-Host "x"\n') },
);
const netshParam = fc.oneof(
  pick('in', 'out', 'sideways').map((d) => `dir=${d}`),
  pick('allow', 'block', 'bypass').map((a) => `action=${a}`),
  pick('TCP', 'UDP', 'any', 'icmpv4:8,any', '6').map((p) => `protocol=${p}`),
  fc.array(winPort, { minLength: 1, maxLength: 3 }).map((ps) => `localport=${ps.join(',')}`),
  fc.array(winPort, { minLength: 1, maxLength: 3 }).map((ps) => `remoteport=${ps.join(',')}`),
  fc.array(winAddr, { minLength: 1, maxLength: 3 }).map((as) => `remoteip=${as.join(',')}`),
  pick('profile=domain', 'profile=any', 'enable=yes', 'enable=no', 'security=authenticate', 'protocl=TCP', 'program="C:\\x y\\z.exe"'),
);
const netshChunk = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(lineComment('REM'), dashName, pick('in', 'out', 'in', 'out', 'sideways'), pick('allow', 'block', 'bypass'), fc.array(netshParam, { maxLength: 6 })).map(([c, n, dir, act, ps]) => `${c}netsh advfirewall firewall add rule name="${n}" dir=${dir} action=${act} ${ps.join(' ')}\n`) },
  { weight: 1, arbitrary: fc.tuple(dashName, fc.array(netshParam, { maxLength: 2 })).map(([n, ps]) => `netsh advfirewall firewall set rule name="${n}" new ${ps.join(' ')}\n`) },
  { weight: 1, arbitrary: dashName.map((n) => `netsh advfirewall firewall delete rule name="${n}"\n`) },
);


// ---------------------------------------------------------------- cloud exports (az, aws, gcloud JSON)

const js = (v: unknown): string => JSON.stringify(v);
const exportPort = fc.oneof({ weight: 8, arbitrary: anyPort }, { weight: 1, arbitrary: pick(-1, 70000, 0) });
const awsPermission = fc
  .tuple(pick('tcp', 'udp', '-1', 'icmp', '6', '17', 'bogus'), exportPort, exportPort, fc.array(cidr4, { maxLength: 3 }), fc.array(cidr6, { maxLength: 1 }), fc.array(pick('sg-0a1', 'sg-self', 'sg-0b2'), { maxLength: 2 }), fc.boolean())
  .map(([p, from, to, v4, v6, groups, withPorts]) =>
    js({
      IpProtocol: p,
      ...(withPorts ? { FromPort: from, ToPort: to } : {}),
      IpRanges: v4.map((c) => ({ CidrIp: c, Description: 'x' })),
      Ipv6Ranges: v6.map((c) => ({ CidrIpv6: c })),
      UserIdGroupPairs: groups.map((g) => ({ GroupId: g, UserId: '123456789012' })),
      PrefixListIds: [],
    }),
  );
const awsGroupChunk = fc
  .tuple(dashName, fc.array(awsPermission, { maxLength: 4 }), fc.array(awsPermission, { maxLength: 2 }))
  .map(([n, ins, outs]) => `{"GroupId":"sg-self","GroupName":${js(n)},"VpcId":"vpc-1","IpPermissions":[${ins.join(',')}],"IpPermissionsEgress":[${outs.join(',')}]}`);
const gcpExportChunk = fc
  .tuple(dashName, pick('INGRESS', 'EGRESS', 'SIDEWAYS'), fc.oneof(fc.integer({ min: 0, max: 65535 }), pick(-5, 70000)), fc.array(cidr4, { maxLength: 3 }), fc.array(dashName, { maxLength: 2 }), pick('allowed', 'denied'), pick('tcp', 'udp', 'all', 'icmp', 'esp', '99', 'bogus'), fc.array(fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`), pick('x', '9-1')), { maxLength: 3 }), fc.boolean())
  .map(([n, dir, prio, ranges, tags, key, proto, ports, disabled]) =>
    js({ kind: 'compute#firewall', name: n, network: 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc', direction: dir, priority: prio, sourceRanges: ranges, targetTags: tags, [key]: [{ IPProtocol: proto, ports }], disabled }),
  );
const azureExportRule = fc
  .tuple(dashName, pick('Allow', 'Deny', 'Maybe'), pick('Inbound', 'Outbound'), fc.integer({ min: 90, max: 4100 }), pick('Tcp', 'Udp', '*', 'Icmp', 'Esp'), azureAddress, azureAddress, fc.oneof(anyPort.map(String), pick('*', '1494-1495', 'x')))
  .map(([n, access, dir, prio, proto, src, dst, port]) =>
    js({ name: n, access, direction: dir, priority: prio, protocol: proto, sourceAddressPrefix: src, sourcePortRange: '*', destinationAddressPrefix: dst, destinationPortRange: port, destinationPortRanges: [], type: 'Microsoft.Network/networkSecurityGroups/securityRules' }),
  );
const azureExportChunk = fc
  .tuple(dashName, fc.array(azureExportRule, { maxLength: 5 }))
  .map(([n, rules]) => `{"name":${js(n)},"type":"Microsoft.Network/networkSecurityGroups","securityRules":[${rules.join(',')}],"subnets":[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/vda"}]}`);

// Terraform JSON syntax: values are literal or templates, some broken, some with quotes inside interpolations.
const tfJsonValue = <T>(literal: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: literal }, { weight: 1, arbitrary: pick('${var.port}', '${var.cidrs}', '${', '${cidrsubnet("10.0.0.0/16", 8, 1)}', '%{ if true }x%{ endif }', '$${literal}', '${local.x[0]') });
const tfJsonRule = fc
  .tuple(tfJsonValue(exportPort), tfJsonValue(exportPort), tfJsonValue(pick('tcp', 'udp', '-1', 'icmp', '6', 'bogus')), tfJsonValue(fc.array(cidr4, { maxLength: 3 })))
  .map(([from, to, protocol, cidrs]) => ({ from_port: from, to_port: to, protocol, cidr_blocks: cidrs }));
const tfJsonChunk = fc
  .tuple(ident, fc.array(tfJsonRule, { maxLength: 4 }), fc.array(tfJsonRule, { maxLength: 2 }), fc.boolean())
  .map(([n, ins, outs, single]) => `${js(n)}:${js({ name: n, ingress: single && ins.length === 1 ? ins[0] : ins, egress: outs, dynamic: { ingress: { for_each: '${var.ports}', iterator: 'port', content: { from_port: '${port.value}', to_port: '${port.value}', protocol: 'tcp' } } } })}`);

// `terraform show -json`: planned values with gaps the configuration fills, some references to nothing.
const planRule = fc
  .tuple(exportPort, exportPort, pick('tcp', 'udp', '-1', 'icmp', 'bogus'), fc.array(cidr4, { maxLength: 3 }))
  .map(([from, to, protocol, cidrs]) => ({ from_port: from, to_port: to, protocol, cidr_blocks: cidrs, ipv6_cidr_blocks: [], prefix_list_ids: [], security_groups: [], self: false, description: '' }));
const planResource = fc.oneof(
  fc.tuple(ident, fc.array(planRule, { maxLength: 3 }), fc.array(planRule, { maxLength: 2 })).map(([n, ins, outs]) => ({ address: `aws_security_group.${n}`, mode: 'managed', type: 'aws_security_group', name: n, values: { name: n, ingress: ins, egress: outs } })),
  fc.tuple(ident, planRule, fc.option(fc.integer({ min: 0, max: 3 }))).map(([n, r, index]) => ({ address: `aws_security_group_rule.${n}`, mode: 'managed', type: 'aws_security_group_rule', name: n, ...(index === null ? {} : { index }), values: { ...r, type: 'ingress', security_group_id: null } })),
);
const planChunk = fc.tuple(fc.array(planResource, { maxLength: 4 }), fc.array(ident, { maxLength: 3 })).map(([resources, refs]) =>
  js({ address: 'module.m', resources, configRefs: refs }),
);
const planWrap = (chunks: readonly string[]): string => {
  const modules = chunks.map((c) => JSON.parse(c) as { address: string; resources: { type: string; name: string }[]; configRefs: string[] });
  const config = { resources: modules.flatMap((m) => m.resources.map((r, i) => ({ address: `${r.type}.${r.name}`, expressions: { security_group_id: { references: [`aws_security_group.${m.configRefs[i % Math.max(1, m.configRefs.length)] ?? r.name}.id`] } } }))) };
  return js({ format_version: '1.2', terraform_version: '1.7.5', planned_values: { root_module: { resources: modules[0]?.resources ?? [], child_modules: modules.slice(1).map((m, i) => ({ address: `module.m${i}`, resources: m.resources })) } }, configuration: { root_module: { ...config, module_calls: Object.fromEntries(modules.slice(1).map((_, i) => [`m${i}`, { module: config }])) } } });
};

const naclEntry = fc
  .tuple(fc.oneof(cidr4, pick('::/0', '10.0.0.0/33', 'x')), fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 32766 }), pick(0, 32767, 32768, 40000)), pick('6', '17', '-1', '1', 'tcp', '300'), pick('allow', 'deny', 'maybe'), exportPort, exportPort, fc.boolean())
  .map(([cidr, egress, n, protocol, action, from, to, withPorts]) =>
    js({ [cidr.includes(':') ? 'Ipv6CidrBlock' : 'CidrBlock']: cidr, Egress: egress, RuleNumber: n, Protocol: protocol, RuleAction: action, ...(withPorts ? { PortRange: { From: from, To: to } } : {}) }),
  );
const naclExportChunk = fc
  .tuple(dashName, fc.array(naclEntry, { maxLength: 6 }))
  .map(([n, entries]) => `{"NetworkAclId":${js(`acl-${n}`)},"VpcId":"vpc-1","IsDefault":false,"Associations":[{"SubnetId":"subnet-1"}],"Entries":[${entries.join(',')}]}`);


// ---------------------------------------------------------------- CloudFormation (YAML with short intrinsics, and JSON)

const cfnProtocol = pick('tcp', 'udp', 'icmp', '-1', '6', '17', 'all', 'gre');
const cfnPort = fc.oneof(
  { weight: 6, arbitrary: anyPort.map(String) },
  { weight: 2, arbitrary: pick('!Ref IcaPort', '!FindInMap [Ports, Ica, Tcp]', "!If [IsProd, 443, 80]", '-1', "''", '!GetAtt X.Port') },
);
const cfnCidr = fc.oneof(
  { weight: 6, arbitrary: cidr4 },
  { weight: 2, arbitrary: pick('!Ref ClientCidr', '!Select [0, !Ref Cidrs]', "!Sub '${Net}.0.0/16'", '!ImportValue shared-cidr', '0.0.0.0/0', '!Ref AWS::NoValue') },
);
const cfnYamlRule = fc.tuple(cfnProtocol, cfnPort, cfnPort, pick('CidrIp', 'CidrIpv6', 'SourceSecurityGroupId', 'DestinationSecurityGroupId', 'SourcePrefixListId'), fc.oneof(cfnCidr, cidr6, pick('!Ref OtherSG', '!GetAtt OtherSG.GroupId')))
  .map(([proto, from, to, key, value]) => `        - IpProtocol: ${proto}\n          FromPort: ${from}\n          ToPort: ${to}\n          ${key}: ${value}\n`);
const cfnYamlChunk = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(ident, fc.array(cfnYamlRule, { maxLength: 4 }), sometimes(fc.array(cfnYamlRule, { maxLength: 2 }).map((rs) => `      SecurityGroupEgress:\n${rs.join('')}`), 2))
    .map(([n, ins, eg]) => `  ${n}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: ${n}\n      VpcId: !Ref VpcId\n${ins.length ? `      SecurityGroupIngress:\n${ins.join('')}` : ''}${eg}`) },
  { weight: 2, arbitrary: fc.tuple(ident, pick('Ingress', 'Egress'), cfnProtocol, cfnPort, cfnCidr, ident)
    .map(([n, dir, proto, port, cidr, group]) => `  ${n}:\n    Type: AWS::EC2::SecurityGroup${dir}\n    Properties:\n      GroupId: !Ref ${group}\n      IpProtocol: ${proto}\n      FromPort: ${port}\n      ToPort: ${port}\n      CidrIp: ${cidr}\n`) },
  { weight: 2, arbitrary: fc.tuple(ident, fc.integer({ min: -1, max: 32800 }), cfnProtocol, pick('allow', 'deny', 'Allow', 'x'), pick('true', 'false', 'yes'), cfnCidr, cfnPort)
    .map(([n, num, proto, action, egress, cidr, port]) => `  ${n}:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n      RuleNumber: ${num}\n      Protocol: ${proto === 'tcp' ? 6 : proto}\n      RuleAction: ${action}\n      Egress: ${egress}\n      CidrBlock: ${cidr}\n      PortRange:\n        From: ${port}\n        To: ${port}\n`) },
  { weight: 1, arbitrary: pick('  Acl:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcId\n', '  Nested:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://example.com/t.yaml\n', '  Bad: !If [IsProd\n', "  Anchor: &a\n    Type: AWS::EC2::SecurityGroup\n  Alias: *a\n") },
);
const cfnYamlWrap = (chunks: readonly string[]): string =>
  `AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  IcaPort:\n    Type: Number\n    Default: 1494\n  ClientCidr:\n    Type: String\n    Default: 10.20.0.0/16\n  Cidrs:\n    Type: CommaDelimitedList\n    Default: 10.1.0.0/16,10.2.0.0/16\n  VpcId:\n    Type: AWS::EC2::VPC::Id\nMappings:\n  Ports:\n    Ica:\n      Tcp: 2598\nConditions:\n  IsProd: !Equals [!Ref AWS::Region, eu-west-1]\nResources:\n${chunks.join('')}`;
const cfnJsonChunk = fc.tuple(ident, fc.array(fc.tuple(cfnProtocol, anyPort, anyPort, fc.oneof(cidr4.map((c) => JSON.stringify(c)), pick('{"Ref": "ClientCidr"}', '{"Fn::Select": [0, {"Ref": "Cidrs"}]}', '{"Fn::ImportValue": "x"}', 'null', '7'))), { maxLength: 4 }))
  .map(([n, rules]) => `"${n}": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "${n}", "SecurityGroupIngress": [${rules.map(([p, a, b, c]) => `{"IpProtocol": "${p}", "FromPort": ${a}, "ToPort": ${b}, "CidrIp": ${c}}`).join(', ')}]}}`);
const cfnJsonWrap = (chunks: readonly string[]): string =>
  `{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Parameters": {"ClientCidr": {"Type": "String", "Default": "10.20.0.0/16"}, "Cidrs": {"Type": "CommaDelimitedList", "Default": "10.1.0.0/16,10.2.0.0/16"}},\n  "Resources": {\n    ${chunks.join(',\n    ')}\n  }\n}\n`;

// ---------------------------------------------------------------- firewalld

const fwAddr = fc.oneof({ weight: 6, arbitrary: addressLiteral }, { weight: 1, arbitrary: pick('', 'not-an-address', '10.0.0.0/255.255.255.0') });
const fwPort = fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}-${b}`), pick('70000', 'x', ''));
const fwProto = pick('tcp', 'udp', 'sctp', 'dccp', 'icmp', 'TCP', '');
const fwService = pick('ssh', 'http', 'https', 'dns', 'cockpit', 'dhcpv6-client', 'samba-client', 'citrix-ica', 'nosuch');
const fwAction = pick('<accept/>', '<reject/>', '<drop/>', '<reject type="icmp-host-prohibited"/>', '<accept><limit value="10/m"/></accept>', '<mark set="1"/>', '', '<log prefix="x"/>');
const fwRichElement = fc.oneof(
  fwService.map((n) => `<service name="${n}"/>`),
  fc.tuple(fwPort, fwProto).map(([p, q]) => `<port port="${p}" protocol="${q}"/>`),
  pick('<protocol value="gre"/>', '<icmp-block name="echo-request"/>', '<masquerade/>', '<forward-port port="80" protocol="tcp" to-port="8080"/>', '<bogus/>', ''),
);
const fwXmlChunk = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(pick('', ' family="ipv4"', ' family="ipv6"', ' family="ipx"'), pick('', ' priority="-5"', ' priority="10"', ' priority="99999"', ' priority="x"'), sometimes(fc.tuple(fwAddr, fc.boolean()).map(([a, inv]) => `<source address="${a}"${inv ? ' invert="True"' : ''}/>`), 1), sometimes(fwAddr.map((a) => `<destination address="${a}"/>`)), fwRichElement, fwAction).map(([f, p, src, dst, el, act]) => `  <rule${f}${p}>\n    ${src}${dst}\n    ${el}\n    ${act}\n  </rule>\n`) },
  { weight: 3, arbitrary: fwService.map((n) => `  <service name="${n}"/>\n`) },
  { weight: 3, arbitrary: fc.tuple(fwPort, fwProto).map(([p, q]) => `  <port port="${p}" protocol="${q}"/>\n`) },
  { weight: 1, arbitrary: fwAddr.map((a) => `  <source address="${a}"/>\n`) },
  { weight: 1, arbitrary: pick('  <interface name="eth0"/>\n', '  <short>Public</short>\n', '  <!-- citrix-role: vda -->\n', '  <forward/>\n', '  <rule>\n', '  </zone>\n', '  <port port="1494"\n', '  <x y="&amp;&#9999999;"/>\n', '<![CDATA[ <zone> ]]>\n') },
);
// The zone's target, chosen by the number of chunks (wrap sees no randomness of its own).
const FW_TARGETS = ['', ' target="DROP"', ' target="ACCEPT"', ' target="%%REJECT%%"', ' target="default"', ' target="weird"'];
const fwCmdOption = fc.oneof(
  fwService.map((n) => `--add-service=${n}`),
  fc.tuple(fwPort, fwProto).map(([p, q]) => `--add-port=${p}/${q}`),
  fc.tuple(fwPort, fwProto).map(([p, q]) => `--remove-port=${p}/${q}`),
  fc.tuple(fwAddr, fwPort, fwProto, pick('accept', 'reject', 'drop', '')).map(([a, p, q, act]) => `--add-rich-rule='rule family="ipv4" source address="${a}" port port="${p}" protocol="${q}" ${act}'`),
  fc.tuple(fwAddr, fwService).map(([a, n]) => `--add-rich-rule="rule family=\\"ipv4\\" source not address=\\"${a}\\" service name=\\"${n}\\" drop"`),
  fwAddr.map((a) => `--add-source=${a}`),
  pick('--permanent', '--zone=public', '--zone=citrix', '--zone', '--set-target=DROP', '--add-interface=eth0', '--add-service={ssh,http}', '--add-rich-rule=', '--add-rich-rule="rule"', '--panic-on', '--panic-off', '--reload', '--list-all', '--timeout=60', '--frobnicate', '--new-zone=citrix', '--set-default-zone=citrix', '--add-masquerade', '$OPT'),
);
const fwCmdChunk = fc.tuple(lineComment('#'), pick('firewall-cmd', 'sudo firewall-cmd', 'firewall-offline-cmd', '/usr/bin/firewall-cmd'), fc.array(fwCmdOption, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([c, cmd, os, cont]) => `${c}${cmd} ${os.join(cont ? ' \\\n  ' : ' ')}\n`);

// ---------------------------------------------------------------- ufw

const ufwAddr = fc.oneof({ weight: 6, arbitrary: addressLiteral }, { weight: 2, arbitrary: pick('any', 'x', '') });
const ufwPort = fc.oneof(anyPort.map(String), portRange.map(([a, b]) => `${a}:${b}`), fc.array(anyPort, { minLength: 2, maxLength: 4 }).map((ps) => ps.join(',')), pick('ssh', 'https', 'domain', 'nosuch', '0', '70000'));
const ufwChunk = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(pick('', 'insert 1 ', 'insert 99 ', 'prepend ', 'delete ', 'route ', 'rule '), pick('allow', 'deny', 'reject', 'limit', 'permit'), pick('', 'in ', 'out ', 'in on eth0 ', 'log '), sometimes(pick('tcp', 'udp', 'any', 'icmp', 'esp').map((p) => `proto ${p} `), 1), sometimes(fc.tuple(ufwAddr, sometimes(ufwPort.map((p) => ` port ${p}`))).map(([a, p]) => `from ${a}${p} `), 1), sometimes(fc.tuple(ufwAddr, sometimes(ufwPort.map((p) => ` port ${p}`), 1)).map(([a, p]) => `to ${a}${p} `), 1), sometimes(pick("comment 'citrix'", 'app OpenSSH', 'comment'))).map(([pre, act, dir, proto, from, to, extra]) => `ufw ${pre}${act} ${dir}${proto}${from}${to}${extra}\n`) },
  { weight: 3, arbitrary: fc.tuple(pick('allow', 'deny', 'reject', 'limit'), fc.oneof(fc.tuple(ufwPort, pick('', '/tcp', '/udp', '/gre')).map(([p, q]) => p + q), pick('OpenSSH', '"Apache Full"'))).map(([a, p]) => `ufw ${a} ${p}\n`) },
  { weight: 2, arbitrary: fc.tuple(pick('allow', 'deny', 'reject', 'drop'), pick('', 'incoming', 'outgoing', 'routed', 'sideways')).map(([a, d]) => `ufw default ${a} ${d}\n`) },
  { weight: 1, arbitrary: pick('ufw --force enable\n', 'ufw disable\n', 'ufw --force reset\n', 'ufw delete 1\n', 'ufw delete 99\n', 'ufw status verbose\n', 'ufw $RULE\n', 'sudo ufw allow 1494/tcp\n', 'ufw\n') },
);

export const TARGETS: readonly FuzzTarget[] = [
  { name: 'terraform-aws', format: 'terraform', ext: 'tf', fixtures: 'terraform', fixtureExts: ['.tf'], chunk: awsChunk, wrap: (c) => tfHeader + c.join('') },
  { name: 'terraform-azure', format: 'terraform', ext: 'tf', fixtures: 'terraform', fixtureExts: ['.tf'], chunk: azureTfChunk, wrap: (c) => tfHeader + c.join('') },
  { name: 'terraform-gcp', format: 'terraform', ext: 'tf', fixtures: 'terraform', fixtureExts: ['.tf'], chunk: gcpChunk, wrap: (c) => `resource "google_compute_network" "main" {\n  name = "vpc"\n}\n\n${c.join('')}` },
  { name: 'terraform-json', format: 'terraform', ext: 'tf.json', fixtures: 'terraform-json', fixtureExts: ['.json'], chunk: tfJsonChunk, wrap: (c) => `{"variable":{"port":{"default":1494}},"resource":{"aws_security_group":{${c.join(',')}}}}` },
  { name: 'bicep', format: 'bicep', ext: 'bicep', fixtures: 'bicep', fixtureExts: ['.bicep'], chunk: bicepChunk, wrap: (c) => bicepHeader + c.join('') },
  { name: 'arm', format: 'arm', ext: 'json', fixtures: 'arm', fixtureExts: ['.json'], chunk: armChunk, wrap: armWrap },
  { name: 'iptables-save', format: 'iptables', ext: 'rules', fixtures: 'iptables', fixtureExts: ['.rules'], chunk: saveChunk, wrap: saveWrap },
  { name: 'iptables-script', format: 'iptables', ext: 'sh', fixtures: 'iptables', fixtureExts: ['.sh'], chunk: scriptChunk, benchExclude: /-F\n/, wrap: scriptWrap },
  { name: 'nftables', format: 'nftables', ext: 'nft', fixtures: 'nftables', fixtureExts: ['.nft', '.sh'], chunk: nftChunk, benchExclude: /^(flush ruleset|delete table)/, wrap: nftWrap },
  { name: 'asa', format: 'asa', ext: 'asa', fixtures: 'asa', fixtureExts: ['.asa'], chunk: asaChunk, wrap: asaWrap },
  { name: 'netscaler', format: 'netscaler', ext: 'conf', fixtures: 'netscaler', fixtureExts: ['.conf', '.txt'], chunk: nsChunk, wrap: nsWrap },
  { name: 'cloudformation-yaml', format: 'cloudformation', ext: 'yaml', fixtures: 'cloudformation', fixtureExts: ['.yaml'], chunk: cfnYamlChunk, wrap: cfnYamlWrap },
  { name: 'cloudformation-json', format: 'cloudformation', ext: 'json', fixtures: 'cloudformation', fixtureExts: ['.json'], chunk: cfnJsonChunk, wrap: cfnJsonWrap },
  { name: 'terraform-plan', format: 'terraform-plan', ext: 'json', fixtures: 'terraform-plan', fixtureExts: ['.json'], chunk: planChunk, wrap: planWrap },
  { name: 'export-aws', format: 'cloud-export', ext: 'json', fixtures: 'cloud-export', fixtureExts: ['.json'], chunk: awsGroupChunk, wrap: (c) => `{"SecurityGroups":[${c.join(',')}]}` },
  { name: 'export-aws-nacl', format: 'cloud-export', ext: 'json', fixtures: 'cloud-export', fixtureExts: ['.json'], chunk: naclExportChunk, wrap: (c) => `{"NetworkAcls":[${c.join(',')}]}` },
  { name: 'export-azure', format: 'cloud-export', ext: 'json', fixtures: 'cloud-export', fixtureExts: ['.json'], chunk: azureExportChunk, wrap: (c) => `[${c.join(',')}]` },
  { name: 'export-gcp', format: 'cloud-export', ext: 'json', fixtures: 'cloud-export', fixtureExts: ['.json'], chunk: gcpExportChunk, wrap: (c) => `[${c.join(',')}]` },
  { name: 'windows-powershell', format: 'windows-firewall', ext: 'ps1', fixtures: 'windows-firewall', fixtureExts: ['.ps1'], chunk: psChunk, wrap: (c) => c.join('') },
  { name: 'firewalld-zone', format: 'firewalld', ext: 'xml', fixtures: 'firewalld', fixtureExts: ['.xml'], chunk: fwXmlChunk, wrap: (c) => `<?xml version="1.0" encoding="utf-8"?>\n<zone${FW_TARGETS[c.length % FW_TARGETS.length]}>\n${c.join('')}</zone>\n` },
  { name: 'firewalld-script', format: 'firewalld', ext: 'sh', fixtures: 'firewalld', fixtureExts: ['.sh'], chunk: fwCmdChunk, wrap: (c) => `#!/bin/bash\nGW=10.0.0.0/24\n${c.join('')}firewall-cmd --reload\n` },
  { name: 'ufw', format: 'ufw', ext: 'sh', fixtures: 'ufw', fixtureExts: ['.sh'], chunk: ufwChunk, wrap: (c) => `#!/bin/sh\n${c.join('')}` },
  { name: 'windows-netsh', format: 'windows-firewall', ext: 'cmd', fixtures: 'windows-firewall', fixtureExts: ['.cmd'], chunk: netshChunk, wrap: (c) => `@echo off\n${c.join('')}` },
];

export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}

/** Line endings and a BOM, applied after generation: every format must read them. */
export interface Dress {
  readonly crlf: boolean;
  readonly bom: boolean;
}
export const dress = fc.record({ crlf: fc.boolean(), bom: fc.boolean() });
export function applyDress(text: string, d: Dress): string {
  const t = d.crlf ? text.replace(/\n/g, '\r\n') : text;
  return d.bom ? `\ufeff${t}` : t;
}

/** A whole generated file for a target. */
export function generatedFile(target: FuzzTarget, maxChunks = 8): fc.Arbitrary<string> {
  return fc.tuple(fc.array(target.chunk, { maxLength: maxChunks }), dress).map(([chunks, d]) => applyDress(target.wrap(chunks), d));
}

/**
 * A deterministic file of at least `lines` lines for the benchmark: chunks
 * sampled with a fixed seed, so every run (before and after a change)
 * parses the same text.
 */
export function benchFile(target: FuzzTarget, lines: number, seed = 42): string {
  const pool = fc.sample(target.chunk, { seed, numRuns: 500 }).filter((c) => !target.benchExclude?.test(c));
  const chunks: string[] = [];
  let n = 0;
  for (let i = 0; n < lines; i++) {
    const c = pool[i % pool.length].replace(/\b(resource "[^"]+" "|resource |table \w+ |object network |object-group \w+ )([^\s"'{]+)/g, `$1$2_${i}`);
    chunks.push(c);
    let newlines = 0;
    for (let j = 0; j < c.length; j++) if (c.charCodeAt(j) === 10) newlines++;
    // A chunk on one line (Terraform JSON's are) still counts, or this loop never ends.
    n += Math.max(1, newlines);
  }
  return target.wrap(chunks);
}
