import type { Span } from '../../model';
import type { JsonNode } from '../arm/json';

/**
 * CloudFormation values as far as a template alone decides them: literals,
 * parameter defaults, mappings and conditions are followed; a resource
 * reference stays a reference (security groups are joined by it); whatever
 * only the deployment knows (pseudo parameters, parameters without a
 * default, imports, SSM parameters, other stacks' outputs) is unknown with a
 * reason.
 */
export type CfnValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly CfnValue[] }
  | { readonly kind: 'ref'; readonly logicalId: string; readonly attribute?: string; readonly text: string }
  | { readonly kind: 'unknown'; readonly reason: string; readonly text: string }
  /** `Ref: AWS::NoValue`: the property is as if not written. */
  | { readonly kind: 'novalue' };

export interface Template {
  readonly text: string;
  readonly parameters: ReadonlyMap<string, JsonNode>;
  readonly mappings?: JsonNode;
  readonly conditions: ReadonlyMap<string, JsonNode>;
  readonly resources: ReadonlyMap<string, JsonNode>;
}

const MAX_DEPTH = 64;

export function textOf(t: Template, span: Span): string {
  const s = t.text.slice(span.start, span.end).replace(/\s+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function reasonOf(v: CfnValue): string {
  switch (v.kind) {
    case 'unknown':
      return v.reason;
    case 'ref':
      return `${v.text} refers to resource ${v.logicalId}, known only once deployed`;
    case 'list':
      return 'a list where one value is expected';
    case 'novalue':
      return 'AWS::NoValue';
    default:
      return 'not resolved';
  }
}

export function asString(v: CfnValue): string | undefined {
  return v.kind === 'string' ? v.value : undefined;
}

/** Intrinsic function of a node, when it is one (`{ "Ref": … }`, `{ "Fn::Sub": … }`). */
export function intrinsicOf(node: JsonNode): { name: string; arg: JsonNode } | undefined {
  if (node.type !== 'object' || node.props.length !== 1) return undefined;
  const p = node.props[0];
  if ((p.key === 'Ref' || p.key === 'Condition' || p.key.startsWith('Fn::')) && p.value) return { name: p.key, arg: p.value };
  return undefined;
}

export class Resolver {
  private readonly paramCache = new Map<string, CfnValue>();
  private readonly conditionCache = new Map<string, boolean | undefined>();
  private readonly active = new Set<string>();

  constructor(private readonly t: Template) {}

  resolve(node: JsonNode | undefined, depth = 0): CfnValue {
    if (!node) return { kind: 'novalue' };
    const text = textOf(this.t, node.span);
    if (depth > MAX_DEPTH) return { kind: 'unknown', reason: 'nested too deeply to follow', text };
    switch (node.type) {
      case 'string':
        return { kind: 'string', value: node.value };
      case 'number':
        return { kind: 'string', value: String(node.value) };
      case 'boolean':
        return { kind: 'string', value: String(node.value) };
      case 'null':
        return { kind: 'novalue' };
      case 'array':
        return { kind: 'list', items: node.items.map((i) => this.resolve(i, depth + 1)).filter((v) => v.kind !== 'novalue') };
      case 'object': {
        const fn = intrinsicOf(node);
        if (!fn) return { kind: 'unknown', reason: 'an object where a value is expected', text };
        return this.intrinsic(fn.name, fn.arg, text, depth + 1);
      }
    }
  }

  private intrinsic(name: string, arg: JsonNode, text: string, depth: number): CfnValue {
    const unknown = (reason: string): CfnValue => ({ kind: 'unknown', reason, text });
    const args = (): readonly JsonNode[] => (arg.type === 'array' ? arg.items : []);
    switch (name) {
      case 'Ref': {
        const id = this.resolve(arg, depth);
        if (id.kind !== 'string') return unknown(`Ref of ${reasonOf(id)}`);
        return this.ref(id.value, text);
      }
      case 'Fn::GetAtt': {
        const parts = arg.type === 'array' ? args().map((a) => asString(this.resolve(a, depth))) : [];
        if (parts.length !== 2 || parts.some((p) => p === undefined)) return unknown('Fn::GetAtt needs a resource and an attribute');
        const [id, attribute] = parts as string[];
        if (!this.t.resources.has(id)) return unknown(`Fn::GetAtt: no resource ${id} in this template`);
        return { kind: 'ref', logicalId: id, attribute, text };
      }
      case 'Fn::Sub': {
        let template: CfnValue;
        const vars = new Map<string, CfnValue>();
        if (arg.type === 'array') {
          template = this.resolve(args()[0], depth);
          const map = args()[1];
          if (map?.type === 'object') for (const p of map.props) vars.set(p.key, this.resolve(p.value, depth));
        } else template = this.resolve(arg, depth);
        if (template.kind !== 'string') return unknown(`Fn::Sub of ${reasonOf(template)}`);
        let failed: string | undefined;
        const out = template.value.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang: string, inner: string) => {
          if (bang) return `\${${inner}}`;
          const key = inner.trim();
          let v = vars.get(key);
          if (!v) {
            const dot = key.indexOf('.');
            v = dot > 0 ? (this.t.resources.has(key.slice(0, dot)) ? { kind: 'ref', logicalId: key.slice(0, dot), attribute: key.slice(dot + 1), text: whole } : { kind: 'unknown', reason: `\${${key}} is not in this template`, text: whole }) : this.ref(key, whole);
          }
          if (v.kind === 'string') return v.value;
          failed ??= `\${${key}}: ${reasonOf(v)}`;
          return whole;
        });
        return failed ? unknown(`Fn::Sub ${failed}`) : { kind: 'string', value: out };
      }
      case 'Fn::Join': {
        const [sep, list] = args();
        const s = this.resolve(sep, depth);
        const l = this.resolve(list, depth);
        if (s.kind !== 'string') return unknown(`Fn::Join separator: ${reasonOf(s)}`);
        if (l.kind !== 'list') return unknown(`Fn::Join list: ${reasonOf(l)}`);
        const bad = l.items.find((i) => i.kind !== 'string');
        if (bad) return unknown(`Fn::Join item: ${reasonOf(bad)}`);
        return { kind: 'string', value: l.items.map((i) => (i as { value: string }).value).join(s.value) };
      }
      case 'Fn::Select': {
        const [index, list] = args();
        const i = this.resolve(index, depth);
        const l = this.resolve(list, depth);
        if (i.kind !== 'string' || !/^\d+$/.test(i.value)) return unknown(`Fn::Select index: ${reasonOf(i)}`);
        if (l.kind !== 'list') return unknown(`Fn::Select list: ${reasonOf(l)}`);
        const item = l.items[Number(i.value)];
        return item ?? unknown(`Fn::Select: index ${i.value} is past the end of the list`);
      }
      case 'Fn::Split': {
        const [sep, str] = args();
        const s = this.resolve(sep, depth);
        const v = this.resolve(str, depth);
        if (s.kind !== 'string' || v.kind !== 'string') return unknown(`Fn::Split of ${reasonOf(s.kind !== 'string' ? s : v)}`);
        return { kind: 'list', items: v.value.split(s.value).map((value) => ({ kind: 'string' as const, value })) };
      }
      case 'Fn::FindInMap': {
        const [m, k1, k2] = args().map((a) => this.resolve(a, depth));
        const bad = [m, k1, k2].find((x) => !x || x.kind !== 'string');
        if (bad) return unknown(`Fn::FindInMap key: ${bad ? reasonOf(bad) : 'missing'}`);
        const map = member(this.t.mappings, (m as { value: string }).value);
        const top = member(map, (k1 as { value: string }).value);
        const leaf = member(top, (k2 as { value: string }).value);
        if (!leaf) return unknown(`Fn::FindInMap: no ${(m as { value: string }).value}.${(k1 as { value: string }).value}.${(k2 as { value: string }).value} in Mappings`);
        return this.resolve(leaf, depth);
      }
      case 'Fn::If': {
        const [cond, yes, no] = args();
        const c = this.resolve(cond, depth);
        if (c.kind !== 'string') return unknown(`Fn::If condition: ${reasonOf(c)}`);
        const holds = this.condition(c.value);
        if (holds === undefined) return unknown(`Fn::If: condition ${c.value} is known only at deployment`);
        return this.resolve(holds ? yes : no, depth);
      }
      case 'Fn::ImportValue':
        return unknown('Fn::ImportValue: exported by another stack');
      case 'Fn::GetAZs':
        return unknown('Fn::GetAZs: known only at deployment');
      case 'Fn::Cidr':
        return unknown('Fn::Cidr is not evaluated');
      case 'Fn::Base64':
        return this.resolve(arg, depth);
      default:
        return unknown(`${name} is not evaluated`);
    }
  }

  /** The Default of a parameter when CloudFormation would refuse it (not among its AllowedValues). */
  refusedDefault(id: string): string | undefined {
    const p = this.t.parameters.get(id);
    const def = p ? this.resolve(member(p, 'Default')) : undefined;
    return p && def?.kind === 'string' && this.disallowed(p, def.value) ? def.value : undefined;
  }

  /** Whether the parameter lists AllowedValues (all literal) and `value` is not one of them. */
  private disallowed(p: JsonNode, value: string): boolean {
    const allowed = this.resolve(member(p, 'AllowedValues'));
    if (allowed.kind !== 'list' || !allowed.items.length) return false;
    const values = allowed.items.map(asString);
    return values.every((x) => x !== undefined) && !values.includes(value);
  }

  /**
   * A parameter without a Default is chosen at deployment, but only among its
   * AllowedValues: one allowed value is the value; several are named in the
   * reason, so the finding says what the choice is between.
   */
  private allowedOnly(id: string, p: JsonNode, type: string | undefined, text: string): CfnValue {
    const allowed = this.resolve(member(p, 'AllowedValues'));
    const values = allowed.kind === 'list' ? allowed.items.map(asString) : [];
    if (!values.length || values.some((x) => x === undefined)) return { kind: 'unknown', reason: `parameter ${id} has no Default`, text };
    const listType = type === 'CommaDelimitedList' || type?.startsWith('List<');
    if (values.length === 1 && !listType) return { kind: 'string', value: values[0] as string };
    const shown = values.slice(0, 6).join(', ') + (values.length > 6 ? `, … (${values.length} in all)` : '');
    return { kind: 'unknown', reason: `parameter ${id} has no Default; it is one of its AllowedValues (${shown}), chosen at deployment`, text };
  }

  /** A parameter's value (its Default, read as the parameter's Type says), or undefined when none is declared. */
  parameterValue(id: string): CfnValue | undefined {
    const p = this.t.parameters.get(id);
    return p ? this.parameter(id, p, id) : undefined;
  }

  private ref(id: string, text: string): CfnValue {
    if (id === 'AWS::NoValue') return { kind: 'novalue' };
    if (id.startsWith('AWS::')) return { kind: 'unknown', reason: `${id} is known only at deployment`, text };
    if (this.t.resources.has(id)) return { kind: 'ref', logicalId: id, text };
    const p = this.t.parameters.get(id);
    if (!p) return { kind: 'unknown', reason: `Ref ${id}: no parameter or resource of that name in this template`, text };
    return this.parameter(id, p, text);
  }

  private parameter(id: string, p: JsonNode, text: string): CfnValue {
    const cached = this.paramCache.get(id);
    if (cached) return cached;
    const type = asString(this.resolve(member(p, 'Type')));
    const def = member(p, 'Default');
    let v: CfnValue;
    if (type?.startsWith('AWS::SSM::Parameter')) v = { kind: 'unknown', reason: `parameter ${id} is read from SSM Parameter Store at deployment`, text };
    else if (!def) v = this.allowedOnly(id, p, type, text);
    else {
      const d = this.resolve(def);
      if (d.kind === 'string' && (type === 'CommaDelimitedList' || type?.startsWith('List<'))) v = { kind: 'list', items: d.value.split(',').map((s) => ({ kind: 'string' as const, value: s.trim() })) };
      else if (d.kind === 'string' && d.value === '' && type?.startsWith('AWS::')) v = { kind: 'unknown', reason: `parameter ${id} has an empty Default`, text };
      else if (d.kind === 'string' && this.disallowed(p, d.value)) {
        // CloudFormation refuses a Default outside AllowedValues: a deployment must pass one of them.
        const chosen = this.allowedOnly(id, p, type, text);
        v = chosen.kind === 'unknown' ? { ...chosen, reason: `${chosen.reason.replace(/ has no Default;/, `'s Default "${d.value}" is not among its AllowedValues, which CloudFormation refuses;`)}` } : chosen;
      } else v = d;
    }
    this.paramCache.set(id, v);
    return v;
  }

  /** A named condition: true, false, or undefined when only the deployment decides. */
  condition(name: string): boolean | undefined {
    if (this.conditionCache.has(name)) return this.conditionCache.get(name);
    if (this.active.has(name)) return undefined;
    this.active.add(name);
    const node = this.t.conditions.get(name);
    const v = node ? this.evalCondition(node, 0) : undefined;
    this.active.delete(name);
    this.conditionCache.set(name, v);
    return v;
  }

  private evalCondition(node: JsonNode, depth: number): boolean | undefined {
    if (depth > MAX_DEPTH) return undefined;
    if (node.type === 'boolean') return node.value;
    const fn = intrinsicOf(node);
    if (!fn) return undefined;
    const items = fn.arg.type === 'array' ? fn.arg.items : [];
    switch (fn.name) {
      case 'Condition': {
        const n = asString(this.resolve(fn.arg));
        return n === undefined ? undefined : this.condition(n);
      }
      case 'Fn::Equals': {
        const [a, b] = items.map((i) => this.resolve(i, depth + 1));
        if (a?.kind !== 'string' || b?.kind !== 'string') return undefined;
        return a.value === b.value;
      }
      case 'Fn::Not': {
        const v = items[0] ? this.evalCondition(items[0], depth + 1) : undefined;
        return v === undefined ? undefined : !v;
      }
      case 'Fn::And': {
        const vs = items.map((i) => this.evalCondition(i, depth + 1));
        if (vs.some((v) => v === false)) return false;
        return vs.every((v) => v === true) ? true : undefined;
      }
      case 'Fn::Or': {
        const vs = items.map((i) => this.evalCondition(i, depth + 1));
        if (vs.some((v) => v === true)) return true;
        return vs.every((v) => v === false) ? false : undefined;
      }
      default:
        return undefined;
    }
  }
}

export function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object') return undefined;
  for (let i = node.props.length - 1; i >= 0; i--) if (node.props[i].key === key) return node.props[i].value;
  return undefined;
}
