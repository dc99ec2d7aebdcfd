import type { ParsedFile, Rule, Span } from '../../model';

/**
 * How each format writes a rule's action, searched within the rule's own
 * text: the token a squiggle goes on when the rule has no name.
 */
const ACTION: Readonly<Record<ParsedFile['format'], RegExp>> = {
  terraform: /\baccess\s*=\s*"?(\w+)|^\s*(deny|allow)\s*\{/im,
  bicep: /\baccess\s*:\s*'?(\w+)/i,
  arm: /"access"\s*:\s*"(\w+)"/i,
  iptables: /(?:-j|--jump)\s+(\S+)/,
  nftables: /\b(accept|drop|reject)\b/,
  asa: /\b(permit|deny)\b/,
  'windows-firewall': /-Action\s+["']?(\w+)|\baction=(\w+)/i,
  // Security group rules only allow: the protocol is the token that says what the rule opens.
  cloudformation: /["']?IpProtocol["']?\s*:\s*["']?([\w-]+)/,
  netscaler: /\b(ALLOW|DENY|BRIDGE)\b/i,
  // Planned values are the provider's attributes, as in the .tf source.
  'terraform-plan': /"access"\s*:\s*"(\w+)"|"protocol"\s*:\s*"([\w-]+)"/i,
  // Azure's access, else the protocol an AWS permission or a GCP allowed/denied entry opens.
  'cloud-export': /"access"\s*:\s*"(\w+)"|"IpProtocol"\s*:\s*"([\w-]+)"|"IPProtocol"\s*:\s*"([\w-]+)"/i,
  // A zone's <accept/>, <reject/>, <drop/>; a service or port element allows by being there.
  firewalld: /<(accept|reject|drop)\b|\b(accept|reject|drop)\b|<(service|port)\b|--add-(service|port)\b/,
  ufw: /\b(allow|deny|reject|limit)\b/,
};

/**
 * The token of a rule that decides a finding: the rule's name where the
 * format has one (and it is written literally), else its action (`-j DROP`,
 * `access = "Deny"`, `deny`), else the rule's first line. Squiggles go
 * there instead of over a 15-line block; the whole rule is related
 * information.
 */
export function decidingToken(file: ParsedFile, rule: Rule): Span {
  const { start, end } = rule.span;
  const text = file.text.slice(start, end);
  if (rule.name) {
    const at = text.indexOf(rule.name);
    if (at >= 0 && rule.name.length > 0) return { start: start + at, end: start + at + rule.name.length };
  }
  const m = ACTION[file.format]?.exec(text);
  if (m) {
    const group = m.slice(1).findIndex((g) => g !== undefined);
    if (group >= 0) {
      const word = m[group + 1];
      const at = m.index + m[0].lastIndexOf(word);
      return { start: start + at, end: start + at + word.length };
    }
  }
  const lineEnd = text.search(/\r?\n/);
  return { start, end: lineEnd > 0 ? start + lineEnd : end };
}
