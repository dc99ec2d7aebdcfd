import type { Rule, RuleSet } from '../../model';
import type { AllowRuleRequest } from '../../model/edits';
import type { AddressSet } from '../../net';
import {
  addressPlan,
  clipWords,
  choosePriority,
  detectNameStyle,
  indentAt,
  indentUnit,
  nameWords,
  oneLine,
  placeholderMeaning,
  placeholderWords,
  portText,
  shortCidr,
  styleName,
  uniqueName,
  type NameStyle,
} from '../emitSupport';

/**
 * The Azure NSG rules a batch of requests becomes, whatever the syntax
 * (Terraform azurerm, Bicep, ARM): one rule per protocol (Azure's `*` would
 * also open ICMP, ESP and AH), names in the neighbours' style, priorities
 * below the rule that denies the flow that collide with nothing.
 */

export interface AzureAddresses {
  /** CIDRs, addresses, service tags, or `*`. */
  readonly literals: readonly string[];
  /** An undeclared peer: written as a parameter/variable the user must fill in, never as `*`. */
  readonly placeholder?: { readonly words: readonly string[]; readonly meaning: string };
}

export interface AzureRuleSpec {
  readonly request: AllowRuleRequest;
  readonly name: string;
  /** The words of the name, for identifiers (Terraform labels, Bicep symbols) in their own style. */
  readonly words: readonly string[];
  readonly priority: number;
  readonly direction: 'Inbound' | 'Outbound';
  readonly protocol: 'Tcp' | 'Udp' | 'Icmp';
  /** `*` for ICMP. */
  readonly destinationPorts: readonly string[];
  readonly source: AzureAddresses;
  readonly destination: AzureAddresses;
  readonly comment: string;
  /** Write the plural property even for one value, as the neighbours do. */
  readonly pluralPorts: boolean;
  readonly pluralSource: boolean;
  readonly pluralDestination: boolean;
}

export const AZURE_MIN_PRIORITY = 100;
export const AZURE_MAX_PRIORITY = 4096;

/** The rules the user wrote (not the six defaults, not placeholders for unknown rule lists). */
export function writtenRules(ruleSet: RuleSet): Rule[] {
  return ruleSet.rules.filter((r) => !r.implicit && !r.meta?.placeholder);
}

function addressVariants(set: AddressSet): AzureAddresses[] {
  const plan = addressPlan(set);
  if (plan.any) return [{ literals: ['*'] }];
  const literals = [...plan.cidrs4, ...plan.cidrs6].map(shortCidr);
  for (const s of plan.symbols) if (s.kind === 'service-tag') literals.push(s.name);
  const out: AzureAddresses[] = literals.length ? [{ literals }] : [];
  for (const s of plan.symbols) {
    if (s.kind === 'service-tag') continue;
    out.push({ literals: [], placeholder: { words: placeholderWords(s), meaning: placeholderMeaning(s) } });
  }
  return out;
}

/** Neighbours write the plural property even for one value (every rule that has the field uses the plural). */
function pluralStyle(rules: readonly Rule[], key: 'portStyle' | 'addressStyle', side: 'source' | 'destination'): boolean {
  const styles = rules.map((r) => r.meta?.[key]?.split(' ').find((s) => s.startsWith(`${side}:`))?.slice(side.length + 1)).filter((s): s is string => !!s && s !== 'none' && s !== 'asg');
  return styles.length > 0 && styles.every((s) => s.startsWith('plural'));
}

export function nameStyleOf(ruleSet: RuleSet, fallback: NameStyle = 'kebab'): NameStyle {
  return detectNameStyle(
    writtenRules(ruleSet)
      .map((r) => r.name)
      .filter((n): n is string => !!n),
    fallback,
  );
}

