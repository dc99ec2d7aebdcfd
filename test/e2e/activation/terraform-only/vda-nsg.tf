# No citrix-flows.yaml in this workspace and no Terraform extension in the
# profile: VS Code opens this file as Plain Text, and the annotation below is
# all Citrix Flow Lint has to go on.

# citrix-role: vda
resource "azurerm_network_security_group" "vda" {
  name                = "nsg-vda"
  location            = "westeurope"
  resource_group_name = "rg-citrix"

  security_rule {
    name                       = "AllowIcaFromGateway"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["1494", "2598"]
    source_address_prefix      = "10.0.0.20"
    destination_address_prefix = "*"
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
