/**
 * Ports of the service definitions firewalld ships in
 * /usr/lib/firewalld/services/<name>.xml, for the services people name in
 * zones next to a Citrix VDA. A subset: a name not here (or one defined in
 * /etc/firewalld/services/, which is not read) makes the rules that use it
 * unknown, with the name in the reason. Helpers (netbios-ns, ftp) and the
 * destination limits some services carry (dhcpv6-client to fe80::/64,
 * mdns to 224.0.0.251 and ff02::fb) are written where they matter to a flow.
 */
export interface ServicePort {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly from: number;
  readonly to: number;
}

export interface ServiceDefinition {
  readonly ports: readonly ServicePort[];
  /** `<destination ipv4=… ipv6=…/>` in the service file: the service only admits packets to these. */
  readonly destination?: { readonly ipv4?: string; readonly ipv6?: string };
}

function def(ports: string, destination?: ServiceDefinition['destination']): ServiceDefinition {
  const list: ServicePort[] = ports.split(' ').map((p) => {
    const [range, protocol] = p.split('/');
    const [from, to] = range.split('-').map(Number);
    return { protocol: protocol as ServicePort['protocol'], from, to: to ?? from };
  });
  return destination ? { ports: list, destination } : { ports: list };
}

export const FIREWALLD_SERVICES: ReadonlyMap<string, ServiceDefinition> = new Map([
  ['ssh', def('22/tcp')],
  ['http', def('80/tcp')],
  ['https', def('443/tcp')],
  ['http3', def('443/udp')],
  ['dns', def('53/tcp 53/udp')],
  ['dhcp', def('67/udp')],
  ['dhcpv6', def('547/udp')],
  ['dhcpv6-client', def('546/udp', { ipv6: 'fe80::/64' })],
  ['cockpit', def('9090/tcp')],
  ['samba-client', def('137/udp 138/udp')],
  ['samba', def('137/udp 138/udp 139/tcp 445/tcp')],
  ['ldap', def('389/tcp')],
  ['ldaps', def('636/tcp')],
  ['kerberos', def('88/tcp 88/udp')],
  ['kpasswd', def('464/tcp 464/udp')],
  ['ntp', def('123/udp')],
  ['mdns', def('5353/udp', { ipv4: '224.0.0.251', ipv6: 'ff02::fb' })],
  ['ipp-client', def('631/udp')],
  ['ipp', def('631/tcp 631/udp')],
  ['nfs', def('2049/tcp')],
  ['rpc-bind', def('111/tcp 111/udp')],
  ['mysql', def('3306/tcp')],
  ['postgresql', def('5432/tcp')],
  ['mssql', def('1433/tcp')],
  ['rdp', def('3389/tcp')],
  ['vnc-server', def('5900-5903/tcp')],
  ['telnet', def('23/tcp')],
  ['ftp', def('21/tcp')],
  ['smtp', def('25/tcp')],
  ['snmp', def('161/tcp 161/udp')],
  ['syslog', def('514/udp')],
  ['radius', def('1812/tcp 1812/udp 1813/tcp 1813/udp')],
  ['zabbix-agent', def('10050/tcp')],
  ['squid', def('3128/tcp')],
]);
