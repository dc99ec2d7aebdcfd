import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { initTreeSitter } from '../../../server/src/formats';
import { GENERATE_FORMATS, type GenerateFormat } from '../../../server/src/generate/skeletons';
import { run, which } from '../../helpers/netns';
import { ROLE_SETS, checkGenerated, examplesTopology, generated, reparse } from './harness';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * For every format and several role combinations of the examples site: the
 * generated text is read back without problems by our parser and accepted
 * by the format's own tool where one runs here (HashiCorp's HCL parser,
 * `nft -c`, `iptables-restore --test`), and `check` with the same roles
 * finds every required flow allowed and nothing exposed or shadowed.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = (require('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<unknown> }).parse;

before(async () => {
  await initTreeSitter();
});

const topology = examplesTopology();

function unshareUnavailable(bins: readonly string[]): string | undefined {
  for (const bin of ['unshare', ...bins]) if (!which(bin)) return `${bin} is not installed`;
  const r = run('unshare', ['-rn', 'true']);
  return r.status === 0 ? undefined : `unshare -rn does not work here: ${r.stderr.trim()}`;
}

async function realTool(format: GenerateFormat, text: string, t: { skip: (m: string) => void; diagnostic: (m: string) => void }): Promise<void> {
  if (format.startsWith('terraform-')) {
    const json = (await hcl2json('generated.tf', text)) as Record<string, unknown>;
    assert.ok(json.resource, 'hcl2json reads the resources');
    t.diagnostic('hcl2json accepts it');
  } else if (format === 'nftables') {
    const why = unshareUnavailable(['nft']);
    if (why) return skipOutsideCi(t, `SKIPPED, NOT PASSED: nft -c: ${why}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-gen-'));
    try {
      const file = path.join(dir, 'generated.nft');
      fs.writeFileSync(file, text);
      const r = run('unshare', ['-rn', 'nft', '-c', '-f', file]);
      assert.equal(r.status, 0, `nft -c rejects the generated file: ${r.stderr}`);
      t.diagnostic('nft -c accepts it');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else if (format === 'iptables') {
    const why = unshareUnavailable(['iptables-legacy-restore']);
    if (why) return skipOutsideCi(t, `SKIPPED, NOT PASSED: iptables-restore --test: ${why}`);
    const r = run('unshare', ['-rn', 'iptables-legacy-restore', '--test'], text);
    assert.equal(r.status, 0, `iptables-restore rejects the generated file: ${r.stderr}`);
    t.diagnostic('iptables-restore --test accepts it');
  }
}

for (const format of GENERATE_FORMATS) {
  for (const roles of ROLE_SETS) {
    test(`generate ${format} for ${roles.join('+')}: parses, real tool accepts, check finds nothing missing`, async (t) => {
      const result = generated(format, roles, topology);
      assert.ok(result.ruleCount > 0, 'rules were generated');
      const file = reparse(result);
      assert.deepEqual(file.problems.map((p) => `${p.code}: ${p.message}`), [], 'our parser reads it without problems');
      await realTool(format, result.text, t);
      const { analysis, forbidden, notAllowed } = checkGenerated(file, topology, roles);
      assert.ok(analysis.required.length > 0, 'check evaluates required flows');
      assert.deepEqual(forbidden, []);
      assert.deepEqual(notAllowed, []);
      t.diagnostic(`${result.ruleCount} rules, ${analysis.required.length} required flow checks allowed`);
    });
  }
}
