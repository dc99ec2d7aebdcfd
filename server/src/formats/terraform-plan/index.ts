import { LineIndex, type ParsedFile, type ParseOptions, type ParseProblem, type RuleSet, type Span } from '../../model';
import { member, parseJsonTolerant, type JsonNode } from '../arm/json';
import { cloudRuleSets } from '../terraform';

export { isTerraformShowJson } from './detect';
import type { Context, Resource } from '../terraform/common';
import type { HclAttribute, HclBlock, HclBody, HclExpr, TraversalStep } from '../terraform/hcl';
import { emptyDefinitions, Resolver } from '../terraform/resolve';

/**
 * `terraform show -json` of a plan (`planned_values`) or of the state
 * (`values`): every resource instance with the values Terraform computed,
 * modules expanded, `count` and `for_each` done, variables and data sources
 * read. The same cloud readers as for `.tf` read them, one module instance at
 * a time, so a rule set is named by its full address
 * (`module.citrix.aws_security_group.vda`).
 *
 * What the plan cannot know before apply (a new group's id) is absent from
 * the planned values; the configuration section says which resource it
 * refers to, and that reference is put in its place. A value that is another
 * resource's known id (`"sg-0abc…"`, in a state or an update plan) is read as
 * a reference to that resource.
 */
export function parseTerraformPlan(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const parsed = parseJsonTolerant(text);
  const problems: ParseProblem[] = [...parsed.problems];
  const done = (ruleSets: RuleSet[]): ParsedFile => ({ uri, format: 'terraform-plan', text, ruleSets, problems: problems.sort((a, b) => a.span.start - b.span.start), comments: [] });
  const root = parsed.root;
  if (!root) return done([]);
  const kind = member(root, 'planned_values') ? 'plan' : 'state';
  const rootModule = member(member(root, kind === 'plan' ? 'planned_values' : 'values'), 'root_module');
  if (!rootModule) {
    problems.push({ code: 'unparsed-rule', severity: 'info', span: { start: 0, end: Math.min(text.length, 1) }, message: 'no planned_values.root_module (or values.root_module): nothing to read' });
    return done([]);
  }
  const config = configurationIndex(member(member(root, 'configuration'), 'root_module'));
  const modules: PlanModule[] = [];
  collectModules(rootModule, modules, problems);
  const idOwners = new Map<string, string>();
  for (const m of modules) {
    for (const r of m.resources) {
      const id = stringOf(member(r.values, 'id'));
      if (id) idOwners.set(`${m.address}\u0000${id}`, r.localAddress);
    }
  }
  const lines = LineIndex.of(text);
  const ruleSets: RuleSet[] = [];
  for (const m of modules) {
    if (m.resources.length === 0) continue;
    const conv = new PlanConverter(m, config.get(configKey(m.address)), idOwners);
    const resources: Resource[] = m.resources.map((r) => conv.resource(r));
    const ctx: Context = { text, lines, resolver: new Resolver(text, emptyDefinitions()), problems, resources };
    for (const rs of cloudRuleSets(ctx)) ruleSets.push(inModule(rs, m.address, kind));
  }
  return done(ruleSets);
}

interface PlanResource {
  readonly node: JsonNode;
  readonly type: string;
  readonly name: string;
  /** Address inside its module: `aws_security_group.vda`, `aws_security_group.vda["a"]`. */
  readonly localAddress: string;
  readonly index?: string | number;
  readonly values: JsonNode | undefined;
}

interface PlanModule {
  /** `''` for the root module, else `module.net`, `module.net["a"].module.sg`. */
  readonly address: string;
  readonly resources: readonly PlanResource[];
}

function stringOf(n: JsonNode | undefined): string | undefined {
  return n?.type === 'string' ? n.value : undefined;
}

function itemsOf(n: JsonNode | undefined): readonly JsonNode[] {
  return n?.type === 'array' ? n.items : [];
}

