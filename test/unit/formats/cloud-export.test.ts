import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { parseCloudExport } from '../../../server/src/formats/cloud-export';
import { detectFormat } from '../../../server/src/formats/detect';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { fixturePath, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('cloud-export', (text, file) => snapshotParsedFile(parseCloudExport(text, path.basename(file))));

/**
 * Verdicts worked out by hand from each cloud's documentation, not from the
 * reader: Azure NSGs by priority with the six defaults (VirtualNetwork is an
 * address space the export does not give, so its defaults leave a flow
 * unknown); AWS security groups as a union of allows that denies the rest,
 * with the export's own egress list (AWS's default egress rule shows up in
 * it when it was never removed); GCP by priority, deny before allow at the
 * same priority, implied deny-ingress and allow-egress at 65535, disabled
 * rules not enforced, a target tag an address cannot be known to carry.
 */
const VERDICTS: readonly [file: string, ruleSet: string, flow: string, verdict: string, deciding: string][] = [
  ['azure-nsg-show.json', 'nsg-vda', 'in tcp 10.10.1.20 -> 10.20.0.5:2598', 'allowed', 'Allow-HDX-from-Gateway-SNIP'],
  ['azure-nsg-show.json', 'nsg-vda', 'in udp 10.10.1.20 -> 10.20.0.5:1494', 'allowed', 'Allow-EDT-from-Gateway-SNIP'],
  // The second of two sourceAddressPrefixes.
  ['azure-nsg-show.json', 'nsg-vda', 'in tcp 10.30.1.4 -> 10.20.0.5:3389', 'allowed', 'Allow-RDP-admins'],
  ['azure-nsg-show.json', 'nsg-vda', 'in tcp 10.99.0.1 -> 10.20.0.5:3389', 'denied', 'Deny-RDP'],
  ['azure-nsg-show.json', 'nsg-vda', 'in tcp 198.51.100.1 -> 10.20.0.5:8080', 'unknown', 'AllowVnetInBound'],
  ['azure-nsg-show.json', 'nsg-vda', 'out tcp 10.20.0.5 -> 10.20.1.4:80', 'allowed', 'Allow-VDA-to-Controllers'],
  ['azure-nsg-show.json', 'nsg-vda', 'out tcp 10.20.0.5 -> 203.0.113.5:25', 'denied', 'Deny-SMTP-out'],
  ['azure-nsg-rule-list.json', 'nsg-ddc', 'in tcp 10.20.1.5 -> 10.20.1.1:80', 'allowed', 'Allow-VDA-registration'],
  ['azure-nsg-rule-list.json', 'nsg-ddc', 'in tcp 10.99.1.5 -> 10.20.1.1:80', 'denied', 'Deny-HTTP-others'],
  // A peer security group's members are not in the export.
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee000vda', 'in tcp 10.0.1.5 -> 10.0.2.9:1494', 'unknown', 'sg-0a11c0ffee000vda ingress[0]'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee000vda', 'in udp 10.0.1.5 -> 10.0.2.9:2598', 'allowed', 'sg-0a11c0ffee000vda ingress[3]'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee000vda', 'in tcp 10.9.9.9 -> 10.0.2.9:22', 'denied', '-'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee000vda', 'in tcp 198.51.100.7 -> 10.0.2.9:3389', 'allowed', 'sg-0a11c0ffee000vda ingress[4]'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee000vda', 'out tcp 10.0.2.9 -> 8.8.8.8:443', 'allowed', 'sg-0a11c0ffee000vda egress[0]'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee0000gw', 'in tcp 2001:db8::5 -> 10.0.1.10:443', 'allowed', 'sg-0a11c0ffee0000gw ingress[0] peer[1]'],
  // The Gateway's group lists its egress rules, so AWS's allow-all egress was removed: what they do not name is denied.
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee0000gw', 'out tcp 10.0.1.10 -> 10.0.3.7:8443', 'denied', '-'],
  ['aws-describe-security-groups.json', 'sg-0a11c0ffee0000gw', 'out tcp 10.0.1.10 -> 10.0.3.7:443', 'unknown', 'sg-0a11c0ffee0000gw egress[2]'],
  ['aws-describe-security-group-rules.json', 'sg-0ddc', 'in tcp 10.0.3.2 -> 10.0.4.4:443', 'allowed', 'sgr-0ddc0000000000443'],
  ['aws-describe-security-group-rules.json', 'sg-0ddc', 'in tcp 10.0.9.2 -> 10.0.4.4:443', 'denied', '-'],
  ['aws-describe-security-group-rules.json', 'sg-0ddc', 'out udp 10.0.4.4 -> 10.0.5.5:53', 'allowed', 'sgr-0ddc00000000000ff'],
  // allow-ssh-iap and deny-ssh-all share priority 1000: the deny wins.
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'in tcp 35.235.240.5 -> 10.128.0.9:22', 'denied', 'deny-ssh-all'],
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'in tcp 10.128.1.4 -> 10.128.0.9:1494', 'unknown', 'allow-hdx-from-gateway'],
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'in udp 10.128.1.4 -> 10.128.0.9:2598', 'allowed', 'allow-edt-from-gateway'],
  // allow-rdp-temp is disabled.
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'in tcp 203.0.113.9 -> 10.128.0.9:3389', 'denied', 'implied-deny-ingress'],
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'out tcp 10.128.0.9 -> 198.51.100.3:25', 'denied', 'deny-smtp-egress'],
  ['gcp-firewall-rules-list.json', 'citrix-vpc', 'out tcp 10.128.0.9 -> 198.51.100.3:443', 'allowed', 'implied-allow-egress'],
  ['gcp-firewall-rules-list.json', 'default', 'in tcp 10.200.0.1 -> 10.128.5.5:8080', 'allowed', 'default-allow-internal'],
  // describe-network-acls: rule-number order, first match, stateless (replies need the egress entry to ephemeral ports).
  ['aws-describe-network-acls.json', 'acl-0c17r1x0000000vda', 'in tcp 10.0.1.20 -> 10.0.2.9:1494', 'allowed', 'acl-0c17r1x0000000vda ingress 100'],
  // EDT is admitted by ingress 120, but its replies are UDP and the egress entries are TCP only: the ACL keeps no state.
  ['aws-describe-network-acls.json', 'acl-0c17r1x0000000vda', 'in udp 10.0.1.20 -> 10.0.2.9:2598', 'denied', '-'],
  ['aws-describe-network-acls.json', 'acl-0c17r1x0000000vda', 'in tcp 10.0.1.20 -> 10.0.2.9:3389', 'denied', 'acl-0c17r1x0000000vda ingress 200'],
  // The exported `*` entries are not rules: the final deny is the ACL's own default.
  ['aws-describe-network-acls.json', 'acl-0c17r1x0000000vda', 'in tcp 192.0.2.1 -> 10.0.2.9:443', 'denied', '-'],
  // VDA registration: out to the controllers on 80; the replies come back to an ephemeral port, and ingress 200 (deny 3389
  // from anywhere) comes before ingress 300, so a reply to local port 3389 is dropped: partly allowed.
  ['aws-describe-network-acls.json', 'acl-0c17r1x0000000vda', 'out tcp 10.0.2.9 -> 10.0.4.10:80', 'partial', 'acl-0c17r1x0000000vda ingress 200'],
  // az network firewall policy rule-collection-group list: Azure Firewall as the IaC readers read it (docs/azure-firewall.md).
  // DNAT comes before every network rule, whatever the groups' priorities (rcg-deny is 100, rcg-citrix 200).
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 198.51.100.7 -> 10.10.2.10:443', 'allowed', 'gateway-443'],
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward udp 198.51.100.7 -> 10.10.2.10:443', 'allowed', 'gateway-443'],
  // A private source may address the Gateway directly, past the DNAT; no network rule admits that.
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 10.30.0.1 -> 10.10.2.10:443', 'unknown', 'gateway-443 (private sources)'],
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 10.20.1.5 -> 10.10.1.10:80', 'allowed', 'vda-registration'],
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 10.20.2.5 -> 10.10.1.10:80', 'denied', '-'],
  // Citrix Cloud by name: an address cannot be matched to *.cloud.com.
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 10.20.1.5 -> 52.1.2.3:443', 'unknown', 'citrix-cloud'],
  // Application rules are HTTP(S) over TCP.
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward udp 10.20.1.5 -> 52.1.2.3:443', 'denied', '-'],
  ['azure-firewall-rcg-list.json', 'firewall policy afwp-hub', 'forward tcp 198.51.100.7 -> 10.10.2.10:3389', 'denied', 'no-rdp'],
];

