import type { Catalog, CatalogFlow } from '../catalog';

/**
 * The comment a quick fix writes on the rule it adds, for the people who
 * read the configuration later: "Citrix: Gateway SNIP → VDA, ICA TCP 1494".
 * Short and whole (no catalog ids, no seed text cut mid-word); the flow id
 * and the seed's description stay in hovers and the docs.
 */
export function fixComment(catalog: Catalog, flow: CatalogFlow, protocols: readonly string[], ports: readonly { readonly from: number; readonly to: number }[]): string {
  const service = serviceWords(flow.id);
  const what = [service, protocols.map((p) => p.toUpperCase()).join('/'), ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',')].filter(Boolean).join(' ');
  return `Citrix: ${shortRoleLabel(catalog, flow.source)} → ${shortRoleLabel(catalog, flow.destination)}, ${what}`;
}

/** Words that are written in capitals wherever they appear in a service name. */
const ACRONYMS = new Set(['ica', 'hdx', 'edt', 'cgp', 'ldap', 'ldaps', 'http', 'https', 'xml', 'sta', 'sql', 'smb', 'rdp', 'snmp', 'dns', 'ntp', 'wem', 'pvs', 'adc', 'ha', 'fas', 'vda', 'ssl', 'tls', 'udp', 'tcp', 'rtp', 'mcs', 'api', 'ad', 'kms', 'sd', 'wan', 'nsip', 'snip', 'vip', 'html5', 'ssh', 'sso', 'mfa', 'radius', 'saml', 'tftp', 'bdm', 'pxe', 'dhcp', 'soap', 'wmi', 'winrm', 'rpc', 'mapi', 'smtp', 'upd', 'ipmi', 'gslb', 'mep', 'lhc', 'cvad', 'vpx']);

function serviceWords(flowId: string): string {
  const last = flowId.slice(flowId.lastIndexOf('.') + 1);
  const words = last.split('-').filter(Boolean).map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w));
  if (words.length && words[0] === words[0].toLowerCase()) words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ');
}

/** "VDA", "Gateway SNIP", "Delivery Controller": the role's short name without "Citrix" or a long aside in brackets. */
export function shortRoleLabel(catalog: Catalog, roleId: string): string {
  const name = catalog.roleById(roleId)?.name ?? roleId;
  const open = name.lastIndexOf('(');
  if (open > 0 && name.endsWith(')')) {
    const inner = name.slice(open + 1, -1);
    if (inner.length <= 6 && !inner.includes(' ')) return inner;
    return name.slice(0, open).trim().replace(/^Citrix\s+/, '');
  }
  return name.replace(/^Citrix\s+/, '');
}
