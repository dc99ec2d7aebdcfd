import type { Catalog, CatalogProtocol } from '../catalog';
import { portKnowledge } from './hover';

/**
 * "Explain port…": `1494`, `1494/udp`, `16500-16509`, `tcp 443` → what
 * Citrix uses the port for, as Markdown; a message when the text is not a port.
 */
export function explainPort(catalog: Catalog, input: string): { markdown: string } | { error: string } {
  const text = input.trim().toLowerCase();
  let protocol: CatalogProtocol | undefined;
  let rest = text;
  for (const p of ['tcp', 'udp', 'icmp'] as const) {
    if (rest.endsWith(`/${p}`)) {
      protocol = p;
      rest = rest.slice(0, -p.length - 1);
    } else if (rest.startsWith(`${p} `)) {
      protocol = p;
      rest = rest.slice(p.length + 1);
    }
  }
  rest = rest.trim();
  const dash = rest.search(/[-–:]/);
  const fromText = dash >= 0 ? rest.slice(0, dash) : rest;
  const toText = dash >= 0 ? rest.slice(dash + 1) : rest;
  const from = /^\d{1,5}$/.test(fromText) ? Number(fromText) : NaN;
  const to = /^\d{1,5}$/.test(toText) ? Number(toText) : NaN;
  if (!(from >= 0 && to <= 65535 && from <= to)) return { error: `"${input}" is not a port: write e.g. 1494, 1494/udp or 16500-16509.` };
  return { markdown: portKnowledge(catalog, from, to, protocol ? [protocol] : undefined, 1000).join('\n') };
}
