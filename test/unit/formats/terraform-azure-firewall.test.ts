import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { sameFileStages } from '../../../server/src/analysis/required';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import type { ParsedFile } from '../../../server/src/model';
import { AddressSet, type AddressSymbol } from '../../../server/src/net';
import { fixturePath } from '../../helpers/fixtures';

/**
 * Azure Firewall in Terraform, worked by hand from Microsoft's "Azure Firewall
 * rule processing logic": DNAT rules, then network rules, then application
 * rules, whatever their groups' priorities; within each, rule collection
 * groups and then rule collections by priority (lower first); the first rule
 * that matches decides; what matches nothing is denied.
 */

before(async () => {
  await initTreeSitter();
});

const cache = new Map<string, ParsedFile>();
function parsed(file: string): ParsedFile {
  let p = cache.get(file);
  if (!p) {
    const path = fixturePath('terraform', file);
    p = parseTerraform(fs.readFileSync(path, 'utf8'), path);
    cache.set(file, p);
  }
  return p;
}

interface Row {
  readonly file: string;
  readonly ruleSet: string;
  readonly flow: string;
  readonly verdict: Verdict;
  /** Ids of the deciding rules; [] when the default deny decided. */
  readonly deciding: readonly string[];
  readonly note: string;
  /** Host names the destination is known by (a Citrix Cloud service's URLs). */
  readonly names?: readonly string[];
}

const POLICY = { file: 'azure-firewall-policy.tf', ruleSet: 'azurerm_firewall_policy.hub' };
const CLASSIC = { file: 'azure-firewall-classic.tf', ruleSet: 'azurerm_firewall.legacy' };
const PROBLEMS = { file: 'azure-firewall-problems.tf', ruleSet: 'azurerm_firewall_policy.child' };

