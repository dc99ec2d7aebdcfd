import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { evaluate, flow, type EvaluateOptions } from '../../../server/src/analysis/evaluate';
import { parseArm } from '../../../server/src/formats/arm';
import { parseAsa } from '../../../server/src/formats/asa';
import { parseBicep } from '../../../server/src/formats/bicep';
import { parseIptables } from '../../../server/src/formats/iptables';
import { parseNftables } from '../../../server/src/formats/nftables';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseWindowsFirewall } from '../../../server/src/formats/windows-firewall';
import type { ParsedFile, RuleSet, WindowsProfile } from '../../../server/src/model';
import { stagesFor } from '../kernel/fixtureFlows';

/**
 * One property per format: whatever else a rule set holds (allows, denies,
 * names nobody resolved, rules limited to some profiles), a path the
 * platform documents as denying the flow makes the verdict "denied", never
 * "allowed" or "partial". The documented paths: first match (iptables, ASA,
 * an earlier deny), a drop in any nftables chain on the packet's hooks, an
 * NSG's lower priority number, block-wins for Windows Firewall.
 */

before(() => initTreeSitter());

const SERVER = '10.200.0.2';
const CLIENTS = ['10.200.0.1', '10.200.0.3', '10.0.5.5'] as const;
const PORTS = [22, 443, 1494, 2598, 3389] as const;

interface Gen {
  readonly action: 'allow' | 'deny';
  readonly proto: 'tcp' | 'udp' | 'any';
  readonly port?: number;
  /** Source: a client, a /24, or a name nobody resolves. */
  readonly source: 'any' | 'unknown' | (typeof CLIENTS)[number] | '10.200.0.0/24';
  /** A match the evaluator cannot decide (a packet mark), in the formats that have one. */
  readonly undecided?: boolean;
}

interface Case {
  readonly rules: readonly Gen[];
  readonly proto: 'tcp' | 'udp';
  readonly client: (typeof CLIENTS)[number];
  readonly port: number;
  /** Where the documented deny goes among the other rules (ordered formats put it first; others anywhere). */
  readonly at: number;
}

const gen: fc.Arbitrary<Gen> = fc.record(
  {
    action: fc.constantFrom('allow' as const, 'deny' as const),
    proto: fc.constantFrom('tcp' as const, 'udp' as const, 'any' as const),
    port: fc.constantFrom(...PORTS),
    source: fc.constantFrom('any' as const, 'unknown' as const, '10.200.0.0/24' as const, ...CLIENTS),
    undecided: fc.boolean(),
  },
  { requiredKeys: ['action', 'proto', 'source'] },
);

const cases: fc.Arbitrary<Case> = fc.record({
  rules: fc.array(gen, { maxLength: 8 }),
  proto: fc.constantFrom('tcp' as const, 'udp' as const),
  client: fc.constantFrom(...CLIENTS),
  port: fc.constantFrom(...PORTS),
  at: fc.nat(8),
});

const RUNS = { numRuns: 60, seed: 16 };

function assertDenied(file: ParsedFile, spec: string, stages: readonly RuleSet[], options: EvaluateOptions = {}): void {
  assert.ok(stages.length > 0, `no rule set filters ${spec}:\n${file.text}`);
  const r = evaluate(stages, flow(spec), options);
  assert.equal(r.verdict, 'denied', `${spec}: ${r.reasons.join('; ')}\n${file.text}`);
}

const portOf = (g: Gen): number | undefined => (g.proto === 'any' ? undefined : g.port);

