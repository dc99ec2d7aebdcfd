import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { maskLegacyKeys } from '../../../server/src/formats/terraform/hcl';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import type { RuleSet } from '../../../server/src/model';
import { AddressSet, type AddressSymbol } from '../../../server/src/net';
import { fixturePath } from '../../helpers/fixtures';

before(async () => {
  await initTreeSitter();
});

interface Row {
  readonly file: string;
  /** One rule set, or several applied as stages in this order. */
  readonly ruleSets: readonly string[];
  readonly flow: string;
  readonly verdict: Verdict;
  /** Ids of the deciding rules; [] when the rule set's default decided. */
  readonly deciding: readonly string[];
  readonly note: string;
}

function cidr(text: string): AddressSet {
  const r = AddressSet.parse(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** What a topology would declare: the VNet behind VirtualNetwork, Azure's probe address, the Internet as everything else. */
const TAGS: Readonly<Record<string, AddressSet>> = {
  VirtualNetwork: cidr('10.0.0.0/16'),
  AzureLoadBalancer: cidr('168.63.129.16'),
  Internet: AddressSet.anyV4().difference(cidr('10.0.0.0/8')),
};
const resolve = (s: AddressSymbol): AddressSet | undefined => (s.kind === 'service-tag' ? TAGS[s.name] : undefined);

const ROWS: readonly Row[] = [
  // AWS: union of allows; nothing declared means nothing allowed.
  { file: 'aws.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp 10.0.4.5 -> 10.1.0.7:1494', verdict: 'allowed', deciding: ['line 4'], note: 'inline ingress' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.vda'], flow: 'in udp 10.0.4.5 -> 10.1.0.7:1494', verdict: 'allowed', deciding: ['aws_vpc_security_group_ingress_rule.edt'], note: 'separate rule resource joins its group' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp 192.168.1.1 -> 10.1.0.7:1494', verdict: 'unknown', deciding: ['line 18'], note: 'self is unresolved: the client could be a member' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp sg:aws_security_group.gateway -> 10.1.0.7:2598', verdict: 'allowed', deciding: ['line 11'], note: 'the referenced group itself' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.vda'], flow: 'out tcp 10.1.0.7 -> 10.0.0.1:443', verdict: 'denied', deciding: [], note: 'no egress declared: no egress at all' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.web'], flow: 'out tcp 10.1.0.7 -> 10.0.0.1:443', verdict: 'allowed', deciding: ['line 44'], note: 'protocol -1 opens every port' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.web'], flow: 'in tcp 10.0.0.1 -> 10.1.0.7:443', verdict: 'unknown', deciding: ['line 37'], note: 'var.clients has no value: unknown, never any' },
  { file: 'aws.tf', ruleSets: ['aws_security_group.web'], flow: 'in tcp 10.0.0.1 -> 10.1.0.7:80', verdict: 'denied', deciding: [], note: 'no rule for port 80' },
  // Terraform 0.11: a dotted key in the tags block once lost the whole resource, and with it both rules.
  { file: 'syntax-legacy-0.11.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp 10.30.0.9 -> 10.1.0.7:2598', verdict: 'allowed', deciding: ['line 31'], note: 'the rule after the dotted key is read' },
  { file: 'syntax-legacy-0.11.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp 10.30.0.9 -> 10.1.0.7:1494', verdict: 'allowed', deciding: ['line 24'], note: 'and the one before it' },
  { file: 'syntax-legacy-0.11.tf', ruleSets: ['aws_security_group.vda'], flow: 'in tcp 10.31.0.9 -> 10.1.0.7:1494', verdict: 'denied', deciding: [], note: 'outside the allowed range: the group denies' },
  // Azure: priority first match, the six defaults.
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'in tcp 10.0.9.7 -> 10.0.1.4:1494', verdict: 'denied', deciding: ['Deny-ICA-Lab'], note: 'deny at a lower priority number shadows the allow' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'in tcp 10.0.8.7 -> 10.0.1.4:1494,2598', verdict: 'allowed', deciding: ['Allow-ICA'], note: 'plural destination ports' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'in tcp 10.0.2.9 -> 10.0.1.4:445', verdict: 'allowed', deciding: ['AllowVnetInBound'], note: 'intra-VNet traffic passes AllowVnetInBound' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'in tcp 203.0.113.9 -> 10.0.1.4:445', verdict: 'denied', deciding: ['DenyAllInBound'], note: 'from outside the VNet: DenyAllInBound' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'in tcp 203.0.113.9 -> 10.0.1.4:1494,445', verdict: 'partial', deciding: ['DenyAllInBound'], note: 'one port allowed, one denied' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'out tcp 10.0.1.4 -> 93.184.216.34:443', verdict: 'denied', deciding: ['Deny-Internet-Out'], note: 'user deny before AllowInternetOutBound' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda'], flow: 'out tcp 10.0.1.4 -> 10.0.3.3:443', verdict: 'allowed', deciding: ['AllowVnetOutBound'], note: 'outbound within the VNet' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda', 'azurerm_network_security_group.nic'], flow: 'in tcp 10.0.8.7 -> 10.0.1.4:2598', verdict: 'denied', deciding: ['Deny-CGP'], note: 'subnet NSG allows, NIC NSG denies' },
  { file: 'azure.tf', ruleSets: ['azurerm_network_security_group.vda', 'azurerm_network_security_group.nic'], flow: 'in tcp 10.0.8.7 -> 10.0.1.4:1494', verdict: 'allowed', deciding: ['AllowVnetInBound'], note: 'both stages allow; the NIC stage decides last' },
  // GCP: deny first at equal priority, implied rules at 65535.
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'in tcp 10.9.1.1 -> 10.128.0.5:1494', verdict: 'denied', deciding: ['google_compute_firewall.deny_lab'], note: 'deny wins over allow at equal priority' },
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'in tcp 10.9.1.1 -> 10.128.0.5:2598', verdict: 'allowed', deciding: ['google_compute_firewall.allow_ica'], note: 'the deny covers only 1494' },
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'in tcp 10.66.1.1 -> 10.128.0.5:2598', verdict: 'denied', deciding: ['google_compute_firewall.deny_guest'], note: 'lower priority number shadows the allow' },
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'in tcp 198.51.100.1 -> 10.128.0.5:3389', verdict: 'denied', deciding: ['implied-deny-ingress'], note: 'disabled allow is skipped; implied deny' },
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'out tcp 10.128.0.5 -> 198.51.100.1:443', verdict: 'allowed', deciding: ['implied-allow-egress'], note: 'implied allow egress' },
  { file: 'gcp.tf', ruleSets: ['google_compute_network.main'], flow: 'out tcp 10.128.0.5 -> 198.51.100.1:25', verdict: 'denied', deciding: ['google_compute_firewall.block_smtp_out'], note: 'egress deny, no destination means 0.0.0.0/0' },
  // Independent cases, each file on its own (issue 25): GCP ties, Azure defaults, Terraform's AWS egress.
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in tcp 172.20.1.1 -> 10.128.0.5:2598', verdict: 'denied', deciding: ['google_compute_firewall.deny_contractors_ica'], note: 'deny written first, allow second: the deny still wins the tie' },
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in tcp 172.21.1.1 -> 10.128.0.5:1494', verdict: 'allowed', deciding: ['google_compute_firewall.allow_users_ica'], note: 'outside the deny\'s sources the tied allow decides' },
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in udp 172.31.2.2 -> 10.128.0.5:1494', verdict: 'denied', deciding: ['google_compute_firewall.deny_edt_lab'], note: 'no priority means 1000: ties with the explicit 1000 deny' },
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in udp 172.17.2.2 -> 10.128.0.5:2598', verdict: 'allowed', deciding: ['google_compute_firewall.allow_edt_default_priority'], note: 'default-priority allow outside the deny' },
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in tcp 172.16.5.9 -> 10.128.0.5:22', verdict: 'allowed', deciding: ['google_compute_firewall.allow_admin_ssh'], note: 'lower number wins even when it is the allow' },
  { file: 'gcp-ties.tf', ruleSets: ['google_compute_network.ties'], flow: 'in tcp 172.16.6.9 -> 10.128.0.5:22', verdict: 'denied', deciding: ['google_compute_firewall.deny_all_ssh'], note: 'outside the admin range the deny decides' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.empty'], flow: 'in tcp 10.0.7.7 -> 10.0.1.4:3389', verdict: 'allowed', deciding: ['AllowVnetInBound'], note: 'no rules: VNet to VNet passes the default' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.empty'], flow: 'in tcp 168.63.129.16 -> 10.0.1.4:8080', verdict: 'allowed', deciding: ['AllowAzureLoadBalancerInBound'], note: 'the load balancer probe address is allowed by default' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.empty'], flow: 'in tcp 198.51.100.7 -> 10.0.1.4:1494', verdict: 'denied', deciding: ['DenyAllInBound'], note: 'from outside the VNet nothing is allowed by default' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.empty'], flow: 'out tcp 10.0.1.4 -> 198.51.100.7:443', verdict: 'allowed', deciding: ['AllowInternetOutBound'], note: 'outbound to the Internet is allowed by default' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.empty'], flow: 'out tcp 10.0.1.4 -> 10.0.3.3:80', verdict: 'allowed', deciding: ['AllowVnetOutBound'], note: 'outbound within the VNet is allowed by default' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.isolated'], flow: 'in tcp 10.0.7.7 -> 10.0.1.4:3389', verdict: 'denied', deciding: ['Deny-Vnet-In'], note: 'a user deny above AllowVnetInBound decides first' },
  { file: 'azure-defaults.tf', ruleSets: ['azurerm_network_security_group.isolated'], flow: 'in tcp 168.63.129.16 -> 10.0.1.4:8080', verdict: 'allowed', deciding: ['AllowAzureLoadBalancerInBound'], note: 'the probe address is not in VirtualNetwork here, so the default still admits it' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.ingress_only'], flow: 'out tcp 10.0.1.4 -> 10.0.3.10:80', verdict: 'denied', deciding: [], note: 'Terraform removes the default egress: none declared, none at all' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.ingress_only'], flow: 'in tcp 10.0.9.9 -> 10.0.1.4:443', verdict: 'allowed', deciding: ['line 8'], note: 'ingress is unaffected' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.dns_out'], flow: 'out udp 10.0.1.4 -> 10.0.0.2:53', verdict: 'allowed', deciding: ['line 19'], note: 'the one egress block allows itself' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.dns_out'], flow: 'out tcp 10.0.1.4 -> 10.0.0.2:443', verdict: 'denied', deciding: [], note: 'and nothing else' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.registration_out'], flow: 'out tcp 10.0.1.4 -> 10.0.3.10:80', verdict: 'allowed', deciding: ['aws_vpc_security_group_egress_rule.registration'], note: 'egress from a separate rule resource' },
  { file: 'aws-egress.tf', ruleSets: ['aws_security_group.registration_out'], flow: 'out tcp 10.0.1.4 -> 10.0.4.10:80', verdict: 'denied', deciding: [], note: 'outside that rule\'s destination' },
];

