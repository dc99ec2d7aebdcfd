import type { Vocabulary } from '../../../server/src/topology';

/**
 * A fixed vocabulary, so topology snapshots do not move when the catalog's
 * aliases grow; `catalogVocabulary.test.ts` checks the real adapter.
 */
export const TEST_VOCABULARY: Vocabulary = {
  roles: [
    { id: 'vda', aliases: ['VDA', 'Virtual Delivery Agent'] },
    { id: 'delivery-controller', aliases: ['DDC', 'Delivery Controller', 'Controller'] },
    { id: 'storefront', aliases: ['StoreFront Server'] },
    { id: 'workspace-app', aliases: ['Citrix Workspace app', 'Receiver'] },
    { id: 'gateway', aliases: ['Citrix Gateway', 'NetScaler Gateway'] },
    { id: 'gateway-snip', aliases: ['Gateway SNIP'] },
    { id: 'adc-nsip', aliases: ['NSIP'] },
    { id: 'license-server', aliases: ['License Server'] },
    { id: 'sql-server', aliases: ['SQL Server'] },
    { id: 'domain-controller', aliases: ['Domain Controller', 'DC'] },
    { id: 'dns-server', aliases: [] },
    { id: 'fas-server', aliases: ['FAS'] },
    { id: 'pvs-server', aliases: ['Provisioning Server'] },
    { id: 'admin-workstation', aliases: [] },
  ],
  features: [
    { id: 'edt', default: true },
    { id: 'session-reliability', default: true },
    { id: 'html5-client', default: false },
    { id: 'fas', default: false },
    { id: 'ha', default: false },
    { id: 'secure-mep', default: false },
  ],
  checks: [
    'missing-flow',
    'partial-flow',
    'edt-needs-udp',
    'insecure-variant',
    'deprecated-port',
    'exposed-to-internet',
    'shadowed-rule',
    'unknown-role',
    'unneeded-citrix-port',
    'unparsed-rule',
    'unresolved-value',
  ],
  products: ['cvad', 'wem', 'adc', 'adm', 'storefront', 'pvs', 'license-server'],
};
