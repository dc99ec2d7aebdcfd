// Activation: package.json starts the extension only on the globs of
// server/src/formats/filePatterns.ts, and those globs agree with detectFormat
// (a claimed name is read whatever its content; a candidate needs its content).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectFormat } from '../../server/src/formats/detect';
import { activationEvents, CANDIDATE_GLOBS, CLAIMED_GLOBS } from '../../server/src/formats/filePatterns';

// picomatch ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = require('picomatch') as (globs: string[], options?: { dot?: boolean }) => (p: string) => boolean;

const root = process.env.CITRIX_FLOW_LINT_ROOT ?? process.cwd();
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { activationEvents: string[] };

describe('activation events', () => {
  it('package.json lists exactly the derived events', () => {
    assert.deepEqual(manifest.activationEvents, activationEvents());
  });
  it('no generic language starts the extension', () => {
    for (const generic of ['json', 'jsonc', 'yaml', 'shellscript', 'powershell', 'bat', 'plaintext']) {
      assert.ok(!manifest.activationEvents.includes(`onLanguage:${generic}`), `onLanguage:${generic}`);
    }
  });
});

// path in a workspace → the glob list it must match, and what detectFormat makes of it with no content.
const NAMES: { path: string; claimed: boolean; candidate: boolean }[] = [
  { path: 'azure/main.tf', claimed: true, candidate: false },
  { path: 'infra/vda-nsg.bicep', claimed: true, candidate: false },
  { path: 'etc/nftables.conf', claimed: true, candidate: true },
  { path: 'hosts/vda.nft', claimed: true, candidate: false },
  { path: 'hosts/rules.v4', claimed: true, candidate: false },
  { path: 'hosts/vda-iptables.rules', claimed: true, candidate: true },
  { path: 'etc/iptables/web.rules', claimed: true, candidate: true },
  { path: 'etc/sysconfig/iptables', claimed: true, candidate: true },
  { path: 'edge/asa.asa', claimed: true, candidate: false },
  { path: 'udev/99-usb.rules', claimed: false, candidate: true },
  { path: 'scripts/vda-firewall.ps1', claimed: false, candidate: true },
  { path: 'scripts/setup-iptables.sh', claimed: false, candidate: true },
  { path: 'arm/azuredeploy.json', claimed: false, candidate: true },
  { path: 'arm/vda-nsg.json', claimed: false, candidate: true },
  { path: 'configs/edge-running-config.txt', claimed: false, candidate: true },
  { path: 'templates/security-group.template.yaml', claimed: false, candidate: true },
  { path: 'config/modules/vpx_cfn/ns.template', claimed: false, candidate: true },
  { path: 'nested-stacks/cft-stack-securitygroup.yaml', claimed: false, candidate: true },
  { path: 'k8s/deployment.yaml', claimed: false, candidate: false },
  { path: 'package.json', claimed: false, candidate: false },
  { path: 'scripts/deploy.sh', claimed: false, candidate: false },
  { path: 'README.md', claimed: false, candidate: false },
  { path: '.github/workflows/ci.yaml', claimed: false, candidate: false },
];

describe('claimed and candidate globs agree with detectFormat', () => {
  const claimed = picomatch(CLAIMED_GLOBS as string[], { dot: true });
  const candidate = picomatch(CANDIDATE_GLOBS as string[], { dot: true });
  for (const c of NAMES) {
    it(c.path, () => {
      assert.equal(claimed(c.path), c.claimed, 'claimed');
      assert.equal(candidate(c.path), c.candidate, 'candidate');
      // A claimed name is ours with any content, so finding it may start the server without reading it.
      if (c.claimed) assert.ok(detectFormat(`file:///ws/${c.path}`, ''), `detectFormat does not claim ${c.path}`);
      else assert.equal(detectFormat(`file:///ws/${c.path}`, ''), undefined, `${c.path} is claimed by detectFormat but not by CLAIMED_GLOBS`);
    });
  }
});
