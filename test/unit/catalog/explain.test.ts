import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadCatalog } from '../../../server/src/catalog';
import { runExplain, parseExplainArgs, conditionsInWords } from '../../../server/src/cli/explain';
import { repoRoot } from './repo';

const catalog = loadCatalog();
const cli = path.join(repoRoot(), 'dist', 'cli.js');

interface PortCase {
  query: string;
  /** Flow ids that must be listed, with what each must say. */
  expect: Record<string, { protocols?: string[]; conditions?: string[]; udpConditions?: string[]; tags?: string[]; secureAlternative?: string }>;
  /** Words the text output must contain. */
  words?: string[];
}

const portCases: PortCase[] = [
  {
    query: '2598',
    expect: {
      'cvad.workspace-app-to-vda.ica-session-reliability': { protocols: ['tcp', 'udp'], conditions: ['feature:session-reliability'], udpConditions: ['feature:edt'] },
      'gateway.gateway-snip-to-vda.ica-session-reliability': { protocols: ['tcp', 'udp'], conditions: ['feature:session-reliability'], udpConditions: ['feature:edt'] },
    },
    words: ['only with Session Reliability', 'UDP only with EDT', 'Citrix Virtual Apps and Desktops', 'Citrix Gateway'],
  },
  {
    query: '1494',
    expect: {
      'cvad.workspace-app-to-vda.ica': { protocols: ['tcp', 'udp'], conditions: [], udpConditions: ['feature:edt'] },
      'gateway.gateway-snip-to-vda.ica': { protocols: ['tcp', 'udp'], conditions: [], udpConditions: ['feature:edt'] },
    },
  },
  { query: '8008/tcp', expect: { 'cvad.workspace-app-to-vda.ica-html5': { conditions: ['feature:html5-client'] } }, words: ['only with the HTML5 client'] },
  { query: '16505/udp', expect: { 'cvad.workspace-app-to-vda.ica-audio-rtp': { protocols: ['udp'] }, 'gateway.gateway-snip-to-vda.ica-audio-rtp': { protocols: ['udp'] } }, words: ['16500-16509'] },
  { query: '50000', expect: { 'cvad.admin-workstation-to-vda.remote-assistance-dynamic': { tags: ['dynamic-port'] } }, words: ['49152-65535'] },
  { query: '8285', expect: { 'wem.wem-agent-to-wem-infrastructure.cache-sync': { conditions: ['version:wem<=1909'] } }, words: ['WEM 1909 and earlier'] },
  { query: '8288', expect: { 'wem.wem-agent-to-wem-infrastructure.cached-data-sync': { conditions: ['version:wem>=1912'] } }, words: ['WEM 1912 and later'] },
  { query: '8287', expect: { 'wem.wem-monitoring-to-wem-infrastructure.monitoring': { conditions: ['optional'], tags: ['not-implemented'] } }, words: ['optional', 'not yet implemented'] },
  { query: '3010', expect: { 'adc.adc-nsip-to-adc.ha-sync': { tags: ['insecure'], secureAlternative: 'adc.adc-nsip-to-adc.ha-sync-secure' } }, words: ['secure variant: adc.adc-nsip-to-adc.ha-sync-secure'] },
  { query: '3011', expect: { 'adc.adc-nsip-to-adc.mep': { secureAlternative: 'adc.adc-nsip-to-adc.mep-secure' } } },
  { query: '1812/udp', expect: { 'adm.adm-to-radius-server.radius': { protocols: ['udp'] }, 'gateway.gateway-snip-to-radius-server.radius': { protocols: ['udp'] } } },
  { query: '1812/tcp', expect: { 'sd-wan.sd-wan-appliance-to-radius-server.radius': { tags: ['protocol-doubtful'] }, 'sd-wan.sd-wan-wanop-to-radius-server.radius': {} } },
  { query: '389', expect: { 'gateway.gateway-snip-to-ldap-server.ldap': { secureAlternative: 'gateway.gateway-snip-to-ldap-server.ldaps' }, 'hypervisor.hypervisor-to-domain-controller.ldap': { secureAlternative: 'hypervisor.hypervisor-to-domain-controller.ldaps' } } },
  { query: '9001', expect: { 'cvad.vda-to-vda.hdx-video-websocket': { tags: ['loopback'] } }, words: ['127.0.0.1'] },
  { query: '443/udp', expect: { 'cloud.vda-to-gateway-service.rendezvous-edt': { conditions: ['feature:rendezvous', 'feature:edt'] } }, words: ['*.nssvc.net'] },
  { query: '80', expect: { 'cvad.delivery-controller-to-vda.vda-discovery': { tags: ['bidirectional'] }, 'cvad.vda-to-delivery-controller.registration': { tags: ['bidirectional'] } } },
];

