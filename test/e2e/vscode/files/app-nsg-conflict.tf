# An Azure NSG with inline rules and a separate rule resource (the azurerm provider documents the conflict); written into the e2e workspace by codeServer.test.ts.
resource "azurerm_network_security_group" "app" {
  name                = "nsg-app"
  location            = "westeurope"
  resource_group_name = "rg-app"

  security_rule {
    name                       = "AllowAppHttps"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "8443"
    source_address_prefix      = "10.9.0.0/24"
    destination_address_prefix = "10.9.1.0/24"
  }
}

resource "azurerm_network_security_rule" "app_ssh" {
  name                        = "AllowAppSsh"
  priority                    = 110
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefix       = "10.9.0.10"
  destination_address_prefix  = "10.9.1.0/24"
  resource_group_name         = "rg-app"
  network_security_group_name = azurerm_network_security_group.app.name
}
