import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadCatalog, type CatalogFlow } from '../../../server/src/catalog';
import { seedPath } from './repo';
import { skipOutsideCi } from '../../helpers/requiredTool';

// Parsed here from the seed's text, independently of the catalog, so a row
// the catalog forgot cannot hide.
const SECTIONS = [
  'Citrix ADC', 'Citrix ADM', 'Citrix Cloud', 'Citrix Endpoint Management', 'Citrix Gateway', 'Citrix Hypervisor',
  'Citrix License Server', 'Citrix SD-WAN', 'Citrix Virtual Apps and Desktops', 'Citrix App Layering',
  'Federated Authentication Service', 'Provisioning Services', 'Session Recording', 'StoreFront',
  'Workspace Environment Management',
];
const HEADER = 'Source | Destination | Type | Port | Details |';

interface SeedTableRow { section: string; tableIndex: number; line: number; text: string }

function parseSeedTables(text: string): { rows: SeedTableRow[]; tablesPerSection: Map<string, number> } {
  const lines = text.split(/\r?\n/);
  const rows: SeedTableRow[] = [];
  const tablesPerSection = new Map<string, number>();
  let section = '';
  let tableIndex = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const sectionHeading = SECTIONS.find((s) => line.trim() === s || line.trim().startsWith(`${s} - `));
    if (sectionHeading && !line.includes('|')) {
      if (sectionHeading !== section) tablesPerSection.set(sectionHeading, tablesPerSection.get(sectionHeading) ?? 0);
      section = sectionHeading;
      continue;
    }
    if (line.trim() !== HEADER || !lines[i + 1]?.startsWith('---|')) continue;
    assert.ok(section, `table at line ${i + 1} before any section heading`);
    tablesPerSection.set(section, (tablesPerSection.get(section) ?? 0) + 1);
    tableIndex++;
    // A table ends at the first line without a cell separator (notes, "Read more…").
    for (i += 2; i < lines.length && lines[i].includes('|'); i++) {
      rows.push({ section, tableIndex, line: i + 1, text: lines[i] });
    }
    i--;
  }
  return { rows, tablesPerSection };
}

/** Seed rows no flow claims: a flow claims the lines of its seedRow.row, starting at seedRow.line. */
export function unmatchedRows(rows: readonly SeedTableRow[], flows: readonly CatalogFlow[]): SeedTableRow[] {
  const claimed = new Map<number, Set<string>>();
  for (const f of flows) {
    f.seedRow.row.split('\n').forEach((text, i) => {
      const line = f.seedRow.line + i;
      if (!claimed.has(line)) claimed.set(line, new Set());
      claimed.get(line)!.add(text);
    });
  }
  return rows.filter((r) => !claimed.get(r.line)?.has(r.text));
}

function loadSeed(t: { skip(message: string): void }): string | undefined {
  const file = seedPath();
  if (!existsSync(file)) {
    skipOutsideCi(t, `seed not found at ${file}: completeness NOT checked (the seed lives beside the repository in development and CI)`);
    return undefined;
  }
  return readFileSync(file, 'utf8');
}

test('every table row of the seed maps to at least one catalog flow', (t) => {
  const text = loadSeed(t);
  if (text === undefined) return;
  const { rows, tablesPerSection } = parseSeedTables(text);
  const catalog = loadCatalog();

  assert.equal(tablesPerSection.size, 15, [...tablesPerSection.keys()].join(', '));
  assert.equal([...tablesPerSection.values()].filter((n) => n > 0).length, 13, 'sections with a table');
  assert.equal([...tablesPerSection.values()].reduce((a, b) => a + b, 0), 16, 'tables');

  const missing = unmatchedRows(rows, catalog.flows);
  for (const [section, tables] of tablesPerSection) {
    const sectionRows = rows.filter((r) => r.section === section);
    const covered = sectionRows.length - missing.filter((r) => r.section === section).length;
    const product = catalog.products.find((p) => p.section === section);
    const flows = catalog.flows.filter((f) => f.product === product?.id).length;
    t.diagnostic(`${section}: ${tables} table(s), ${covered}/${sectionRows.length} seed lines covered, ${flows} flows`);
  }
  t.diagnostic(`total: ${rows.length - missing.length}/${rows.length} seed table lines covered by ${catalog.flows.length} flows`);
  assert.deepEqual(missing.map((r) => `line ${r.line}: ${r.text}`), []);
  assert.ok(rows.length > 150, `only ${rows.length} table lines parsed: the seed parser is broken`);
});

test('the completeness check reports a row whose flows were dropped', (t) => {
  const text = loadSeed(t);
  if (text === undefined) return;
  const { rows } = parseSeedTables(text);
  const flows = loadCatalog().flows;
  // Every row claimed by a single flow: drop that flow, and exactly its lines must be reported.
  const singles = rows.filter((r) => flows.filter((f) => f.seedRow.line === r.line).length === 1);
  assert.ok(singles.length > 100, `${singles.length} single-flow rows`);
  for (const row of singles) {
    const dropped = flows.find((f) => f.seedRow.line === row.line)!;
    const reported = unmatchedRows(rows, flows.filter((f) => f !== dropped)).map((r) => r.line);
    const expected = dropped.seedRow.row.split('\n').map((_, i) => dropped.seedRow.line + i);
    assert.deepEqual(reported, expected, `dropping ${dropped.id}`);
  }
  // And a flow whose row text drifted from the seed no longer counts.
  const edited = flows.map((f) => (f === flows[0] ? { ...f, seedRow: { ...f.seedRow, row: `${f.seedRow.row} ` } } : f));
  assert.deepEqual(unmatchedRows(rows, edited).map((r) => r.line), [flows[0].seedRow.line]);
});
