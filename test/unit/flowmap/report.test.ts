import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCatalog } from '../../../server/src/catalog';
import { renderFlowMapHtml, type WebviewAssets } from '../../../server/src/cli/report.html';
import { loadAndAnalyze } from '../../../server/src/engine/batch';
import { buildFlowMap, type FlowMapModel } from '../../../server/src/service/flowMap';
import { analyzeFolder, ROOT, SITE } from './site';
import { skipOutsideCi } from '../../helpers/requiredTool';

// Runs inside the page (page.$eval); declared here because the tests compile without the DOM library.
declare function getComputedStyle(element: unknown): Record<string, string>;

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const RESULTS = path.join(ROOT, 'test-results', 'flowmap');

// The light palette of webview/src/style.css, as Chromium computes it.
const LIGHT: Record<string, string> = {
  blocked: 'rgb(207, 34, 46)',
  partial: 'rgb(212, 119, 12)',
  unknown: 'rgb(130, 80, 223)',
  unbound: 'rgb(140, 149, 159)',
  allowed: 'rgb(26, 127, 55)',
};

let assets: WebviewAssets | undefined;
async function webviewAssets(): Promise<WebviewAssets> {
  if (!assets) {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'flowmap-assets-'));
    const { buildWebview } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-webview.mjs')).href)) as { buildWebview(o: { outdir: string }): Promise<{ js: string; css: string }> };
    const built = await buildWebview({ outdir });
    assets = { js: readFileSync(built.js, 'utf8'), css: readFileSync(built.css, 'utf8') };
  }
  return assets;
}