/** Every request of the batch as Azure rules, with names and priorities free in the NSG and in the batch. */
export function planAzureRules(requests: readonly AllowRuleRequest[]): { specs: AzureRuleSpec[] } | { error: string } {
  const specs: AzureRuleSpec[] = [];
  const usedNames = new Map<RuleSet, Set<string>>();
  const usedPriorities = new Map<string, Set<number>>();
  for (const req of requests) {
    const rs = req.ruleSet;
    if (req.direction === 'forward') return { error: 'an Azure NSG has no forward direction' };
    const written = writtenRules(rs);
    let names = usedNames.get(rs);
    if (!names) {
      names = new Set(rs.rules.map((r) => r.name ?? r.id));
      usedNames.set(rs, names);
    }
    const key = `${rs.id}\u0000${req.direction}`;
    let used = usedPriorities.get(key);
    if (!used) {
      used = new Set(written.filter((r) => r.direction === req.direction && r.priority && !r.meta?.priorityUnknown).map((r) => r.priority!.value));
      usedPriorities.set(key, used);
    }
    const all = written.filter((r) => r.priority && !r.meta?.priorityUnknown).map((r) => r.priority!.value);
    const before = req.before && !req.before.implicit ? req.before.priority?.value : undefined;
    const upper = Math.min(before ?? AZURE_MAX_PRIORITY + 1, AZURE_MAX_PRIORITY + 1);
    const style = nameStyleOf(rs);
    const protocols = req.protocols.length ? req.protocols : (['tcp'] as const);
    const sources = addressVariants(req.source);
    const destinations = addressVariants(req.destination);
    if (sources.length === 0 || destinations.length === 0) return { error: `no ${sources.length === 0 ? 'source' : 'destination'} address to write` };
    const variants = protocols.length * sources.length * destinations.length;
    let n = 0;
    for (const protocol of protocols) {
      for (const source of sources) {
        for (const destination of destinations) {
          n++;
          const priority = choosePriority({ used, upper, min: AZURE_MIN_PRIORITY, start: AZURE_MIN_PRIORITY, all });
          if (priority === undefined) {
            return { error: `no free ${req.direction} priority between ${AZURE_MIN_PRIORITY} and ${upper - 1} in ${rs.name}; renumber the rules first` };
          }
          used.add(priority);
          const words = [...nameWords(req.name)];
          if (protocols.length > 1) words.push(protocol);
          if (variants > protocols.length) words.push(String(n));
          const name = uniqueName(styleName(words, style), names, style === 'pascal' || style === 'camel' ? '' : style.includes('snake') ? '_' : '-');
          specs.push({
            request: req,
            name,
            words,
            priority,
            direction: req.direction === 'inbound' ? 'Inbound' : 'Outbound',
            protocol: protocol === 'tcp' ? 'Tcp' : protocol === 'udp' ? 'Udp' : 'Icmp',
            destinationPorts: protocol === 'icmp' || req.ports.length === 0 ? ['*'] : req.ports.map(portText),
            source,
            destination,
            comment: oneLine(req.comment),
            pluralPorts: pluralStyle(written, 'portStyle', 'destination'),
            pluralSource: pluralStyle(written, 'addressStyle', 'source'),
            pluralDestination: pluralStyle(written, 'addressStyle', 'destination'),
          });
        }
      }
    }
  }
  return { specs };
}

/** ARM property names in the order Azure's documentation lists them; writers reorder them like a neighbour. */
export const AZURE_PROPERTY_ORDER = [
  'description',
  'protocol',
  'sourcePortRange',
  'destinationPortRange',
  'sourceAddressPrefix',
  'destinationAddressPrefix',
  'access',
  'priority',
  'direction',
] as const;
export type AzureProperty = (typeof AZURE_PROPERTY_ORDER)[number];

/** Singular property names (`destinationPortRange`) also stand for their plural, for ordering. */
export function pluralOf(p: AzureProperty): string {
  return p === 'destinationPortRange' || p === 'sourcePortRange' ? `${p}s` : p.endsWith('Prefix') ? `${p}es` : p;
}

export type AzureValue = { readonly kind: 'string'; readonly value: string } | { readonly kind: 'number'; readonly value: number } | { readonly kind: 'list'; readonly values: readonly string[] } | { readonly kind: 'placeholder'; readonly words: readonly string[]; readonly meaning: string };