const cache = new Map<string, readonly RuleSet[]>();
function ruleSetsOf(file: string): readonly RuleSet[] {
  let sets = cache.get(file);
  if (!sets) {
    const path = fixturePath('terraform-eval', file);
    const parsed = parseTerraform(fs.readFileSync(path, 'utf8'), path);
    assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error'), [], `${file} parses without errors`);
    sets = parsed.ruleSets;
    cache.set(file, sets);
  }
  return sets;
}

for (const row of ROWS) {
  test(`terraform eval ${row.file}: ${row.flow} → ${row.verdict} (${row.note})`, () => {
    const sets = ruleSetsOf(row.file);
    const stages = row.ruleSets.map((id) => {
      const rs = sets.find((s) => s.id === id);
      assert.ok(rs, `rule set ${id} in ${row.file}; have ${sets.map((s) => s.id).join(', ')}`);
      return rs;
    });
    const result = evaluate(stages, flow(row.flow), { resolve });
    assert.equal(result.verdict, result.verdict === row.verdict ? row.verdict : `${row.verdict} (got ${result.verdict}: ${result.reasons.join('; ')})`);
    assert.deepEqual(result.decidingRules.map((r) => r.id).sort(), [...row.deciding].sort());
  });
}

test('terraform eval: Azure stages are ordered subnet first, then NIC', () => {
  const sets = ruleSetsOf('azure.tf');
  const subnet = sets.find((s) => s.id === 'azurerm_network_security_group.vda');
  const nic = sets.find((s) => s.id === 'azurerm_network_security_group.nic');
  assert.deepEqual(subnet?.stage, { group: 'azurerm_subnet.vda', order: 0 });
  assert.deepEqual(nic?.stage, { group: 'azurerm_network_interface.vda1', order: 1 });
});

