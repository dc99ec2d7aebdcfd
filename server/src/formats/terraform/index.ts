import { LineIndex, type ParseOptions, type ParsedFile, type ParseProblem, type RuleSet } from '../../model';
import { incrementalTreesOf, isTreeSitterReady } from '../treeSitter';
import { awsRuleSets } from './aws';
import { awsNaclRuleSets } from './awsNacl';
import { azureRuleSets } from './azure';
import { attachFirewallRoutes, azureFirewallRuleSets } from './azureFirewall';
import type { Context, Resource } from './common';
import { gcpRuleSets } from './gcp';
import { parseHclFast } from './fastHcl';
import { isTerraformJsonFile, parseTerraformJson } from './json';
import { blocksOf, keepDocumentTree, parseHclWithTreeSitter } from './hcl';
import { collectDefinitions, readSiblings, Resolver } from './resolve';

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
  const ctx: Context = { text, lines: new LineIndex(text), resolver: new Resolver(text, defs), problems, resources, memo: trees?.memo };

  const ruleSets = cloudRuleSets(ctx).map((rs) => withValueOrigins(rs, ctx.resolver));
  problems.sort((a, b) => a.span.start - b.span.start);
  return { uri, format: 'terraform', text, ruleSets, problems, comments: [...doc.comments].sort((a, b) => a.span.start - b.span.start) };
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
    return attachFirewallRoutes(ctx, ruleSets);
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
