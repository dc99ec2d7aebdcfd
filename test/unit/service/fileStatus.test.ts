// The language status item's text for the active file: format, rule sets, roles and how they are bound.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { doFileStatus } from '../../../server/src/service/fileStatus';
import { IPTABLES, NSG_TF, stateWith, uri } from './helpers';

describe('doFileStatus', () => {
  const table: { name: string; files: Record<string, string>; topology?: string | null; file: string; expected: Partial<ReturnType<typeof doFileStatus>> }[] = [
    {
      name: 'an annotated Terraform NSG',
      files: { 'azure/vda.tf': NSG_TF },
      file: 'azure/vda.tf',
      expected: { recognised: true, format: 'terraform', text: 'Terraform · VDA', detail: '1 rule set; vda (annotated)' },
    },
    {
      name: 'a file bound by citrix-flows.yaml',
      files: { 'linux/sf.rules': IPTABLES.replace('# citrix-role: storefront\n', '') },
      topology: 'roles:\n  storefront: [10.0.1.10]\nbindings:\n  - { files: "linux/*.rules", roles: [storefront] }\n',
      file: 'linux/sf.rules',
      expected: { recognised: true, format: 'iptables', text: 'iptables · StoreFront server', detail: '2 rule sets; storefront (declared in citrix-flows.yaml)' },
    },
    {
      name: 'rules nothing declares show the role assumed for them, and say so',
      files: { 'azure/vda.tf': NSG_TF.replace('# citrix-role: vda\n', '') },
      file: 'azure/vda.tf',
      expected: { recognised: true, text: 'Terraform · VDA', detail: '1 rule set; vda (assumed from its names and ports)' },
    },
    {
      name: 'a file that holds no rules',
      files: { 'notes.txt': 'nothing to see' },
      file: 'notes.txt',
      expected: { recognised: false },
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const state = await stateWith(c.files, c.topology === undefined ? undefined : c.topology);
      const status = doFileStatus(state, uri(c.file));
      for (const [key, value] of Object.entries(c.expected)) assert.deepEqual(status[key as keyof typeof status], value, key);
    });
  }
});
