/**
 * The port and protocol literals Cisco ASA accepts in place of numbers.
 *
 * Source: Cisco ASA configuration guide, "Addresses, Protocols, and Ports",
 * tables "Protocols and Applications" and "Port Literal Values"
 * (https://www.cisco.com/c/en/us/td/docs/security/asa/asa922/configuration/general/asa-922-general-config/ref-ports.html),
 * cross-checked against fwbuilder's ASA importer. Two traps in that table:
 * `kerberos` is 750 (Kerberos IV), not 88, and `radius`/`radius-acct` are
 * the old 1645/1646, not 1812/1813. ASA has no `rdp` literal; 3389 must be
 * written as a number. `dns` is not DNS: it is an alias nobody should use
 * (FWSM maps it to dnsix), so it is deliberately left out and reported.
 *
 * ASA prints UDP ports with TCP names in `show running-config` on some
 * versions, so a literal is accepted with either protocol rather than
 * rejected for the "wrong" one.
 */
export const ASA_PORT_NAMES: Readonly<Record<string, number>> = {
  aol: 5190,
  bgp: 179,
  biff: 512,
  bootpc: 68,
  bootps: 67,
  chargen: 19,
  cifs: 3020,
  'citrix-ica': 1494,
  cmd: 514,
  ctiqbe: 2748,
  daytime: 13,
  discard: 9,
  dnsix: 195,
  domain: 53,
  echo: 7,
  exec: 512,
  finger: 79,
  ftp: 21,
  'ftp-data': 20,
  gopher: 70,
  h323: 1720,
  hostname: 101,
  http: 80,
  https: 443,
  ident: 113,
  imap4: 143,
  irc: 194,
  isakmp: 500,
  kerberos: 750,
  klogin: 543,
  kshell: 544,
  ldap: 389,
  ldaps: 636,
  login: 513,
  lotusnotes: 1352,
  lpd: 515,
  'mobile-ip': 434,
  nameserver: 42,
  'netbios-dgm': 138,
  'netbios-ns': 137,
  'netbios-ssn': 139,
  nfs: 2049,
  nntp: 119,
  ntp: 123,
  'pcanywhere-data': 5631,
  'pcanywhere-status': 5632,
  'pim-auto-rp': 496,
  pop2: 109,
  pop3: 110,
  pptp: 1723,
  radius: 1645,
  'radius-acct': 1646,
  rip: 520,
  rsh: 514,
  rtsp: 554,
  'secureid-udp': 5510,
  sip: 5060,
  smtp: 25,
  snmp: 161,
  snmptrap: 162,
  sqlnet: 1521,
  ssh: 22,
  sunrpc: 111,
  syslog: 514,
  tacacs: 49,
  talk: 517,
  telnet: 23,
  tftp: 69,
  time: 37,
  uucp: 540,
  vxlan: 4789,
  who: 513,
  whois: 43,
  www: 80,
  xdmcp: 177,
};

/** ASA protocol literals (same source, "Protocols and Applications"). */
export const ASA_PROTOCOL_NAMES: Readonly<Record<string, number>> = {
  ah: 51,
  eigrp: 88,
  esp: 50,
  gre: 47,
  icmp: 1,
  icmp6: 58,
  igmp: 2,
  igrp: 9,
  ipinip: 4,
  ipsec: 50,
  nos: 94,
  ospf: 89,
  pcp: 108,
  pim: 103,
  pptp: 47,
  sctp: 132,
  snp: 109,
  tcp: 6,
  udp: 17,
};

/** ICMP type literals that stand for ping, the only ICMP exchange the Citrix catalog asks about. */
export const PING_ICMP_TYPES: ReadonlySet<string> = new Set(['echo', 'echo-reply', '0', '8', '128', '129']);
