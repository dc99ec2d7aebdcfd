/**
 * The words people name Citrix parts with, beside the catalog's own role
 * names and aliases: abbreviations (`ddc`, `sf`, `vpx`), product families
 * (`netscaler`), and words that only mean a Citrix role in a Citrix context
 * (`controller`, `dc`, `connector`). Kept apart from the scoring in
 * inferRoles.ts so the vocabulary can be read and extended as a table.
 */

export type TermStrength = 'strong' | 'weak';

export interface Term {
  /** Lower-case letters and digits only (`deliverycontroller`). */
  readonly key: string;
  readonly role: string;
  readonly strength: TermStrength;
  /** Counts only where something else says Citrix (`ctx-dc`, a folder `citrix`, another Citrix role). */
  readonly needsCitrixContext?: boolean;
}

/** Words that say "this is about Citrix" without naming a role. */
export const CITRIX_CONTEXT_WORDS: ReadonlySet<string> = new Set(['citrix', 'ctx', 'cvad', 'xendesktop', 'xenapp', 'daas', 'netscaler', 'hdx', 'ica', 'virtualapps', 'virtualdesktops']);

/**
 * Roles whose machines are general infrastructure (SQL, domain controllers,
 * file servers): a `db` security group is a Citrix site database only in a
 * workspace that is about Citrix.
 */
export const INFRASTRUCTURE_ROLES: ReadonlySet<string> = new Set([
  'sql-server', 'domain-controller', 'dns-server', 'ldap-server', 'radius-server', 'tacacs-server', 'ntp-server', 'smtp-server',
  'syslog-server', 'snmp-manager', 'netflow-collector', 'file-server', 'san-controller', 'hypervisor', 'virtual-machine', 'vcenter',
  'scvmm', 'dhcp-server', 'pxe-service', 'tftp-server', 'certificate-authority', 'admin-workstation', 'workspace-app',
]);

/**
 * Catalog aliases too general to name a role on their own (`Agent` is WEM's
 * agent in the seed, `Users` its SMTP row, `API` ADM's): they stay valid in
 * annotations, but a rule set called `api` is not an ADM.
 */
export const GENERIC_ALIASES: ReadonlySet<string> = new Set([
  'agent', 'agenthost', 'users', 'client', 'api', 'controller', 'guest', 'vm', 'administrator', 'sql', 'dns', 'ad', 'ca', 'nas', 'san',
  'lom', 'rfs', 'infrastructureservice', 'administrationconsole', 'monitoringservice', 'dnsservice', 'ntp', 'snmp', 'syslog', 'netflow',
  'dhcp', 'pxe', 'tftp', 'tacacs', 'radius', 'smtp', 'mailserver', 'targetdevice', 'virtualmachine', 'streamingservice', 'signatureurl',
  'hdxvideojs', 'vpnclient', 'vpncvad', 'sta', 'xmlservice', 'gateway', 'cpx', 'fileserver', 'iscsitarget', 'poolmaster', 'networkmanagementsystem',
]);

const t = (key: string, role: string, strength: TermStrength = 'strong', needsCitrixContext = false): Term => ({ key, role, strength, ...(needsCitrixContext ? { needsCitrixContext } : {}) });

