import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import type { Rule } from '../../../server/src/model';
import { AddressSet } from '../../../server/src/net';
import { fixtureInputs } from '../../helpers/fixtures';

/**
 * For every Terraform fixture HashiCorp's own parser (hcl2json) reads, the
 * ports, protocols, CIDRs, priorities and actions our adapter extracts must
 * equal what an independent reading of hcl2json's JSON gives. The reading
 * below shares no code with the parser: it applies each cloud's documented
 * rules to plain JSON, and skips any value it cannot read literally.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: hcl2json } = require('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<Json> };

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

before(async () => {
  await initTreeSitter();
});

/** What one rule says, as plain strings both sides can produce. */
interface Facts {
  action: string;
  direction: string;
  priority?: number;
  protocol: string;
  ports: string;
  cidrs: string;
}

class Skip extends Error {}

const PROTOCOL_NAMES: Record<string, string> = { '-1': 'any', all: 'any', '*': 'any', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', '50': 'esp', '51': 'ah' };

function canonicalProtocol(p: unknown): string {
  const t = String(lit(p)).toLowerCase();
  return PROTOCOL_NAMES[t] ?? t;
}

/** Sorted, merged port ranges as text; 0-65535 is "any". */
function canonicalPorts(ranges: [number, number][]): string {
  if (ranges.length === 0) return 'none';
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  if (merged.length === 1 && merged[0][0] === 0 && merged[0][1] === 65535) return 'any';
  return merged.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

function portRange(text: string): [number, number] {
  if (text === '*') return [0, 65535];
  const [a, b] = text.split('-');
  return [Number(a), Number(b ?? a)];
}

/** Concrete addresses only: symbols (tags, groups) are compared elsewhere. */
function canonicalCidrs(items: string[]): string {
  let set = AddressSet.none();
  for (const i of items) {
    if (i === '*' || i.toLowerCase() === 'any') set = set.union(AddressSet.any());
    else {
      const r = AddressSet.parse(i);
      if (r.ok) set = set.union(r.value);
    }
  }
  return set.toString();
}

/** The literal behind a JSON value: numbers and strings as they are, `${var.x}` / `${local.x}` when those are literal. */
let env: { vars: Record<string, unknown>; locals: Record<string, unknown> } = { vars: {}, locals: {} };
function lit(v: unknown): unknown {
  if (typeof v === 'string' && v.includes('${')) {
    const m = /^\$\{(var|local)\.([A-Za-z0-9_-]+)\}$/.exec(v);
    if (!m) throw new Skip(v);
    const table = m[1] === 'var' ? env.vars : env.locals;
    if (!(m[2] in table)) throw new Skip(v);
    return lit(table[m[2]]);
  }
  if (Array.isArray(v)) return v.map(lit).flat();
  return v;
}
function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const l = lit(v);
  return (Array.isArray(l) ? l : [l]).map((x) => String(x));
}

function awsFacts(r: Json, direction: 'ingress' | 'egress', protoAttr: string, cidrAttrs: string[]): Facts {
  const protocol = canonicalProtocol(r[protoAttr]);
  let ports: string;
  if (protocol === 'any' || protocol === 'icmp' || protocol === 'icmpv6') ports = 'any';
  else {
    const from = Number(lit(r.from_port));
    const to = Number(lit(r.to_port));
    ports = from === -1 || to === -1 ? 'any' : from > to ? 'none' : canonicalPorts([[from, to]]);
  }
  return {
    action: 'allow',
    direction: direction === 'ingress' ? 'inbound' : 'outbound',
    protocol,
    ports,
    cidrs: canonicalCidrs(cidrAttrs.flatMap((a) => list(r[a]))),
  };
}

function azureFacts(r: Json): Facts {
  const nonEmpty = (v: unknown): string[] => list(v).filter((x) => x.trim() !== '');
  const ports = [...nonEmpty(r.destination_port_range), ...nonEmpty(r.destination_port_ranges)].map(portRange);
  const prefixes = (side: string): string[] => [...nonEmpty(r[`${side}_address_prefix`]), ...nonEmpty(r[`${side}_address_prefixes`])];
  return {
    action: String(lit(r.access)).toLowerCase(),
    direction: String(lit(r.direction)).toLowerCase(),
    priority: Number(lit(r.priority)),
    protocol: canonicalProtocol(r.protocol),
    ports: canonicalPorts(ports),
    cidrs: `${canonicalCidrs(prefixes('source'))} -> ${canonicalCidrs(prefixes('destination'))}`,
  };
}

function gcpFacts(fw: Json, block: Json, action: string): Facts {
  const egress = fw.direction !== undefined && String(lit(fw.direction)).toUpperCase() === 'EGRESS';
  const ports = block.ports === undefined ? 'any' : canonicalPorts(list(block.ports).map(portRange));
  let ranges = list(egress ? fw.destination_ranges : fw.source_ranges);
  // With no source at all GCP applies an ingress rule to 0.0.0.0/0 (terraform-provider-google#6789); egress without destination likewise.
  const noPeer = egress ? fw.destination_ranges === undefined : [fw.source_ranges, fw.source_tags, fw.source_service_accounts].every((x) => x === undefined);
  if (noPeer) ranges = ['0.0.0.0/0'];
  return {
    action,
    direction: egress ? 'outbound' : 'inbound',
    priority: fw.priority === undefined ? 1000 : Number(lit(fw.priority)),
    protocol: canonicalProtocol(block.protocol),
    ports,
    cidrs: canonicalCidrs(ranges),
  };
}

/** Independent facts keyed like the parser's rule meta; values it cannot read are left out. */
function expectedFacts(json: Json): Map<string, Facts> {
  env = { vars: {}, locals: {} };
  for (const [name, defs] of Object.entries(json.variable ?? {})) {
    const d = (defs as Json[])[0];
    if (d && 'default' in d) env.vars[name] = d.default;
  }
  for (const l of json.locals ?? []) Object.assign(env.locals, l);
  const out = new Map<string, Facts>();
  const add = (key: string, make: () => Facts): void => {
    try {
      out.set(key, make());
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
    }
  };
  const resources = json.resource ?? {};
  const each = (type: string, fn: (address: string, r: Json) => void): void => {
    for (const [name, instances] of Object.entries(resources[type] ?? {})) {
      const r = (instances as Json[])[0];
      if (r.count !== undefined || r.for_each !== undefined) continue;
      fn(`${type}.${name}`, r);
    }
  };
  each('aws_security_group', (address, sg) => {
    for (const dir of ['ingress', 'egress'] as const) {
      const blocks = sg[dir];
      if (!Array.isArray(blocks)) continue;
      blocks.forEach((b: Json, i: number) => add(`${address}|${dir}|${i}`, () => awsFacts(b, dir, 'protocol', ['cidr_blocks', 'ipv6_cidr_blocks'])));
    }
  });
  each('aws_security_group_rule', (address, r) =>
    add(address, () => {
      const t = lit(r.type);
      if (t !== 'ingress' && t !== 'egress') throw new Skip(String(t));
      return awsFacts(r, t, 'protocol', ['cidr_blocks', 'ipv6_cidr_blocks']);
    }),
  );
  each('aws_vpc_security_group_ingress_rule', (address, r) => add(address, () => awsFacts(r, 'ingress', 'ip_protocol', ['cidr_ipv4', 'cidr_ipv6'])));
  each('aws_vpc_security_group_egress_rule', (address, r) => add(address, () => awsFacts(r, 'egress', 'ip_protocol', ['cidr_ipv4', 'cidr_ipv6'])));
  each('azurerm_network_security_group', (address, nsg) => {
    (nsg.security_rule ?? []).forEach((b: Json, i: number) => add(`${address}|security_rule|${i}`, () => azureFacts(b)));
  });
  each('azurerm_network_security_rule', (address, r) => add(address, () => azureFacts(r)));
  each('google_compute_firewall', (address, fw) => {
    for (const action of ['allow', 'deny']) {
      (fw[action] ?? []).forEach((b: Json, i: number) => add(`${address}|${action}|${i}`, () => gcpFacts(fw, b, action)));
    }
  });
  return out;
}

const NAMES = new Map<number, string>([
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [58, 'icmpv6'],
  [50, 'esp'],
  [51, 'ah'],
]);

function actualFacts(rule: Rule, cloud: string): Facts {
  const p = rule.protocols.value;
  const protocol = p.isFull ? 'any' : p.ranges.map((r) => NAMES.get(r.from) ?? String(r.from)).join(',');
  const ports = rule.destinationPorts.value.isFull ? 'any' : canonicalPorts(rule.destinationPorts.value.ranges.map((r) => [r.from, r.to]));
  const concrete = (a: AddressSet): string => AddressSet.of(a.v4, a.v6).toString();
  const facts: Facts = {
    action: rule.target.kind,
    direction: rule.direction,
    protocol,
    ports,
    cidrs:
      cloud === 'azure'
        ? `${concrete(rule.source.value)} -> ${concrete(rule.destination.value)}`
        : concrete(rule.direction === 'inbound' ? rule.source.value : rule.destination.value),
  };
  if (cloud !== 'aws') facts.priority = rule.priority?.value;
  return facts;
}

function keyOf(rule: Rule): { key: string; cloud: string } | undefined {
  const m = rule.meta ?? {};
  if (rule.implicit || m.dynamic) return undefined;
  if (m.resourceType === 'google_compute_firewall') return { key: `${m.address}|${m.block}|${m.blockIndex}`, cloud: 'gcp' };
  if (m.nsgAddress) return { key: m.style === 'inline' ? `${m.nsgAddress}|security_rule|${m.blockIndex}` : (m.ruleAddress ?? ''), cloud: 'azure' };
  if (m.groupAddress) {
    if (m.style === 'inline' || m.style === 'inline-attribute') return { key: `${m.groupAddress}|${m.block}|${m.blockIndex}`, cloud: 'aws' };
    if (m.ruleAddress) return { key: m.ruleAddress, cloud: 'aws' };
  }
  return undefined;
}

let compared = 0;
for (const file of fixtureInputs('terraform')) {
  const name = path.basename(file);
  test(`terraform vs hcl2json: ${name}`, async (t) => {
    const text = fs.readFileSync(file, 'utf8');
    let json: Json;
    try {
      json = await hcl2json(name, text);
    } catch (e) {
      assert.ok(name.startsWith('syntax-'), `hcl2json rejects ${name}, which is not a deliberate syntax-error fixture: ${String(e).slice(0, 300)}`);
      t.diagnostic(`skipped: ${name} holds a deliberate syntax error, which hcl2json rejects (${String(e).split('\n')[0].slice(0, 160)})`);
      return;
    }
    const expected = expectedFacts(json);
    const parsed = parseTerraform(text, file);
    const actual = new Map<string, Facts>();
    for (const rs of parsed.ruleSets) {
      for (const rule of rs.rules) {
        const k = keyOf(rule);
        if (k && !rule.unresolved.length) actual.set(k.key, actualFacts(rule, k.cloud));
      }
    }
    let here = 0;
    for (const [key, facts] of expected) {
      const got = actual.get(key);
      if (!got) continue; // The parser left it unresolved or rejected it; its snapshot shows why.
      assert.deepEqual(got, facts, `${name} ${key}`);
      here++;
    }
    // Every rule the parser resolved fully, the independent reading found too (unless hcl2json's JSON hides it behind an interpolation).
    for (const key of actual.keys()) if (!expected.has(key)) t.diagnostic(`${key}: not literal in hcl2json's JSON, not compared`);
    compared += here;
    t.diagnostic(`${here} rules compared`);
  });
}

test('terraform vs hcl2json: enough rules compared', () => {
  assert.ok(compared >= 45, `only ${compared} rules compared`);
});
