# citrix-role: vda
resource "azurerm_network_security_group" "vda" {
  name                = "nsg-vda"
  location            = "westeurope"
  resource_group_name = "rg-citrix"

  security_rule {
    name                       = "AllowSessionReliability"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "2598"
    source_address_prefix      = "10.0.0.20"
    destination_address_prefix = "10.0.2.0/24"
  }

  security_rule {
    name                       = "DenyAllInbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
