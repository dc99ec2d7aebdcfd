import { LineIndex, type NamedAddresses, type ParseOptions, type ParsedFile, type ParseProblem, type RuleSet, type Span } from '../../model';
import type { AddressSet } from '../../net';
import { concreteAddressList, MAX_NAMED_ADDRESSES } from '../namedAddresses';
import { incrementalTreesOf, isTreeSitterReady } from '../treeSitter';
import { awsRuleSets } from './aws';
import { awsNaclRuleSets } from './awsNacl';
import { azureModuleNetworks, azureRuleSets } from './azure';
import { attachFirewallRoutes, azureFirewallRuleSets } from './azureFirewall';
import { resourceInstances, scalar, type Context, type Resource } from './common';
import { SubnetPlacementBuilder, withGuardedNetworks, withSubnetStages } from '../aws/subnetStages';
import { gcpRuleSets } from './gcp';
import { parseHclFast } from './fastHcl';
import { isTerraformJsonFile, parseTerraformJson } from './json';
import { attribute, blocksOf, keepDocumentTree, parseHclWithTreeSitter, type HclBody } from './hcl';
import { collectDefinitions, readSiblings, Resolver, type ModuleDefinitions, type Value } from './resolve';

export { parseHcl } from './hcl';
export { isTerraformJsonFile, parseTerraformJson } from './json';

/**
 * Terraform security rules (AWS security groups and network ACLs, Azure
 * NSGs and Azure Firewall rule collections, GCP firewall rules) →
 * RuleSets. Needs `await initTreeSitter()` once beforehand; after
 * that it is synchronous and never throws: what it cannot read becomes a
 * ParseProblem and parsing goes on.
 */
