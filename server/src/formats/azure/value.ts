import type { Span } from '../../model';

/**
 * A value from an IaC template after literal resolution, with the place it
 * was written. Bicep and ARM (and, through an adapter, Terraform) produce
 * these, so the NSG normalisation is written once.
 */
export type Val =
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'number'; readonly value: number; readonly span: Span }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'null'; readonly span: Span }
  | { readonly kind: 'array'; readonly items: readonly Val[]; readonly span: Span }
  | { readonly kind: 'object'; readonly props: ReadonlyMap<string, Val>; readonly span: Span }
  /** A reference to a resource (`nsg.id`, `resourceId(type, name)`): identity without a literal value. */
  | { readonly kind: 'ref'; readonly resourceType?: string; readonly name?: string; readonly symbol?: string; readonly text: string; readonly span: Span }
  /** Could not be resolved to a literal; `text` is the expression as written. */
  | { readonly kind: 'unknown'; readonly text: string; readonly reason: string; readonly span: Span };

export const unknownVal = (text: string, reason: string, span: Span): Val => ({ kind: 'unknown', text, reason, span });

/** Same value, reported at another place (a reference to a variable points at the reference, not the definition). */
export function respan(v: Val, span: Span): Val {
  return { ...v, span } as Val;
}

/** Case-insensitive property lookup: ARM and Bicep property names are case-insensitive on the wire. */
export function prop(v: Val | undefined, name: string): Val | undefined {
  if (!v || v.kind !== 'object') return undefined;
  const exact = v.props.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const [k, val] of v.props) if (k.toLowerCase() === lower) return val;
  return undefined;
}

/** A scalar as text (numbers and booleans as written in JSON), or undefined when not a literal scalar. */
export function scalarText(v: Val | undefined): string | undefined {
  if (!v) return undefined;
  if (v.kind === 'string') return v.value;
  if (v.kind === 'number') return String(v.value);
  if (v.kind === 'boolean') return String(v.value);
  return undefined;
}

/** Plain JSON for a fully literal value; undefined if anything inside is unknown or a reference. */
export function toPlain(v: Val): unknown {
  switch (v.kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return v.value;
    case 'null':
      return null;
    case 'array': {
      const out: unknown[] = [];
      for (const i of v.items) {
        const p = toPlain(i);
        if (p === undefined) return undefined;
        out.push(p);
      }
      return out;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, i] of v.props) {
        const p = toPlain(i);
        if (p === undefined) return undefined;
        out[k] = p;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** Text of a value for interpolation (`'${x}'`, `concat`), or undefined when it has none. */
export function interpolationText(v: Val): string | undefined {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number':
      return String(v.value);
    case 'boolean':
      return v.value ? 'True' : 'False';
    default:
      return undefined;
  }
}

/** `format('{0}-{1}', a, b)` with plain `{N}` holes only; anything fancier is not evaluated. */
export function simpleFormat(template: string, args: readonly string[]): string | undefined {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const close = template.indexOf('}', i);
      if (close < 0) return undefined;
      const inner = template.slice(i + 1, close);
      if (!/^\d{1,2}$/.test(inner)) return undefined;
      const arg = args[Number(inner)];
      if (arg === undefined) return undefined;
      out += arg;
      i = close;
    } else if (c === '}') {
      if (template[i + 1] === '}') i++;
      out += '}';
    } else out += c;
  }
  return out;
}

/** A value that is one address text or a list of them, as texts (for ParsedFile.namedAddresses); undefined otherwise. */
export function addressTexts(v: Val): (string | undefined)[] | undefined {
  if (v.kind === 'string') return [v.value];
  if (v.kind === 'array') return v.items.map((i) => (i.kind === 'string' ? i.value : undefined));
  return undefined;
}
