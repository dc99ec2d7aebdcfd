import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisCache, analyzeParsed, parseSource, readTopology, type AnalyzeOptions, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import type { ParsedFile } from '../../../server/src/model';
import type { Topology } from '../../../server/src/topology';
import { collectFiles, toUri } from '../../../server/src/service/workspaceFiles';

const ROOT = process.env.CITRIX_FLOW_LINT_ROOT ?? path.resolve(__dirname, '..', '..', '..');

/** Everything an analysis says, in plain data: what a cached analysis must give exactly as a fresh one does. */
function summary(a: WorkspaceAnalysis): unknown {
  return {
    findings: a.findings,
    byUri: [...(a.findingsByUri ?? new Map())].map(([uri, list]) => [uri, list.length]),
    suppressed: a.suppressedCount,
    problems: a.binding.problems,
    bound: a.binding.bound.map((b) => [b.file.uri, b.ruleSet.id, b.roles, b.via, b.scope ?? '']),
    unbound: a.binding.unbound.map((u) => [u.file.uri, u.ruleSet.id]),
    annotations: [...a.binding.annotations].map(([uri, list]) => [uri, list.length]),
    required: a.required.map((c) => [c.bound.file.uri, c.bound.ruleSet.id, c.role, c.flow.id, c.direction, c.result.verdict, c.result.decidingRules.map((r) => r.id)]),
    files: a.files.map((f) => [f.uri, f.ruleSets.map((rs) => [rs.id, rs.rules.length])]),
  };
}

interface Site {
  readonly root: string;
  files: ParsedFile[];
  topologyText: string;
  readonly topologyUri: string;
}

function loadSite(folder: string): Site {
  const root = path.join(ROOT, folder);
  const files = collectFiles([root]).map((c) => parseSource({ uri: c.uri, text: c.text })).filter((f): f is ParsedFile => !!f);
  const topologyPath = path.join(root, 'citrix-flows.yaml');
  return { root, files, topologyText: readFileSync(topologyPath, 'utf8'), topologyUri: toUri(topologyPath) };
}

function replaceIn(site: Site, suffix: string, find: string, replace: string): string {
  const i = site.files.findIndex((f) => f.uri.endsWith(suffix));
  assert.ok(i >= 0, `the site has ${suffix}`);
  const file = site.files[i];
  assert.ok(file.text.includes(find), `${suffix} holds ${JSON.stringify(find)}`);
  const next = parseSource({ uri: file.uri, text: file.text.replace(find, replace) });
  assert.ok(next);
  site.files = site.files.map((f, j) => (j === i ? next : f));
  return file.uri;
}

type Step = { readonly name: string; readonly apply: (site: Site) => string | undefined; readonly options?: Partial<AnalyzeOptions> };

const SITES: readonly { readonly folder: string; readonly steps: readonly Step[] }[] = [
  {
    folder: 'examples',
    steps: [
      { name: 'a port in the Azure Terraform', apply: (s) => replaceIn(s, 'terraform/azure/main.tf', '1494', '1495') },
      { name: 'a port in the Linux VDA iptables', apply: (s) => replaceIn(s, 'linux-vda/rules.v4', '1494', '1495') },
      { name: 'the port back', apply: (s) => replaceIn(s, 'linux-vda/rules.v4', '1495', '1494') },
      { name: 'a role annotation changed', apply: (s) => replaceIn(s, 'bicep/vda-pool-b.bicep', 'citrix-role: vda', 'citrix-role: storefront') },
      { name: 'a file removed', apply: (s) => ((s.files = s.files.filter((f) => !f.uri.endsWith('asa/dmz-fw.cfg'))), undefined) },
      { name: 'citrix-flows.yaml changed', apply: (s) => ((s.topologyText = s.topologyText.replace('edt: true', 'edt: false')), undefined) },
      { name: 'severities changed', apply: () => undefined, options: { severities: { 'shadowed-rule': 'error', 'unneeded-citrix-port': 'off' } } },
      { name: 'nothing changed', apply: () => undefined, options: { severities: { 'shadowed-rule': 'error', 'unneeded-citrix-port': 'off' } } },
    ],
  },
  {
    // A Terraform module: rules.tf's rules belong to the group main.tf declares.
    folder: 'test/fixtures/link',
    steps: [
      { name: 'a linked rule in rules.tf', apply: (s) => replaceIn(s, 'azure/rules.tf', '4000', '100') },
      { name: 'the group in main.tf', apply: (s) => replaceIn(s, 'azure/main.tf', '"nsg-vda"', '"nsg-vda-2"') },
      { name: 'nothing changed', apply: () => undefined },
    ],
  },
];