export function parseTerraform(text: string, uri: string, options?: ParseOptions): ParsedFile {
  const problems: ParseProblem[] = [];
  const empty = (message: string): ParsedFile => ({
    uri,
    format: 'terraform',
    text,
    ruleSets: [],
    problems: [{ code: 'syntax-error', severity: 'error', span: { start: 0, end: Math.min(text.length, 1) }, message }],
    comments: [],
  });
  if (!isTreeSitterReady()) return empty('the Terraform parser is not initialised yet (tree-sitter is still loading)');
  let doc;
  const trees = incrementalTreesOf(options?.reuse);
  try {
    if (isTerraformJsonFile(uri)) doc = parseTerraformJson(text);
    else {
      // The tree-sitter route keeps an open document's tree itself; the direct one asks for it to be kept.
      const fast = parseHclFast(text);
      if (fast && trees) keepDocumentTree(text, trees);
      doc = fast ?? parseHclWithTreeSitter(text, true, trees);
    }
  } catch (e) {
    return empty(`the Terraform parser failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  problems.push(...doc.problems);

  const resources: Resource[] = [];
  for (const b of blocksOf(doc.body, 'resource')) {
    const [type, name] = b.labels;
    if (!type || !name) continue;
    resources.push({ type: type.value, name: name.value, address: `${type.value}.${name.value}`, block: b });
  }

  const defs = collectDefinitions(doc.body, text);
  try {
    readSiblings(options?.siblingFiles, uri, defs);
  } catch {
    // Sibling files only add values; without them the values stay unknown.
  }
  const ctx: Context = { text, lines: LineIndex.of(text), resolver: new Resolver(text, defs), problems, resources, memo: trees?.memo };

  const ruleSets = cloudRuleSets(ctx).map((rs) => withValueOrigins(rs, ctx.resolver));
  problems.sort((a, b) => a.span.start - b.span.start);
  const named = namedAddresses(doc.body, defs, ctx.resolver);
  let networks: ReturnType<typeof azureModuleNetworks>;
  try {
    networks = azureModuleNetworks(ctx);
  } catch {
    // Placement across files only adds where rule sets sit; without it each file's own associations still hold.
  }
  return {
    uri,
    format: 'terraform',
    text,
    ruleSets,
    problems,
    comments: [...doc.comments].sort((a, b) => a.span.start - b.span.start),
    ...(named.length ? { namedAddresses: named } : {}),
    ...(networks ? { moduleNetworks: networks } : {}),
  };
}

/**
 * The variables (their tfvars value, else their default) and locals declared
 * in this file whose value is one address or a list of them, all concrete.
 */
function namedAddresses(body: HclBody, defs: ModuleDefinitions, resolver: Resolver): NamedAddresses[] {
  const out: NamedAddresses[] = [];
  for (const b of blocksOf(body, 'variable')) {
    const label = b.labels[0];
    if (!label || out.length >= MAX_NAMED_ADDRESSES) continue;
    const fromTfvars = defs.tfvars.get(label.value);
    const given = fromTfvars?.value && !fromTfvars.ambiguous ? fromTfvars.value : undefined;
    const d = given ? undefined : attribute(b.body, 'default');
    const addresses = concreteAddresses(given ?? (d ? resolver.resolve(d.expr) : undefined));
    if (addresses) out.push({ name: label.value, kind: 'variable', addresses, span: label.span, ...(given ? { valueFrom: fromTfvars?.file } : {}) });
  }
  for (const b of blocksOf(body, 'locals')) {
    for (const item of b.body.items) {
      if (item.kind !== 'attribute' || out.length >= MAX_NAMED_ADDRESSES) continue;
      const addresses = concreteAddresses(resolver.resolve(item.expr));
      if (addresses) out.push({ name: item.name, kind: 'local', addresses, span: item.nameSpan });
    }
  }
  return out;
}

/** A string or list of strings that are all addresses (see concreteAddressList). */
function concreteAddresses(v: Value | undefined): AddressSet | undefined {
  if (!v) return undefined;
  if (v.kind === 'string') return concreteAddressList([v.value]);
  return v.kind === 'list' ? concreteAddressList(v.items.map((i) => (i.kind === 'string' ? i.value : undefined))) : undefined;
}

/**
 * A rule whose source or destination is written as one variable
 * (`source_address_prefix = var.rdp_sources`) says in its meta where the
 * value comes from (`sourceFrom`: `"*", the default of var.rdp_sources`), so a
 * finding can say which value decided and where to change it.
 */
function withValueOrigins(rs: RuleSet, resolver: Resolver): RuleSet {
  let changed = false;
  const rules = rs.rules.map((rule) => {
    const extra: Record<string, string> = {};
    for (const [field, key] of [[rule.source, 'sourceFrom'], [rule.destination, 'destinationFrom']] as const) {
      const name = /^\[?\s*var\.([A-Za-z_][\w-]*)\s*\]?$/.exec(field.text ?? '')?.[1];
      const origin = name ? resolver.variableOrigin(name) : undefined;
      if (origin) extra[key] = origin;
    }
    if (Object.keys(extra).length === 0) return rule;
    changed = true;
    return { ...rule, meta: { ...rule.meta, ...extra } };
  });
  return changed ? { ...rs, rules } : rs;
}

/** Every cloud's rule sets from the resources of one module; a reader that fails is reported, the others still read. */
export function cloudRuleSets(ctx: Context): RuleSet[] {
  const ruleSets: RuleSet[] = [];
  for (const [cloud, read] of [
    ['AWS', awsRuleSets],
    ['AWS network ACL', awsNaclRuleSets],
    ['Azure', azureRuleSets],
    ['Azure Firewall', azureFirewallRuleSets],
    ['GCP', gcpRuleSets],
  ] as const) {
    try {
      ruleSets.push(...read(ctx));
    } catch (e) {
      ctx.problems.push({
        code: 'unparsed-rule',
        severity: 'error',
        span: { start: 0, end: Math.min(ctx.text.length, 1) },
        message: `internal error reading ${cloud} rules: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  try {
    const where = awsPlacement(ctx);
    return attachFirewallRoutes(ctx, withGuardedNetworks(withSubnetStages(ruleSets, where), where));
  } catch (e) {
    ctx.problems.push({
      code: 'unparsed-rule',
      severity: 'error',
      span: { start: 0, end: Math.min(ctx.text.length, 1) },
      message: `internal error reading Azure route tables: ${e instanceof Error ? e.message : String(e)}`,
    });
    return ruleSets;
  }
}

/**
 * Where AWS security groups sit: ACLs' `subnet_ids` and `aws_network_acl_association`,
 * the subnet and groups of `aws_instance` and `aws_network_interface` (withSubnetStages).
 */
function awsPlacement(ctx: Context): SubnetPlacementBuilder {
  const where = new SubnetPlacementBuilder();
  const ref = (v: Value | undefined): string | undefined => (v?.kind === 'ref' ? baseOf(v.address) : v?.kind === 'string' ? v.value : undefined);
  const refs = (v: Value | undefined): (string | undefined)[] => (v?.kind === 'list' ? v.items.map(ref) : v ? [ref(v)] : []);
  for (const r of ctx.resources) {
    if (!r.type.startsWith('aws_')) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const get = (name: string): Value | undefined => scalar(ctx, r.block.body, name, inst.scope)?.value;
      switch (r.type) {
        case 'aws_network_acl':
        case 'aws_default_network_acl':
          for (const subnet of refs(get('subnet_ids'))) where.associate(subnet, inst.address);
          break;
        case 'aws_network_acl_association':
          where.associate(ref(get('subnet_id')), ref(get('network_acl_id')));
          break;
        case 'aws_subnet':
          where.subnet(inst.address, literalAddresses([get('cidr_block')]));
          break;
        case 'aws_instance': {
          const groups = refs(get('vpc_security_group_ids'));
          where.place(ref(get('subnet_id')), groups);
          // With `network_interface` blocks the instance's groups are its interfaces': those are the hosts then.
          if (blocksOf(r.block.body, 'network_interface').length === 0) where.host(inst.address, groups, literalAddresses([get('private_ip'), ...listValues(get('secondary_private_ips'))]));
          break;
        }
        case 'aws_network_interface': {
          const groups = refs(get('security_groups'));
          where.place(ref(get('subnet_id')), groups);
          where.host(inst.address, groups, literalAddresses([...listValues(get('private_ips')), get('private_ip')]));
          break;
        }
        case 'aws_network_interface_sg_attachment': {
          const nic = ref(get('network_interface_id'));
          if (nic) where.host(nic, [ref(get('security_group_id'))]);
          break;
        }
      }
    }
  }
  return where;
}

function listValues(v: Value | undefined): readonly (Value | undefined)[] {
  return v?.kind === 'list' ? v.items : v ? [v] : [];
}

/**
 * Addresses written as literals (`"10.0.1.5"`, `["10.0.1.5", "10.0.1.6"]`);
 * undefined when any given one is not, so a host is never placed at part of
 * its addresses. Values not set are left out.
 */
function literalAddresses(values: readonly (Value | undefined)[]): { addresses: AddressSet; span: Span } | undefined {
  const set = values.filter((v): v is Value => v !== undefined && v.kind !== 'null');
  if (set.length === 0 || set.some((v) => v.kind !== 'string')) return undefined;
  const addresses = concreteAddressList(set.map((v) => (v.kind === 'string' ? v.value : undefined)));
  const span = { start: Math.min(...set.map((v) => v.span.start)), end: Math.max(...set.map((v) => v.span.end)) };
  return addresses ? { addresses, span } : undefined;
}

/** `aws_subnet.vda["a"]` and `aws_subnet.vda` are one subnet to the placement: instances are not told apart. */
function baseOf(address: string): string {
  const i = address.indexOf('[');
  return i < 0 ? address : address.slice(0, i);
}