/** The properties of one spec, as (ARM name, value) pairs; `description` only when the writer wants it. */
export function azureProperties(spec: AzureRuleSpec, withDescription: boolean): Map<string, AzureValue> {
  const props = new Map<string, AzureValue>();
  if (withDescription) props.set('description', { kind: 'string', value: clipWords(spec.comment, 140) });
  props.set('protocol', { kind: 'string', value: spec.protocol });
  props.set('sourcePortRange', { kind: 'string', value: '*' });
  if (spec.destinationPorts.length > 1 || (spec.pluralPorts && spec.destinationPorts[0] !== '*')) props.set('destinationPortRanges', { kind: 'list', values: spec.destinationPorts });
  else props.set('destinationPortRange', { kind: 'string', value: spec.destinationPorts[0] });
  const address = (side: 'source' | 'destination', a: AzureAddresses, plural: boolean): void => {
    if (a.placeholder) props.set(`${side}AddressPrefixes`, { kind: 'placeholder', words: a.placeholder.words, meaning: a.placeholder.meaning });
    else if (a.literals.length > 1 || (plural && a.literals[0] !== '*' && !/^[A-Za-z]/.test(a.literals[0]))) props.set(`${side}AddressPrefixes`, { kind: 'list', values: a.literals });
    else props.set(`${side}AddressPrefix`, { kind: 'string', value: a.literals[0] });
  };
  address('source', spec.source, spec.pluralSource);
  address('destination', spec.destination, spec.pluralDestination);
  props.set('access', { kind: 'string', value: 'Allow' });
  props.set('priority', { kind: 'number', value: spec.priority });
  props.set('direction', { kind: 'string', value: spec.direction });
  return props;
}