describe('an analysis with a cache gives what a fresh analysis gives, and reuses what did not change', () => {
  for (const site of SITES) {
    it(site.folder, async () => {
      await initTreeSitter();
      const s = loadSite(site.folder);
      const cache = new AnalysisCache();
      let topology: Topology = readTopology(s.topologyText, s.topologyUri);
      let topologyText = s.topologyText;
      const run = (extra: Partial<AnalyzeOptions> = {}): { cached: WorkspaceAnalysis; fresh: WorkspaceAnalysis } => {
        if (s.topologyText !== topologyText) {
          topologyText = s.topologyText;
          topology = readTopology(s.topologyText, s.topologyUri);
        }
        const options: AnalyzeOptions = { workspaceRoot: s.root, ...extra };
        return { cached: analyzeParsed(s.files, topology, { ...options, cache }), fresh: analyzeParsed(s.files, topology, options) };
      };
      let before = run().cached;
      assert.ok(before.findings.length > 0, 'the site has findings to compare');
      for (const step of site.steps) {
        const edited = step.apply(s);
        const { cached, fresh } = run(step.options);
        assert.deepEqual(summary(cached), summary(fresh), step.name);
        if (edited && !step.options) {
          // Files in other folders than the edited one keep their findings as the same objects.
          const folder = path.posix.dirname(edited);
          let reused = 0;
          for (const [uri, list] of cached.findingsByUri ?? []) {
            if (path.posix.dirname(uri) === folder || !before.findingsByUri?.has(uri)) continue;
            const roleChange = step.name.includes('role');
            if (!roleChange) assert.equal(list, before.findingsByUri?.get(uri), `${step.name}: ${uri} was not checked again`);
            if (list === before.findingsByUri?.get(uri)) reused++;
          }
          if (site.folder === 'examples' && !step.name.includes('role')) assert.ok(reused > 3, `${step.name}: other files' findings were reused (${reused})`);
          // And their required flows were not evaluated again.
          const old = new Set(before.required);
          // A flow walked across the site depends on every file its path crosses, so one that crosses the edited folder is walked again.
          const crossesEdit = (c: (typeof cached.required)[number]): boolean => c.onPath?.walk.hops.some((h) => path.posix.dirname(h.hop.file.uri) === folder) ?? false;
          for (const c of cached.required) if (path.posix.dirname(c.bound.file.uri) !== folder && !crossesEdit(c) && !step.name.includes('role')) assert.ok(old.has(c), `${step.name}: ${c.flow.id} on ${c.bound.file.uri} was evaluated again`);
        }
        if (step.name === 'nothing changed') assert.equal(cached.findingsByUri?.size, before.findingsByUri?.size);
        before = cached;
      }
    });
  }

  it('a check that fails on one file loses all its findings and is reported once, as without the cache', async () => {
    await initTreeSitter();
    const s = loadSite('examples');
    const topology = readTopology(s.topologyText, s.topologyUri);
    let calls = 0;
    const failing = { id: 'boom', title: 'Boom', summary: 'Fails on the second file.', defaultSeverity: 'warning' as const, needsRoles: false, scope: 'file' as const, run: () => {
      calls++;
      if (calls === 2) throw new Error('boom');
      return [{ checkId: 'boom', uri: s.files[0].uri, span: { start: 0, end: 0 }, message: 'one' }];
    } };
    const a = analyzeParsed(s.files, topology, { workspaceRoot: s.root, checks: [failing], cache: new AnalysisCache() });
    const errors = a.findings.filter((f) => f.checkId === 'internal-error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].uri, a.files[0].uri);
    assert.match(errors[0].message, /The check "boom" failed/);
    assert.equal(a.findings.filter((f) => f.checkId === 'boom').length, 0);
  });
});
