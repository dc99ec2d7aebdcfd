// Regenerates the flow table in docs/catalog.md between its markers, from the
// same compiled catalog the server bundles. `--check` only compares, so a test
// can fail when someone edits catalog/*.yaml and forgets the doc.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileCatalog, repoRoot, CatalogError } from './build-catalog.mjs';

export const BEGIN = '<!-- BEGIN GENERATED -->';
export const END = '<!-- END GENERATED -->';
const docPath = path.join(repoRoot, 'docs', 'catalog.md');

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' / ');
const ports = (f) => (f.ports.length ? f.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}–${r.to}`)).join(', ') : '—');

function conditions(f) {
  const parts = f.conditions.map((c) => `\`${c}\``);
  for (const [proto, conds] of Object.entries(f.protocolConditions)) parts.push(`${proto}: ${conds.map((c) => `\`${c}\``).join(', ')}`);
  return parts.join('<br>');
}

export function renderFlowTables(catalog) {
  const out = [];
  out.push(`${catalog.flows.length} flows, ${catalog.roles.length} roles, ${catalog.features.length} features, ${catalog.products.length} products.`);
  for (const p of catalog.products) {
    const flows = catalog.flows.filter((f) => f.product === p.id);
    out.push('', `### ${p.name} (\`${p.id}\`)`, '');
    if (flows.length === 0) {
      out.push(`No table in the seed${p.reference ? ` (line ${p.reference.line}: "${p.reference.text}")` : ''}; no flows.`);
      continue;
    }
    out.push('| Seed line | Flow id | From → To | Protocols | Ports | Conditions | Tags | Details (seed) |');
    out.push('|---:|---|---|---|---|---|---|---|');
    for (const f of flows) {
      out.push(`| ${f.seedRow.line} | \`${f.id}\` | ${f.source} → ${f.destination} | ${f.protocols.join(', ')} | ${ports(f)} | ${conditions(f)} | ${f.tags.join(', ')} | ${cell(f.description)} |`);
    }
  }
  out.push('', '### Roles', '', '| Id | Name | Also called |', '|---|---|---|');
  for (const r of catalog.roles) out.push(`| \`${r.id}\` | ${cell(r.name)} | ${cell(r.aliases.join(', '))} |`);
  out.push('', '### Features', '', '| Id | Name | Default | Why that default |', '|---|---|---|---|');
  for (const f of catalog.features) out.push(`| \`${f.id}\` | ${cell(f.name)} | ${f.default ? 'on' : 'off'} | ${cell(f.defaultSource ?? '')} |`);
  return out.join('\n');
}

export function renderDoc(current, catalog) {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/catalog.md must contain ${BEGIN} followed by ${END}`);
  return `${current.slice(0, start + BEGIN.length)}\n${renderFlowTables(catalog)}\n${current.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  try {
    const current = readFileSync(docPath, 'utf8');
    const next = renderDoc(current, compileCatalog());
    if (process.argv.includes('--check')) {
      if (next !== current) {
        console.error('docs/catalog.md is stale: run `npm run docs:catalog` and commit the result.');
        process.exit(1);
      }
      console.log('docs/catalog.md is up to date.');
    } else if (next !== current) {
      writeFileSync(docPath, next);
      console.log('docs/catalog.md regenerated.');
    } else console.log('docs/catalog.md already up to date.');
  } catch (err) {
    console.error(err instanceof CatalogError ? `gen-catalog-doc: ${err.message}` : `gen-catalog-doc: ${err.message}`);
    process.exit(1);
  }
}
