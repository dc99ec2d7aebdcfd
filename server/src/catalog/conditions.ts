import type { Condition } from './types';

const VERSION = /^version:([a-z0-9-]+?)(<=|>=|<|>|=)([0-9]+(?:\.[0-9]+)*)$/;

/** Parses a flow condition string; undefined for one the schema would reject. */
export function parseCondition(text: string): Condition | undefined {
  if (text === 'optional') return { kind: 'optional' };
  if (text.startsWith('feature:') && text.length > 8) return { kind: 'feature', feature: text.slice(8) };
  const m = VERSION.exec(text);
  if (m) return { kind: 'version', product: m[1], op: m[2] as '<=' | '>=' | '<' | '>' | '=', version: m[3] };
  return undefined;
}
