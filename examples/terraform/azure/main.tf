# Azure VDA pool A (Windows multi-session VDAs), subnet snet-vda-a 10.30.1.0/24.
# The VNet reaches the on-premises site (Gateway DMZ, Controllers, users)
# over a site-to-site VPN.

resource "azurerm_resource_group" "citrix" {
  name     = "rg-citrix-vda-weu"
  location = "westeurope"
}

resource "azurerm_virtual_network" "citrix" {
  name                = "vnet-citrix-weu"
  location            = azurerm_resource_group.citrix.location
  resource_group_name = azurerm_resource_group.citrix.name
  address_space       = ["10.30.0.0/16"]
}

resource "azurerm_subnet" "vda_a" {
  name                 = "snet-vda-a"
  resource_group_name  = azurerm_resource_group.citrix.name
  virtual_network_name = azurerm_virtual_network.citrix.name
  address_prefixes     = ["10.30.1.0/24"]
}

# citrix-role: vda
resource "azurerm_network_security_group" "vda_a" {
  name                = "nsg-vda-a"
  location            = azurerm_resource_group.citrix.location
  resource_group_name = azurerm_resource_group.citrix.name

  # HDX from the Gateway SNIP. Only TCP was opened when the pool was built;
  # EDT (UDP 1494/2598) was never added, so remote sessions fall back to TCP.
  security_rule {
    name                       = "Allow-HDX-From-Gateway"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["1494", "2598"]
    source_address_prefix      = "10.20.0.20"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "Allow-HDX-Audio-From-Gateway"
    priority                   = 105
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Udp"
    source_port_range          = "*"
    destination_port_range     = "16500-16509"
    source_address_prefix      = "10.20.0.20"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "Allow-HDX-From-Users"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_ranges    = ["1494", "2598", "16500-16509"]
    source_address_prefix      = "10.60.0.0/16"
    destination_address_prefix = "*"
  }

  # Controller and management rules are inline too: the azurerm provider
  # overwrites inline rules and separate azurerm_network_security_rule
  # resources of one NSG with each other (check conflicting-rule-resources).
  security_rule {
    name                       = "Allow-Controllers"
    priority                   = 200
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["80", "89"]
    source_address_prefixes    = ["10.10.1.11", "10.10.1.12"]
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "Allow-Director-And-Admins-LDAP"
    priority                   = 210
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "389"
    source_address_prefixes    = ["10.10.1.60", "10.10.9.0/24"]
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "Deny-All-Inbound"
    priority                   = 4096
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "vda_a" {
  subnet_id                 = azurerm_subnet.vda_a.id
  network_security_group_id = azurerm_network_security_group.vda_a.id
}
