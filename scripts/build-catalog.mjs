// Compiles catalog/*.yaml into server/src/catalog/catalog.generated.json, the
// one file the server and CLI bundle. Everything that would make a lookup
// wrong at run time (a schema violation, a dangling role or feature id, a
// duplicate flow id) fails here, with the file and line, instead.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, LineCounter, isNode } from 'yaml';
import Ajv from 'ajv';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const generatedPath = path.join(repoRoot, 'server', 'src', 'catalog', 'catalog.generated.json');

const PROSE_TABLE_SUFFIX = ' (section text)';

export class CatalogError extends Error {
  constructor(problems) {
    super(`catalog has ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

function readYamlFiles(catalogDir) {
  const files = readdirSync(catalogDir).filter((f) => f.endsWith('.yaml')).sort();
  return files.map((name) => {
    const file = path.join(catalogDir, name);
    const lineCounter = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter, prettyErrors: false });
    return { name, file, doc, lineCounter, data: doc.errors.length ? undefined : doc.toJS() };
  });
}

function lineOf(entry, instancePath) {
  const keys = instancePath.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));
  for (let n = keys.length; n >= 0; n--) {
    const node = entry.doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return entry.lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function normalizePorts(ports) {
  return ports.map((p) => (typeof p === 'number' ? { from: p, to: p } : { from: p.from, to: p.to }));
}

/** Reads, validates and links the catalog; throws CatalogError listing every problem. */
export function compileCatalog(root = repoRoot) {
  const catalogDir = path.join(root, 'catalog');
  const schema = JSON.parse(readFileSync(path.join(catalogDir, 'schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const problems = [];
  const entries = readYamlFiles(catalogDir);

  for (const e of entries) {
    for (const err of e.doc.errors) problems.push(`catalog/${e.name}:${err.linePos?.[0]?.line ?? '?'}: YAML: ${err.message}`);
    if (e.data === undefined) continue;
    if (!validate(e.data)) {
      // oneOf reports every branch; the branch the file meant is the one whose
      // top-level key it has, so only its errors are shown.
      const kind = 'product' in e.data ? 'productFile' : 'roles' in e.data ? 'rolesFile' : 'features' in e.data ? 'featuresFile' : undefined;
      const relevant = validate.errors.filter((er) => !kind || er.schemaPath.startsWith(`#/definitions/${kind}`) || er.schemaPath.startsWith('#/definitions/') && !er.schemaPath.includes('File/'));
      for (const er of (relevant.length ? relevant : validate.errors)) {
        const detail = er.params?.additionalProperty ? ` '${er.params.additionalProperty}'` : er.params?.allowedValues ? ` (${er.params.allowedValues.join(', ')})` : '';
        problems.push(`catalog/${e.name}:${lineOf(e, er.instancePath)}: schema: ${er.instancePath || '/'} ${er.message}${detail}`);
      }
    }
  }
  if (problems.length) throw new CatalogError(problems);

  const roleFiles = entries.filter((e) => 'roles' in e.data);
  const featureFiles = entries.filter((e) => 'features' in e.data);
  // Seed order, so listings read like the seed.
  const firstLine = (d) => Math.min(d.product.reference?.line ?? Infinity, ...d.flows.map((f) => f.seedRow.line));
  const productFiles = entries.filter((e) => 'product' in e.data).sort((a, b) => firstLine(a.data) - firstLine(b.data));
  if (roleFiles.length !== 1) problems.push(`catalog/: expected exactly one roles file, found ${roleFiles.length}`);
  if (featureFiles.length !== 1) problems.push(`catalog/: expected exactly one features file, found ${featureFiles.length}`);
  if (problems.length) throw new CatalogError(problems);

  const roles = roleFiles[0].data.roles;
  const features = featureFiles[0].data.features;
  const roleIds = new Set();
  const names = new Map();
  for (const r of roles) {
    if (roleIds.has(r.id)) problems.push(`roles.yaml: duplicate role id '${r.id}'`);
    roleIds.add(r.id);
  }
  // A name must lead to one role only, or resolveRole would guess.
  for (const r of roles) {
    for (const n of new Set([r.id, r.name, ...r.aliases].map((s) => s.toLowerCase()))) {
      const owner = names.get(n);
      if (owner && owner !== r.id) problems.push(`roles.yaml: name or alias '${n}' belongs to both '${owner}' and '${r.id}'`);
      names.set(n, r.id);
    }
  }
  const featureIds = new Set();
  for (const f of features) {
    if (featureIds.has(f.id)) problems.push(`features.yaml: duplicate feature id '${f.id}'`);
    featureIds.add(f.id);
  }