/** What engineers write in names, folders and groups, beyond the catalog. */
export const EXTRA_TERMS: readonly Term[] = [
  // Virtual Delivery Agent
  t('vda', 'vda'), t('ctxvda', 'vda'), t('citrixvda', 'vda'), t('virtualdeliveryagent', 'vda'), t('virtualdesktopagent', 'vda'),
  t('vdi', 'vda', 'weak'), t('sessionhost', 'vda', 'weak', true), t('worker', 'vda', 'weak', true), t('workers', 'vda', 'weak', true), t('desktop', 'vda', 'weak', true), t('desktops', 'vda', 'weak', true),
  t('xenappserver', 'vda'), t('hostedapps', 'vda', 'weak', true), t('mcs', 'vda', 'weak', true), t('catalog', 'vda', 'weak', true),
  // Delivery Controller
  t('ddc', 'delivery-controller'), t('xdc', 'delivery-controller'), t('deliverycontroller', 'delivery-controller'), t('citrixcontroller', 'delivery-controller'),
  t('ctxcontroller', 'delivery-controller'), t('cvadcontroller', 'delivery-controller'), t('xendesktopcontroller', 'delivery-controller'),
  t('controller', 'delivery-controller', 'strong', true), t('broker', 'delivery-controller', 'weak', true), t('dc', 'delivery-controller', 'weak', true),
  // StoreFront
  t('storefront', 'storefront'), t('sf', 'storefront', 'weak', true), t('ctxsf', 'storefront'), t('citrixstorefront', 'storefront'), t('store', 'storefront', 'weak', true),
  // Gateway and ADC (a NetScaler is one machine that plays several catalog roles; see the machine list below)
  t('citrixgateway', 'gateway'), t('netscalergateway', 'gateway'), t('accessgateway', 'gateway'), t('cag', 'gateway'), t('gateway', 'gateway', 'weak', true),
  t('vip', 'gateway', 'weak', true), t('vpnvip', 'gateway'), t('gwvip', 'gateway'),
  t('netscaler', 'adc'), t('citrixadc', 'adc'), t('netscaleradc', 'adc'), t('adc', 'adc'), t('vpx', 'adc'), t('mpx', 'adc'), t('sdx', 'adc'),
  t('ns', 'adc', 'weak', true), t('lb', 'adc', 'weak', true), t('nsip', 'adc-nsip'), t('snip', 'gateway-snip'), t('ctxadc', 'adc'),
  t('adm', 'adm'), t('netscalerconsole', 'adm'), t('netscaleradm', 'adm'), t('citrixadm', 'adm'), t('mas', 'adm', 'weak', true),
  // Licensing, Cloud Connector, PVS, WEM, FAS, Director, Session Recording
  t('licenseserver', 'license-server'), t('licensing', 'license-server', 'strong', true), t('license', 'license-server', 'strong', true), t('lic', 'license-server', 'weak', true),
  t('ctxlic', 'license-server'), t('citrixlicense', 'license-server'), t('citrixlicensing', 'license-server'), t('licsrv', 'license-server'),
  t('cloudconnector', 'cloud-connector'), t('cloudconnectors', 'cloud-connector'), t('connector', 'cloud-connector', 'strong', true), t('cc', 'cloud-connector', 'weak', true),
  t('ctxcc', 'cloud-connector'), t('pvs', 'pvs-server'), t('provisioning', 'pvs-server', 'strong', true), t('provisioningserver', 'pvs-server'), t('citrixprovisioning', 'pvs-server'),
  t('pvstarget', 'pvs-target'), t('pvstargets', 'pvs-target'), t('wem', 'wem-infrastructure'), t('wembroker', 'wem-infrastructure'), t('weminfra', 'wem-infrastructure'),
  t('fas', 'fas-server'), t('federatedauthentication', 'fas-server'), t('director', 'director', 'strong', true), t('citrixdirector', 'director'),
  t('sessionrecording', 'session-recording-server'), t('xenmobile', 'endpoint-management-server'), t('sdwan', 'sd-wan-appliance'),
  // General infrastructure, named as Citrix sites name it
  t('sql', 'sql-server'), t('mssql', 'sql-server'), t('sqlserver', 'sql-server'), t('database', 'sql-server', 'weak'), t('db', 'sql-server', 'weak'),
  t('domaincontroller', 'domain-controller'), t('domaincontrollers', 'domain-controller'), t('adds', 'domain-controller'), t('addc', 'domain-controller'), t('activedirectory', 'domain-controller'),
  t('fileserver', 'file-server'), t('fileservers', 'file-server'), t('profileserver', 'file-server'), t('xenserver', 'hypervisor'), t('citrixhypervisor', 'hypervisor'), t('vcenter', 'vcenter'), t('scvmm', 'scvmm'),
];

/** Words after which a role name is the other end of a flow (`Allow-From-Controllers`, `vda-to-ddc`), not the rule set's own role. */
export const PEER_MARKERS: ReadonlySet<string> = new Set(['from', 'to', 'src', 'source', 'dst', 'destination', 'towards', 'via']);

/**
 * Splits a name into lower-case words: at punctuation, at camelCase
 * boundaries (`CitrixVDA` → citrix, vda; `StoreFront` → store, front), and
 * between letters and digits (`vda01` → vda, 01).
 */
export function nameWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let prev: 'lower' | 'upper' | 'digit' | 'other' = 'other';
  const flush = (): void => {
    if (cur) out.push(cur.toLowerCase());
    cur = '';
  };
  for (let i = 0; i < text.length && i < 4096; i++) {
    const ch = text[i];
    const kind = ch >= 'a' && ch <= 'z' ? 'lower' : ch >= 'A' && ch <= 'Z' ? 'upper' : ch >= '0' && ch <= '9' ? 'digit' : 'other';
    if (kind === 'other') {
      flush();
      prev = kind;
      continue;
    }
    const next = text[i + 1];
    const nextLower = next !== undefined && next >= 'a' && next <= 'z';
    if ((kind === 'upper' && prev === 'lower') || (kind === 'upper' && prev === 'upper' && nextLower && cur.length > 1) || (kind === 'digit') !== (prev === 'digit')) {
      if (prev !== 'other') flush();
    }
    cur += ch;
    prev = kind;
  }
  flush();
  return out;
}