type Browser = import('playwright-core').Browser;
async function launch(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    console.warn(`\n*** SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium); the Flow Map was not rendered. ***\n`);
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

async function writeReport(model: FlowMapModel, name: string): Promise<string> {
  const html = renderFlowMapHtml(model, await webviewAssets());
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.html`);
  writeFileSync(file, html);
  return file;
}

async function siteModel(): Promise<FlowMapModel> {
  const { analysis, texts } = await analyzeFolder(SITE);
  return buildFlowMap(analysis, loadCatalog(), { texts, workspaceRoot: SITE });
}

test('report html: one file, model inline, strict CSP, nothing remote, no file uris', async () => {
  const model = await siteModel();
  const html = renderFlowMapHtml(model, await webviewAssets());
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/, 'nothing is loaded from elsewhere');
  assert.doesNotMatch(html, /file:\/\//, 'absolute paths of the machine stay out of the artifact');
  const json = /<script type="application\/json" id="flow-map-model">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(json);
  assert.equal((JSON.parse(json) as FlowMapModel).edges.length, model.edges.length);
});

test('report html: a rule text holding </script> cannot break out of the page', async () => {
  const model = await siteModel();
  const hostile: FlowMapModel = { ...model, title: '</script><script>alert(1)</script>' };
  const html = renderFlowMapHtml(hostile, await webviewAssets());
  assert.equal(html.split('</script>').length - 1, 2, 'only the two script elements close');
});

interface DrawnBundle {
  source: string;
  target: string;
  verdict: string;
  edges: string[];
}

async function drawnBundles(page: import('playwright-core').Page): Promise<DrawnBundle[]> {
  return page.$$eval('svg.graph .edge:not(.loop)', (els) =>
    els.map((e) => ({ source: e.getAttribute('data-source') ?? '', target: e.getAttribute('data-target') ?? '', verdict: e.getAttribute('data-verdict') ?? '', edges: (e.getAttribute('data-edge') ?? '').split(' ') })),
  );
}

/** One line per pair of roles, holding exactly that pair's flows, coloured by the worst of them. */
function assertBundles(model: FlowMapModel, drawn: DrawnBundle[]): void {
  const order = ['blocked', 'partial', 'unknown', 'unbound', 'allowed'];
  const between = model.edges.filter((e) => e.source !== e.target);
  assert.deepEqual(drawn.flatMap((b) => b.edges).sort(), between.map((e) => e.id).sort(), 'every flow in exactly one line');
  assert.equal(drawn.length, new Set(between.map((e) => `${e.source}>${e.target}`)).size, 'one line per pair of roles');
  for (const b of drawn) {
    const mine = between.filter((e) => b.edges.includes(e.id));
    assert.ok(mine.every((e) => e.source === b.source && e.target === b.target), `${b.edges} join ${b.source} → ${b.target}`);
    assert.equal(b.verdict, order.find((v) => mine.some((e) => e.verdict === v)), `${b.source} → ${b.target} shows its worst verdict`);
  }
}

test('report html renders in Chromium: nodes, edges, verdict colours, hover, click, matrix, filters', async (t) => {
  const browser = await launch();
  if (!browser) return skipOutsideCi(t, 'Chromium not installed');
  try {
    const model = await siteModel();
    const file = await writeReport(model, 'site');
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, colorScheme: 'light' });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && problems.push(`request to ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('svg.graph .node');

    const nodes = await page.$$eval('svg.graph [data-node]', (els) => els.map((e) => e.getAttribute('data-node')));
    assert.deepEqual([...nodes].sort(), model.nodes.map((n) => n.id).sort());
    assertBundles(model, await drawnBundles(page));

    // Each verdict drawn in its own colour, the legend's swatch in the same one.
    for (const verdict of ['blocked', 'partial', 'unbound', 'allowed']) {
      const strokes = await page.$$eval(`svg.graph .edge.verdict-${verdict}:not(.loop) .edge-line`, (els) => els.map((e) => getComputedStyle(e).stroke));
      assert.ok(strokes.length > 0, `some ${verdict} edge is drawn as a line`);
      for (const s of strokes) assert.equal(s, LIGHT[verdict], verdict);
      const swatch = await page.$eval(`.legend .swatch.verdict-${verdict}`, (e) => getComputedStyle(e).borderTopColor);
      assert.equal(swatch, LIGHT[verdict]);
    }
    const loop = await page.$eval('.edge.loop rect', (e) => getComputedStyle(e).stroke);
    assert.equal(loop, LIGHT.unbound, 'Controller-to-Controller flows, unbound, are listed under their node');
    await page.screenshot({ path: path.join(RESULTS, 'site.png') });

    // Hover: the card names protocol, ports, description and the deciding rule.
    const blocked = model.edges.find((e) => e.verdict === 'blocked');
    assert.ok(blocked);
    await page.hover(`.edge-label[data-edge~="${blocked.id}"]`);
    const card = await page.textContent('.tooltip');
    assert.ok(card?.includes(blocked.label), card ?? '');
    assert.ok(card?.includes(blocked.description.slice(0, 40)));
    assert.ok(card?.includes('DenyAllInbound'));
    assert.ok(card?.includes('Blocked'));

    // Click: the side panel shows the flow, its rule text and where it is.
    await page.click(`.edge-label[data-edge~="${blocked.id}"]`);
    // A bundle lists the pair's flows beside the map; the blocked one is a click away.
    if ((await page.getAttribute(`.edge-label[data-edge~="${blocked.id}"]`, 'data-count')) !== '1') await page.click(`aside.side .flow-list li[data-edge="${blocked.id}"]`);
    const side = await page.textContent('aside.side');
    assert.ok(side?.includes(blocked.flowId));
    assert.ok(side?.includes('vda.tf:19'));
    assert.ok(side?.includes('name = "DenyAllInbound"'));
    assert.equal(await page.$$eval('svg.graph .edge.selected', (els) => els.length), 1);

    // Filters: hiding a verdict hides its edges; a role keeps only its flows.
    await page.click('.legend-item.verdict-unbound');
    const shown = await drawnBundles(page);
    assert.equal(shown.flatMap((b) => b.edges).length, model.edges.filter((e) => e.verdict !== 'unbound' && e.source !== e.target).length);
    assert.ok(!shown.some((b) => b.verdict === 'unbound'));
    await page.click('.legend-item.verdict-unbound');
    await page.selectOption('select[data-filter="role"]', 'storefront');
    const storefront = await page.$$eval('svg.graph .edge', (els) => els.map((e) => [e.getAttribute('data-source'), e.getAttribute('data-target')]));
    assert.equal(storefront.length, new Set(model.edges.filter((e) => e.source === 'storefront' || e.target === 'storefront').map((e) => `${e.source}>${e.target}`)).size);
    assert.ok(storefront.every(([s, d]) => s === 'storefront' || d === 'storefront'));
    await page.selectOption('select[data-filter="role"]', '');

    // Matrix: Gateway SNIP → VDA holds two partly allowed flows (ICA on 1494 and 2598).
    await page.click('button[data-view="matrix"]');
    const chips = await page.$$eval('td[data-pair="gateway-snip→vda"] .chip', (els) => els.map((e) => [e.getAttribute('data-verdict'), e.textContent]));
    assert.deepEqual(chips, [['partial', '2']]);
    const chipColour = await page.$eval('td[data-pair="gateway-snip→vda"] .chip', (e) => getComputedStyle(e).backgroundColor);
    assert.equal(chipColour, LIGHT.partial);
    await page.screenshot({ path: path.join(RESULTS, 'site-matrix.png') });
    await page.click('button[data-view="table"]');
    assert.equal(await page.$$eval('table.flows tbody tr', (els) => els.length), model.edges.length);
    assert.deepEqual(problems, []);

    // Dark: the report follows prefers-color-scheme.
    const dark = await browser.newPage({ viewport: { width: 1400, height: 860 }, colorScheme: 'dark' });
    await dark.goto(pathToFileURL(file).href);
    await dark.waitForSelector('svg.graph .node');
    assert.equal(await dark.$eval('body', (e) => getComputedStyle(e).backgroundColor), 'rgb(13, 17, 23)');
    await dark.screenshot({ path: path.join(RESULTS, 'site-dark.png') });
  } finally {
    await browser.close();
  }
});