for (const c of portCases) {
  test(`explain ${c.query}`, () => {
    const result = runExplain([c.query, '--json'], catalog);
    assert.equal(result.exitCode, 0, result.stderr);
    const flows = JSON.parse(result.stdout) as Record<string, any>[];
    const [portText, proto] = c.query.split('/');
    for (const f of flows) {
      assert.ok(f.ports.some((r: { from: number; to: number }) => r.from <= Number(portText) && Number(portText) <= r.to), `${f.id} is not on ${portText}`);
      if (proto) assert.ok(f.protocols.includes(proto), `${f.id} has no ${proto}`);
    }
    for (const [id, want] of Object.entries(c.expect)) {
      const f = flows.find((x) => x.id === id);
      assert.ok(f, `${id} missing from explain ${c.query}: ${flows.map((x) => x.id).join(', ')}`);
      if (want.protocols) assert.deepEqual(f.protocols, want.protocols, id);
      if (want.conditions) assert.deepEqual(f.conditions, want.conditions, id);
      if (want.udpConditions) assert.deepEqual(f.protocolConditions.udp, want.udpConditions, id);
      for (const tag of want.tags ?? []) assert.ok(f.tags.includes(tag), `${id} lacks tag ${tag}`);
      if (want.secureAlternative) assert.equal(f.secureAlternative, want.secureAlternative, id);
    }
    const text = runExplain([c.query], catalog);
    assert.equal(text.exitCode, 0);
    for (const id of Object.keys(c.expect)) assert.ok(text.stdout.includes(id), `text output lacks ${id}`);
    for (const w of c.words ?? []) assert.ok(text.stdout.includes(w), `text output lacks "${w}":\n${text.stdout}`);
  });
}

test('explain 2598 lists every catalog flow on 2598, and only those', () => {
  const flows = JSON.parse(runExplain(['2598', '--json'], catalog).stdout) as { id: string }[];
  const expected = catalog.flows.filter((f) => f.ports.some((r) => r.from <= 2598 && 2598 <= r.to)).map((f) => f.id);
  assert.deepEqual(flows.map((f) => f.id), expected);
  assert.ok(expected.length >= 2);
});

test('conditions read as words', () => {
  const cases: [string, string][] = [
    ['cvad.workspace-app-to-vda.ica-session-reliability', 'only with Session Reliability; UDP only with EDT'],
    ['cloud.vda-to-gateway-service.rendezvous-edt', 'only with Rendezvous; only with EDT'],
    ['cvad.delivery-controller-to-sql-server.sql-browser', 'UDP only with a SQL named instance'],
    ['pvs.pvs-target-to-dhcp-server.network-boot-info', 'optional'],
    ['cvad.delivery-controller-to-vda.local-host-cache', 'only with Local Host Cache; port may change'],
    ['cvad.delivery-controller-to-sql-server.sql', ''],
  ];
  for (const [id, words] of cases) assert.equal(conditionsInWords(catalog, catalog.flowById(id)!), words, id);
});

test('text output aligns its columns within a product', () => {
  const lines = runExplain(['443'], catalog).stdout.split('\n');
  const header = lines.findIndex((l) => l.startsWith('  FROM'));
  const col = lines[header].indexOf('PROTOCOLS');
  const row = lines[header + 1];
  assert.ok(col > 0 && row.slice(col - 2, col) === '  ' && row[col] !== ' ', `${lines[header]}\n${row}`);
});

