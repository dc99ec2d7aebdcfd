import { loadCatalog, parseCondition } from '../catalog';
import type { Catalog, CatalogFlow, CatalogProtocol, CatalogRole } from '../catalog';
import { EXIT_USAGE, ok, usageError, type CliCommand, type CommandResult } from './types';

export const EXPLAIN_USAGE = `Usage:
  citrix-flow-lint explain <port>[/tcp|/udp] [--json]   flows that use a port
  citrix-flow-lint explain icmp [--json]                flows that use ICMP
  citrix-flow-lint explain --role <id> [--json]         flows into and out of a role
  citrix-flow-lint explain --roles [--json]             the role vocabulary

<id> is a role id (vda, delivery-controller, ...) or any of its names.
`;

export type ExplainRequest =
  | { kind: 'help' }
  | { kind: 'port'; port: number; protocol?: CatalogProtocol; json: boolean }
  | { kind: 'icmp'; json: boolean }
  | { kind: 'role'; role: string; json: boolean }
  | { kind: 'roles'; json: boolean };

const PORT_ARG = /^(\d{1,5})(?:\/(tcp|udp))?$/i;

export function parseExplainArgs(args: readonly string[]): ExplainRequest | { error: string } {
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help' };
  const json = args.includes('--json');
  const rest: string[] = [];
  let role: string | undefined;
  let roles = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') continue;
    if (a === '--roles') roles = true;
    else if (a === '--role' || a.startsWith('--role=')) {
      role = a === '--role' ? args[++i] : a.slice('--role='.length);
      if (role === undefined || role === '' || role.startsWith('--')) return { error: '--role needs a role id' };
    } else if (a.startsWith('-')) return { error: `unknown option '${a}'` };
    else rest.push(a);
  }
  const asked = [roles, role !== undefined, rest.length > 0].filter(Boolean).length;
  if (asked === 0) return { error: 'explain needs a port, --role <id> or --roles' };
  if (asked > 1 || rest.length > 1) return { error: 'explain takes one port, one --role or --roles' };
  if (roles) return { kind: 'roles', json };
  if (role !== undefined) return { kind: 'role', role, json };
  if (rest[0].toLowerCase() === 'icmp') return { kind: 'icmp', json };
  const m = PORT_ARG.exec(rest[0]);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port > 65535) return { error: `'${rest[0]}' is not a port: expected 0-65535, optionally followed by /tcp or /udp` };
  return { kind: 'port', port, protocol: m[2]?.toLowerCase() as CatalogProtocol | undefined, json };
}

/** The DESIGN.md "Interfaces" shape: contract fields first, the rest after. */
export function flowToJson(flow: CatalogFlow): Record<string, unknown> {
  const { id, product, source, destination, protocols, ports, description, conditions, seedRow, ...extra } = flow;
  return { id, product, source, destination, protocols, ports, description, conditions, seedRow, ...extra };
}

function productShortName(catalog: Catalog, productId: string): string {
  const p = catalog.productById(productId);
  if (!p) return productId.toUpperCase();
  return [p.name, ...p.aliases].reduce((a, b) => (b.length < a.length ? b : a));
}

function conditionPhrase(catalog: Catalog, text: string): string {
  const c = parseCondition(text);
  if (!c) return text;
  switch (c.kind) {
    case 'optional': return 'optional';
    case 'feature': return `only with ${catalog.featureById(c.feature)?.label ?? c.feature}`;
    case 'version': {
      const name = productShortName(catalog, c.product);
      const words = { '<=': `${name} ${c.version} and earlier`, '>=': `${name} ${c.version} and later`, '<': `before ${name} ${c.version}`, '>': `after ${name} ${c.version}`, '=': `${name} ${c.version} only` };
      return words[c.op];
    }
  }
}

/** Conditions in words: "only with Session Reliability; UDP only with EDT". */
export function conditionsInWords(catalog: Catalog, flow: CatalogFlow): string {
  const parts = flow.conditions.map((c) => conditionPhrase(catalog, c));
  for (const [proto, conds] of Object.entries(flow.protocolConditions)) {
    if (conds?.length) parts.push(`${proto.toUpperCase()} ${conds.map((c) => conditionPhrase(catalog, c)).join(' and ')}`);
  }
  if (flow.tags.includes('not-implemented')) parts.push('not yet implemented');
  if (flow.tags.includes('may-change')) parts.push('port may change');
  return parts.join('; ');
}

export function formatPorts(flow: CatalogFlow): string {
  if (flow.ports.length === 0) return flow.tags.includes('no-fixed-port') ? '(no fixed port)' : '-';
  return flow.ports.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(', ');
}

function flowRemarks(catalog: Catalog, flow: CatalogFlow): string[] {
  const remarks: string[] = [];
  if (flow.secureAlternative) remarks.push(`plain text; secure variant: ${flow.secureAlternative}`);
  if (flow.tags.includes('bidirectional')) remarks.push('bidirectional');
  if (flow.tags.includes('loopback')) remarks.push('stays on the machine (127.0.0.1)');
  if (flow.tags.includes('direction-doubtful')) remarks.push('direction unclear in the seed');
  if (flow.destinationUrls.length) remarks.push(`URLs: ${flow.destinationUrls.join(', ')}`);
  const edt = [...flow.conditions, ...Object.values(flow.protocolConditions).flat()].includes('feature:edt');
  if (edt && catalog.featureById('edt')?.default) remarks.push('EDT is on by default, so UDP is normally needed');
  return remarks;
}

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => (indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).trimEnd());
}