for (const [file, ruleSetId, flowText, verdict, deciding] of VERDICTS) {
  test(`cloud export verdicts: ${file} ${ruleSetId}: ${flowText} → ${verdict}`, () => {
    const parsed = parseCloudExport(fs.readFileSync(fixturePath('cloud-export', file), 'utf8'), file);
    const ruleSet = parsed.ruleSets.find((r) => r.id === ruleSetId);
    assert.ok(ruleSet, `${file} has no rule set ${ruleSetId} (has ${parsed.ruleSets.map((r) => r.id).join(', ')})`);
    const result = evaluate(ruleSet, flow(flowText));
    assert.equal(result.verdict, verdict, result.reasons.join('; '));
    assert.equal([...new Set(result.decidingRules.map((r) => r.id))].join(', ') || '-', deciding);
  });
}

test('cloud export: the provider semantics are the IaC readers\' (kind, defaults, placement)', () => {
  const read = (file: string) => parseCloudExport(fs.readFileSync(fixturePath('cloud-export', file), 'utf8'), file);
  const nsg = read('azure-nsg-show.json').ruleSets;
  assert.deepEqual(nsg.map((r) => [r.id, r.kind, r.rules.length, r.stage?.group, r.appliesTo]), [['nsg-vda', 'azure-nsg', 6 + 6, 'subnet:vnet-citrix/snet-vda', ['subnet:vnet-citrix/snet-vda']]]);
  // The export's defaultSecurityRules are the platform's six; they are not added twice.
  assert.equal(nsg[0].rules.filter((r) => r.implicit).length, 6);
  assert.deepEqual(read('aws-describe-security-groups.json').ruleSets.map((r) => [r.id, r.kind, r.name, r.directions]), [
    ['sg-0a11c0ffee000vda', 'aws-security-group', 'citrix-vda (sg-0a11c0ffee000vda)', ['inbound', 'outbound']],
    ['sg-0a11c0ffee0000gw', 'aws-security-group', 'citrix-gateway (sg-0a11c0ffee0000gw)', ['inbound', 'outbound']],
  ]);
  assert.deepEqual(read('gcp-firewall-rules-list.json').ruleSets.map((r) => [r.id, r.kind, r.rules.length]), [['citrix-vpc', 'gcp-firewall', 6 + 2], ['default', 'gcp-firewall', 1 + 2]]);
});