const argCases: [string[], string][] = [
  [[], 'explain needs a port'],
  [['abc'], "'abc' is not a port"],
  [['70000'], "'70000' is not a port"],
  [['443/sctp'], "'443/sctp' is not a port"],
  [['443', '80'], 'one port'],
  [['--role'], '--role needs a role id'],
  [['--frobnicate'], "unknown option '--frobnicate'"],
];
for (const [args, message] of argCases) {
  test(`explain ${args.join(' ') || '(nothing)'} is a usage error`, () => {
    const parsed = parseExplainArgs(args);
    assert.ok('error' in parsed && parsed.error.includes(message), JSON.stringify(parsed));
    const result = runExplain(args, catalog);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /Usage:/);
  });
}

function runCli(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

test('dist/cli.js: explain <port> --json has the DESIGN.md shape', (t) => {
  if (!existsSync(cli)) assert.fail(`${cli} missing: run npm run build first`);
  const run = runCli('explain', '2598', '--json');
  assert.equal(run.status, 0, run.stderr);
  const flows = JSON.parse(run.stdout) as Record<string, unknown>[];
  const contract = ['id', 'product', 'source', 'destination', 'protocols', 'ports', 'description', 'conditions', 'seedRow'];
  for (const f of flows) {
    assert.deepEqual(Object.keys(f).slice(0, contract.length), contract);
    assert.ok(Array.isArray(f.protocols) && (f.protocols as string[]).every((p) => ['tcp', 'udp', 'icmp'].includes(p)));
    assert.ok((f.ports as { from: number; to: number }[]).every((r) => Number.isInteger(r.from) && Number.isInteger(r.to)));
    const seedRow = f.seedRow as Record<string, unknown>;
    assert.equal(typeof seedRow.section, 'string');
    assert.equal(typeof seedRow.row, 'string');
  }
  t.diagnostic(`explain 2598 --json: ${flows.map((f) => f.id).join(', ')}`);
});

test('dist/cli.js: exit codes and messages', () => {
  const cases: { args: string[]; status: number; stdout?: RegExp; stderr?: RegExp }[] = [
    { args: ['explain', '2598'], status: 0, stdout: /port 2598: 2 flows/ },
    { args: ['explain', '12345'], status: 2, stderr: /no Citrix flow in the catalog uses port 12345/ },
    { args: ['explain', '8008/udp'], status: 2, stderr: /used over tcp/ },
    { args: ['explain', '--role', 'vdaa'], status: 2, stderr: /unknown role 'vdaa'\. Did you mean: vda/ },
    { args: ['explain', '--role', 'Virtual Delivery Agent'], status: 0, stdout: /^vda: Virtual Delivery Agent/ },
    { args: ['explain', 'icmp'], status: 0, stdout: /adm\.adm-to-adc-nsip\.reachability/ },
    { args: ['explain', '--help'], status: 0, stdout: /Usage:/ },
    { args: ['explain'], status: 2, stderr: /Usage:/ },
    { args: ['frobnicate'], status: 2, stderr: /unknown command 'frobnicate'/ },
    { args: ['--help'], status: 0, stdout: /explain/ },
  ];
  for (const c of cases) {
    const run = runCli(...c.args);
    assert.equal(run.status, c.status, `${c.args.join(' ')}: ${run.stderr}`);
    if (c.stdout) assert.match(run.stdout, c.stdout, c.args.join(' '));
    if (c.stderr) assert.match(run.stderr, c.stderr, c.args.join(' '));
  }
});

test('dist/cli.js: explain --role and --roles as JSON', () => {
  const role = runCli('explain', '--role', 'vda', '--json');
  assert.equal(role.status, 0, role.stderr);
  const flows = JSON.parse(role.stdout) as { source: string; destination: string }[];
  assert.ok(flows.length > 10 && flows.every((f) => f.source === 'vda' || f.destination === 'vda'));
  const roles = runCli('explain', '--roles', '--json');
  assert.equal(roles.status, 0, roles.stderr);
  const list = JSON.parse(roles.stdout) as { id: string; name: string; aliases: string[]; description: string }[];
  assert.deepEqual(list.map((r) => r.id), catalog.roles.map((r) => r.id));
  assert.ok(list.find((r) => r.id === 'adm')?.aliases.includes('NetScaler Console'));
});