/** Flows grouped by product, one aligned table per product, each row followed by its id and the seed's words. */
export function formatFlows(catalog: Catalog, flows: readonly CatalogFlow[]): string {
  const out: string[] = [];
  const byProduct = new Map<string, CatalogFlow[]>();
  for (const f of flows) byProduct.set(f.product, [...(byProduct.get(f.product) ?? []), f]);
  for (const [productId, group] of byProduct) {
    out.push(`${catalog.productById(productId)?.name ?? productId}`);
    const rows = [['FROM', 'TO', 'PROTOCOLS', 'PORTS', 'WHEN'], ...group.map((f) => [f.source, f.destination, f.protocols.join(', '), formatPorts(f), conditionsInWords(catalog, f) || 'always'])];
    const lines = table(rows, '  ');
    out.push(lines[0]);
    group.forEach((f, i) => {
      out.push(lines[i + 1]);
      out.push(`      ${f.id}`);
      out.push(`      "${f.description}" (seed line ${f.seedRow.line})`);
      for (const r of flowRemarks(catalog, f)) out.push(`      - ${r}`);
    });
    out.push('');
  }
  return out.join('\n');
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function explainPort(catalog: Catalog, port: number, protocol: CatalogProtocol | undefined, asJson: boolean): CommandResult {
  const flows = catalog.flowsOnPort(port, protocol);
  if (flows.length === 0) {
    const other = protocol ? catalog.flowsOnPort(port) : [];
    const hint = other.length ? ` (it is used over ${[...new Set(other.flatMap((f) => f.protocols))].join('/')}; try 'explain ${port}')` : '';
    return { exitCode: EXIT_USAGE, stdout: '', stderr: `citrix-flow-lint: no Citrix flow in the catalog uses ${protocol ? `${protocol.toUpperCase()} ` : ''}port ${port}${hint}\n` };
  }
  if (asJson) return ok(json(flows.map(flowToJson)));
  const what = `${protocol ? `${protocol.toUpperCase()} ` : ''}port ${port}`;
  return ok(`${what}: ${flows.length} flow${flows.length === 1 ? '' : 's'} in the catalog\n\n${formatFlows(catalog, flows)}`);
}

export function explainIcmp(catalog: Catalog, asJson: boolean): CommandResult {
  const flows = catalog.flows.filter((f) => f.protocols.includes('icmp'));
  if (asJson) return ok(json(flows.map(flowToJson)));
  return ok(`ICMP: ${flows.length} flow${flows.length === 1 ? '' : 's'} in the catalog\n\n${formatFlows(catalog, flows)}`);
}

function unknownRole(catalog: Catalog, text: string): CommandResult {
  const suggestions = catalog.suggestRole(text);
  const hint = suggestions.length ? ` Did you mean: ${suggestions.join(', ')}?` : '';
  return { exitCode: EXIT_USAGE, stdout: '', stderr: `citrix-flow-lint: unknown role '${text}'.${hint}\nRun 'citrix-flow-lint explain --roles' for the list.\n` };
}

export function explainRole(catalog: Catalog, text: string, asJson: boolean): CommandResult {
  const role = catalog.resolveRole(text);
  if (!role) return unknownRole(catalog, text);
  const inbound = catalog.flowsForRole(role.id, 'inbound');
  const outbound = catalog.flowsForRole(role.id, 'outbound').filter((f) => f.destination !== role.id);
  if (asJson) return ok(json(catalog.flowsForRole(role.id, 'any').map(flowToJson)));
  const parts = [
    `${role.id}: ${role.name}`,
    role.description,
    role.aliases.length ? `Also called: ${role.aliases.join(', ')}` : '',
    '',
    `Inbound (${role.id} is the destination): ${inbound.length} flow${inbound.length === 1 ? '' : 's'}`,
    '',
    inbound.length ? formatFlows(catalog, inbound) : '  (none)\n',
    `Outbound (${role.id} is the source): ${outbound.length} flow${outbound.length === 1 ? '' : 's'}`,
    '',
    outbound.length ? formatFlows(catalog, outbound) : '  (none)\n',
  ];
  return ok(parts.filter((p, i) => p !== '' || i > 2).join('\n'));
}

function roleJson(role: CatalogRole): Record<string, unknown> {
  return { id: role.id, name: role.name, aliases: role.aliases, description: role.description };
}

export function explainRoles(catalog: Catalog, asJson: boolean): CommandResult {
  if (asJson) return ok(json(catalog.roles.map(roleJson)));
  const rows = [['ID', 'NAME', 'IN', 'OUT'], ...catalog.roles.map((r) => [
    r.id, r.name, String(catalog.flowsForRole(r.id, 'inbound').length), String(catalog.flowsForRole(r.id, 'outbound').length),
  ])];
  return ok(`${catalog.roles.length} roles (IN/OUT: catalog flows into / out of the role)\n\n${table(rows, '  ').join('\n')}\n`);
}

export function runExplain(args: readonly string[], catalog: Catalog = loadCatalog()): CommandResult {
  const request = parseExplainArgs(args);
  if ('error' in request) return usageError(request.error, EXPLAIN_USAGE);
  switch (request.kind) {
    case 'help': return ok(EXPLAIN_USAGE);
    case 'port': return explainPort(catalog, request.port, request.protocol, request.json);
    case 'icmp': return explainIcmp(catalog, request.json);
    case 'role': return explainRole(catalog, request.role, request.json);
    case 'roles': return explainRoles(catalog, request.json);
  }
}

export const explainCommand: CliCommand = {
  name: 'explain',
  summary: 'what the catalog knows about a port or a role',
  usage: EXPLAIN_USAGE,
  run: (args) => runExplain(args),
};
