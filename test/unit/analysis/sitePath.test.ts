// The whole path of a flow across the workspace: which rule sets it crosses, in which order, and what arrives.
// The site fixture carries its hand-worked table (test/fixtures/sites/ica-path/paths.json); the cases below it
// pin the walk's semantics on small sites where each hop is one iptables FORWARD chain.
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyzeParsed, readTopology, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { pathHops, walkPath, type PathQuery } from '../../../server/src/analysis/sitePath';
import { flow } from '../../../server/src/analysis/evaluate';
import { testFlowCommand } from '../../../server/src/cli/testFlow';
import { loadAndAnalyze } from '../../../server/src/engine/batch';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { applyEdits } from '../../../server/src/model/edits';
import type { FormatId } from '../../../server/src/model';
import { fixturePath } from '../../helpers/fixtures';

before(async () => {
  await initTreeSitter();
});

const SITE = fixturePath('sites', 'ica-path');

interface HopJson {
  readonly file: string;
  readonly verdict: string;
}
interface LegJson {
  readonly verdict: string;
  readonly hops: readonly HopJson[];
  readonly blockedAt?: { readonly file: string; readonly line: number };
}
interface Case {
  readonly args: string[];
  readonly why: string;
  readonly verdict: string;
  readonly blockedAt?: string;
  readonly hops?: string[];
  readonly legs?: { verdict: string; blockedAt?: string; hops: string[] }[];
}

const table = JSON.parse(fs.readFileSync(path.join(SITE, 'paths.json'), 'utf8')) as { cases: Case[]; findings: { checkId: string; file: string; line: number; message: string }[] };

const hopWords = (leg: LegJson): string[] => leg.hops.map((h) => `${h.file} ${h.verdict.replace(/^not reached \(alone: (\w+)\)$/, 'not reached (alone: $1)')}`);

for (const c of table.cases) {
  test(`ica-path: test-flow --path ${c.args.join(' ')} is ${c.verdict} (${c.why})`, async () => {
    const answer = await testFlowCommand.run(['--path', SITE, ...c.args, '--json']);
    assert.equal(answer.exitCode, c.verdict === 'allowed' ? 0 : 1, answer.stderr);
    const json = JSON.parse(answer.stdout) as { verdict: string; legs: LegJson[] };
    assert.equal(json.verdict, c.verdict);
    const legs = c.legs ?? [{ verdict: c.verdict, blockedAt: c.blockedAt, hops: c.hops ?? [] }];
    assert.equal(json.legs.length, legs.length);
    legs.forEach((want, i) => {
      const got = json.legs[i];
      assert.equal(got.verdict, want.verdict, `leg ${i + 1}`);
      assert.deepEqual(hopWords(got), want.hops, `leg ${i + 1}: the hops in the order a packet meets them`);
      assert.equal(got.blockedAt ? `${got.blockedAt.file}:${got.blockedAt.line}` : undefined, want.blockedAt, `leg ${i + 1}: the first line that stops it`);
    });
  });
}