const ROWS: readonly Row[] = [
  // Firewall Policy: the hub in front of the Citrix spokes.
  { ...POLICY, flow: 'forward tcp 198.51.100.7 -> 10.10.2.10:443', verdict: 'allowed', deciding: ['gateway-https'], note: 'DNAT comes before every network rule, even deny-direct-to-gateway in the group with the lower number' },
  { ...POLICY, flow: 'forward udp 198.51.100.7 -> 10.10.2.10:443', verdict: 'allowed', deciding: ['gateway-edt'], note: 'EDT through its own DNAT rule' },
  { ...POLICY, flow: 'in tcp 198.51.100.7 -> 10.10.2.10:443', verdict: 'allowed', deciding: ['gateway-https'], note: 'the routed firewall applies the same rules whichever side the role is on' },
  { ...POLICY, flow: 'forward tcp 10.30.0.5 -> 10.10.2.10:443', verdict: 'unknown', deciding: ['gateway-https (private sources)'], note: 'a private source may skip the DNAT and address the Gateway directly, which deny-direct-to-gateway denies' },
  { ...POLICY, flow: 'forward tcp 198.51.100.7 -> 10.10.2.10:8443', verdict: 'denied', deciding: [], note: 'the DNAT translates to 443 only; nothing else matches' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 10.10.1.10:80,443', verdict: 'allowed', deciding: ['vda-registration'], note: 'VDA registration with the Delivery Controllers, both ports' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 10.10.1.11:443', verdict: 'allowed', deciding: ['vda-registration'], note: 'the second controller' },
  { ...POLICY, flow: 'forward tcp 10.20.2.5 -> 10.10.1.10:443', verdict: 'denied', deciding: [], note: 'outside the VDA subnet neither the network rule nor the FQDN rules (sources 10.20.1.0/24) match: default deny' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:443', verdict: 'unknown', deciding: ['citrix-cloud'], note: 'Citrix Cloud by name: an address cannot be matched to *.cloud.com' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 203.0.113.9:443', verdict: 'denied', deciding: ['deny-known-bad'], note: 'network rules come before application rules: the FQDN allow is never reached' },
  { ...POLICY, flow: 'forward tcp 198.51.100.7 -> 10.20.1.5:3389', verdict: 'denied', deciding: ['deny-rdp-from-internet'], note: 'the deny group' },
  { ...POLICY, flow: 'forward udp 10.20.1.5 -> 52.1.2.3:443', verdict: 'denied', deciding: [], note: 'application rules are HTTP(S) over TCP; UDP falls through to the default deny' },
  { ...POLICY, flow: 'out udp 10.20.3.3 -> 10.10.0.4:53', verdict: 'allowed', deciding: ['dns'], note: 'DNS from any spoke subnet' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:8080', verdict: 'denied', deciding: [], note: 'no application rule listens on 8080' },
  // Classic rule collections on the firewall.
  { ...CLASSIC, flow: 'forward tcp 10.1.0.5 -> 10.2.0.10:80,443', verdict: 'allowed', deciding: ['vda-to-ddc'], note: 'network rule collection, firewall named by reference' },
  { ...CLASSIC, flow: 'forward tcp 10.1.0.5 -> 10.3.0.1:445', verdict: 'denied', deciding: ['deny-smb'], note: 'collection named by the firewall\'s name string joins the same firewall' },
  { ...CLASSIC, flow: 'forward tcp 10.1.0.5 -> 10.2.0.20:27000', verdict: 'allowed', deciding: ['licensing'], note: 'inside the CIDRs the file gives the IP group: a member' },
  { ...CLASSIC, flow: 'forward tcp 10.9.0.5 -> 10.2.0.20:27000', verdict: 'unknown', deciding: ['licensing'], note: 'outside them: CIDRs another file adds may still take it in' },
  { ...CLASSIC, flow: 'forward tcp 192.0.2.1 -> 10.1.0.7:3389', verdict: 'unknown', deciding: ['admin-rdp'], note: 'var.admin_range has no value: unknown, never any' },
  { ...CLASSIC, flow: 'forward tcp 198.51.100.9 -> 10.1.0.50:443', verdict: 'allowed', deciding: ['gateway-https'], note: 'classic DNAT from the listed public range' },
  { ...CLASSIC, flow: 'forward tcp 203.0.113.1 -> 10.1.0.50:443', verdict: 'denied', deciding: [], note: 'a source the DNAT does not list' },
  { ...CLASSIC, flow: 'forward tcp 10.50.1.1 -> 10.1.0.50:443', verdict: 'unknown', deciding: ['gateway-https (private sources)'], note: 'a private source: the DNAT or the default deny, depending on the address it used' },
  { ...CLASSIC, flow: 'forward tcp 10.1.1.4 -> 52.1.2.3:443', verdict: 'unknown', deciding: ['cloud-connectors'], note: 'target_fqdns cannot be matched by address' },
  // A flow known by name (the Gateway Service's Rendezvous hosts, as the catalog gives them): FQDN rules are matched.
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:443', names: ['*.c.nssvc.net', '*.g.nssvc.net'], verdict: 'allowed', deciding: ['citrix-cloud'], note: '*.nssvc.net holds both Rendezvous names' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:443', names: ['*.digicert.com'], verdict: 'unknown', deciding: ['windows-update'], note: 'no FQDN of citrix-cloud can match DigiCert; the WindowsUpdate FQDN tag is no name and stays unknown' },
  { ...POLICY, flow: 'forward tcp 10.20.1.5 -> 52.1.2.3:443', names: ['*.nssvc.net', 'example.org'], verdict: 'unknown', deciding: ['citrix-cloud'], note: 'part of the names only: unknown, never allowed' },
  { ...POLICY, flow: 'forward tcp 10.20.2.5 -> 52.1.2.3:443', names: ['*.c.nssvc.net'], verdict: 'denied', deciding: [], note: 'the name matches but the source is outside 10.20.1.0/24: default deny' },
  { ...CLASSIC, flow: 'forward tcp 10.1.1.4 -> 52.1.2.3:445', verdict: 'denied', deciding: ['deny-smb'], note: 'network before application' },
  // Problems: a parent policy's rules come first, and this file does not show them.
  { ...PROBLEMS, flow: 'forward tcp 10.0.0.1 -> 10.1.0.4:443', verdict: 'unknown', deciding: ['rules not known: allow (parent policy azurerm_firewall_policy.parent.id)'], note: 'base_policy_id: unknown, whatever the child says' },
  { file: 'azure-firewall-problems.tf', ruleSet: 'var.policy_id', flow: 'forward tcp 10.0.0.1 -> 10.1.0.4:1494', verdict: 'allowed', deciding: ['ica'], note: 'a group whose policy is not in the file still reads as its own rule set' },
];

for (const row of ROWS) {
  test(`azure firewall ${row.file}: ${row.flow}${row.names ? ` (${row.names.join(', ')})` : ''} → ${row.verdict} (${row.note})`, () => {
    const p = parsed(row.file);
    const rs = p.ruleSets.find((s) => s.id === row.ruleSet);
    assert.ok(rs, `rule set ${row.ruleSet}; have ${p.ruleSets.map((s) => s.id).join(', ')}`);
    const result = evaluate([rs], { ...flow(row.flow), ...(row.names ? { destinationNames: row.names } : {}) }, {});
    assert.equal(result.verdict, result.verdict === row.verdict ? row.verdict : `${row.verdict} (got ${result.verdict}: ${result.reasons.join('; ')})`);
    assert.deepEqual(result.decidingRules.map((r) => r.id).sort(), [...row.deciding].sort());
  });
}

