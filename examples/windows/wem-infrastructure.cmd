@echo off
REM Windows Firewall for the WEM infrastructure server (10.10.1.70), WEM 2203.
REM Bound to the wem-infrastructure role in citrix-flows.yaml.
REM Written for WEM 1909 and never updated after the upgrade: agents sync
REM their cache on 8288 since 1912; 8285 is the old cache sync port.

netsh advfirewall firewall add rule name="WEM Administration Console" dir=in action=allow protocol=TCP localport=8284 remoteip=10.10.9.0/24 profile=domain
netsh advfirewall firewall add rule name="WEM Agent Service" dir=in action=allow protocol=TCP localport=8286 remoteip=10.10.3.0/24,10.10.4.0/24,10.30.1.0/24,10.30.2.0/24,10.40.1.0/24,10.50.1.0/24 profile=domain
netsh advfirewall firewall add rule name="WEM Agent Cache Sync" dir=in action=allow protocol=TCP localport=8285 remoteip=10.10.3.0/24,10.10.4.0/24,10.30.1.0/24,10.30.2.0/24,10.40.1.0/24,10.50.1.0/24 profile=domain
netsh advfirewall firewall add rule name="RDP from admins" dir=in action=allow protocol=TCP localport=3389 remoteip=10.10.9.0/24 profile=domain
