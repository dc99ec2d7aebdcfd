import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';

before(async () => {
  await initTreeSitter();
});

function run(files: { path: string; format: FormatId; text: string }[], yaml?: string, infer = true) {
  const parsed = files.map((f) => parseAs(f.format, f.text, `file:///ws/${f.path}`));
  return analyzeParsed(parsed, readTopology(yaml, yaml === undefined ? undefined : 'file:///ws/citrix-flows.yaml'), { workspaceRoot: '/ws', infer });
}

const summary = (a: ReturnType<typeof run>, checkId: string): string[] =>
  a.findings.filter((f) => f.checkId === checkId).map((f) => `${f.flowId ?? ''}${f.assumptions?.length ? ` [${f.assumptions.map((x) => `${x.kind}:${x.role}`).join(',')}]` : ''}`).sort();

/** Windows Firewall on a License Server, as CVAD install scripts open it, but from any address. */
const LICENSE_SERVER = {
  path: 'scripts/license-server.ps1',
  format: 'windows-firewall' as const,
  text:
    'New-NetFirewallRule -DisplayName "Citrix Licensing" -Direction Inbound -Protocol TCP -LocalPort 27000 -RemoteAddress Any -Action Allow\n' +
    'New-NetFirewallRule -DisplayName "Citrix Vendor Daemon" -Direction Inbound -Protocol TCP -LocalPort 7279 -RemoteAddress Any -Action Allow\n',
};

test('zero config: 27000 and 7279 open to the Internet on an inferred License Server are management exposure (issue 15.4)', () => {
  const a = run([LICENSE_SERVER]);
  const exposed = a.findings.filter((f) => f.checkId === 'exposed-to-internet');
  assert.equal(exposed.length, 2, a.findings.map((f) => f.message).join('\n'));
  for (const f of exposed) {
    // The role is a guess from the file name: what rests on it is at most a warning until it is declared.
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /Management access \(TCP (27000|7279)\) to Citrix License Server is reachable from the Internet/);
    assert.match(f.message, /Assumed: Citrix License Server, from the file name "license-server"/);
  }
  const declared = run([{ ...LICENSE_SERVER, text: `# citrix-role: license-server\n${LICENSE_SERVER.text}` }]);
  // Declared, nothing is assumed any more; it stays a warning because it is the host's own Windows Firewall (the
  // perimeter usually decides what the Internet reaches), and the message says so.
  const exposedDeclared = declared.findings.filter((f) => f.checkId === 'exposed-to-internet');
  assert.deepEqual(exposedDeclared.map((f) => [f.severity, f.assumptions?.length ?? 0]), [['warning', 0], ['warning', 0]]);
  for (const f of exposedDeclared) assert.match(f.message, /This is the host's own firewall/);
  // The components a License Server serves are assumed: its licensing flows are checked, and allowed.
  assert.ok(a.required.some((c) => c.flow.id.endsWith('license-requests') && c.result.verdict === 'allowed' && c.assumedPeer?.role === 'any-citrix-component'));
});

test('zero config: a declared Delivery Controller gets the licensing flows without declaring any-citrix-component (issue 15.4)', () => {
  const ddc = {
    path: 'ddc.tf',
    format: 'terraform' as const,
    text:
      '# citrix-role: delivery-controller\nresource "aws_security_group" "controllers" {\n  name = "controllers"\n' +
      '  egress {\n    from_port = 443\n    to_port = 443\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n',
  };
  const yaml = 'roles:\n  delivery-controller: [10.0.1.10]\n  license-server: [10.0.1.30]\n';
  const a = run([ddc], yaml);
  assert.deepEqual(summary(a, 'missing-flow').filter((s) => s.startsWith('license-server.')), [
    'license-server.any-citrix-component-to-license-server.license-checkout',
    'license-server.any-citrix-component-to-license-server.license-requests',
  ]);
  // A declared any-citrix-component says which machines license, and wins.
  const declared = run([ddc], `${yaml}  any-citrix-component: [10.0.9.0/24]\n`);
  assert.deepEqual(summary(declared, 'missing-flow').filter((s) => s.startsWith('license-server.')), []);
});

test('zero config: a VDA NSG with no declaration gets its registration checked against "some Delivery Controller"', () => {
  const vda = {
    path: 'citrix/vda.tf',
    format: 'terraform' as const,
    text:
      'resource "aws_security_group" "vda" {\n  name = "ctx-vda"\n' +
      '  egress {\n    from_port = 443\n    to_port = 443\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n',
  };
  const a = run([vda]);
  assert.ok(summary(a, 'missing-flow').includes('cvad.vda-to-delivery-controller.registration [role:vda,peer:delivery-controller]'), summary(a, 'missing-flow').join('\n'));
  // Opened to some address (here one subnet), the assumed flow is allowed: nothing says where the controllers are.
  const narrow = { ...vda, text: vda.text.replace('from_port = 443\n    to_port = 443', 'from_port = 80\n    to_port = 80').replace('0.0.0.0/0', '10.1.2.0/24') };
  const b = run([narrow]);
  assert.equal(b.required.find((c) => c.flow.id === 'cvad.vda-to-delivery-controller.registration')?.result.verdict, 'allowed');
  // Declared, the assumption goes away and the finding is exact.
  const declared = run([{ ...vda, text: `# citrix-role: vda\n${vda.text}` }], 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.1.10]\n');
  assert.deepEqual(summary(declared, 'missing-flow').filter((s) => s.includes('registration')), ['cvad.vda-to-delivery-controller.registration']);
  // Off, nothing is checked.
  assert.equal(run([vda], undefined, false).required.length, 0);
});

