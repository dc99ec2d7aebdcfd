/**
 * Host names a flow's destination is known by (the catalog's URLs for
 * Citrix Cloud services, `https://*.nssvc.net`) against the FQDNs a firewall
 * rule names. Azure Firewall's wildcard is a leading `*`, which matches
 * anything to its left, subdomains at any depth included (`*.nssvc.net`
 * holds `a.c.nssvc.net`); a name without one matches itself only. Names
 * compare without regard to case.
 */

/** `https://*.nssvc.net/path` → `*.nssvc.net`; undefined for what is not a URL with a host. */
export function hostOfUrl(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(url.trim());
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * The names a flow needs, narrowest first where the catalog lists a name and
 * narrower ones inside it ("*.nssvc.net, or *.c.nssvc.net and *.g.nssvc.net"):
 * the narrower ones are enough, so those are what a rule must cover.
 */
export function neededNames(urls: readonly string[]): string[] {
  const hosts = [...new Set(urls.map(hostOfUrl).filter((h): h is string => h !== undefined))];
  return hosts.filter((h) => !hosts.some((other) => other !== h && covers(h, other)));
}

/** Whether every host `name` stands for is matched by `pattern`. */
export function covers(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return true;
  if (!p.startsWith('*')) return false;
  // A name ending in the part after the `*` is held, wildcard or not (the `*` of a name is only ever its first
  // character). `*contoso.com` also matches the apex `contoso.com`; `*.contoso.com` does not: the apex lacks the dot.
  return n.endsWith(p.slice(1));
}

/** Two names that share a host: one holds the other (two wildcards share hosts only when one suffix ends the other). */
function overlaps(a: string, b: string): boolean {
  return covers(a, b) || covers(b, a);
}

/**
 * What a rule's FQDNs do to a flow known by these names: `all` (every name
 * the flow needs is matched), `none` (no host of the flow can match), `some`
 * (part of them, which the tool cannot tell apart by address).
 */
export function namesCoverage(patterns: readonly string[], needed: readonly string[]): 'all' | 'none' | 'some' {
  if (needed.every((n) => patterns.some((p) => covers(p, n)))) return 'all';
  if (patterns.every((p) => needed.every((n) => !overlaps(p, n)))) return 'none';
  return 'some';
}