  const products = [];
  const flows = [];
  const productIds = new Set();
  for (const e of productFiles) {
    const p = e.data.product;
    if (productIds.has(p.id)) problems.push(`catalog/${e.name}: duplicate product id '${p.id}'`);
    productIds.add(p.id);
    if (e.name !== `${p.id}.yaml`) problems.push(`catalog/${e.name}: product '${p.id}' should live in catalog/${p.id}.yaml`);
    products.push({ id: p.id, name: p.name, aliases: p.aliases, section: p.section, tables: p.tables, reference: p.reference, notes: p.notes ?? [] });
    e.data.flows.forEach((f, i) => {
      const where = `catalog/${e.name}:${lineOf(e, `/flows/${i}`)}`;
      const expectedPrefix = `${p.id}.${f.source}-to-${f.destination}.`;
      if (!f.id.startsWith(expectedPrefix)) problems.push(`${where}: flow id '${f.id}' should start with '${expectedPrefix}'`);
      if (f.seedRow.section !== p.section) problems.push(`${where}: seedRow.section '${f.seedRow.section}' is not the product's section '${p.section}'`);
      if (!p.tables.includes(f.seedRow.table) && f.seedRow.table !== p.section + PROSE_TABLE_SUFFIX) problems.push(`${where}: seedRow.table '${f.seedRow.table}' is not one of the product's tables`);
      const ports = normalizePorts(f.ports);
      for (const r of ports) if (r.from > r.to) problems.push(`${where}: port range ${r.from}-${r.to} is backwards`);
      flows.push({
        where,
        flow: {
          id: f.id,
          product: p.id,
          source: f.source,
          destination: f.destination,
          protocols: f.protocols,
          ports,
          description: f.description,
          conditions: f.conditions ?? [],
          seedRow: f.seedRow,
          tags: f.tags ?? [],
          protocolConditions: f.protocolConditions ?? {},
          ...(f.secureAlternative ? { secureAlternative: f.secureAlternative } : {}),
          destinationUrls: f.destinationUrls ?? [],
          notes: f.notes ?? [],
        },
      });
    });
  }

  const flowIds = new Map();
  for (const { where, flow } of flows) {
    if (flowIds.has(flow.id)) problems.push(`${where}: duplicate flow id '${flow.id}' (also at ${flowIds.get(flow.id).where})`);
    flowIds.set(flow.id, { where, flow });
  }
  for (const r of roles) {
    for (const role of r.relays ? [r.relays.for, ...r.relays.from] : []) if (!roleIds.has(role)) problems.push(`catalog/roles.yaml: unknown role '${role}' in the relays of ${r.id}`);
  }
  for (const { where, flow } of flows) {
    for (const role of [flow.source, flow.destination]) {
      if (!roleIds.has(role)) problems.push(`${where}: unknown role '${role}' in ${flow.id}`);
    }
    const conds = [...flow.conditions, ...Object.values(flow.protocolConditions).flat()];
    for (const c of conds) {
      if (c.startsWith('feature:') && !featureIds.has(c.slice(8))) problems.push(`${where}: unknown feature '${c.slice(8)}' in ${flow.id}`);
      if (c.startsWith('version:') && !productIds.has(c.slice(8).split(/[<>=]/)[0])) problems.push(`${where}: version condition '${c}' names no product`);
    }
    for (const proto of Object.keys(flow.protocolConditions)) {
      if (!flow.protocols.includes(proto)) problems.push(`${where}: protocolConditions.${proto} but the flow has no ${proto}`);
    }
    if (flow.secureAlternative) {
      const alt = flowIds.get(flow.secureAlternative);
      if (!alt) problems.push(`${where}: secureAlternative '${flow.secureAlternative}' is not a flow id`);
      else if (alt.flow.id === flow.id) problems.push(`${where}: ${flow.id} is its own secureAlternative`);
      else if (alt.flow.tags.includes('insecure')) problems.push(`${where}: secureAlternative '${alt.flow.id}' is itself tagged insecure`);
    }
    // `insecure` means "plaintext variant of a flow the seed also offers
    // securely", so the two must come together.
    if (flow.tags.includes('insecure') !== Boolean(flow.secureAlternative)) problems.push(`${where}: ${flow.id}: tag insecure and secureAlternative must come together`);
    if ((flow.ports.length === 0) !== (flow.protocols.includes('icmp') || flow.tags.includes('no-fixed-port'))) {
      problems.push(`${where}: ${flow.id}: a flow without ports must be ICMP or tagged no-fixed-port, and only those may have no ports`);
    }
  }
  if (problems.length) throw new CatalogError(problems);

  return {
    version: 1,
    products,
    roles: roles.map((r) => ({ id: r.id, name: r.name, aliases: r.aliases, description: r.description, ...(r.publicPorts ? { publicPorts: r.publicPorts } : {}), ...(r.relays ? { relays: r.relays } : {}) })),
    features: features.map((f) => ({ id: f.id, name: f.name, label: f.label, description: f.description, default: f.default, ...(f.defaultSource ? { defaultSource: f.defaultSource } : {}) })),
    flows: flows.map((f) => f.flow),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--root DIR --check` validates another tree without writing (tests use it on broken copies).
  const rootArg = process.argv.indexOf('--root');
  const root = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : repoRoot;
  try {
    const catalog = compileCatalog(root);
    if (process.argv.includes('--check')) {
      console.log(`catalog: ${catalog.flows.length} flows valid`);
      process.exit(0);
    }
    writeFileSync(generatedPath, JSON.stringify(catalog) + '\n');
    console.log(`catalog: ${catalog.flows.length} flows, ${catalog.roles.length} roles, ${catalog.features.length} features, ${catalog.products.length} products -> ${path.relative(repoRoot, generatedPath)}`);
  } catch (err) {
    console.error(err instanceof CatalogError ? `build-catalog: ${err.message}` : err);
    process.exit(1);
  }
}