test('Terraform 0.11 dotted keys and quoted names: one info finding each, at the key, and nothing else lost', () => {
  const path = fixturePath('terraform-eval', 'syntax-legacy-0.11.tf');
  const text = fs.readFileSync(path, 'utf8');
  const file = parseTerraform(text, path);
  const dotted = file.problems.filter((p) => /Terraform 0\.11 syntax/.test(p.message));
  assert.deepEqual(dotted.map((p) => text.slice(p.span.start, p.span.end)), ['"description"', 'owner.team', 'role.name']);
  assert.ok(dotted.every((p) => p.severity === 'info'));
  assert.deepEqual(file.problems.filter((p) => p.code === 'syntax-error' || p.code === 'limit'), [], 'no syntax error, no block left out');
});

test('dotted keys are masked only where HCL 1 wrote them', () => {
  const cases: [string, string[]][] = [
    ['tags {\n  role.name = "vda"\n}\n', ['role.name']],
    // A comparison, a heredoc's body and a block comment are not keys.
    ['x = a.b == 1\n', []],
    ['user_data = <<EOF\nconfig.key = 1\nEOF\nk.v = 2\n', ['k.v']],
    ['/*\nold.key = 1\n*/\n', []],
    ['cidr = var.cidr\n', []],
    ['sizes = {\n  m3.2xlarge = "a"\n}\n', ['m3.2xlarge']],
    // A quoted name is HCL 1 in a block, and valid HCL 2 in an object.
    ['variable "x" {\n  "description" = "d"\n  default = {\n    "owner" = "me"\n  }\n}\n', ['"description"']],
    // An object in a for expression, on a line of its own, is not a block.
    ['output "o" {\n  value = [\n    for i in x :\n    {\n      "name" = i\n    }\n  ]\n}\n', []],
  ];
  for (const [text, keys] of cases) {
    const masked = maskLegacyKeys(text);
    assert.equal(masked.text.length, text.length);
    assert.deepEqual(masked.keys.map((k) => text.slice(k.span.start, k.span.end)), keys, JSON.stringify(text));
  }
});
