import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWindowsFirewall } from '../../../server/src/formats/windows-firewall';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { type WindowsProfile } from '../../../server/src/model';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { formatPortSet } from '../../../server/src/net';
import { fixtureInputs, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('windows-firewall', (text, file) => snapshotParsedFile(parseWindowsFirewall(text, path.basename(file))));

/**
 * Each fixture states its verdicts in comments: `expect[ PROFILE]: <flow> => <verdict> (<deciding rule ids> | -)`,
 * PROFILE the host's active Windows Firewall profile (domain, private, public); without it none is declared.
 */
const EXPECT = /^expect(?: (domain|private|public))?: (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)$/;
for (const file of fixtureInputs('windows-firewall')) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseWindowsFirewall(text, path.basename(file));
  const expectations = parsed.comments.map((c) => EXPECT.exec(c.text)).filter((m): m is RegExpExecArray => m !== null);
  if (expectations.length === 0) continue;
  test(`windows-firewall verdicts: ${path.basename(file)}`, () => {
    for (const [line, profile, flowText, verdict, deciding] of expectations) {
      const result = evaluate(parsed.ruleSets, flow(flowText), { profile: profile as WindowsProfile | undefined });
      assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
      assert.equal(result.decidingRules.map((r) => r.id).join(', ') || '-', deciding.trim(), `${line}: deciding rules`);
    }
  });
}

const only = (script: string) => {
  const parsed = parseWindowsFirewall(script, 'inline.ps1');
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.ruleSets[0].rules.length, 1);
  return parsed.ruleSets[0].rules[0];
};

test('windows-firewall: inbound and outbound map local/remote to destination/source', () => {
  const table: [string, string, string, string, string][] = [
    // direction, expected source, destination, destination ports, source ports
    ['Inbound', '10.9.0.0/16', '10.1.0.5', '1494', '50000'],
    ['Outbound', '10.1.0.5', '10.9.0.0/16', '50000', '1494'],
  ];
  for (const [dir, src, dst, dports, sports] of table) {
    const r = only(`New-NetFirewallRule -DisplayName x -Direction ${dir} -Protocol TCP -LocalPort 1494 -RemotePort 50000 -LocalAddress 10.1.0.5 -RemoteAddress 10.9.0.0/16`);
    assert.equal(r.source.value.toString(), src, dir);
    assert.equal(r.destination.value.toString(), dst, dir);
    assert.equal(formatPortSet(r.destinationPorts.value), dports, dir);
    assert.equal(formatPortSet(r.sourcePorts.value), sports, dir);
  }
});

test('windows-firewall: value spellings', () => {
  const table: [string, string][] = [
    ["-LocalPort '1494','2598'", '1494, 2598'],
    ['-LocalPort @(1494, 2598)', '1494, 2598'],
    ['-LocalPort 16500-16509', '16500-16509'],
    ['-LocalPort:1494', '1494'],
    ['-LocalPort ("1494")', '1494'],
    ['-LocalPort Any', 'any'],
  ];
  for (const [arg, ports] of table) {
    const r = only(`New-NetFirewallRule -DisplayName x -Protocol TCP ${arg}`);
    assert.equal(formatPortSet(r.destinationPorts.value), ports, arg);
  }
});

test('windows-firewall: never throws on hostile input', () => {
  const inputs = ['', '\uFEFF', '`', '<#', '"', "'", '@{', '@(', '$', '-', 'New-NetFirewallRule', 'New-NetFirewallRule -', 'New-NetFirewallRule @x', 'New-NetFirewallRule -LocalPort', 'netsh advfirewall firewall add rule name="', '$a = @{ b = @( ( ) }', ')))}}}'];
  for (const input of inputs) assert.doesNotThrow(() => parseWindowsFirewall(input, 'x'), JSON.stringify(input));
  const line = "New-NetFirewallRule -DisplayName 'r' -Direction Inbound -Protocol TCP -LocalPort 1494 -RemoteAddress 10.0.0.0/8\n";
  // Growth with size is measured in the bench (bench/growth.mjs), not timed here.
  assert.equal(parseWindowsFirewall(line.repeat(10_000), 'x').ruleSets.flatMap((rs) => rs.rules).length, 10_000);
});
