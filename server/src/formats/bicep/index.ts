import { LineIndex, type MatchCondition, type NamedAddresses, type ParsedFile, type ParseOptions, type ParseProblem, type Rule, type RuleSet, type Span, type Unresolved } from '../../model';
import { incrementalTreesOf, parseDocument, treeSitterParser, type IncrementalTrees } from '../treeSitter';
import { concreteAddressList, MAX_NAMED_ADDRESSES } from '../namedAddresses';
import { AddressSet } from '../../net';
import {
  addressTexts,
  AZURE_FIREWALL_TYPE,
  FIREWALL_POLICY_TYPE,
  RULE_COLLECTION_GROUP_TYPE,
  armClassicCollections,
  armRuleCollections,
  FirewallBuilds,
  type FirewallBuild,
  NSG_RULE_TYPE,
  NSG_TYPE,
  azureNsgRuleSet,
  azureRuleFromProperties,
  nsgPlacement,
  nsgNetworks,
  addVnetAddresses,
  addSubnetAddresses,
  subnetPrefixes,
  withKnownVirtualNetwork,
  prop,
  uniqueRuleId,
  unknownRulesPlaceholder,
  type NsgAssociation,
  type Val,
} from '../azure';
import {
  BicepEvaluator,
  EMPTY_SCOPE,
  bindLoop,
  declarationName,
  declarationValue,
  objectProperty,
  readLoop,
  spanOf,
  type ResourceDecl,
  type Scope,
} from './evaluate';
import { scanBicep, type BicepScan } from './scan';
import { plainTree, type SyntaxNode as Node } from './tree';

/** The key of the previous version's plain nodes in `IncrementalTrees.memo`. */
const PLAIN_NODES = 'bicep.plain.nodes';
import { eitherBudget, giveUpAfter } from '../budget';
import { maskNewerSyntax, maskPunctuationRuns, maskSpreads } from './mask';
import { TextMemo } from '../terraform/reuse';
import { literalOnly } from './reuse';

/**
 * Bicep → Azure NSG rule sets. Reads `Microsoft.Network/networkSecurityGroups`
 * with inline `securityRules`, child rule resources (`parent:`, nested, or
 * `'nsg/rule'` names), subnet and NIC associations; resolves params with
 * defaults, vars, loops and interpolation where they are literal.
 */
export function parseBicep(text: string, uri: string, options?: ParseOptions): ParsedFile {
  const scan = scanBicep(text);
  try {
    return new BicepReader(text, uri, scan, incrementalTreesOf(options?.reuse)).read();
  } catch (e) {
    return {
      uri,
      format: 'bicep',
      text,
      ruleSets: [],
      comments: scan.comments,
      problems: [{ code: 'syntax-error', severity: 'error', span: { start: 0, end: Math.min(text.length, 1) }, message: `Bicep could not be read: ${e instanceof Error ? e.message : String(e)}` }],
    };
  }
}

const SUBNET_TYPE = 'microsoft.network/virtualnetworks/subnets';
const VNET_TYPE = 'microsoft.network/virtualnetworks';
const NIC_TYPE = 'microsoft.network/networkinterfaces';
const MAX_SYNTAX_PROBLEMS = 50;

interface Instance {
  readonly body: Node;
  readonly scope: Scope;
  /** `if (…)` on the resource, with its value where literal. */
  readonly condition?: { readonly node: Node; readonly value: Val };
  /** Position in a `for` loop; undefined when the resource has none. */
  readonly loopIndex?: number;
  /** The loop is over something not known before deployment. */
  readonly loopUnknown?: Unresolved;
  /** Span of the instance: the whole declaration, or the loop body for each element. */
  readonly span: Span;
}

/** What adding one inline rule produced, kept for the next version of an open document. */
interface BuiltRule {
  readonly rule: Rule;
  readonly problems: ParseProblem[];
  /** The rule's literal name; the id is made from it (or from the line when there is none). */
  readonly name: string | undefined;
}

interface NsgBuild {
  readonly id: string;
  readonly decl?: ResourceDecl;
  readonly name: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly usedIds: Set<string>;
  readonly meta: Record<string, string>;
  readonly literalName?: string;
}

class BicepReader {
  private readonly problems: ParseProblem[] = [];
  private readonly lines: LineIndex;
  private readonly params = new Map<string, Node>();
  private readonly vars = new Map<string, Node>();
  private readonly resources = new Map<string, ResourceDecl>();
  private readonly resourceList: ResourceDecl[] = [];
  private evaluator!: BicepEvaluator;
  private spreadAt: ReadonlySet<number> = new Set();
  private syntaxProblems = 0;
  /** Inline rules written with literals only, from the document's previous version (open documents only). */
  private readonly memo: TextMemo<BuiltRule>;

  constructor(
    private readonly text: string,
    private readonly uri: string,
    private readonly scan: BicepScan,
    /** The open document's tree-sitter state (from `ParseOptions.reuse`); undefined for a file read once. */
    private readonly trees: IncrementalTrees | undefined,
  ) {
    this.lines = LineIndex.of(text);
    this.memo = new TextMemo<BuiltRule>('bicep.inline.rules', trees?.memo);
  }