function collectModules(node: JsonNode, out: PlanModule[], problems: ParseProblem[], depth = 0): void {
  if (depth > 64) {
    problems.push({ code: 'limit', severity: 'warning', span: node.span, message: 'modules nested deeper than 64 levels are not read' });
    return;
  }
  const address = stringOf(member(node, 'address')) ?? '';
  const resources: PlanResource[] = [];
  for (const r of itemsOf(member(node, 'resources'))) {
    if (stringOf(member(r, 'mode')) === 'data') continue;
    const type = stringOf(member(r, 'type'));
    const name = stringOf(member(r, 'name'));
    if (!type || !name) {
      problems.push({ code: 'unparsed-rule', severity: 'warning', span: r.span, message: 'a resource without type or name; not read' });
      continue;
    }
    const indexNode = member(r, 'index');
    const index = indexNode?.type === 'string' || indexNode?.type === 'number' ? indexNode.value : undefined;
    const suffix = index === undefined ? '' : `[${JSON.stringify(index)}]`;
    resources.push({ node: r, type, name, localAddress: `${type}.${name}${suffix}`, index, values: member(r, 'values') });
  }
  out.push({ address, resources });
  for (const child of itemsOf(member(node, 'child_modules'))) collectModules(child, out, problems, depth + 1);
}

/** Configuration expressions by module path (instance keys dropped: every instance of a module call shares its configuration). */
type ConfigIndex = Map<string, Map<string, JsonNode>>;

function configKey(moduleAddress: string): string {
  return moduleAddress.replace(/\[[^\]]*\]/g, '');
}

function configurationIndex(rootModule: JsonNode | undefined): ConfigIndex {
  const out: ConfigIndex = new Map();
  const walk = (mod: JsonNode | undefined, path: string, depth: number): void => {
    if (!mod || depth > 64) return;
    const here = new Map<string, JsonNode>();
    for (const r of itemsOf(member(mod, 'resources'))) {
      const address = stringOf(member(r, 'address'));
      const expressions = member(r, 'expressions');
      if (address && expressions) here.set(address, expressions);
    }
    out.set(path, here);
    const calls = member(mod, 'module_calls');
    if (calls?.type === 'object') for (const c of calls.props) walk(member(c.value, 'module'), `${path ? `${path}.` : ''}module.${c.key}`, depth + 1);
  };
  walk(rootModule, '', 0);
  return out;
}

/** The rule set as the plan names it: the module path in front of the address, and where a change belongs. */
function inModule(rs: RuleSet, moduleAddress: string, kind: 'plan' | 'state'): RuleSet {
  const prefix = moduleAddress ? `${moduleAddress}.` : '';
  return {
    ...rs,
    id: `${prefix}${rs.id}`,
    name: `${prefix}${rs.name}`,
    format: 'terraform-plan',
    meta: { ...rs.meta, exportedFrom: kind === 'plan' ? 'terraform-plan' : 'terraform-state', address: `${prefix}${rs.id}`, ...(moduleAddress ? { module: moduleAddress } : {}) },
  };
}

/** A resource's planned values as the HCL picture the cloud readers take, references put back where values are unknown. */
class PlanConverter {
  constructor(
    private readonly module: PlanModule,
    private readonly config: Map<string, JsonNode> | undefined,
    private readonly idOwners: ReadonlyMap<string, string>,
  ) {}

  resource(r: PlanResource): Resource {
    const values = r.values?.type === 'object' ? r.values : undefined;
    const expressions = this.config?.get(`${r.type}.${r.name}`);
    const items: (HclAttribute | HclBlock)[] = [];
    const seen = new Set<string>();
    for (const p of values?.props ?? []) {
      if (!p.value) continue;
      seen.add(p.key);
      const blocks = p.value.type === 'array' && p.value.items.length > 0 && p.value.items.every((i) => i.type === 'object') ? p.value.items : undefined;
      if (blocks && !LIST_ATTRIBUTES.has(p.key)) {
        for (const b of blocks) items.push(this.block(p.key, b, member(expressions, p.key), r));
        continue;
      }
      if (p.value.type === 'null') {
        const ref = this.reference(member(expressions, p.key), r, p.span);
        if (ref) items.push(attr(p.key, p.keySpan, ref, p.span));
        continue;
      }
      items.push(attr(p.key, p.keySpan, this.expr(p.value, r), p.span));
    }
    // Unknown after apply: absent from the planned values, named in the configuration.
    if (expressions?.type === 'object') {
      for (const e of expressions.props) {
        if (seen.has(e.key) || !e.value) continue;
        const ref = this.reference(e.value, r, r.node.span);
        if (ref) items.push(attr(e.key, e.keySpan, ref, r.node.span));
      }
    }
    const typeSpan = member(r.node, 'type')?.span ?? r.node.span;
    const nameSpan = member(r.node, 'address')?.span ?? r.node.span;
    const block: HclBlock = {
      kind: 'block',
      type: 'resource',
      typeSpan,
      labels: [
        { value: r.type, span: typeSpan },
        { value: r.localAddress.slice(r.type.length + 1), span: nameSpan },
      ],
      body: { items },
      span: r.node.span,
      hasError: false,
    };
    return { type: r.type, name: r.name, address: r.localAddress, block };
  }