test('azure firewall: unknown verdicts say why', () => {
  const p = parsed(POLICY.file);
  const rs = p.ruleSets.find((s) => s.id === POLICY.ruleSet);
  assert.ok(rs);
  const cloud = evaluate([rs], flow('forward tcp 10.20.1.5 -> 52.1.2.3:443'), {});
  assert.match(cloud.reasons.join(' '), /\*\.cloud\.com.*matched by name/);
  const dnat = evaluate([rs], flow('forward tcp 10.30.0.5 -> 10.10.2.10:443'), {});
  assert.match(dnat.reasons.join(' '), /private source.*directly, past DNAT 20\.50\.10\.4/);
});

test('azure firewall: one rule set per policy, kind azure-firewall, rules ordered DNAT < network < application', () => {
  const p = parsed(POLICY.file);
  assert.deepEqual(
    p.ruleSets.map((s) => [s.id, s.kind, s.semantics]),
    [['azurerm_firewall_policy.hub', 'azure-firewall', 'priority-first-match']],
  );
  const rs = p.ruleSets[0];
  assert.deepEqual(rs.appliesTo, ['firewall azurerm_firewall.hub']);
  assert.equal(rs.rulesDirection, 'forward');
  const sorted = [...rs.rules].sort((a, b) => (a.priority?.value ?? 0) - (b.priority?.value ?? 0) || a.order - b.order);
  assert.deepEqual(
    sorted.map((r) => r.meta?.firewallRuleKind),
    ['nat', 'nat', 'nat', 'nat', 'network', 'network', 'network', 'network', 'network', 'application', 'application'],
  );
  // Group 100's network collection before group 200's; group 200's DNAT before both.
  assert.deepEqual(sorted.slice(4, 7).map((r) => r.id), ['deny-rdp-from-internet', 'deny-direct-to-gateway', 'deny-known-bad']);
});

interface ProblemRow {
  readonly match: RegExp;
  readonly severity: 'error' | 'warning' | 'info';
  readonly line: number;
}

const PROBLEM_ROWS: readonly ProblemRow[] = [
  { match: /too-low priority 50 is outside 100–65000/, severity: 'warning', line: 22 },
  { match: /sctp: protocol "SCTP" is not one a network rule takes/, severity: 'error', line: 27 },
  { match: /sctp: port "https": "https" is not a port number/, severity: 'error', line: 30 },
  { match: /no-action has no action \(Allow or Deny\)/, severity: 'error', line: 34 },
  { match: /no-destination: no destination; Azure rejects the rule/, severity: 'error', line: 38 },
  { match: /same-priority has the same priority as network rule collection no-action/, severity: 'warning', line: 48 },
  { match: /same-priority action "Reject" is not Allow or Deny/, severity: 'error', line: 49 },
  { match: /bad-address: source address "10\.0\.0\.300"/, severity: 'error', line: 54 },
  { match: /no-protocols: no protocols; Azure rejects the rule/, severity: 'error', line: 65 },
  { match: /ftp: application protocol ftp is not Http, Https or Mssql/, severity: 'error', line: 74 },
  { match: /no-destination-address: no destination address/, severity: 'error', line: 89 },
  { match: /no-destination-address: no destination ports/, severity: 'error', line: 89 },
  { match: /no-destination-address: protocol "ICMP" is not one a DNAT rule takes/, severity: 'error', line: 91 },
];

for (const row of PROBLEM_ROWS) {
  test(`azure firewall problems: ${row.match.source}`, () => {
    const p = parsed(PROBLEMS.file);
    const hit = p.problems.find((x) => row.match.test(x.message));
    assert.ok(hit, `no problem matches ${row.match}; have:\n${p.problems.map((x) => x.message).join('\n')}`);
    assert.equal(hit.severity, row.severity);
    const line = p.text.slice(0, hit.span.start).split('\n').length;
    assert.equal(line, row.line, `${hit.message} at line ${line}`);
  });
}

test('azure firewall problems: every problem is in the table', () => {
  const p = parsed(PROBLEMS.file);
  for (const x of p.problems) assert.ok(PROBLEM_ROWS.some((r) => r.match.test(x.message)), `untabled problem: ${x.message}`);
});

test('azure firewall: the policy and classic fixtures read without errors', () => {
  for (const f of [POLICY.file, CLASSIC.file]) assert.deepEqual(parsed(f).problems.filter((x) => x.severity !== 'info'), [], f);
});