test('iptables: a DROP that matches before any other rule denies, whatever follows', () => {
  fc.assert(
    fc.property(cases, fc.constantFrom('ACCEPT', 'DROP'), (c, policy) => {
      const line = (g: Gen): string => {
        const parts = ['-A INPUT'];
        if (g.source === 'unknown') parts.push('-m set --match-set trusted src');
        else if (g.source !== 'any') parts.push(`-s ${g.source}`);
        if (g.proto !== 'any') parts.push(`-p ${g.proto}`);
        if (portOf(g) !== undefined) parts.push(`--dport ${g.port}`);
        if (g.undecided) parts.push('-m mark --mark 0x1');
        parts.push(`-j ${g.action === 'allow' ? 'ACCEPT' : 'DROP'}`);
        return parts.join(' ');
      };
      const deny = `-A INPUT -s ${c.client} -p ${c.proto} --dport ${c.port} -j DROP`;
      const text = ['*filter', `:INPUT ${policy} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', deny, ...c.rules.map(line), 'COMMIT', ''].join('\n');
      const file = parseIptables(text, 'p.rules');
      const spec = `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`;
      assertDenied(file, spec, stagesFor(file, 'inbound'));
    }),
    RUNS,
  );
});

test('nftables: a drop in any filter chain on the packet’s hooks denies, whatever the input chain says', () => {
  fc.assert(
    fc.property(cases, fc.constantFrom('prerouting', 'input-late', 'input-early'), (c, where) => {
      const line = (g: Gen): string => {
        const parts: string[] = [];
        if (g.source === 'unknown') parts.push('ip saddr @dynamic_clients');
        else if (g.source !== 'any') parts.push(`ip saddr ${g.source}`);
        if (g.proto !== 'any' && portOf(g) !== undefined) parts.push(`${g.proto} dport ${g.port}`);
        else if (g.proto !== 'any') parts.push(`meta l4proto ${g.proto}`);
        if (g.undecided) parts.push('meta mark 0x1');
        parts.push(g.action === 'allow' ? 'accept' : 'drop');
        return `\t\t${parts.join(' ')}`;
      };
      const drop = `\t\tip saddr ${c.client} ${c.proto} dport ${c.port} drop`;
      const hook = where === 'prerouting' ? 'prerouting priority -150' : where === 'input-late' ? 'input priority 10' : 'input priority -10';
      const text = [
        'table inet guard {',
        '\tset dynamic_clients { type ipv4_addr; flags dynamic; }',
        '\tchain input {',
        '\t\ttype filter hook input priority 0; policy accept;',
        ...c.rules.map(line),
        '\t}',
        '\tchain extra {',
        `\t\ttype filter hook ${hook}; policy accept;`,
        drop,
        '\t}',
        '}',
        '',
      ].join('\n');
      const file = parseNftables(text, 'p.nft');
      assertDenied(file, `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, stagesFor(file, 'inbound'));
    }),
    RUNS,
  );
});

test('Cisco ASA: a deny that matches first in the interface ACL denies, before the global ACL and whatever follows', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const addr = (s: Gen['source']): string => (s === 'any' ? 'any' : s === 'unknown' ? 'object-group TRUSTED' : s.includes('/') ? '10.200.0.0 255.255.255.0' : `host ${s}`);
      const line = (g: Gen): string => {
        const proto = g.proto === 'any' ? 'ip' : g.proto;
        const port = portOf(g) !== undefined ? ` eq ${g.port}` : '';
        return `access-list outside_in extended ${g.action === 'allow' ? 'permit' : 'deny'} ${proto} ${addr(g.source)} host ${SERVER}${port}`;
      };
      const text = [
        'hostname fw',
        `access-list outside_in extended deny ${c.proto} host ${c.client} host ${SERVER} eq ${c.port}`,
        ...c.rules.map(line),
        'access-list global_acl extended permit ip any any',
        'access-group outside_in in interface outside',
        'access-group global_acl global',
        '',
      ].join('\n');
      const file = parseAsa(text, 'p.asa');
      const acl = file.ruleSets.filter((rs) => rs.id === 'outside_in');
      assertDenied(file, `forward ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, acl);
    }),
    RUNS,
  );
});

test('Windows Defender Firewall: a matching block rule denies whatever allows it, in every profile', () => {
  fc.assert(
    fc.property(cases, fc.constantFrom<WindowsProfile | undefined>(undefined, 'domain', 'private', 'public'), fc.constantFrom('Domain', 'Private', 'Public', 'Any'), (c, active, allowProfile) => {
      const line = (g: Gen, i: number): string => {
        const parts = [`New-NetFirewallRule -DisplayName 'rule ${i}' -Direction Inbound -Action ${g.action === 'allow' ? 'Allow' : 'Block'}`];
        if (g.proto !== 'any') parts.push(`-Protocol ${g.proto.toUpperCase()}`);
        if (g.proto !== 'any' && portOf(g) !== undefined) parts.push(`-LocalPort ${g.port}`);
        if (g.source === 'unknown') parts.push('-RemoteAddress $trusted');
        else if (g.source !== 'any') parts.push(`-RemoteAddress ${g.source}`);
        if (g.action === 'allow') parts.push(`-Profile ${allowProfile}`);
        return parts.join(' ');
      };
      const rules = c.rules.map(line);
      const block = `New-NetFirewallRule -DisplayName 'documented block' -Direction Inbound -Action Block -Protocol ${c.proto.toUpperCase()} -LocalPort ${c.port} -RemoteAddress ${c.client}`;
      rules.splice(Math.min(c.at, rules.length), 0, block);
      const file = parseWindowsFirewall(`${rules.join('\n')}\n`, 'p.ps1');
      assertDenied(file, `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, file.ruleSets, { profile: active });
    }),
    RUNS,
  );
});

/** NSG rules at random priorities after 100, where the documented deny sits; unresolved sources are an ASG. */
interface NsgRule {
  readonly name: string;
  readonly access: 'Allow' | 'Deny';
  readonly priority: number;
  readonly protocol: string;
  readonly port: string;
  readonly source: string;
}