test('ica-path: check reports the ASA in between (blocked-on-path) and the VDA firewall (missing-flow), nothing else', async () => {
  const loaded = await loadAndAnalyze([SITE], {});
  assert.ok(!('error' in loaded));
  const shown = loaded.analysis.findings.map((f) => {
    const file = path.relative(SITE, decodeURIComponent(f.uri.replace(/^file:\/\//, '')));
    const text = loaded.texts.get(f.uri) ?? '';
    return { checkId: f.checkId, file, line: text.slice(0, f.span.start).split('\n').length, message: f.message };
  });
  assert.equal(shown.length, table.findings.length, shown.map((f) => `${f.file}:${f.line} ${f.checkId} ${f.message}`).join('\n'));
  for (const want of table.findings) {
    const got = shown.find((f) => f.checkId === want.checkId && f.file === want.file && f.line === want.line);
    assert.ok(got, `no ${want.checkId} at ${want.file}:${want.line}`);
    assert.ok(got.message.startsWith(want.message), got.message);
  }
  // The other hops are listed under the finding, with what each decides.
  const onPath = loaded.analysis.findings.find((f) => f.checkId === 'blocked-on-path');
  const related = (onPath?.related ?? []).map((r) => r.message);
  assert.ok(related.some((m) => /^hop 2 of 3: azurerm_network_security_group\.spoke: not reached; alone it allows/.test(m)), related.join('\n'));
  assert.ok(related.some((m) => /^hop 3 of 3: Windows Defender Firewall: not reached; alone it allows/.test(m)), related.join('\n'));
});

// ---- the walk on small sites ------------------------------------------------------------------------------

const A = 'file:///ws/a.rules';
const B = 'file:///ws/b.rules';

function forwardChain(lines: readonly string[]): string {
  return ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...lines.map((l) => `-A FORWARD ${l}`), 'COMMIT', ''].join('\n');
}

/** Two routers in series between the Gateway's SNIP (10.0.1.10) and the VDAs (10.0.2.0/24). */
function site(a: readonly string[], b: readonly string[], extra = ''): WorkspaceAnalysis {
  const topology = readTopology(
    [
      'roles:',
      '  gateway-snip: [10.0.1.10]',
      '  vda: [10.0.2.0/24]',
      'features:',
      '  edt: false',
      'bindings:',
      '  - files: a.rules',
      '    ruleSet: FORWARD',
      '    between: [10.0.1.0/24, 10.0.2.0/24]',
      '  - files: b.rules',
      '    ruleSet: FORWARD',
      '    guards: [vda]',
      extra,
    ].join('\n'),
    'file:///ws/citrix-flows.yaml',
  );
  return analyzeParsed([parseAs('iptables' as FormatId, forwardChain(a), A), parseAs('iptables' as FormatId, forwardChain(b), B)], topology, { workspaceRoot: '/ws' });
}

function walk(analysis: WorkspaceAnalysis, spec: string) {
  const q = flow(spec);
  const query: PathQuery = { protocols: q.protocols, source: q.source, destination: q.destination, destinationPorts: q.destinationPorts };
  const s = { files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology };
  const { hops, notOnPath } = pathHops(s, query);
  return { hops, notOnPath, walk: walkPath(hops, query, {}) };
}

test('two hops that each let a different port through deny the flow: nothing arrives', () => {
  const analysis = site(['-p tcp --dport 1494 -j ACCEPT'], ['-p tcp --dport 2598 -j ACCEPT']);
  const { walk: w } = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:1494-2598');
  assert.deepEqual(
    w.hops.map((h) => h.result?.verdict),
    ['partial', 'denied'],
    'the second router sees only the 1494 part the first let through, and denies it',
  );
  assert.equal(w.verdict, 'denied');
  assert.equal(w.blockedAt?.hop.file.uri, A, 'the first hop already stops part of the flow');
});

test('what the first hop stops is not asked of the second; what passes both is allowed', () => {
  const analysis = site(['-p tcp --dport 1494 -j ACCEPT', '-p tcp --dport 2598 -j ACCEPT'], ['-p tcp --dport 2598 -j ACCEPT']);
  const both = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:2598').walk;
  assert.equal(both.verdict, 'allowed');
  const ica = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:1494').walk;
  assert.equal(ica.verdict, 'denied');
  assert.equal(ica.blockedAt?.hop.file.uri, B);
  const mixed = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:1494-2598').walk;
  assert.equal(mixed.verdict, 'partial', 'ports between 1494 and 2598 other than 2598 stop at a.rules, 2598 passes both');
});

test('"between" places a router only on traffic from one side to the other; "guards" on traffic into or out of its network', () => {
  const analysis = site(['-j ACCEPT'], ['-j ACCEPT']);
  const inside = walk(analysis, 'forward tcp 10.0.2.5 -> 10.0.2.6:445');
  assert.deepEqual(inside.hops.map((h) => h.file.uri), [], 'between two VDAs of one subnet no router is crossed');
  const back = walk(analysis, 'forward tcp 10.0.2.5 -> 10.0.1.10:443');
  assert.deepEqual(back.hops.map((h) => h.file.uri), [B, A], 'from the VDAs back to the DMZ both are crossed, the one guarding the VDAs first');
  assert.equal(back.hops[1].why, 'between 10.0.2.0/24 and 10.0.1.0/24 (citrix-flows.yaml)');
  const there = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:1494');
  assert.deepEqual(there.hops.map((h) => h.file.uri), [A, B], 'toward the VDAs the router next to the DMZ comes first');
  const elsewhere = walk(analysis, 'forward tcp 10.9.0.1 -> 10.0.1.10:443');
  assert.deepEqual(elsewhere.hops.map((h) => h.file.uri), [], 'neither router is between 10.9.0.1 and the DMZ');
  assert.equal(elsewhere.walk.verdict, 'unknown', 'with no hop known, the path is unknown, never allowed');
});

test('a host chain under "guards" is not placed in front of a network, and says why', () => {
  const topology = readTopology(['roles:', '  vda: [10.0.2.0/24]', 'bindings:', '  - files: h.rules', '    ruleSet: INPUT', '    guards: [10.0.2.0/24]'].join('\n'), 'file:///ws/citrix-flows.yaml');
  const text = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', ''].join('\n');
  const analysis = analyzeParsed([parseAs('iptables' as FormatId, text, 'file:///ws/h.rules')], topology, { workspaceRoot: '/ws' });
  const { hops, notOnPath } = walk(analysis, 'forward tcp 10.0.1.10 -> 10.0.2.5:1494');
  assert.deepEqual(hops, []);
  assert.match(notOnPath.map((n) => n.why).join('\n'), /filters only its own host's traffic/);
});

test('blocked-on-path is reported on the router that blocks, and its quick fix lets the flow through that router', () => {
  const analysis = site(['-p tcp --dport 1494 -j ACCEPT', '-p tcp --dport 2598 -j ACCEPT'], ['-p tcp --dport 2598 -j ACCEPT', '-j DROP']);
  const onB = analysis.findings.filter((f) => f.checkId === 'blocked-on-path');
  assert.deepEqual(
    onB.map((f) => `${f.uri} ${f.flowId}`),
    [`${B} gateway.gateway-snip-to-vda.ica`],
    'only the ICA flow is blocked, and only by b.rules',
  );
  assert.match(onB[0].message, /^TCP 1494 blocked by the rule on line \d+ at FORWARD: Citrix Gateway SNIP → VDA ICA\. Hop 2 of 2 on the way, bound to neither end's role: guards 10\.0\.2\.0\/24/);
  const fix = fixesFor(onB[0], analysis).find((f) => f.isPreferred);
  assert.ok(fix, 'an Allow fix');
  const fixedText = applyEdits(forwardChain(['-p tcp --dport 2598 -j ACCEPT', '-j DROP']), fix.edits);
  assert.match(fixedText, /\n-A FORWARD -s 10\.0\.1\.10\/32 -d 10\.0\.2\.0\/24 -p tcp --dport 1494 -j ACCEPT\n-A FORWARD -j DROP\n/, 'the SNIP to the VDA subnet, above the drop');
  const after = analyzeParsed([analysis.files[0], parseAs('iptables' as FormatId, fixedText, B)], analysis.topology, { workspaceRoot: '/ws' });
  assert.deepEqual(after.findings.filter((f) => f.checkId === 'blocked-on-path').map((f) => f.message), []);
});

test('citrix-flows.yaml: guards and between are checked', () => {
  const problems = (yaml: string): string[] => readTopology(yaml, 'file:///ws/citrix-flows.yaml').problems.map((p) => p.message);
  assert.deepEqual(problems('bindings:\n  - files: r.rules\n    between: [10.0.1.0/24, 10.0.2.0/24]\n'), []);
  assert.match(problems('bindings:\n  - files: r.rules\n    between: [10.0.1.0/24]\n').join(), /lists the two networks/);
  assert.match(problems('bindings:\n  - files: r.rules\n    guards: [10.0.1.0/24]\n    between: [10.0.1.0/24, 10.0.2.0/24]\n').join(), /"guards" or "between", not both/);
  assert.match(problems('roles:\n  vda:\nbindings:\n  - files: r.rules\n    guards: [vda]\n').join(), /"vda" has no concrete addresses to guard/);
  assert.match(problems('bindings:\n  - files: r.rules\n').join(), /needs "roles".*"guards".*"between"/);
  const t = readTopology('networks:\n  dmz: [10.0.1.0/24]\nbindings:\n  - files: r.rules\n    guards: [dmz]\n', 'file:///ws/citrix-flows.yaml');
  assert.equal(t.bindings[0].guards?.toString(), '10.0.1.0/24');
  assert.deepEqual(t.bindings[0].roles, [], 'a guards binding binds no role');
});

test('host firewalls bound to one role by name alone in different files are side by side, not in series', () => {
  // Two VDA pools' host firewalls, both `# citrix-role: vda`, nothing saying which host each is: a packet to one
  // VDA meets one of them. Walked in series, the Linux pool's DROP would stop ICA to the Windows pool too.
  const topology = readTopology(['roles:', '  gateway-snip: [10.0.1.10]', '  vda: [10.0.2.0/24, 10.0.3.0/24]', 'features:', '  edt: false', 'bindings:', '  - files: a.rules', '    ruleSet: FORWARD', '    between: [10.0.1.0/24, 10.0.2.0/23]'].join('\n'), 'file:///ws/citrix-flows.yaml');
  const host = (accept: string): string => ['# citrix-role: vda', '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...(accept ? [`-A INPUT ${accept}`] : []), 'COMMIT', ''].join('\n');
  const files = (pools: readonly string[]) => [
    parseAs('iptables' as FormatId, forwardChain(['-j ACCEPT']), A),
    ...pools.map((accept, i) => parseAs('iptables' as FormatId, host(accept), `file:///ws/pool-${i}.rules`)),
  ];
  const two = analyzeParsed(files(['-p tcp --dport 1494 -j ACCEPT', '']), topology, { workspaceRoot: '/ws' });
  const roles = { source: 'gateway-snip', destination: 'vda' };
  const q = flow('forward tcp 10.0.1.10 -> 10.0.2.5:1494');
  const query: PathQuery = { protocols: q.protocols, source: q.source, destination: topology.roles.get('vda')!.addresses, destinationPorts: q.destinationPorts, roles };
  const placed = pathHops({ files: two.files, bound: two.binding.bound, guarding: two.guarding, topology: two.topology }, query);
  assert.deepEqual(placed.hops.map((h) => h.file.uri), [A], 'only the router is walked');
  assert.deepEqual(
    placed.notOnPath.filter((n) => n.file.uri.includes('pool-')).map((n) => n.why.replace(/\(.*\)/, '(…)')),
    [0, 1].map(() => "one of 2 files placed as the receiver's own firewall by their role alone, with no address of their own (…): they protect different hosts of the role, side by side, and which host each protects is not known, so each is judged alone, not walked in series"),
  );
  // Each is still judged alone as the VDAs' own firewall: the pool without a 1494 rule is reported there.
  assert.deepEqual(
    two.findings.filter((f) => f.flowId === 'gateway.gateway-snip-to-vda.ica' && f.checkId === 'missing-flow').map((f) => f.uri),
    ['file:///ws/pool-1.rules'],
  );
  // With one pool's file only, its firewall is the receiver's own and is walked after the router.
  const one = analyzeParsed(files(['']), topology, { workspaceRoot: '/ws' });
  const single = pathHops({ files: one.files, bound: one.binding.bound, guarding: one.guarding, topology: one.topology }, query);
  assert.deepEqual(single.hops.map((h) => `${h.file.uri} ${h.place}`), [`${A} between`, 'file:///ws/pool-0.rules destination-host']);
  assert.equal(walkPath(single.hops, query, {}).blockedAt?.hop.file.uri, 'file:///ws/pool-0.rules');
});