test('azure firewall: a rule collection group with a syntax error makes the policy unknown, never allowed', () => {
  const text = `resource "azurerm_firewall_policy" "p" {
  name = "p"
}
resource "azurerm_firewall_policy_rule_collection_group" "g" {
  name               = "g"
  firewall_policy_id = azurerm_firewall_policy.p.id
  priority           = 100
  network_rule_collection {
    name     = "deny"
    priority = 100
    action   = "Deny"
    rule {
      name = "x"
      protocols = ["TCP"
      source_addresses = ["*"]
      destination_addresses = ["*"]
      destination_ports = ["443"]
    }
  }
}
`;
  const p = parseTerraform(text, 'broken.tf');
  const rs = p.ruleSets.find((s) => s.id === 'azurerm_firewall_policy.p');
  assert.ok(rs);
  assert.ok(p.problems.some((x) => x.severity === 'error'));
  assert.equal(evaluate([rs], flow('forward tcp 10.0.0.1 -> 10.0.0.2:443'), {}).verdict, 'unknown');
});

/** What a topology would declare: the spoke VNet behind VirtualNetwork, the Internet as everything public. */
const TAGS: Readonly<Record<string, AddressSet>> = {
  VirtualNetwork: cidr('10.20.0.0/16'),
  AzureLoadBalancer: cidr('168.63.129.16'),
  Internet: AddressSet.anyV4().difference(cidr('10.0.0.0/8')),
};
const resolve = (s: AddressSymbol): AddressSet | undefined => (s.kind === 'service-tag' ? TAGS[s.name] : undefined);

function cidr(text: string): AddressSet {
  const r = AddressSet.parse(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const STAGE_ROWS: readonly Omit<Row, 'file' | 'ruleSet'>[] = [
  { flow: 'in tcp 10.10.2.5 -> 10.20.1.4:1494', verdict: 'allowed', deciding: ['Allow-ICA-From-Gateway'], note: 'routed through the firewall, which allows it, then the NSG, which allows it' },
  { flow: 'in tcp 10.10.2.5 -> 10.20.1.4:2598', verdict: 'denied', deciding: ['DenyAllInBound'], note: 'the firewall allows 2598, the NSG does not' },
  { flow: 'in tcp 10.30.5.5 -> 10.20.1.4:1494', verdict: 'allowed', deciding: ['Allow-ICA-From-OnPrem'], note: 'the on-premises route is more specific than 0.0.0.0/0: the firewall never sees it' },
  { flow: 'out tcp 10.20.1.4 -> 52.1.2.3:443', verdict: 'denied', deciding: [], note: 'the NSG allows the Internet, the firewall denies by default' },
  { flow: 'out tcp 10.20.1.4 -> 10.20.2.9:443', verdict: 'allowed', deciding: ['AllowVnetOutBound'], note: 'within the VNet the system route keeps it local: no firewall' },
  { flow: 'out tcp 10.20.1.4 -> 52.1.2.3:8080', verdict: 'denied', deciding: ['Deny-Web-Out'], note: 'the firewall allows it, the NSG denies it' },
];

for (const row of STAGE_ROWS) {
  test(`azure firewall stages: ${row.flow} → ${row.verdict} (${row.note})`, () => {
    const file = parsed('azure-firewall-stages.tf');
    const nsg = file.ruleSets.find((s) => s.id === 'azurerm_network_security_group.vda');
    assert.ok(nsg);
    const stages = sameFileStages({ ruleSet: nsg, file });
    assert.deepEqual(stages.map((s) => s.id), ['azurerm_firewall_policy.hub', 'azurerm_network_security_group.vda']);
    const result = evaluate(stages, flow(row.flow), { resolve });
    assert.equal(result.verdict, result.verdict === row.verdict ? row.verdict : `${row.verdict} (got ${result.verdict}: ${result.reasons.join('; ')})`);
    assert.deepEqual(result.decidingRules.map((r) => r.id).sort(), [...row.deciding].sort());
  });
}

test('azure firewall stages: the route table makes the subnet NSG name the firewall, for the peers routed to it', () => {
  const file = parsed('azure-firewall-stages.tf');
  const nsg = file.ruleSets.find((s) => s.id === 'azurerm_network_security_group.vda');
  assert.equal(nsg?.routedThrough?.length, 1);
  const route = nsg?.routedThrough?.[0];
  assert.equal(route?.ruleSet, 'azurerm_firewall_policy.hub');
  assert.ok(route?.peers.intersects(cidr('52.1.2.3')));
  assert.ok(!route?.peers.intersects(cidr('10.20.0.0/16')), 'the VNet stays local');
  assert.ok(!route?.peers.intersects(cidr('10.30.0.0/16')), 'the on-premises route goes to the VPN gateway');
  // The firewall on its own is not changed by the route.
  const fw = file.ruleSets.find((s) => s.id === 'azurerm_firewall_policy.hub');
  assert.equal(fw?.stage, undefined);
  assert.equal(evaluate([fw!], flow('forward tcp 10.30.5.5 -> 10.20.1.4:1494'), {}).verdict, 'denied');
});
