import { initTreeSitter } from '../../../server/src/formats';
import { WorkspaceState } from '../../../server/src/service/state';

export const ROOT = '/ws';
export const uri = (name: string): string => `file://${ROOT}/${name}`;

export const TOPOLOGY = `roles:
  vda: [10.0.2.0/24]
  gateway-snip: [10.0.0.20]
  storefront: [10.0.1.10]
  delivery-controller: [10.0.3.10]
features: { edt: true }
`;

/** Position of the `|` marker and the text without it. */
export function cut(text: string): { text: string; offset: number } {
  const offset = text.indexOf('|');
  if (offset < 0) throw new Error('no | marker in the test input');
  return { text: text.slice(0, offset) + text.slice(offset + 1), offset };
}

/** A workspace of in-memory documents under /ws, with citrix-flows.yaml unless `topology` is null. */
export async function stateWith(files: Record<string, string>, topology: string | null = TOPOLOGY): Promise<WorkspaceState> {
  await initTreeSitter();
  const state = new WorkspaceState({ root: ROOT });
  if (topology !== null) state.setDocument({ uri: uri('citrix-flows.yaml'), text: topology, version: 1 });
  for (const [name, text] of Object.entries(files)) state.setDocument({ uri: uri(name), text, version: 1 });
  return state;
}

export const NSG_TF = `# citrix-role: vda
resource "azurerm_network_security_group" "vda" {
  name                = "nsg-vda"
  location            = "westeurope"
  resource_group_name = "rg"

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
`;

export const IPTABLES = `# citrix-role: storefront
*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -s 10.0.0.20 --dport 443 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 1494,2598 -j ACCEPT
-A INPUT -p udp --dport 16500:16509 -j ACCEPT
COMMIT
`;
