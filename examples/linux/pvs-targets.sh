#!/bin/sh
# Firewall for the PVS-streamed Linux VDAs (10.10.3.0/24), run from the
# image's rc.local. They boot from the Provisioning servers and then run the
# Linux VDA. The annotations sit on the INPUT and OUTPUT chains (FORWARD is
# not about this host).

IPT=/usr/sbin/iptables
CONTROLLERS=10.10.1.11,10.10.1.12
GATEWAY_SNIP=10.20.0.20
USER_LAN=10.60.0.0/16

$IPT -F
$IPT -X
# citrix-role: pvs-target, vda
$IPT -P INPUT DROP
$IPT -P FORWARD DROP
# citrix-role: pvs-target, vda
$IPT -P OUTPUT ACCEPT

$IPT -A INPUT -i lo -j ACCEPT
$IPT -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT

# Streaming (target to PVS servers, UDP 6910-6930) and the imaging wizard
# leave through OUTPUT (policy ACCEPT); their replies match the conntrack rule.

# HDX from the Gateway SNIP and the head-office LAN (TCP, and UDP for EDT and audio).
for src in $GATEWAY_SNIP $USER_LAN; do
  $IPT -A INPUT -s "$src" -p tcp -m multiport --dports 1494,2598 -j ACCEPT
  $IPT -A INPUT -s "$src" -p udp -m multiport --dports 1494,2598,16500:16509 -j ACCEPT
done

# VDA discovery and local host cache from the Delivery Controllers.
$IPT -A INPUT -s $CONTROLLERS -p tcp -m multiport --dports 80,89 -j ACCEPT

# LDAP from Director and the admin workstations.
$IPT -A INPUT -s 10.10.1.60,10.10.9.0/24 -p tcp --dport 389 -j ACCEPT

# SSH for the admins.
$IPT -A INPUT -s 10.10.9.0/24 -p tcp --dport 22 -j ACCEPT
