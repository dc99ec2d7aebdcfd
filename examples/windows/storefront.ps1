# Windows Defender Firewall rules for the StoreFront servers (SF01 10.10.1.21,
# SF02 10.10.1.22). Bound to the storefront role in citrix-flows.yaml.
# HTTP is not opened: IIS redirects nothing, the store is HTTPS only.

New-NetFirewallRule -DisplayName 'StoreFront HTTPS (users)' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 443 -RemoteAddress 10.60.0.0/16 -Profile Domain
New-NetFirewallRule -DisplayName 'StoreFront HTTPS (Gateway callback and auth)' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 443 -RemoteAddress 10.20.0.20 -Profile Domain
New-NetFirewallRule -DisplayName 'StoreFront server group' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 443, 808 -RemoteAddress 10.10.1.21, 10.10.1.22 -Profile Domain
New-NetFirewallRule -DisplayName 'RDP from admins' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 3389 -RemoteAddress 10.10.9.0/24 -Profile Domain