test('cloud export: detected by content, after ARM and CloudFormation, never for other JSON', () => {
  for (const file of fs.readdirSync(fixturePath('cloud-export')).filter((f) => !f.endsWith('.expected.json'))) {
    assert.equal(detectFormat(`file:///ws/exports/${file}`, fs.readFileSync(fixturePath('cloud-export', file), 'utf8')), 'cloud-export', file);
  }
  const table: [string, string, string | undefined][] = [
    ['nsg.json', '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[{"type":"Microsoft.Network/networkSecurityGroups","properties":{"securityRules":[]}}]}', 'arm'],
    ['package.json', '{"name":"x","type":"module","dependencies":{}}', undefined],
    ['terraform.tfstate.json', '{"version":4,"resources":[{"type":"aws_security_group","instances":[{"attributes":{"ingress":[]}}]}]}', undefined],
    ['rules.json', '[{"name":"allow-ssh","allowed":[{"IPProtocol":"tcp","ports":["22"]}],"sourceRanges":["0.0.0.0/0"]}]', 'cloud-export'],
    ['sg.json', '{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[]}]}', 'cloud-export'],
    ['sg-lookalike.json', '{"SecurityGroups":["sg-1","sg-2"]}', undefined],
  ];
  for (const [name, text, expected] of table) assert.equal(detectFormat(`file:///ws/${name}`, text), expected, name);
  assert.equal(detectFormat('file:///ws/x.json', '[{"name":"allow-ssh","allowed":[{"IPProtocol":"tcp"}]}]', 'json'), 'cloud-export', 'with the editor\'s language id');
});