function nsgRules(c: Case): NsgRule[] {
  const out: NsgRule[] = [{ name: 'DocumentedDeny', access: 'Deny', priority: 100, protocol: c.proto === 'tcp' ? 'Tcp' : 'Udp', port: String(c.port), source: c.client }];
  c.rules.forEach((g, i) => {
    out.push({
      name: `Rule${i}`,
      access: g.action === 'allow' ? 'Allow' : 'Deny',
      priority: 200 + 10 * ((i * 7 + c.at) % 40),
      protocol: g.proto === 'any' ? '*' : g.proto === 'tcp' ? 'Tcp' : 'Udp',
      port: portOf(g) !== undefined ? String(g.port) : '*',
      source: g.source === 'any' ? '*' : g.source === 'unknown' ? 'VirtualNetwork' : g.source,
    });
  });
  // Azure rejects two rules at one priority; keep the first of each.
  const seen = new Set<number>();
  return out.filter((r) => !seen.has(r.priority) && (seen.add(r.priority), true));
}

test('Azure NSG (ARM): a deny at a lower priority number than every allow denies, with names unresolved', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const rules = nsgRules(c).map((r) => ({
        name: r.name,
        properties: { access: r.access, direction: 'Inbound', priority: r.priority, protocol: r.protocol, sourceAddressPrefix: r.source, sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: r.port },
      }));
      const text = JSON.stringify({ resources: [{ type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2023-04-01', name: 'nsg', properties: { securityRules: rules } }] }, null, 2);
      const file = parseArm(text, 'p.json');
      assertDenied(file, `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, file.ruleSets);
    }),
    RUNS,
  );
});

test('Azure NSG (Bicep): the same', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const rules = nsgRules(c).map(
        (r) =>
          `      {\n        name: '${r.name}'\n        properties: {\n          access: '${r.access}'\n          direction: 'Inbound'\n          priority: ${r.priority}\n          protocol: '${r.protocol}'\n          sourceAddressPrefix: '${r.source}'\n          sourcePortRange: '*'\n          destinationAddressPrefix: '*'\n          destinationPortRange: '${r.port}'\n        }\n      }`,
      );
      const text = `resource nsg 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: 'nsg'\n  properties: {\n    securityRules: [\n${rules.join('\n')}\n    ]\n  }\n}\n`;
      const file = parseBicep(text, 'p.bicep');
      assertDenied(file, `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, file.ruleSets);
    }),
    RUNS,
  );
});

test('Azure NSG (Terraform): the same, and a deny in the NIC NSG after a subnet NSG that allows', () => {
  fc.assert(
    fc.property(cases, fc.boolean(), (c, inNic) => {
      const block = (r: ReturnType<typeof nsgRules>[number]): string =>
        `  security_rule {\n    name = "${r.name}"\n    priority = ${r.priority}\n    direction = "Inbound"\n    access = "${r.access}"\n    protocol = "${r.protocol}"\n    source_port_range = "*"\n    destination_port_range = "${r.port}"\n    source_address_prefix = "${r.source}"\n    destination_address_prefix = "*"\n  }`;
      const all = nsgRules(c);
      const [deny, ...rest] = all;
      const nsg = (name: string, rules: typeof all): string => `resource "azurerm_network_security_group" "${name}" {\n  name = "${name}"\n  location = "westeurope"\n  resource_group_name = "rg"\n${rules.map(block).join('\n')}\n}\n`;
      const text = inNic
        ? [
            nsg('subnet', rest),
            nsg('nic', [deny]),
            'resource "azurerm_subnet_network_security_group_association" "s" {\n  subnet_id = azurerm_subnet.vda.id\n  network_security_group_id = azurerm_network_security_group.subnet.id\n}\n',
            'resource "azurerm_network_interface_security_group_association" "n" {\n  network_interface_id = azurerm_network_interface.vda.id\n  network_security_group_id = azurerm_network_security_group.nic.id\n}\n',
            'resource "azurerm_network_interface" "vda" {\n  name = "nic"\n  location = "westeurope"\n  resource_group_name = "rg"\n  ip_configuration {\n    name = "ip"\n    subnet_id = azurerm_subnet.vda.id\n    private_ip_address_allocation = "Dynamic"\n  }\n}\n',
          ].join('\n')
        : nsg('nsg', all);
      const file = parseTerraform(text, 'p.tf');
      // Every NSG here is on the flow's path (subnet then NIC): evaluate them as the stages of one path.
      const stages = [...file.ruleSets].sort((a, b) => (a.stage?.order ?? 0) - (b.stage?.order ?? 0));
      assertDenied(file, `in ${c.proto} ${c.client} -> ${SERVER}:${c.port}`, stages);
    }),
    RUNS,
  );
});