test('report html draws the hops of a flow\'s way on its edge, in packet order, and lists them beside the map', async (t) => {
  const browser = await launch();
  if (!browser) return skipOutsideCi(t, 'Chromium not installed');
  try {
    // ica-path: the SNIP's ICA (1494) passes the ASA and the NSG and stops at the VDA's firewall; 2598 stops at the ASA.
    const site = path.join(ROOT, 'test', 'fixtures', 'sites', 'ica-path');
    const loaded = await loadAndAnalyze([site], {});
    assert.ok(!('error' in loaded));
    const model = buildFlowMap(loaded.analysis, loadCatalog(), { texts: loaded.texts, workspaceRoot: site });
    const file = await writeReport(model, 'ica-path');
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, colorScheme: 'light' });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('svg.graph .node');

    const edge = 'svg.graph .edge[data-source="gateway-snip"][data-target="vda"]';
    const reliabilityAndIca = ['gateway.gateway-snip-to-vda.ica', 'gateway.gateway-snip-to-vda.ica-session-reliability'];
    const marks = await page.$$eval(`${edge} .hop`, (els) => els.map((e) => ({ n: e.getAttribute('data-hop'), ruleSet: e.getAttribute('data-rule-set'), verdict: e.getAttribute('data-verdict'), unreached: e.classList.contains('unreached') })));
    // Of the pair's two flows, the ASA blocks one and passes the other; the NSG is reached by 1494 and passes it;
    // the VDA's firewall blocks 1494 (2598 never reaches it).
    assert.deepEqual(marks, [
      { n: '1', ruleSet: 'dmz-fw (dmz → inside)', verdict: 'blocked', unreached: false },
      { n: '2', ruleSet: 'azurerm_network_security_group.spoke', verdict: 'allowed', unreached: false },
      { n: '3', ruleSet: 'Windows Defender Firewall', verdict: 'blocked', unreached: false },
    ]);
    // In packet order from the SNIP (left) to the VDA (right), and on the drawn line's span.
    const xs = await page.$$eval(`${edge} .hop`, (els) => els.map((e) => Number(/translate\(([-\d.]+)/.exec(e.getAttribute('transform') ?? '')?.[1])));
    assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]), `marks left to right: ${xs}`);
    // Each mark goes to its own hop's deciding line: the ASA's deny of 2598, the VDA firewall's default for 1494.
    assert.deepEqual(await page.$$eval(`${edge} .hop`, (els) => els.map((e) => e.getAttribute('data-goto'))), ['dmz/dmz-fw.asa:18', 'azure/spoke.tf:13', 'vda/host-firewall.ps1:1']);
    await page.click(`${edge} .hop[data-hop="3"]`);
    assert.deepEqual((await page.$$eval('aside.side .flow-list li', (els) => els.map((e) => e.getAttribute('data-edge')))).sort(), reliabilityAndIca, 'a mark selects its line\'s flows');
    const filled = await page.$eval(`${edge} .hop[data-hop="1"] circle`, (e) => getComputedStyle(e).fill);
    assert.equal(filled, LIGHT.blocked);
    await page.screenshot({ path: path.join(RESULTS, 'ica-path.png') });

    // The panel lists the way of 2598: stopped at hop 1, the other two not reached, each with its file and line.
    const reliability = model.edges.find((e) => e.flowId === 'gateway.gateway-snip-to-vda.ica-session-reliability');
    assert.ok(reliability?.path);
    await page.click(`.edge-label[data-edge~="${reliability.id}"]`);
    if ((await page.getAttribute(`.edge-label[data-edge~="${reliability.id}"]`, 'data-count')) !== '1') await page.click(`aside.side .flow-list li[data-edge="${reliability.id}"]`);
    const hops = await page.$$eval('aside.side ol.hops li', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(hops.length, 3);
    assert.match(hops[0], /^Blocked dmz-fw \(dmz → inside\) — between the networks .*dmz-fw\.asa:18/);
    assert.match(hops[1], /^Not reached azurerm_network_security_group\.spoke .*spoke\.tf:13.*not reached; alone it allows/);
    assert.match(hops[2], /^Not reached Windows Defender Firewall .*\(bound to vda\)/);
    assert.match((await page.textContent('aside.side')) ?? '', /First stopped at hop 1 of 3\./);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('report html of examples/ renders every role and flow (screenshot for the README)', async (t) => {
  const examples = path.join(ROOT, 'examples');
  if (!existsSync(path.join(examples, 'citrix-flows.yaml'))) return skipOutsideCi(t, 'examples/ not present');
  const browser = await launch();
  if (!browser) return skipOutsideCi(t, 'Chromium not installed');
  try {
    const loaded = await loadAndAnalyze([examples], { cwd: examples });
    if ('error' in loaded) throw new Error(loaded.error);
    const model = buildFlowMap(loaded.analysis, loadCatalog(), { texts: loaded.texts, workspaceRoot: examples, title: 'Citrix Flow Map — examples/' });
    assert.ok(model.edges.length > 20 && model.nodes.length > 10, `${model.nodes.length} roles, ${model.edges.length} flows`);
    const file = await writeReport(model, 'examples');
    console.log(`examples/ report: ${(readFileSync(file).length / 1024).toFixed(0)} KB, ${model.nodes.length} roles, ${model.edges.length} flows`);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, colorScheme: 'light', deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    // More roles than MATRIX_ABOVE: the matrix first, every pair of roles with flows a cell.
    await page.waitForSelector('table.matrix');
    assert.equal(await page.getAttribute('button[data-view="matrix"]', 'aria-selected'), 'true');
    const pairs = new Set(model.edges.map((e) => `${e.source}→${e.target}`));
    assert.deepEqual(new Set(await page.$$eval('td.pair', (els) => els.map((e) => e.getAttribute('data-pair')))), pairs);
    await page.screenshot({ path: path.join(RESULTS, 'examples-matrix.png') });
    mkdirSync(path.join(ROOT, 'docs', 'images'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'docs', 'images', 'flow-map-matrix.png') });
    await page.click('button[data-view="map"]');
    await page.waitForSelector('svg.graph .node');
    assert.equal(await page.$$eval('svg.graph [data-node]', (els) => els.length), model.nodes.length);
    assertBundles(model, await drawnBundles(page));
    // Fit shows everything: every node, line and label inside the visible stage.
    await page.click('.zoom-controls button[title="Fit to window"]');
    const outside = await page.$$eval('svg.graph .node, svg.graph .edge-label, svg.graph .edge', (els) => {
      const stage = (els[0] as unknown as { ownerSVGElement: { getBoundingClientRect(): { left: number; top: number; right: number; bottom: number } } }).ownerSVGElement.getBoundingClientRect();
      return els
        .map((e) => ({ id: e.getAttribute('data-node') ?? e.getAttribute('data-edge'), r: e.getBoundingClientRect() }))
        .filter(({ r }) => r.left < stage.left - 1 || r.top < stage.top - 1 || r.right > stage.right + 1 || r.bottom > stage.bottom + 1)
        .map(({ id }) => id);
    });
    assert.deepEqual(outside, [], 'drawn outside the stage after Fit');
    // Readable: no label drawn smaller than 8 px at that zoom.
    const smallest = await page.$$eval('svg.graph .edge-label text, svg.graph .node-title', (els) => Math.min(...els.map((e) => e.getBoundingClientRect().height)));
    console.log(`examples/ map after Fit: smallest label ${smallest.toFixed(1)} px high`);
    for (const [verdict, colour] of Object.entries(LIGHT)) {
      const strokes = await page.$$eval(`svg.graph .edge.verdict-${verdict}:not(.loop) .edge-line`, (els) => els.map((e) => getComputedStyle(e).stroke));
      for (const s of strokes) assert.equal(s, colour, verdict);
    }
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(RESULTS, 'examples.png') });
    mkdirSync(path.join(ROOT, 'docs', 'images'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'docs', 'images', 'flow-map.png') });
  } finally {
    await browser.close();
  }
});

test('citrix-flow-lint report --html --json writes both files and says what they hold', async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'flowmap.js'))) {
    const { buildWebview } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-webview.mjs')).href)) as { buildWebview(o: { outdir: string }): Promise<unknown> };
    await buildWebview({ outdir: path.join(ROOT, 'dist') });
  }
  const { reportCommand } = await import('../../../server/src/cli/reportCommand');
  const out = mkdtempSync(path.join(os.tmpdir(), 'flowmap-report-'));
  const html = path.join(out, 'map.html');
  const json = path.join(out, 'map.json');
  const result = await reportCommand.run([SITE, '--roles', path.join(SITE, 'citrix-flows.yaml'), '--html', html, '--json', json]);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^Wrote the Flow Map to .*map\.html \(\d+ KB\)$/m);
  assert.match(result.stdout, /4 roles, 11 required flows: 2 blocked, 2 partly allowed, 0 unknown, 4 with no rule set, 3 allowed\./);
  assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
  const model = JSON.parse(readFileSync(json, 'utf8')) as FlowMapModel;
  assert.equal(model.edges.length, 11);

  const usage = await reportCommand.run([SITE]);
  assert.equal(usage.exitCode, 2);
  assert.match(usage.stderr, /--html FILE is required/);
});
