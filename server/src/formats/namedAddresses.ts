import { AddressSet } from '../net';

/** Names read per file at most: a module has a few dozen variables; a generated file may have thousands. */
export const MAX_NAMED_ADDRESSES = 500;

/**
 * The addresses a variable's or parameter's value stands for, when it is one
 * address or a list of them, all concrete (for ParsedFile.namedAddresses);
 * undefined for anything else. A netmask (255.255.255.0) reads as an address
 * but is none; 0.0.0.0 alone stands for "any" or "unset"; a /0 is everywhere.
 */
export function concreteAddressList(texts: readonly (string | undefined)[]): AddressSet | undefined {
  if (texts.length === 0 || texts.length > 256) return undefined;
  let set = AddressSet.none();
  for (const raw of texts) {
    const t = raw?.trim();
    if (!t || !/^[0-9a-fA-F:.]+(\/\d+)?$/.test(t) || /^(255\.|0\.0\.0\.0$)/.test(t)) return undefined;
    const parsed = AddressSet.parse(t);
    if (!parsed.ok || parsed.value.v4.isFull || parsed.value.v6.isFull || !parsed.value.isConcrete) return undefined;
    set = set.union(parsed.value);
  }
  return set.isEmpty ? undefined : set;
}
