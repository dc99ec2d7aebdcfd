import type { AllowRuleEmitter } from '../../model';
import { addressPlan, eolOf, Insertions, lineStartAt } from '../emitSupport';

/**
 * Writes `ufw allow …` lines in the full form (`ufw allow proto tcp from A
 * to any port P`), one per source network and protocol, with a `# Citrix: …`
 * comment above:
 * - before the ufw rule that denies the flow, where the script's rules are
 *   added in the order written (ufw checks them first match in that order);
 *   where `insert`, `prepend` or `delete NUM` reorder them, after that rule
 *   as `ufw insert N …`, N being its place once its own line has run;
 * - after the last rule otherwise (the default policy denies it).
 * The host's own address is not written (`to any`, or `from any` going
 * out). A peer whose addresses are not declared is never written as any.
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
    if (rs.kind !== 'ufw') {
      errors.push(`${rs.name} is not a ufw rule list`);
      continue;
    }
    if (r.reply) {
      errors.push('ufw keeps state: replies pass without a rule');
      continue;
    }
    const inbound = r.direction === 'inbound';
    const peer = addressPlan(inbound ? r.source : r.destination);
    const far = r.direction === 'forward' ? addressPlan(r.destination) : undefined;
    const symbols = [...peer.symbols, ...(far?.symbols ?? [])];
    if (symbols.length) {
      errors.push(`the addresses of ${symbols.map((s) => s.name.replace(/^role:/, '')).join(', ')} are not declared: declare them in citrix-flows.yaml (roles:) to write this rule (ufw has no placeholder, and "any" would open more than the flow needs)`);
      continue;
    }
    const protocols = r.protocols.filter((p) => p !== 'icmp');
    if (protocols.length === 0) {
      errors.push('ufw rules do not take ICMP (its before.rules accept echo requests and errors)');
      continue;
    }
    const peers = peer.any ? ['any'] : [...peer.cidrs4, ...peer.cidrs6].map((a) => a.replace(/\/(32|128)$/, ''));
    const fars = far ? (far.any ? ['any'] : [...far.cidrs4, ...far.cidrs6].map((a) => a.replace(/\/(32|128)$/, ''))) : ['any'];
    const ports = r.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`));
    // ufw's multiport match takes up to 15 ports, a range counting as two.
    const chunks: string[][] = [];
    let cur: string[] = [];
    let weight = 0;
    for (const p of ports) {
      const w = p.includes(':') ? 2 : 1;
      if (weight + w > 15) {
        chunks.push(cur);
        cur = [];
        weight = 0;
      }
      cur.push(p);
      weight += w;
    }
    if (cur.length) chunks.push(cur);
    const before = r.before && !r.before.implicit && rs.rules.includes(r.before) && r.before.target.kind === 'deny' ? r.before : undefined;
    const reordered = rs.meta?.reordered === 'true';
    const prefix = rs.meta?.prefix ?? 'ufw';
    const position = before?.meta?.position;
    const verb = before && reordered && position ? `insert ${position} allow` : 'allow';
    const route = r.direction === 'forward' ? 'route ' : '';
    const dirWord = r.direction === 'outbound' ? 'out ' : '';
    let out = `# ${r.comment.replace(/[\r\n]+/g, ' ')}${eol}`;
    for (const a of peers) {
      for (const b of fars) {
        for (const proto of protocols) {
          for (const chunk of chunks) {
            const from = inbound ? a : r.direction === 'forward' ? a : 'any';
            const to = inbound ? 'any' : r.direction === 'forward' ? b : a;
            out += `${prefix} ${route}${verb} ${dirWord}proto ${proto} from ${from} to ${to} port ${chunk.join(',')}${eol}`;
          }
        }
      }
    }
    let at: number;
    if (before && !reordered) at = lineStartAt(text, before.span.start);
    else if (before) at = nextLine(text, before.span.end);
    else {
      const last = Number(rs.meta?.lastRuleEnd ?? -1);
      at = last >= 0 ? nextLine(text, last) : text.length;
    }
    const lead = at === text.length && text.length > 0 && !text.endsWith('\n') ? eol : '';
    ins.add(at, lead + out);
  }
  if (ins.isEmpty) return { error: errors.join('; ') || 'nothing to write' };
  return { edits: ins.edits(file.uri) };
};

function nextLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}
