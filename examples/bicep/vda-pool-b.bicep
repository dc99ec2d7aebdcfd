// Azure VDA pool B (Windows 11 single-session VDAs), subnet snet-vda-b 10.30.2.0/24.
param location string = resourceGroup().location

var gatewaySnip = '10.20.0.20'
var userLan = '10.60.0.0/16'
var controllers = [
  '10.10.1.11'
  '10.10.1.12'
]

// citrix-role: vda
resource vdaNsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-vda-b'
  location: location
  properties: {
    securityRules: [
      {
        name: 'Allow-HDX-From-Gateway'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: gatewaySnip
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRanges: [
            '1494'
            '2598'
            '16500-16509'
          ]
        }
      }
      {
        // Added during a security review to stop users reaching RPC and other
        // high ports on the VDAs. Its priority number is lower than the HDX
        // rule below, so it wins: users on the LAN can no longer start sessions.
        name: 'Deny-UserLan-HighPorts'
        properties: {
          priority: 120
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: userLan
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '1024-65535'
        }
      }
      {
        name: 'Allow-HDX-From-Users'
        properties: {
          priority: 130
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: userLan
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRanges: [
            '1494'
            '2598'
            '16500-16509'
          ]
        }
      }
      {
        name: 'Allow-Controllers'
        properties: {
          priority: 200
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: controllers
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRanges: [
            '80'
            '89'
          ]
        }
      }
      {
        name: 'Allow-Director-And-Admins-LDAP'
        properties: {
          priority: 210
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: [
            '10.10.1.60'
            '10.10.9.0/24'
          ]
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '389'
        }
      }
      {
        name: 'Deny-All-Inbound'
        properties: {
          priority: 4096
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' existing = {
  name: 'vnet-citrix-weu'
}

resource vdaSubnet 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' = {
  parent: vnet
  name: 'snet-vda-b'
  properties: {
    addressPrefix: '10.30.2.0/24'
    networkSecurityGroup: {
      id: vdaNsg.id
    }
  }
}