  private block(type: string, node: JsonNode & { type: 'object' }, expressions: JsonNode | undefined, r: PlanResource): HclBlock {
    // A nested block's configuration is a list of one expression object per block; only a single one can be matched to its values.
    const config = expressions?.type === 'array' && expressions.items.length === 1 ? expressions.items[0] : undefined;
    const items: (HclAttribute | HclBlock)[] = [];
    for (const p of node.props) {
      if (!p.value) continue;
      if (p.value.type === 'null') {
        const ref = this.reference(member(config, p.key), r, p.span);
        if (ref) items.push(attr(p.key, p.keySpan, ref, p.span));
        continue;
      }
      items.push(attr(p.key, p.keySpan, this.expr(p.value, r), p.span));
    }
    const body: HclBody = { items };
    return { kind: 'block', type, typeSpan: { start: node.span.start, end: node.span.start + 1 }, labels: [], body, span: node.span, hasError: false };
  }

  /** A planned value; a string that is another resource's id in this module becomes a reference to it. */
  private expr(n: JsonNode, r: PlanResource): HclExpr {
    switch (n.type) {
      case 'string': {
        const owner = this.idOwners.get(`${this.module.address}\u0000${n.value}`);
        if (owner && owner !== r.localAddress) return traversalTo(owner, 'id', n.span);
        return { kind: 'literal', value: n.value, span: n.span };
      }
      case 'number':
      case 'boolean':
        return { kind: 'literal', value: n.value, span: n.span };
      case 'null':
        return { kind: 'literal', value: null, span: n.span };
      case 'array':
        return { kind: 'tuple', items: n.items.map((i) => this.expr(i, r)), span: n.span };
      case 'object':
        return { kind: 'object', entries: n.props.filter((p) => p.value).map((p) => ({ key: { kind: 'literal', value: p.key, span: p.keySpan } as HclExpr, value: this.expr(p.value!, r) })), span: n.span };
    }
  }

  /**
   * `{"references": ["aws_security_group.vda.id", "aws_security_group.vda"]}`:
   * the first managed resource of this module it names, as a traversal, so
   * the readers join a rule to its group exactly as in the .tf source.
   */
  private reference(expression: JsonNode | undefined, r: PlanResource, span: Span): HclExpr | undefined {
    for (const ref of itemsOf(member(expression, 'references'))) {
      const text = stringOf(ref);
      const m = text && /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/.exec(text);
      if (!m || ['var', 'local', 'module', 'data', 'each', 'count', 'path', 'terraform', 'self'].includes(m[1]!)) continue;
      const instances = this.module.resources.filter((x) => x.type === m[1] && x.name === m[2]);
      // count/for_each instances: the one with the referencing resource's own key (`aws_security_group.vda[count.index]`), or the only one.
      const target = instances.length === 1 ? instances[0] : instances.find((x) => x.index !== undefined && x.index === r.index);
      if (!target) continue;
      return traversalTo(target.localAddress, m[3] ?? 'id', span);
    }
    return undefined;
  }
}

/** Attributes providers take as lists of objects that are not blocks (none the readers meet are known yet). */
const LIST_ATTRIBUTES = new Set<string>(['tags', 'tags_all']);

function attr(name: string, nameSpan: Span, expr: HclExpr, span: Span): HclAttribute {
  return { kind: 'attribute', name, nameSpan, expr, span };
}

/** `aws_security_group.vda["a"].id` as the traversal the resolver turns into a reference. */
function traversalTo(localAddress: string, attribute: string, span: Span): HclExpr {
  const m = /^([^.]+)\.([^[]+)(?:\[(.*)\])?$/.exec(localAddress);
  const steps: TraversalStep[] = [{ kind: 'attr', name: m?.[2] ?? localAddress, span }];
  if (m?.[3] !== undefined) {
    const key = JSON.parse(m[3]) as string | number;
    steps.push({ kind: 'index', key: { kind: 'literal', value: key, span }, span });
  }
  steps.push({ kind: 'attr', name: attribute, span });
  return { kind: 'traversal', root: m?.[1] ?? localAddress, rootSpan: span, steps, span };
}