test('cloud export: what AWS, Azure or GCP would never export is said at its place, and the rest is read', () => {
  const table: [string, string, readonly string[], number][] = [
    ['{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"10.0.0.300/8"},{"CidrIp":"10.1.0.0/16"}]}],"IpPermissionsEgress":[]}]}',
      'aws', ['sg-1 ingress[0]: IpProtocol is not set; AWS never exports a rule without one, so this file was changed by hand', 'sg-1 ingress[1]: CidrIp "10.0.0.300/8" is not a CIDR block'], 1],
    ['{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"tcp","FromPort":443,"ToPort":80,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},{"IpProtocol":"tcp","FromPort":22,"ToPort":22}]}]}',
      'aws', ['sg-1 ingress[0]: FromPort 443 is above ToPort 80; AWS rejects the rule', 'sg-1 ingress[1]: no peer (IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds); it opens nothing'], 1],
    ['[{"kind":"compute#firewall","name":"a","priority":70000,"direction":"INGRESS","sourceRanges":["10.0.0.0/8","nope"],"allowed":[{"IPProtocol":"tcp","ports":["22","9-1"]}]},{"kind":"compute#firewall","name":"b","direction":"EGRESS","sourceTags":["web"]}]',
      'gcp', ['a: priority 70000 is not a whole number 0–65535', 'a: sourceRanges "nope" is not a CIDR range', 'a: port range "9-1" runs backwards', 'b: sourceTags and sourceServiceAccounts apply only to INGRESS rules', 'b: has neither allowed nor denied entries'], 1],
    ['[{"name":"nsg-x","type":"Microsoft.Network/networkSecurityGroups","securityRules":[{"name":"r1","access":"Maybe","direction":"Inbound","priority":100,"protocol":"Tcp","sourceAddressPrefix":"*","destinationAddressPrefix":"*","destinationPortRange":"22"}, 7]},{"name":"st","type":"Microsoft.Storage/storageAccounts"}]',
      'azure', ['r1: access "Maybe" is neither Allow nor Deny', 'nsg-x: a security rule that is not an object; not read', 'a microsoft.storage/storageaccounts is not a network security group or one of its rules; not read'], 1],
  ];
  for (const [text, provider, messages, ruleSets] of table) {
    const parsed = parseCloudExport(text, 'x.json');
    assert.deepEqual(parsed.problems.map((p) => p.message).filter((m) => messages.includes(m)), messages, `${provider}: ${parsed.problems.map((p) => p.message).join(' | ')}`);
    assert.equal(parsed.ruleSets.length, ruleSets, provider);
  }
  const other = parseCloudExport('{"name":"x"}', 'x.json');
  assert.match(other.problems[0].message, /^Not an export Citrix Flow Lint reads/);
  const broken = parseCloudExport('{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}', 'x.json');
  assert.ok(broken.problems.some((p) => p.severity === 'error'), 'a truncated export says so');
  assert.equal(broken.ruleSets[0]?.rules.length, 1, 'and keeps what it could read');
});

test('cloud export: findings say which source to change, and no fix edits the snapshot', () => {
  const file = fixturePath('cloud-export', 'gcp-firewall-rules-list.json');
  const text = fs.readFileSync(file, 'utf8');
  const uri = pathToFileURL(file).toString();
  const parsed = parseSource({ uri, text });
  assert.equal(parsed?.format, 'cloud-export');
  const site = 'roles:\n  vda: [10.128.0.0/24]\n  delivery-controller: [10.128.2.10]\nbindings:\n  - files: "gcp-firewall-rules-list.json"\n    ruleSet: citrix-vpc\n    roles: [vda]\n';
  const analysis = analyzeParsed([parsed!], readTopology(site, pathToFileURL(path.join(path.dirname(file), 'citrix-flows.yaml')).toString()), { workspaceRoot: path.dirname(file), reportUnmatchedBindings: false, infer: false });
  const missing = analysis.findings.filter((f) => f.checkId === 'missing-flow' && f.uri === uri);
  // Delivery Controller → VDA TCP 80 is not opened by any rule, so the implied deny-ingress blocks it.
  const discovery = missing.find((f) => /^TCP 80 blocked by implied-deny-ingress/.test(f.message));
  assert.ok(discovery, missing.map((f) => f.message).join('\n'));
  assert.match(discovery.message, /This is live state exported from Google Cloud: change the Terraform code that deploys these firewall rules \(or the console\), then export again\.$/);
  for (const f of missing) assert.deepEqual(fixesFor(f, analysis).filter((x) => /^Allow /.test(x.title)), [], `no "Allow" fix for ${f.message}`);
});
