import type { AllowRuleEmitter } from '../../model';
import { addressPlan, eolOf, indentAt, Insertions, lineStartAt, portText } from '../emitSupport';

/**
 * Writes what admits a flow into a firewalld zone, in the file's own form:
 * - a zone XML file gets `<port>` elements (a flow from anywhere) or
 *   `<rule>` rich rules (from given sources, one per source network), before
 *   `</zone>`, with an XML comment saying what they are for;
 * - a script gets `firewall-cmd [--permanent] --zone=Z --add-port=…` or
 *   `--add-rich-rule='rule …'` lines after the last one for that zone (so
 *   before its `--reload`), written with the script's own prefix (`sudo`).
 * When a rich rule of the zone rejects or drops the flow, the new rule gets
 * a priority below that rule's (lower is evaluated first; at equal priority
 * firewalld puts deny before allow). The destination is the host itself, so
 * it is not written. A peer whose addresses are not declared is never
 * written as anywhere: the fix says what to declare.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { error: 'nothing to write' };
  const file = requests[0].file;
  const text = file.text;
  const eol = eolOf(text);
  const ins = new Insertions();
  const errors: string[] = [];
  for (const r of requests) {
    const rs = r.ruleSet;
    if (rs.kind !== 'firewalld-zone') {
      errors.push(`${rs.name} is not a firewalld zone`);
      continue;
    }
    if (r.direction !== 'inbound' || r.reply) {
      errors.push('a firewalld zone filters only connections coming in to this host; nothing in it blocks this flow');
      continue;
    }
    const src = addressPlan(r.source);
    if (src.symbols.length) {
      errors.push(`the addresses of ${src.symbols.map((s) => s.name.replace(/^role:/, '')).join(', ')} are not declared: declare them in citrix-flows.yaml (roles:) to write this rule (firewalld has no placeholder, and "anywhere" would open more than the flow needs)`);
      continue;
    }
    const zone = rs.meta?.zone ?? 'public';
    let priority: number | undefined;
    const before = r.before && !r.before.implicit && r.before.target.kind === 'deny' ? r.before : undefined;
    if (before) {
      priority = (before.priority?.value ?? 0) - 1;
      if (priority < -32768) {
        errors.push(`the rich rule that blocks this flow already has the lowest priority (-32768): change it instead`);
        continue;
      }
    }
    const rich = !src.any || priority !== undefined;
    const entries: { family?: 'ipv4' | 'ipv6'; address?: string; protocol: string; port: string }[] = [];
    const ports = r.protocols.includes('icmp') ? [] : r.ports;
    const protocols = r.protocols.filter((p) => p !== 'icmp');
    if (r.protocols.includes('icmp')) {
      errors.push('firewalld accepts ICMP in zones whose target is default; write an icmp rich rule by hand if this zone blocks it');
      if (protocols.length === 0) continue;
    }
    const sources: { family?: 'ipv4' | 'ipv6'; address?: string }[] = src.any
      ? rich
        ? [{ family: 'ipv4' }, { family: 'ipv6' }]
        : [{}]
      : [...src.cidrs4.map((a) => ({ family: 'ipv4' as const, address: a.endsWith('/32') ? a.slice(0, -3) : a })), ...src.cidrs6.map((a) => ({ family: 'ipv6' as const, address: a.endsWith('/128') ? a.slice(0, -4) : a }))];
    for (const s of sources) for (const protocol of protocols) for (const p of ports) entries.push({ ...s, protocol, port: portText(p) });
    const at = Number(rs.meta?.insertAt ?? text.length);
    const comment = r.comment.replace(/[\r\n]+/g, ' ');
    if (rs.meta?.style === 'xml') {
      if (!Number.isFinite(at) || at <= rs.span.start || at > text.length) {
        errors.push('the <zone> element has no closing tag to write before');
        continue;
      }
      const indent = xmlIndent(text, rs.span.start, at);
      const inner = `${indent}  `;
      let out = `${indent}<!-- ${comment.replace(/--+/g, '-')} -->${eol}`;
      for (const e of entries) {
        if (!rich) {
          out += `${indent}<port port="${e.port}" protocol="${e.protocol}"/>${eol}`;
          continue;
        }
        out += `${indent}<rule family="${e.family}"${priority !== undefined ? ` priority="${priority}"` : ''}>${eol}`;
        if (e.address) out += `${inner}<source address="${e.address}"/>${eol}`;
        out += `${inner}<port port="${e.port}" protocol="${e.protocol}"/>${eol}${inner}<accept/>${eol}${indent}</rule>${eol}`;
      }
      // `</zone>` may follow other text on its line: start the new elements on a line of their own.
      const lineStart = lineStartAt(text, at);
      const onOwnLine = text.slice(lineStart, at).trim() === '';
      ins.add(onOwnLine ? lineStart : at, onOwnLine ? out : eol + out);
    } else {
      const prefix = rs.meta?.prefix ?? 'firewall-cmd';
      const permanent = rs.meta?.permanent === 'true' ? ' --permanent' : '';
      let out = `# ${comment}${eol}`;
      for (const e of entries) {
        if (!rich) out += `${prefix}${permanent} --zone=${zone} --add-port=${e.port}/${e.protocol}${eol}`;
        else {
          const rule = `rule${priority !== undefined ? ` priority="${priority}"` : ''} family="${e.family}"${e.address ? ` source address="${e.address}"` : ''} port port="${e.port}" protocol="${e.protocol}" accept`;
          out += `${prefix}${permanent} --zone=${zone} --add-rich-rule='${rule}'${eol}`;
        }
      }
      const lead = at === text.length && text.length > 0 && !text.endsWith('\n') ? eol : '';
      ins.add(at, lead + out);
    }
  }
  if (ins.isEmpty) return { error: errors.join('; ') || 'nothing to write' };
  return { edits: ins.edits(file.uri) };
};

/** The indentation of the zone's children (the first one's), else two spaces more than `<zone>`. */
function xmlIndent(text: string, zoneStart: number, closeAt: number): string {
  const body = text.slice(zoneStart, closeAt);
  const m = /\n([ \t]+)</.exec(body);
  return m ? m[1] : `${indentAt(text, zoneStart)}  `;
}