test('zero config: a port no flow to a guessed role needs is only a hint; declared, it is the check\'s own severity', () => {
  const vda = {
    path: 'citrix/vda.tf',
    format: 'terraform' as const,
    text:
      'resource "aws_security_group" "vda" {\n  name = "ctx-vda"\n' +
      '  ingress {\n    from_port = 27000\n    to_port = 27000\n    protocol = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n',
  };
  const guessed = run([vda]).findings.filter((f) => f.checkId === 'unneeded-citrix-port');
  assert.deepEqual(guessed.map((f) => [f.severity, f.assumptions?.[0]?.role]), [['hint', 'vda']]);
  const declared = run([{ ...vda, text: `# citrix-role: vda\n${vda.text}` }]).findings.filter((f) => f.checkId === 'unneeded-citrix-port');
  assert.equal(declared.length, 1);
  assert.notEqual(declared[0].severity, 'hint');
  assert.equal(declared[0].assumptions, undefined);
});

test('zero config: an ADC group that admits the HA ports says HA is on; a declared feature wins (issue 17 item 4)', () => {
  const adc = {
    path: 'adc.tf',
    format: 'terraform' as const,
    text:
      'resource "aws_security_group" "netscaler_nsip" {\n  name = "citrix-adc-management"\n' +
      '  ingress {\n    from_port = 3003\n    to_port = 3003\n    protocol = "udp"\n    cidr_blocks = ["10.0.1.0/24"]\n  }\n' +
      '  ingress {\n    from_port = 3008\n    to_port = 3008\n    protocol = "tcp"\n    cidr_blocks = ["10.0.1.0/24"]\n  }\n}\n',
  };
  const a = run([adc]);
  assert.deepEqual(a.inference?.features.map((f) => [f.id, f.on, f.scope, f.evidence]), [['ha', true, 'folder', 'opens UDP 3003, TCP 3008 inbound']]);
  assert.equal(a.topology.features.get('ha'), true);
  assert.ok(a.required.some((c) => c.flow.id === 'adc.adc-nsip-to-adc.ha-heartbeat'), a.required.map((c) => c.flow.id).join('\n'));
  assert.deepEqual(a.findings.filter((f) => f.checkId === 'unneeded-citrix-port' && /High availability/.test(f.message)), []);
  // HA declared off: nothing is inferred over it, and the HA ports are unneeded again.
  const declared = run([adc], 'features:\n  ha: false\n');
  assert.deepEqual(declared.inference?.features ?? [], []);
  assert.ok(declared.findings.some((f) => f.checkId === 'unneeded-citrix-port' && /High availability pair is off/.test(f.message)));
});

/** An ADC management group of a template that does not open the HA ports itself. */
const adcTemplate = (path: string) => ({
  path,
  format: 'terraform' as const,
  text: 'resource "aws_security_group" "netscaler_nsip" {\n  name = "citrix-adc-management"\n  ingress {\n    from_port = 443\n    to_port = 443\n    protocol = "tcp"\n    cidr_blocks = ["10.0.9.0/24"]\n  }\n}\n',
});

test('zero config: HA inferred from one template holds for its folder, and a file name saying standalone or ha wins (issue 17 item 4)', () => {
  // A repository of NetScaler templates keeps HA and standalone deployments side by side (netscaler-adc-aws-cloudformation).
  const haEvidence = {
    path: 'autoscale/prereq.tf',
    format: 'terraform' as const,
    text:
      'resource "aws_security_group" "netscaler_nsip" {\n  name = "citrix-adc-management"\n' +
      '  ingress {\n    from_port = 3003\n    to_port = 3003\n    protocol = "udp"\n    cidr_blocks = ["10.0.1.0/24"]\n  }\n}\n',
  };
  const a = run([haEvidence, adcTemplate('autoscale/other.tf'), adcTemplate('standalone/citrix-adc.tf'), adcTemplate('standalone/citrix-adc-standalone.tf'), adcTemplate('pairs/citrix-adc-ha-same-az.tf')]);
  const heartbeatIn = (path: string): boolean => a.required.some((c) => c.flow.id === 'adc.adc-nsip-to-adc.ha-heartbeat' && c.bound.file.uri === `file:///ws/${path}`);
  assert.equal(heartbeatIn('autoscale/other.tf'), true, 'the evidence speaks for its folder');
  assert.equal(heartbeatIn('standalone/citrix-adc.tf'), false, 'another folder is not told by it');
  assert.equal(heartbeatIn('standalone/citrix-adc-standalone.tf'), false);
  assert.equal(heartbeatIn('pairs/citrix-adc-ha-same-az.tf'), true, 'the file name says ha');
  assert.deepEqual(
    a.inference?.features.filter((f) => f.scope === 'file').map((f) => [f.uri.replace('file:///ws/', ''), f.on, f.evidence]),
    [
      ['standalone/citrix-adc-standalone.tf', false, 'its file name says "standalone"'],
      ['pairs/citrix-adc-ha-same-az.tf', true, 'its file name says "ha"'],
    ],
  );
  // A standalone file in the folder of the evidence: its name wins.
  const b = run([haEvidence, adcTemplate('autoscale/citrix-adc-standalone.tf')]);
  assert.equal(b.required.some((c) => c.flow.id === 'adc.adc-nsip-to-adc.ha-heartbeat' && c.bound.file.uri.endsWith('citrix-adc-standalone.tf')), false);
});