  read(): ParsedFile {
    for (const decl of this.topLevelDeclarations()) this.declare(decl, undefined);
    this.evaluator = new BicepEvaluator(this.params, this.vars, this.resources, this.spreadAt);
    const ruleSets = this.buildRuleSets();
    this.memo.commit();
    const named = this.namedAddresses();
    return { uri: this.uri, format: 'bicep', text: this.text, ruleSets, problems: this.problems, comments: this.scan.comments, ...(named.length ? { namedAddresses: named } : {}) };
  }

  /** Params (their defaults) and vars whose value is one or more concrete addresses (ParsedFile.namedAddresses). */
  private namedAddresses(): NamedAddresses[] {
    const out: NamedAddresses[] = [];
    for (const [kind, decls] of [['param', this.params], ['var', this.vars]] as const) {
      for (const [name, decl] of decls) {
        if (out.length >= MAX_NAMED_ADDRESSES) return out;
        const value = this.evaluator.valueOf(kind, name);
        const texts = value ? addressTexts(value) : undefined;
        const addresses = texts ? concreteAddressList(texts) : undefined;
        const at = declarationName(decl);
        if (addresses) out.push({ name, kind: kind === 'param' ? 'parameter' : 'variable', addresses, span: at ? spanOf(at) : spanOf(decl) });
      }
    }
    return out;
  }