/** The property order of a neighbour rule: each written name (singular or plural) at its place in the neighbour's text. */
export function orderProperties(props: Map<string, AzureValue>, neighbourRaw: string | undefined, find: (raw: string, name: string) => number): [string, AzureValue][] {
  const entries = [...props.entries()];
  if (!neighbourRaw) return entries;
  const position = (name: string): number => {
    const base = AZURE_PROPERTY_ORDER.find((p) => p === name || pluralOf(p) === name) ?? name;
    const candidates = [base, pluralOf(base as AzureProperty)];
    let best = -1;
    for (const c of candidates) {
      const at = find(neighbourRaw, c);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  };
  const known = entries.map((e, i) => ({ e, i, at: position(e[0]) }));
  // Properties the neighbour lacks keep their default place relative to the one before them.
  let last = -1;
  const keyed = known.map((k) => {
    if (k.at >= 0) last = k.at;
    return { ...k, key: k.at >= 0 ? k.at : last + 0.5 };
  });
  return keyed.sort((a, b) => a.key - b.key || a.i - b.i).map((k) => k.e);
}

/** The written rule a new one is modelled on: the one it must precede, else the last one in the same direction, else any. */
export function neighbourRule(req: AllowRuleRequest, predicate: (r: Rule) => boolean = () => true): Rule | undefined {
  const written = writtenRules(req.ruleSet).filter(predicate);
  if (req.before && !req.before.implicit && predicate(req.before)) return req.before;
  const same = written.filter((r) => r.direction === req.direction);
  return same[same.length - 1] ?? written[written.length - 1];
}

/** What a format writes Azure rules with: NSG rules and Azure Firewall network rules. */
export interface AzureRuleWriter {
  rule(spec: AzureRuleSpec): string | undefined;
  firewallRule(spec: FirewallRuleSpec): void;
}

/**
 * One batch of requests, NSG and Azure Firewall alike (Bicep and ARM): each
 * planned by its own semantics, then written by the format's writer. Returns
 * why a rule cannot be written, if one cannot.
 */
export function writeAzureRules(requests: readonly AllowRuleRequest[], writer: AzureRuleWriter): string | undefined {
  const firewall = requests.filter((r) => r.ruleSet.kind === 'azure-firewall');
  if (firewall.length) {
    const planned = planFirewallRules(firewall);
    if ('error' in planned) return planned.error;
    for (const spec of planned.specs) writer.firewallRule(spec);
  }
  const plan = planAzureRules(requests.filter((r) => r.ruleSet.kind !== 'azure-firewall'));
  if ('error' in plan) return plan.error;
  for (const spec of plan.specs) {
    const err = writer.rule(spec);
    if (err) return err;
  }
  return undefined;
}

/** The indentation of a written rule object and of its properties (its second line), to write a new one beside it. */
export function neighbourIndents(text: string, rule: Rule, fallbackUnit: string): { indent: string; propertyIndent: string; unit: string } {
  const indent = indentAt(text, rule.span.start);
  const second = rule.raw.split(/\r?\n/)[1] ?? '';
  const propertyIndent = second.slice(0, second.length - second.trimStart().length) || indent + fallbackUnit;
  return { indent, propertyIndent, unit: indentUnit(indent, propertyIndent) };
}

/** A network rule for an Azure Firewall policy (Bicep, ARM): where it goes and what it holds. */
export interface FirewallRuleSpec {
  readonly request: AllowRuleRequest;
  /** The written rule of the chosen collection the new one follows. */
  readonly after: Rule;
  readonly name: string;
  readonly protocols: readonly string[];
  readonly source: AzureValue;
  readonly destination: AzureValue;
  readonly ports: readonly string[];
}

/**
 * Azure Firewall takes the first match across DNAT, then network, then
 * application collections, groups by priority and collections by priority
 * within a group. A new Allow rule goes into an Allow network collection that
 * runs before the rule that denies the flow: one named for Citrix if there is
 * one, else the last before the deny. Without such a collection (or with one
 * whose rules come from a loop) the rule cannot be placed by editing one array.
 */
export function planFirewallRules(requests: readonly AllowRuleRequest[]): { specs: FirewallRuleSpec[] } | { error: string } {
  const specs: FirewallRuleSpec[] = [];
  const names = new Map<string, Set<string>>();
  for (const req of requests) {
    const rs = req.ruleSet;
    if (req.reply) return { error: 'Azure Firewall is stateful: replies need no rule' };
    const limit = req.before?.priority?.value ?? Infinity;
    const collections = new Map<string, Rule[]>();
    for (const r of rs.rules) {
      if (r.implicit || r.meta?.placeholder === 'true' || r.meta?.firewallRuleKind !== 'network' || r.target.kind !== 'allow') continue;
      if (r.meta?.loopIndex !== undefined || r.meta?.copyLoop !== undefined || (r.priority?.value ?? Infinity) >= limit) continue;
      const key = `${r.meta?.ruleCollectionGroup ?? ''}|${r.meta?.collectionIndex ?? r.meta?.collection ?? ''}`;
      collections.set(key, [...(collections.get(key) ?? []), r]);
    }
    const lists = [...collections.values()];
    const chosen = lists.find((l) => /citrix/i.test(l[0].meta?.collection ?? '')) ?? lists.sort((a, b) => (b[0].priority?.value ?? 0) - (a[0].priority?.value ?? 0))[0];
    if (!chosen) {
      const deny = req.before ? `${req.before.name ?? req.before.id} (${req.before.priority?.text ?? 'its deny'})` : 'the end of the policy';
      return { error: `no Allow network rule collection of ${rs.name} runs before ${deny}: add one with a lower priority, then use the quick fix again` };
    }
    const after = chosen.reduce((a, b) => (b.span.end > a.span.end ? b : a));
    const key = `${rs.id}|${after.meta?.ruleCollectionGroup ?? ''}|${after.meta?.collectionIndex ?? after.meta?.collection ?? ''}`;
    const used = names.get(key) ?? new Set(chosen.map((r) => r.name ?? r.id));
    names.set(key, used);
    const side = (set: AllowRuleRequest['source']): AzureValue => {
      const plan = addressPlan(set);
      if (plan.any) return { kind: 'list', values: ['*'] };
      if (plan.symbols.length) return { kind: 'placeholder', words: placeholderWords(plan.symbols[0]), meaning: placeholderMeaning(plan.symbols[0]) };
      return { kind: 'list', values: [...plan.cidrs4, ...plan.cidrs6].map((c) => c.replace(/\/32$/, '')) };
    };
    specs.push({
      request: req,
      after,
      name: uniqueName(req.name, used),
      protocols: req.protocols.map((p) => p.toUpperCase()),
      source: side(req.source),
      destination: side(req.destination),
      ports: req.ports.length ? req.ports.map(portText) : ['*'],
    });
  }
  return { specs };
}