  /**
   * The whole file in one parse when it is well formed. When it is not,
   * tree-sitter's recovery can swallow every declaration after the error, so
   * the file is parsed again one top-level declaration at a time and only the
   * broken ones are lost.
   */
  private topLevelDeclarations(): Node[] {
    const parser = treeSitterParser('bicep');
    const spreads = maskSpreads(maskNewerSyntax(this.text), this.scan.spreads);
    this.spreadAt = spreads.spreadAt;
    const readable = spreads.text;
    const masked = maskPunctuationRuns(readable);
    this.problems.push(...masked.problems);
    const treeText = masked.text;
    // One budget for the whole file, shared by the whole-file parse and the per-declaration fallback below, so
    // a file that exhausted it once is not parsed a second time at the same cost.
    const wholeFile = giveUpAfter(this.text.length);
    // A file read once whose declarations all start outside any bracket goes straight to one parse per
    // declaration: tree-sitter's error recovery over a whole broken file costs far more than over its pieces (a
    // 5 KB fuzz input: 75 ms whole, 6 ms in pieces), and then the pieces are the file's top-level declarations,
    // so a whole-file tree without errors would give the same ones. An open document keeps the whole-file
    // tree, whose incremental re-parse is what makes the next keystroke cheap. Brackets that prove a syntax
    // error do the same: the whole-file tree would have errors and be thrown away below (a broken 15.7 KB fuzz
    // input spent 150 of its 200 ms there).
    const inPieces = !this.trees && (this.scan.startsAtTopLevel || this.scan.bracketsBroken);
    // The previous version's plain nodes are good only for a tree re-parsed from that version's tree, which is
    // still alive while this one is built (tree-sitter ids are addresses): taken out now, put back only below.
    const previousNodes = this.trees?.memo.get(PLAIN_NODES) as ReadonlyMap<number, Node> | undefined;
    this.trees?.memo.delete(PLAIN_NODES);
    const reusedBefore = this.trees?.reused ?? 0;
    const whole = inPieces ? null : parseDocument('bicep', treeText, this.trees, { progressCallback: wholeFile });
    if (whole) {
      try {
        if (!whole.rootNode.hasError) {
          // An open document's next version moves the unchanged subtrees of this copy instead of walking them again.
          const incremental = (this.trees?.reused ?? 0) > reusedBefore;
          const reuse = this.trees ? { previous: incremental ? previousNodes : undefined, next: new Map<number, Node>() } : undefined;
          const root = plainTree(whole, this.text, reuse);
          if (reuse) this.trees?.memo.set(PLAIN_NODES, reuse.next);
          return root.namedChildren;
        }
      } finally {
        whole.delete();
      }
    }
    for (const span of this.scan.unterminatedStrings) {
      this.problems.push({ code: 'syntax-error', severity: 'error', span, message: 'unterminated string: a Bicep string ends on the line it starts' });
    }
    const out: Node[] = [];
    const starts = this.scan.declarationStarts.length && this.scan.declarationStarts[0] > 0 ? [0, ...this.scan.declarationStarts] : this.scan.declarationStarts;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i];
      const end = i + 1 < starts.length ? starts[i + 1] : this.text.length;
      // A decorator belongs to the declaration below it.
      if (this.text.charCodeAt(start) === 64 && i + 1 < starts.length) {
        starts[i + 1] = start;
        continue;
      }
      const from = this.lines.positionAt(start);
      const to = this.lines.positionAt(end);
      const tree = parser.parse(treeText, null, {
        includedRanges: [{ startIndex: start, endIndex: end, startPosition: { row: from.line, column: from.character }, endPosition: { row: to.line, column: to.character } }],
        progressCallback: eitherBudget(giveUpAfter(end - start), wholeFile),
      });
      if (!tree) {
        this.problems.push({
          code: 'limit',
          severity: 'warning',
          span: { start, end: Math.max(start, Math.min(end, this.lines.lineEnd(from.line))) },
          message: 'analysis is limited: this declaration is too malformed for the Bicep parser to recover from in reasonable time, so it is left out',
        });
        continue;
      }
      let root: Node;
      try {
        root = plainTree(tree, this.text);
      } finally {
        tree.delete();
      }
      if (root.hasError) this.reportSyntaxErrors(root);
      for (const c of root.namedChildren) {
        if (!c) continue;
        if (c.type === 'ERROR') out.push(...salvage(c));
        else out.push(c);
      }
    }
    return out;
  }

  private reportSyntaxErrors(node: Node): void {
    if (this.syntaxProblems >= MAX_SYNTAX_PROBLEMS) return;
    if (node.isMissing) {
      this.syntaxProblems++;
      this.problems.push({ code: 'syntax-error', severity: 'error', span: spanOf(node), message: `syntax error: missing ${node.type}` });
      return;
    }
    if (node.isError) {
      this.syntaxProblems++;
      const first = this.text.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 40)).split(/\r?\n/)[0];
      this.problems.push({ code: 'syntax-error', severity: 'error', span: spanOf(node), message: `syntax error near "${first}"; the declaration is skipped` });
      return;
    }
    for (const c of node.children) if (c && (c.hasError || c.isMissing)) this.reportSyntaxErrors(c);
  }

  private declare(decl: Node, nestedIn: ResourceDecl | undefined): void {
    const name = declarationName(decl)?.text;
    switch (decl.type) {
      case 'parameter_declaration':
        if (name) this.params.set(name, decl);
        break;
      case 'variable_declaration':
        if (name) this.vars.set(name, decl);
        break;
      case 'resource_declaration': {
        if (!name) break;
        const typeNode = decl.namedChildren.find((c) => c?.type === 'string');
        const typeText = typeNode ? typeNode.namedChildren.map((c) => c?.text ?? '').join('') : '';
        const bare = typeText.split('@')[0].toLowerCase();
        const type = nestedIn && !bare.includes('/') ? `${nestedIn.type}/${bare}` : bare;
        const existing = decl.children.some((c) => c?.type === 'existing');
        const r: ResourceDecl = { symbol: name, type, typeText, existing, node: decl, value: declarationValue(decl), nestedIn };
        this.resources.set(name, r);
        this.resourceList.push(r);
        for (const body of bodiesOf(r.value)) {
          for (const p of body.namedChildren) {
            const inner = p?.type === 'object_property' ? p.namedChildren.find((c) => c?.type === 'resource_declaration') : undefined;
            if (inner) this.declare(inner, r);
          }
        }
        break;
      }
      case 'module_declaration': {
        const path = decl.namedChildren.find((c) => c?.type === 'string')?.text ?? '';
        this.problems.push({
          code: 'unresolved-value',
          severity: 'info',
          span: spanOf(decl),
          message: `module ${name ?? ''} (${path}) is not followed; security rules it declares are not checked here`,
        });
        break;
      }
    }
  }

  /** One instance per deployed copy: a plain body, `if (…) {…}`, or each element of `[for … in …: {…}]`. */
  private instances(r: ResourceDecl): Instance[] {
    const value = r.value;
    if (!value) return [];
    const declSpan = spanOf(r.node);
    const conditioned = (node: Node, scope: Scope, span: Span, extra: Partial<Instance>): Instance | undefined => {
      if (node.type === 'object') return { body: node, scope, span, ...extra };
      if (node.type === 'if_statement') {
        const condNode = node.namedChildren.find((c) => c?.type === 'parenthesized_expression');
        const body = node.namedChildren.find((c) => c?.type === 'object');
        if (!body || !condNode) return undefined;
        return { body, scope, span, condition: { node: condNode, value: this.evaluator.eval(condNode, scope) }, ...extra };
      }
      return undefined;
    };
    if (value.type !== 'for_statement') {
      const one = conditioned(value, EMPTY_SCOPE, declSpan, {});
      return one ? [one] : [];
    }
    const loop = readLoop(value);
    if (!loop) return [];
    const source = this.evaluator.eval(loop.source, EMPTY_SCOPE);
    const bodySpan = spanOf(loop.body);
    if (source.kind !== 'array') {
      const reason = source.kind === 'unknown' ? source.reason : 'not an array';
      const unknownItem: Val = { kind: 'unknown', text: loop.source.text, reason: `loop over ${loop.source.text}: ${reason}`, span: spanOf(loop.source) };
      const scope = bindLoop(EMPTY_SCOPE, { ...loop, index: undefined }, unknownItem, 0);
      const one = conditioned(loop.body, scope, bodySpan, {
        loopIndex: 0,
        loopUnknown: { text: loop.source.text, span: spanOf(loop.source), reason: `the loop runs over ${loop.source.text}, which is not known before deployment` },
      });
      return one ? [one] : [];
    }
    const out: Instance[] = [];
    source.items.forEach((item, i) => {
      const one = conditioned(loop.body, bindLoop(EMPTY_SCOPE, loop, item, i), bodySpan, { loopIndex: i });
      if (one) out.push(one);
    });
    return out;
  }

  private buildRuleSets(): RuleSet[] {
    const nsgs = new Map<string, NsgBuild>();
    const bySymbol = new Map<string, NsgBuild[]>();
    for (const r of this.resourceList) {
      if (r.type !== NSG_TYPE) continue;
      const list: NsgBuild[] = [];
      const instances = r.existing ? [] : this.instances(r);
      if (r.existing) {
        list.push(this.newNsg(r, undefined, nsgs));
      }
      for (const inst of instances) {
        const nsg = this.newNsg(r, inst, nsgs);
        list.push(nsg);
        this.inlineRules(nsg, inst);
      }
      bySymbol.set(r.symbol, list);
    }
    for (const r of this.resourceList) if (r.type === NSG_RULE_TYPE) this.childRules(r, nsgs, bySymbol);
    const vnets = new Map<string, AddressSet>();
    const associations = this.associations(bySymbol, nsgs, vnets);
    const out: RuleSet[] = [];
    for (const nsg of nsgs.values()) {
      if (nsg.decl?.existing && nsg.rules.length === 0) continue;
      const placement = nsgPlacement(nsg.id, associations);
      const networks = nsgNetworks(nsg.id, associations, vnets);
      const built = azureNsgRuleSet({
        id: nsg.id,
        name: nsg.name,
        format: 'bicep',
        span: nsg.span,
        nameSpan: nsg.nameSpan,
        rules: nsg.rules,
        appliesTo: placement.appliesTo,
        stage: placement.stage,
        meta: placement.meta ? { ...nsg.meta, ...placement.meta } : nsg.meta,
      });
      this.problems.push(...built.problems);
      const placed = withKnownVirtualNetwork(networks.guardedNetworks ? { ...built.ruleSet, guardedNetworks: networks.guardedNetworks } : built.ruleSet, networks.knownVirtualNetwork);
      // An NSG whose condition is false is not deployed: shown, but on no traffic's path.
      out.push(nsg.meta.conditionValue === 'false' ? { ...placed, directions: [], stage: undefined, guardedNetworks: undefined } : placed);
    }
    out.push(...this.firewalls());
    return out;
  }

  /**
   * Firewall policies with their rule collection groups (nested, `parent:`,
   * or named `policy/group`) and firewalls with classic rule collections, in
   * the shared Azure Firewall semantics.
   */
  private firewalls(): RuleSet[] {
    const builds = new FirewallBuilds();
    const bySymbol = new Map<string, FirewallBuild>();
    const literal = (v: Val | undefined): string | undefined => (v?.kind === 'string' ? v.value : undefined);
    const deployed = (inst: Instance): boolean => !(inst.condition?.value.kind === 'boolean' && !inst.condition.value.value);
    for (const r of this.resourceList) {
      if (r.type !== FIREWALL_POLICY_TYPE) continue;
      const nameNode = r.value?.type === 'object' ? objectProperty(r.value, 'name') : undefined;
      const name = literal(nameNode ? this.evaluator.eval(nameNode, EMPTY_SCOPE) : undefined);
      const b = builds.add(r.symbol, spanOf(r.node), 'policy', { symbolicName: r.symbol, resourceType: r.typeText, ...(name ? { policyName: name } : {}) }, nameNode ? spanOf(nameNode) : undefined);
      bySymbol.set(r.symbol, b);
      if (name) builds.nameAs(name, b);
      if (r.existing) {
        b.unknown.push({ text: `existing policy ${r.symbol}`, span: spanOf(r.node), reason: 'an existing policy: its other rule collection groups are not in this file' });
        continue;
      }
      const inst = this.instances(r)[0];
      if (!inst) continue;
      const base = prop(this.evaluator.eval(inst.body, inst.scope), 'properties');
      const parent = prop(base, 'basePolicy');
      if (parent && parent.kind !== 'null') {
        b.unknown.push({ text: `parent policy ${this.text.slice(parent.span.start, parent.span.end)}`, span: parent.span, reason: 'a parent policy: its rule collection groups come first and are not in this file' });
      }
    }
    for (const r of this.resourceList) {
      if (r.type !== RULE_COLLECTION_GROUP_TYPE || r.existing) continue;
      for (const inst of this.instances(r)) {
        if (!deployed(inst)) continue;
        const v = this.evaluator.eval(inst.body, inst.scope);
        let groupName = literal(prop(v, 'name'));
        let policy = r.nestedIn ? bySymbol.get(r.nestedIn.symbol) : undefined;
        const parentVal = prop(v, 'parent');
        if (!policy && parentVal?.kind === 'ref' && parentVal.symbol) policy = bySymbol.get(parentVal.symbol.split('[')[0]);
        if (!policy && !parentVal) {
          const slash = groupName?.indexOf('/') ?? -1;
          if (groupName !== undefined && slash > 0) {
            const policyName = groupName.slice(0, slash);
            groupName = groupName.slice(slash + 1);
            policy = builds.named(policyName) ?? builds.all.find((b) => b.id === policyName) ?? builds.add(policyName, spanOf(r.node), 'policy', { declared: 'false' });
          }
        }
        if (!policy) {
          const id = parentVal ? this.text.slice(parentVal.span.start, parentVal.span.end) : '(unknown firewall policy)';
          this.problems.push({ code: 'unresolved-value', severity: 'warning', span: parentVal?.span ?? spanOf(r.node), message: `${r.symbol}: the firewall policy of this rule collection group is not declared in this file` });
          policy = builds.all.find((b) => b.id === id) ?? builds.add(id, spanOf(r.node), 'policy', { declared: 'false' });
        }
        const collections = armRuleCollections(prop(v, 'properties'), { name: groupName, span: inst.span }, { symbolicName: r.symbol }, this.problems, policy.unknown, this.text);
        const extra: Unresolved[] = inst.loopUnknown ? [inst.loopUnknown] : [];
        const conditions: MatchCondition[] = inst.condition && inst.condition.value.kind !== 'boolean' ? [{ kind: 'other', text: `if ${inst.condition.node.text}`, span: spanOf(inst.condition.node), effect: 'unknown' }] : [];
        policy.collections.push(...collections.map((c) => (extra.length || conditions.length ? { ...c, unresolved: extra, conditions } : c)));
      }
    }
    for (const r of this.resourceList) {
      if (r.type !== AZURE_FIREWALL_TYPE || r.existing) continue;
      for (const inst of this.instances(r)) {
        if (!deployed(inst)) continue;
        const v = this.evaluator.eval(inst.body, inst.scope);
        const name = literal(prop(v, 'name')) ?? r.symbol;
        const props = prop(v, 'properties');
        const policyId = prop(prop(props, 'firewallPolicy'), 'id');
        const policy =
          policyId?.kind === 'ref'
            ? ((policyId.symbol ? bySymbol.get(policyId.symbol.split('[')[0]) : undefined) ?? (policyId.name ? builds.named(policyId.name) : undefined))
            : policyId?.kind === 'string'
              ? builds.named(policyId.value.slice(policyId.value.lastIndexOf('/') + 1))
              : undefined;
        if (policy && !policy.appliesTo.includes(`firewall ${name}`)) policy.appliesTo.push(`firewall ${name}`);
        const classic = armClassicCollections(props, { symbolicName: r.symbol }, this.problems);
        if (classic.length) builds.add(r.symbol, inst.span, 'classic', { symbolicName: r.symbol, resourceType: r.typeText, firewallName: name }).collections.push(...classic);
      }
    }
    return builds.ruleSets('bicep', this.text, this.problems);
  }

  private newNsg(r: ResourceDecl | undefined, inst: Instance | undefined, nsgs: Map<string, NsgBuild>, parentName?: { name: string; span: Span }): NsgBuild {
    const meta: Record<string, string> = {};
    let id: string;
    let name: string;
    let literalName: string | undefined;
    let span: Span;
    let nameSpan: Span | undefined;
    if (r) {
      id = inst?.loopIndex !== undefined ? `${r.symbol}[${inst.loopIndex}]` : r.symbol;
      meta.symbolicName = r.symbol;
      meta.resourceType = r.typeText;
      span = inst?.span ?? spanOf(r.node);
      nameSpan = declarationName(r.node) ? spanOf(declarationName(r.node)!) : undefined;
      const nameNode = inst ? objectProperty(inst.body, 'name') : r.value?.type === 'object' ? objectProperty(r.value, 'name') : undefined;
      const nameVal = nameNode ? this.evaluator.eval(nameNode, inst?.scope ?? EMPTY_SCOPE) : undefined;
      literalName = nameVal?.kind === 'string' ? nameVal.value : undefined;
      name = literalName ?? (inst?.loopIndex !== undefined ? id : r.symbol);
      if (nameNode) nameSpan = spanOf(nameNode);
      if (r.existing) {
        meta.existing = 'true';
        this.problems.push({
          code: 'unresolved-value',
          severity: 'info',
          span: spanOf(r.node),
          message: `${r.symbol} is an existing NSG: only the rules this file adds to it are known`,
        });
      }
      if (inst?.condition) {
        meta.condition = inst.condition.node.text;
        const v = inst.condition.value;
        meta.conditionValue = v.kind === 'boolean' ? String(v.value) : 'unknown';
        this.problems.push({
          code: 'unresolved-value',
          severity: 'info',
          span: spanOf(inst.condition.node),
          message:
            v.kind === 'boolean' && !v.value
              ? `${id} is not deployed: its condition ${inst.condition.node.text} is false, so its rules are not applied`
              : `${id} is deployed only if ${inst.condition.node.text}; its rules are checked as if it were deployed`,
        });
      }
      if (inst?.loopIndex !== undefined) meta.loopIndex = String(inst.loopIndex);
      if (inst?.loopUnknown) meta.loop = 'unknown';
    } else {
      // A rule named 'nsg/rule' whose NSG is not declared in this file.
      id = parentName!.name;
      name = parentName!.name;
      literalName = parentName!.name;
      span = parentName!.span;
      meta.declared = 'false';
    }
    const nsg: NsgBuild = { id, decl: r, name, span, nameSpan, rules: [], usedIds: new Set(), meta, literalName };
    let unique = id;
    for (let n = 2; nsgs.has(unique); n++) unique = `${id} (${n})`;
    nsgs.set(unique, unique === id ? nsg : { ...nsg, id: unique });
    return nsgs.get(unique)!;
  }

  private inlineRules(nsg: NsgBuild, inst: Instance): void {
    const propsNode = objectProperty(inst.body, 'properties');
    if (!propsNode) return;
    const rulesNode = propsNode.type === 'object' ? objectProperty(propsNode, 'securityRules') : undefined;
    if (rulesNode?.type === 'array' && this.memo.active && !inst.loopUnknown) {
      // An array literal is always a list: its items are read one by one so unchanged ones can be reused.
      nsg.meta.inlineRules = 'true';
      this.inlineRuleItems(nsg, rulesNode, inst);
      return;
    }
    const props = rulesNode ? undefined : this.evaluator.eval(propsNode, inst.scope);
    const rules = rulesNode ? this.evaluator.eval(rulesNode, inst.scope) : prop(props, 'securityRules');
    if (!rules || rules.kind === 'null') return;
    nsg.meta.inlineRules = 'true';
    if (rules.kind !== 'array') {
      this.unknownRules(nsg, rules);
      return;
    }
    if (rulesNode?.type === 'for_statement') nsg.meta.inlineLoop = 'true';
    for (const item of rules.items) {
      if (item.kind !== 'object') {
        this.unknownRules(nsg, item);
        continue;
      }
      const nameVal = prop(item, 'name');
      const ruleName = nameVal?.kind === 'string' ? nameVal.value : undefined;
      this.addRule(nsg, {
        name: ruleName,
        nameVal,
        properties: prop(item, 'properties'),
        span: item.span,
        meta: { style: 'inline', symbolicName: nsg.decl?.symbol ?? '', ...this.indentMeta(item.span.start) },
        unresolved: inst.loopUnknown ? [inst.loopUnknown] : [],
        conditions: [],
      });
    }
  }

  /**
   * The items of a `securityRules: [ … ]` array one by one, for an open
   * document: an item written with literals only is reused from the previous
   * version when its text, place in the NSG and surroundings are unchanged.
   * Gives what evaluating the whole array and adding its items gives.
   */
  private inlineRuleItems(nsg: NsgBuild, rulesNode: Node, inst: Instance): void {
    const children = rulesNode.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
    // An identifier may start a call the array evaluation reads across two nodes: evaluate the array as a whole.
    // So may a `...list` spread, which the array evaluation puts in place of its items.
    const whole = children.some((c) => c.type === 'identifier' || this.spreadAt.has(c.startIndex)) ? this.evaluator.eval(rulesNode, inst.scope) : undefined;
    if (whole && whole.kind !== 'array') {
      this.unknownRules(nsg, whole);
      return;
    }
    const items = whole?.items;
    const count = items ? items.length : children.length;
    for (let i = 0; i < count; i++) {
      const node = items ? undefined : children[i];
      const start = node ? node.startIndex : items![i].span.start;
      const line = this.lines.positionAt(start).line;
      const meta = { style: 'inline', symbolicName: nsg.decl?.symbol ?? '', ...this.indentMeta(start) };
      const order = nsg.rules.length;
      const key =
        node && node.type === 'object' && literalOnly(node)
          ? `${order}\u0000${nsg.id}\u0000${JSON.stringify(meta)}\u0000${this.text.slice(node.startIndex, node.endIndex)}`
          : undefined;
      if (key !== undefined) {
        const hit = this.memo.get(key, start);
        if (hit && uniqueRuleIdIs(hit.name ?? `line ${line + 1}`, nsg.usedIds, hit.rule.id)) {
          nsg.usedIds.add(hit.rule.id);
          nsg.rules.push(hit.rule);
          this.problems.push(...hit.problems);
          continue;
        }
      }
      const item = items ? items[i] : this.evaluator.evalItem(node!, inst.scope);
      if (item.kind !== 'object') {
        this.unknownRules(nsg, item);
        continue;
      }
      const nameVal = prop(item, 'name');
      const ruleName = nameVal?.kind === 'string' ? nameVal.value : undefined;
      const problemsBefore = this.problems.length;
      const rulesBefore = nsg.rules.length;
      this.addRule(nsg, { name: ruleName, nameVal, properties: prop(item, 'properties'), span: item.span, meta, unresolved: [], conditions: [] });
      if (key !== undefined && nsg.rules.length === rulesBefore + 1) {
        this.memo.set(key, start, { rule: nsg.rules[rulesBefore], problems: this.problems.slice(problemsBefore), name: ruleName });
      }
    }
  }

  private unknownRules(nsg: NsgBuild, v: Val): void {
    const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : this.text.slice(v.span.start, v.span.end);
    const reason = v.kind === 'unknown' ? v.reason : 'not a list of rules';
    this.problems.push({ code: 'unresolved-value', severity: 'warning', span: v.span, message: `${nsg.id}: security rules ${text} are not known (${reason}); verdicts through this NSG are unknown` });
    const placeholders = unknownRulesPlaceholder(text, v.span, reason, nsg.rules.length, text);
    for (const p of placeholders) {
      nsg.usedIds.add(p.id);
      nsg.rules.push(p);
    }
  }

  private addRule(
    nsg: NsgBuild,
    r: { name?: string; nameVal?: Val; properties: Val | undefined; span: Span; meta: Record<string, string>; unresolved: Unresolved[]; conditions: MatchCondition[] },
  ): void {
    const base = r.name ?? `line ${this.lines.positionAt(r.span.start).line + 1}`;
    const id = uniqueRuleId(base, nsg.usedIds);
    const unresolved = [...r.unresolved];
    if (r.nameVal?.kind === 'unknown') unresolved.push({ text: r.nameVal.text, span: r.nameVal.span, reason: `rule name: ${r.nameVal.reason}` });
    if (!r.properties) {
      this.problems.push({ code: 'unparsed-rule', severity: 'error', span: r.span, message: `${id}: the rule has no properties` });
    } else if (r.properties.kind === 'unknown') {
      this.problems.push({ code: 'unresolved-value', severity: 'warning', span: r.properties.span, message: `${id}: properties ${r.properties.text} are not known (${r.properties.reason})` });
    }
    const built = azureRuleFromProperties({
      id,
      name: r.name,
      properties: r.properties?.kind === 'object' ? r.properties : undefined,
      span: r.span,
      order: nsg.rules.length,
      text: this.text,
      meta: { ...r.meta, nsg: nsg.id },
      unresolved,
      conditions: r.conditions,
    });
    this.problems.push(...built.problems);
    nsg.rules.push(built.rule);
  }

  private childRules(r: ResourceDecl, nsgs: Map<string, NsgBuild>, bySymbol: Map<string, NsgBuild[]>): void {
    for (const inst of this.instances(r)) {
      const nameNode = objectProperty(inst.body, 'name');
      const nameVal = nameNode ? this.evaluator.eval(nameNode, inst.scope) : undefined;
      let ruleName = nameVal?.kind === 'string' ? nameVal.value : undefined;
      let target: NsgBuild | undefined;
      let style: string;
      if (r.nestedIn) {
        style = 'child-nested';
        target = bySymbol.get(r.nestedIn.symbol)?.[inst.loopIndex ?? 0] ?? bySymbol.get(r.nestedIn.symbol)?.[0];
      } else {
        const parentNode = objectProperty(inst.body, 'parent');
        if (parentNode) {
          style = 'child-parent';
          const parent = this.evaluator.eval(parentNode, inst.scope);
          const symbol = parent.kind === 'ref' ? parent.symbol?.split('[')[0] : undefined;
          target = symbol ? bySymbol.get(symbol)?.[0] : undefined;
          if (!target) {
            this.problems.push({ code: 'unresolved-value', severity: 'warning', span: spanOf(parentNode), message: `the parent NSG ${parentNode.text} of ${r.symbol} is not declared in this file` });
            target = this.undeclaredNsg(parentNode.text, spanOf(parentNode), nsgs);
          }
        } else {
          style = 'child-name';
          const slash = ruleName?.indexOf('/') ?? -1;
          if (ruleName !== undefined && slash > 0) {
            const parentName = ruleName.slice(0, slash);
            ruleName = ruleName.slice(slash + 1);
            target = [...nsgs.values()].find((n) => n.literalName === parentName) ?? this.undeclaredNsg(parentName, nameVal!.span, nsgs);
          } else {
            this.problems.push({
              code: 'unparsed-rule',
              severity: 'warning',
              span: nameNode ? spanOf(nameNode) : spanOf(r.node),
              message: `${r.symbol}: cannot tell which NSG this rule belongs to (no parent, and the name is not a literal 'nsg/rule')`,
            });
            target = this.undeclaredNsg('(unknown NSG)', spanOf(r.node), nsgs);
          }
        }
      }
      if (!target) continue;
      const conditions: MatchCondition[] = [];
      const meta: Record<string, string> = { style, symbolicName: r.symbol, ...this.indentMeta(inst.body.startIndex) };
      const unresolved: Unresolved[] = inst.loopUnknown ? [inst.loopUnknown] : [];
      let disabled = false;
      if (inst.condition) {
        meta.condition = inst.condition.node.text;
        const v = inst.condition.value;
        if (v.kind === 'boolean') disabled = !v.value;
        else conditions.push({ kind: 'other', text: `if ${inst.condition.node.text}`, span: spanOf(inst.condition.node), effect: 'unknown' });
      }
      if (inst.loopIndex !== undefined) meta.loopIndex = String(inst.loopIndex);
      const propsNode = objectProperty(inst.body, 'properties');
      const before = target.rules.length;
      this.addRule(target, {
        name: ruleName,
        nameVal,
        properties: propsNode ? this.evaluator.eval(propsNode, inst.scope) : undefined,
        span: inst.span,
        meta,
        unresolved,
        conditions,
      });
      if (disabled && target.rules.length > before) {
        const rule = target.rules[before];
        target.rules[before] = { ...rule, enabled: { value: false, span: spanOf(inst.condition!.node), text: inst.condition!.node.text } };
      }
    }
  }

  private undeclaredNsg(name: string, span: Span, nsgs: Map<string, NsgBuild>): NsgBuild {
    const found = [...nsgs.values()].find((n) => n.meta.declared === 'false' && n.name === name);
    return found ?? this.newNsg(undefined, undefined, nsgs, { name, span });
  }

  /** Subnet and NIC attachments written in this file, as NSG rule-set ids. */
  private associations(bySymbol: Map<string, NsgBuild[]>, nsgs: Map<string, NsgBuild>, vnets: Map<string, AddressSet>): NsgAssociation[] {
    const out: NsgAssociation[] = [];
    const nsgOf = (v: Val | undefined): string | undefined => {
      const id = prop(v, 'id');
      if (!id || id.kind !== 'ref') return undefined;
      if (id.symbol) {
        const list = bySymbol.get(id.symbol.split('[')[0]);
        if (list?.length) return list[0].id;
      }
      if (id.name) return [...nsgs.values()].find((n) => n.literalName === id.name)?.id;
      return undefined;
    };
    const subnetLabels = new Map<string, string>();
    const nameOf = (r: ResourceDecl, inst: Instance): string => {
      const n = objectProperty(inst.body, 'name');
      const v = n ? this.evaluator.eval(n, inst.scope) : undefined;
      return v?.kind === 'string' ? v.value : r.symbol;
    };
    for (const r of this.resourceList) {
      if (r.type === VNET_TYPE) {
        for (const inst of this.instances(r)) {
          const vnet = nameOf(r, inst);
          const propsNode = objectProperty(inst.body, 'properties');
          const vnetProps = propsNode ? this.evaluator.eval(propsNode, inst.scope) : undefined;
          addVnetAddresses(vnets, vnet, vnetProps);
          const subnets = prop(vnetProps, 'subnets');
          if (subnets?.kind !== 'array') continue;
          for (const s of subnets.items) {
            const sn = prop(s, 'name');
            const label = `subnet:${vnet}/${sn?.kind === 'string' ? sn.value : '?'}`;
            const nsg = nsgOf(prop(prop(s, 'properties'), 'networkSecurityGroup'));
            const prefixes = subnetPrefixes(prop(s, 'properties'));
            if (nsg) out.push({ nsg, kind: 'subnet', label, vnet, ...(prefixes ? { network: { name: label.slice('subnet:'.length), ...prefixes } } : {}) });
          }
        }
      } else if (r.type === SUBNET_TYPE) {
        for (const inst of this.instances(r)) {
          let name = nameOf(r, inst);
          const parentNode = objectProperty(inst.body, 'parent');
          const parent = r.nestedIn ?? (parentNode ? this.resources.get(parentNode.text) : undefined);
          if (parent) {
            const pn = this.evaluator.resourceName(parent);
            name = `${pn?.kind === 'string' ? pn.value : parent.symbol}/${name}`;
          }
          const label = `subnet:${name}`;
          subnetLabels.set(r.symbol, label);
          const propsNode = objectProperty(inst.body, 'properties');
          const subnetProps = propsNode ? this.evaluator.eval(propsNode, inst.scope) : undefined;
          // `vnet/subnet`: the VNet is what comes before the slash.
          const vnet = name.includes('/') ? name.slice(0, name.indexOf('/')) : undefined;
          addSubnetAddresses(vnets, vnet, subnetProps);
          const nsg = nsgOf(prop(subnetProps, 'networkSecurityGroup'));
          const prefixes = subnetPrefixes(subnetProps);
          if (nsg) out.push({ nsg, kind: 'subnet', label, ...(vnet ? { vnet } : {}), ...(prefixes ? { network: { name, ...prefixes } } : {}) });
        }
      }
    }
    for (const r of this.resourceList) {
      if (r.type !== NIC_TYPE) continue;
      for (const inst of this.instances(r)) {
        const propsNode = objectProperty(inst.body, 'properties');
        const props = propsNode ? this.evaluator.eval(propsNode, inst.scope) : undefined;
        const nsg = nsgOf(prop(props, 'networkSecurityGroup'));
        if (!nsg) continue;
        let nicSubnet: string | undefined;
        const configs = prop(props, 'ipConfigurations');
        if (configs?.kind === 'array') {
          for (const c of configs.items) {
            const id = prop(prop(prop(c, 'properties'), 'subnet'), 'id');
            if (id?.kind !== 'ref') continue;
            if (id.symbol && subnetLabels.has(id.symbol)) nicSubnet = subnetLabels.get(id.symbol);
            else if (id.resourceType === SUBNET_TYPE && id.name) nicSubnet = `subnet:${id.name}`;
          }
        }
        out.push({ nsg, kind: 'nic', label: `nic:${nameOf(r, inst)}`, nicSubnet });
      }
    }
    return out;
  }

  /** Indentation of the rule and of its first property, so an emitter can write a neighbour in the same style. */
  private indentMeta(start: number): Record<string, string> {
    const line = this.lines.positionAt(start).line;
    const lineText = this.lines.lineText(line);
    const indent = lineText.slice(0, lineText.length - lineText.trimStart().length);
    const next = this.lines.lineText(line + 1);
    const propertyIndent = next.slice(0, next.length - next.trimStart().length);
    return { indent, propertyIndent };
  }
}

/** Whether `uniqueRuleId(base, used)` would give `id`, without taking it. */
function uniqueRuleIdIs(base: string, used: ReadonlySet<string>, id: string): boolean {
  let candidate = base;
  for (let n = 2; used.has(candidate); n++) candidate = `${base} (${n})`;
  return candidate === id;
}

function bodiesOf(value: Node | undefined): Node[] {
  if (!value) return [];
  if (value.type === 'object') return [value];
  if (value.type === 'if_statement') return value.namedChildren.filter((c): c is Node => c?.type === 'object');
  if (value.type === 'for_statement') {
    const body = value.childForFieldName('body');
    return body ? bodiesOf(body) : [];
  }
  return [];
}

/** Whole declarations tree-sitter kept inside an ERROR node. */
function salvage(error: Node): Node[] {
  return error.namedChildren.filter(
    (c): c is Node => !!c && !c.hasError && (c.type === 'resource_declaration' || c.type === 'parameter_declaration' || c.type === 'variable_declaration'),
  );
}

