import {
  AddressSet,
  type AddressSymbol,
  parsePortRange,
  parseProtocol,
  formatPortSet,
  formatProtocolSet,
  Ports,
  Protocols,
  TCP,
  UDP,
  type PortSet,
  type ProtocolSet,
} from '../net';
import { namesCoverage } from './hostNames';
import { WINDOWS_PROFILES, type Action, type Direction, type MatchCondition, type Rule, type RuleSet, type WindowsProfile } from '../model';

/** One flow (or family of flows) to test: who talks to whom, on what. */
export interface FlowQuery {
  readonly direction: Direction;
  readonly protocols: ProtocolSet;
  readonly source: AddressSet;
  readonly destination: AddressSet;
  readonly destinationPorts: PortSet;
  /** Clients use unprivileged ephemeral ports, so that is the default. */
  readonly sourcePorts?: PortSet;
  /**
   * Host names the destination is known by (`*.nssvc.net` for the Gateway
   * Service): rules that name FQDNs are matched against them instead of
   * being unknown for a flow given by addresses.
   */
  readonly destinationNames?: readonly string[];
}

export type Verdict = 'allowed' | 'denied' | 'partial' | 'unknown';
export type Outcome = 'allow' | 'deny' | 'unknown';

/** A piece of the flow and what happened to it. */
export interface FlowPart {
  readonly protocols: ProtocolSet;
  readonly source: AddressSet;
  readonly destination: AddressSet;
  readonly sourcePorts: PortSet;
  readonly destinationPorts: PortSet;
}

export interface Decision {
  readonly ruleSet: RuleSet;
  /** The rule that decided; undefined when the rule set's default (policy, implicit deny) did. */
  readonly rule?: Rule;
  readonly outcome: Outcome;
  readonly part: FlowPart;
  readonly reason?: string;
  /**
   * A decision on the flow's replies through a stateless stage (an AWS
   * network ACL, a NetScaler's ACLs). `part` is still written as the flow
   * (its source, destination and ports), so every reader cuts it by the
   * flow's own ports; the rule matched the replies, which go the other way.
   */
  readonly reply?: true;
}

export interface EvaluationResult {
  readonly verdict: Verdict;
  readonly decisions: readonly Decision[];
  /** Rules that decided the denied part, or when nothing was denied, those that allowed it. */
  readonly decidingRules: readonly Rule[];
  readonly reasons: readonly string[];
}

export interface EvaluateOptions {
  /** Resolves symbolic addresses (service tags, security groups, tags) from the topology. */
  readonly resolve?: (symbol: AddressSymbol) => AddressSet | undefined;
  /**
   * The Windows Defender Firewall profile active on the protected host (from
   * citrix-flows.yaml). Without one, rules limited to some profiles are
   * evaluated in each, and a verdict that differs between them is unknown.
   */
  readonly profile?: WindowsProfile;
}

export const EPHEMERAL_PORTS = Ports.range(1024, 65535);
const PORTFUL = Protocols.of(6, 17, 132);
const MAX_CHAIN_DEPTH = 32;

/** A possible earlier match we could not decide, carried along until the cell's fate is known. */
interface Possibility {
  readonly action: Action;
  readonly rule: Rule;
  readonly reason: string;
}

interface Cell extends FlowPart {
  readonly possibilities: readonly Possibility[];
  /**
   * An earlier stage could not decide this part: it goes on through the later
   * stages, since a definite deny there denies it anyway (unknown ∧ denied =
   * denied); if they let it through, this unknown is its verdict.
   */
  readonly pending: Decision | undefined;
}

interface Dims {
  protocols: ProtocolSet;
  source: AddressSet;
  destination: AddressSet;
  sourcePorts: PortSet;
  destinationPorts: PortSet;
}

interface Split<T> {
  readonly inside: T;
  readonly outside: T;
  readonly maybe: T;
}

/**
 * Splits addresses X by a rule's addresses Y into the part Y surely holds,
 * the part it surely does not, and the part we cannot tell because one side
 * names something unresolved. Symbols are compared by name only.
 */
function splitAddresses(x: AddressSet, y: AddressSet): Split<AddressSet> {
  const none = AddressSet.none();
  if (y.isAny && y.symbols.every((s) => !s.negated)) return { inside: x, outside: none, maybe: none };
  if (x.symbols.length === 0 && y.symbols.length === 0) {
    // Both concrete, as most rules and flows are: nothing is uncertain, and most rules miss the cell or hold it whole.
    if (!x.intersects(y)) return { inside: none, outside: x, maybe: none };
    if (x.isSubsetOf(y)) return { inside: x, outside: none, maybe: none };
    return { inside: x.intersect(y), outside: x.difference(y), maybe: none };
  }
  const key = (s: AddressSymbol): string => `${s.negated ? '!' : ''}${s.kind}:${s.name}`;
  const yKeys = new Set(y.symbols.map(key));
  const sharedSymbols = x.symbols.filter((s) => yKeys.has(key(s)));
  const otherSymbols = x.symbols.filter((s) => !yKeys.has(key(s)));
  const concreteX = AddressSet.of(x.v4, x.v6);
  const concreteY = AddressSet.of(y.v4, y.v6);
  const inside = concreteX.intersect(concreteY).union(AddressSet.of(none.v4, none.v6, sharedSymbols));
  const rest = concreteX.difference(concreteY);
  const yHasUnknowns = y.symbols.length > 0;
  const symbolsMayOverlap = otherSymbols.length > 0 && (yHasUnknowns || !concreteY.isEmpty);
  const outside = AddressSet.of(
    yHasUnknowns ? none.v4 : rest.v4,
    yHasUnknowns ? none.v6 : rest.v6,
    symbolsMayOverlap ? [] : otherSymbols,
  );
  const maybe = AddressSet.of(
    yHasUnknowns ? rest.v4 : none.v4,
    yHasUnknowns ? rest.v6 : none.v6,
    symbolsMayOverlap ? otherSymbols : [],
  );
  return { inside, outside, maybe };
}

/** Protocols and ports are always concrete, so nothing about them is uncertain. */
function splitSets<T extends ProtocolSet>(x: T, y: T): Split<T> {
  const none = x.none() as T;
  if (!x.intersects(y)) return { inside: none, outside: x, maybe: none };
  return { inside: x.intersect(y) as T, outside: x.difference(y) as T, maybe: none };
}

const isEmptyDims = (d: Dims): boolean =>
  d.protocols.isEmpty || d.source.isEmpty || d.destination.isEmpty || d.sourcePorts.isEmpty || d.destinationPorts.isEmpty;

type DimName = keyof Dims;
const DIM_ORDER: readonly DimName[] = ['protocols', 'destinationPorts', 'sourcePorts', 'source', 'destination'];

/**
 * Splits a cell by a rule's match region into disjoint cells that surely
 * match, surely do not, and may match. Cells of protocols without ports
 * ignore the rule's ports, as every firewall does.
 */
function splitCell(cell: Cell, region: Dims): { matched: Cell[]; unmatched: Cell[]; maybe: Cell[] } {
  // Most rules a flow meets miss most of its cells, or hold one whole: said without building the pieces.
  const whole = wholeCellFate(cell, region);
  if (whole === 'misses') return { matched: [], unmatched: [cell], maybe: [] };
  if (whole === 'holds') return { matched: [cell], unmatched: [], maybe: [] };
  const matched: Cell[] = [];
  const unmatched: Cell[] = [];
  const maybe: Cell[] = [];
  const portClasses: { protocols: ProtocolSet; ignorePorts: boolean }[] = [
    { protocols: cell.protocols.intersect(PORTFUL), ignorePorts: false },
    { protocols: cell.protocols.difference(PORTFUL), ignorePorts: true },
  ];
  for (const { protocols, ignorePorts } of portClasses) {
    if (protocols.isEmpty) continue;
    const base: Dims = withDim(cell, 'protocols', protocols);
    const r: Dims = ignorePorts ? { ...region, sourcePorts: Ports.any(), destinationPorts: Ports.any() } : region;
    const splits = {
      protocols: splitSets(base.protocols, r.protocols),
      destinationPorts: splitSets(base.destinationPorts, r.destinationPorts),
      sourcePorts: splitSets(base.sourcePorts, r.sourcePorts),
      source: splitAddresses(base.source, r.source),
      destination: splitAddresses(base.destination, r.destination),
    } as const;
    const make = (d: Dims): Cell => cellOf(d, cell.possibilities, cell.pending);
    // Points with any dimension surely outside: disjoint pieces, one per dimension.
    const candidate: Dims = withDim(base, 'protocols', base.protocols);
    for (const dim of DIM_ORDER) {
      const s = splits[dim] as Split<Dims[typeof dim]>;
      const out = withDim(candidate, dim, s.outside);
      if (!isEmptyDims(out)) unmatched.push(make(out));
      (candidate as unknown as Record<string, unknown>)[dim] = unionOf(s.inside, s.maybe);
    }
    // Inside the candidate box: all-inside matches; the rest may match.
    const sure: Dims = withDim(candidate, 'protocols', candidate.protocols);
    for (const dim of DIM_ORDER) {
      const s = splits[dim] as Split<Dims[typeof dim]>;
      const unsure = withDim(sure, dim, s.maybe);
      if (!isEmptyDims(unsure)) maybe.push(make(unsure));
      (sure as unknown as Record<string, unknown>)[dim] = s.inside;
    }
    if (!isEmptyDims(sure)) matched.push(make(sure));
  }
  return { matched, unmatched, maybe };
}

/**
 * Whether a region surely misses the whole cell or surely holds all of it,
 * for a cell whose protocols all use ports or none does (the split treats
 * the two kinds apart); undefined when the cell must be split.
 */
function wholeCellFate(cell: Cell, region: Dims): 'misses' | 'holds' | undefined {
  const portful = cell.protocols.isSubsetOf(PORTFUL);
  if (!portful && cell.protocols.intersects(PORTFUL)) return undefined;
  if (!cell.protocols.intersects(region.protocols)) return 'misses';
  if (portful && (!cell.destinationPorts.intersects(region.destinationPorts) || !cell.sourcePorts.intersects(region.sourcePorts))) return 'misses';
  if (surelyMisses(cell.source, region.source) || surelyMisses(cell.destination, region.destination)) return 'misses';
  const portsHeld = !portful || (cell.destinationPorts.isSubsetOf(region.destinationPorts) && cell.sourcePorts.isSubsetOf(region.sourcePorts));
  if (portsHeld && cell.protocols.isSubsetOf(region.protocols) && surelyHolds(cell.source, region.source) && surelyHolds(cell.destination, region.destination)) return 'holds';
  return undefined;
}

/** No address of `x` is in `y`, and no name leaves a doubt (as splitAddresses decides it). */
function surelyMisses(x: AddressSet, y: AddressSet): boolean {
  return y.symbols.length === 0 && !x.intersects(y) && (x.symbols.length === 0 || y.isEmpty);
}

/** Every address of `x` is in `y`, and no name leaves a doubt (as splitAddresses decides it). */
function surelyHolds(x: AddressSet, y: AddressSet): boolean {
  if (x.symbols.length !== 0) return false;
  if (y.isAny && y.symbols.every((s) => !s.negated)) return true;
  return y.symbols.length === 0 && x.isSubsetOf(y);
}

/**
 * Cells and boxes are made with one fixed shape (the order `evaluate` gives
 * its first cell): spreading with a computed key made a new hidden class per
 * dimension and kept the hot split loop megamorphic.
 */
function cellOf(d: Dims, possibilities: readonly Possibility[], pending: Decision | undefined): Cell {
  return { protocols: d.protocols, source: d.source, destination: d.destination, sourcePorts: d.sourcePorts, destinationPorts: d.destinationPorts, possibilities, pending };
}

function withDim<K extends DimName>(d: Dims, dim: K, value: Dims[K]): Dims {
  const out: Dims = { protocols: d.protocols, source: d.source, destination: d.destination, sourcePorts: d.sourcePorts, destinationPorts: d.destinationPorts };
  out[dim] = value;
  return out;
}

function unionOf<T>(a: T, b: T): T {
  return (a as unknown as { union(o: T): T }).union(b);
}

function regionOf(rule: Rule, resolve: EvaluateOptions['resolve']): Dims {
  const addr = (a: AddressSet): AddressSet => (resolve ? a.resolve(resolve) : a);
  return {
    protocols: rule.protocols.value,
    source: addr(rule.source.value),
    destination: addr(rule.destination.value),
    sourcePorts: rule.sourcePorts.value,
    destinationPorts: rule.destinationPorts.value,
  };
}

/** A rule's region with the names the branch decides replaced: by the whole of the flow's side where it holds, by nothing where not. */
function branchRegion(region: Dims, branch: Branch): Dims {
  const side = (set: AddressSet, decided: ReadonlyMap<string, boolean>, flowSide: AddressSet): AddressSet => {
    if (set.symbols.length === 0 || decided.size === 0) return set;
    let out = AddressSet.of(set.v4, set.v6);
    const left: AddressSymbol[] = [];
    for (const s of set.symbols) {
      const holds = decided.get(symbolKey(s));
      if (holds === undefined) left.push(s);
      else if (holds !== !!s.negated) out = out.union(flowSide);
    }
    return out.union(AddressSet.of(AddressSet.none().v4, AddressSet.none().v6, left));
  };
  return {
    protocols: region.protocols,
    source: side(region.source, branch.source, branch.flow.source),
    destination: side(region.destination, branch.destination, branch.flow.destination),
    sourcePorts: region.sourcePorts,
    destinationPorts: region.destinationPorts,
  };
}

function describeUnknown(rule: Rule, region: Dims, cell: Dims): string {
  const names = [...region.source.symbols, ...region.destination.symbols].map((s) => `${s.negated ? 'not ' : ''}${s.name}`);
  // A rule of plain addresses is in doubt only because the flow names something unresolved (a peer without addresses).
  const flowNames = (side: 'source' | 'destination'): string[] => cell[side].symbols.map((s) => `${s.negated ? 'not ' : ''}${s.name}`);
  const flowSides = (['source', 'destination'] as const).filter((side) => flowNames(side).length);
  const what = rule.unresolved.length
    ? rule.unresolved.map((u) => `${u.text} (${u.reason})`).join('; ')
    : names.length
      ? `unresolved ${[...new Set(names)].join(', ')}`
      : flowSides.length
        ? flowSides.map((side) => `the flow's ${side} ${[...new Set(flowNames(side))].join(', ')} is not resolved`).join(', and ')
        : 'a condition that cannot be evaluated';
  return `rule ${rule.name ?? rule.id} may match: ${what}`;
}

const orderCache = new WeakMap<readonly Rule[], { semantics: RuleSet['semantics']; rules: readonly Rule[] }>();

/** Rule lists are immutable once parsed, so the sort is done once per list and reused by every flow. */
function ordered(ruleSet: RuleSet, rules: readonly Rule[]): readonly Rule[] {
  const hit = orderCache.get(rules);
  if (hit && hit.semantics === ruleSet.semantics) return hit.rules;
  const sorted = sortedForEvaluation(ruleSet, rules);
  orderCache.set(rules, { semantics: ruleSet.semantics, rules: sorted });
  return sorted;
}

function sortedForEvaluation(ruleSet: RuleSet, rules: readonly Rule[]): readonly Rule[] {
  if (ruleSet.semantics === 'priority-first-match') {
    // Lower priority number first; at equal priority a deny is evaluated first (GCP's rule; Azure forbids ties).
    return [...rules].sort(
      (a, b) =>
        (a.priority?.value ?? Number.MAX_SAFE_INTEGER) - (b.priority?.value ?? Number.MAX_SAFE_INTEGER) ||
        Number(a.target.kind !== 'deny') - Number(b.target.kind !== 'deny') ||
        a.order - b.order,
    );
  }
  if (ruleSet.semantics === 'block-wins') {
    return [...rules].sort((a, b) => Number(a.target.kind !== 'deny') - Number(b.target.kind !== 'deny') || a.order - b.order);
  }
  return rules;
}

/** Whether two address sets may share an address: surely not only when both are concrete and disjoint. */
function addressesMeet(a: AddressSet, b: AddressSet): boolean {
  if (a.symbols.length || b.symbols.length) return true;
  return a.intersects(b);
}

/** Ports are bucketed in blocks of 64, so a flow finds the rules on its ports without a scan. */
const BLOCK_BITS = 6;
const BLOCKS = 65536 >> BLOCK_BITS;
/** A rule (or flow) spanning more blocks than this is treated as "wide": always a candidate (or: scan everything). */
const MAX_RULE_BLOCKS = 4;

interface ListIndex {
  /** Per port block, the positions of rules whose destination ports touch it. */
  readonly buckets: (number[] | undefined)[];
  /** Rules on wide port sets, or on protocols without ports (which ignore ports). */
  readonly always: readonly number[];
  readonly stamp: Uint32Array;
  generation: number;
}

const indexCache = new WeakMap<readonly Rule[], ListIndex>();

function indexOf(rules: readonly Rule[]): ListIndex {
  let index = indexCache.get(rules);
  if (index) return index;
  const buckets: (number[] | undefined)[] = new Array(BLOCKS);
  const always: number[] = [];
  rules.forEach((rule, position) => {
    const ranges = rule.destinationPorts.value.ranges;
    const blocks = new Set<number>();
    let wide = !rule.protocols.value.isSubsetOf(PORTFUL);
    for (const r of ranges) {
      if (wide) break;
      for (let b = r.from >> BLOCK_BITS; b <= r.to >> BLOCK_BITS; b++) {
        blocks.add(b);
        if (blocks.size > MAX_RULE_BLOCKS) {
          wide = true;
          break;
        }
      }
    }
    if (wide) always.push(position);
    else for (const b of blocks) (buckets[b] ??= []).push(position);
  });
  index = { buckets, always, stamp: new Uint32Array(rules.length), generation: 0 };
  indexCache.set(rules, index);
  return index;
}

/**
 * A rule whose protocols or ports cannot meet the flow at all leaves every
 * cell of it unmatched, so it is dropped before any cell is split: on a big
 * rule set a flow then walks only the handful of rules on its own ports.
 * The survivors keep their order. Rules from position `until` on may be left
 * out too (a caller that wants only earlier rules); short lists come back whole.
 */
function candidates(rules: readonly Rule[], flow: Dims, until = rules.length): readonly Rule[] {
  if (rules.length < 32) return rules;
  const portless = !flow.protocols.isSubsetOf(PORTFUL);
  const meets = (rule: Rule): boolean => {
    const protocols = rule.protocols.value;
    if (!protocols.intersects(flow.protocols)) return false;
    // Protocols without ports (ICMP) ignore the rule's ports.
    if (portless && !protocols.intersect(flow.protocols).isSubsetOf(PORTFUL)) return true;
    return (
      rule.destinationPorts.value.intersects(flow.destinationPorts) &&
      rule.sourcePorts.value.intersects(flow.sourcePorts) &&
      addressesMeet(rule.source.value, flow.source) &&
      addressesMeet(rule.destination.value, flow.destination)
    );
  };
  let flowBlocks = 0;
  for (const r of flow.destinationPorts.ranges) flowBlocks += (r.to >> BLOCK_BITS) - (r.from >> BLOCK_BITS) + 1;
  if (portless || flowBlocks > BLOCKS / 4) return (until < rules.length ? rules.slice(0, until) : rules).filter(meets);
  const index = indexOf(rules);
  const generation = ++index.generation;
  const positions: number[] = [];
  const take = (p: number): void => {
    if (index.stamp[p] === generation) return;
    index.stamp[p] = generation;
    positions.push(p);
  };
  for (const p of index.always) if (p < until) take(p);
  for (const r of flow.destinationPorts.ranges) {
    for (let b = r.from >> BLOCK_BITS; b <= r.to >> BLOCK_BITS; b++) for (const p of index.buckets[b] ?? []) if (p < until) take(p);
  }
  positions.sort((a, b) => a - b);
  const out: Rule[] = [];
  for (const p of positions) if (meets(rules[p])) out.push(rules[p]);
  return out;
}

/**
 * The rules of `rules` (in their order) whose protocols and ports meet those
 * of `rule`: the only ones that can take part of its match region. Checks
 * that compare rules pairwise use it to stay near-linear on big rule sets.
 * With `until`, rules at that position or later may be left out.
 */
export function rulesMeeting(rules: readonly Rule[], rule: Rule, until = rules.length): readonly Rule[] {
  return candidates(
    rules,
    {
      protocols: rule.protocols.value,
      source: rule.source.value,
      destination: rule.destination.value,
      sourcePorts: rule.sourcePorts.value,
      destinationPorts: rule.destinationPorts.value,
    },
    until,
  );
}

/** Cell-by-rule splits one evaluation may do (about a second of work); past it the rest of the flow is unknown. */
export const MAX_CELL_SPLITS = 200_000;

class RuleSetEvaluator {
  readonly decisions: Decision[] = [];
  private splits = 0;
  private readonly ruleDirection: Direction;

  constructor(
    private readonly ruleSet: RuleSet,
    private readonly direction: Direction,
    private readonly resolve: EvaluateOptions['resolve'],
    /** The whole flow; every cell lies inside it, so rules that miss it miss every cell. */
    private readonly flow: Dims,
    private readonly branch?: Branch,
    /** The host's active Windows Firewall profile: rules of other profiles do not apply. */
    private readonly profile?: WindowsProfile,
  ) {
    this.ruleDirection = ruleSet.rulesDirection ?? direction;
  }

  run(cells: Cell[]): void {
    const fallthrough = this.chain(candidates(ordered(this.ruleSet, this.ruleSet.rules), this.flow), cells, 0);
    const unknownBecause = this.ruleSet.defaultsUnknown?.[this.direction];
    if (unknownBecause) {
      for (const cell of fallthrough) this.decisions.push({ ruleSet: this.ruleSet, outcome: 'unknown', part: cell, reason: `no rule here matched, and ${unknownBecause}` });
      return;
    }
    const action = this.ruleSet.defaults[this.direction]?.value ?? defaultFor(this.ruleSet, this.direction);
    for (const cell of fallthrough) this.decide(cell, action, undefined, `no rule matched: ${this.ruleSet.name} ${action === 'allow' ? 'allows' : 'denies'} by default`);
  }

  private decide(cell: Cell, action: Action, rule: Rule | undefined, reason: string): void {
    const doubts = cell.possibilities.filter((p) => p.action !== action);
    const part: FlowPart = cell;
    if (doubts.length) {
      this.decisions.push({ ruleSet: this.ruleSet, rule: doubts[0].rule, outcome: 'unknown', part, reason: doubts.map((d) => d.reason).join('; ') });
    } else {
      this.decisions.push({ ruleSet: this.ruleSet, rule, outcome: action, part, reason });
    }
  }

  /** Returns the cells that fell off the end of the chain or hit RETURN. */
  private chain(rules: readonly Rule[], cells: Cell[], depth: number): Cell[] {
    const returned: Cell[] = [];
    if (depth > MAX_CHAIN_DEPTH) {
      for (const cell of cells) {
        this.decisions.push({ ruleSet: this.ruleSet, outcome: 'unknown', part: cell, reason: `jumps nest deeper than ${MAX_CHAIN_DEPTH} (a loop?)` });
      }
      return returned;
    }
    let live = cells;
    for (const rule of rules) {
      if (live.length === 0) break;
      if (!rule.enabled.value || rule.direction !== this.ruleDirection) continue;
      if (rule.conditions.some((c) => c.effect === 'never-matches-new')) continue;
      if (this.profile && rule.conditions.some((c) => c.kind === 'profile' && c.profiles && !c.profiles.includes(this.profile as WindowsProfile))) continue;
      this.splits += live.length;
      if (this.splits > MAX_CELL_SPLITS) {
        // A wide flow against many distinct rules splits into ever more pieces (quadratic): stop and say so.
        for (const cell of live) {
          this.decisions.push({
            ruleSet: this.ruleSet,
            rule,
            outcome: 'unknown',
            part: cell,
            reason: `analysis is limited: this flow splits into too many pieces against ${this.ruleSet.name}'s rules to evaluate exactly (stopped at rule ${rule.name ?? rule.id}, after ${MAX_CELL_SPLITS} steps)`,
          });
        }
        return returned;
      }
      const region = this.branch ? branchRegion(regionOf(rule, this.resolve), this.branch) : regionOf(rule, this.resolve);
      const conditionUnknown = rule.conditions.find((c) => c.effect === 'unknown');
      const next: Cell[] = [];
      for (const cell of live) {
        const split = splitCell(cell, region);
        next.push(...split.unmatched);
        const maybe = conditionUnknown ? [...split.maybe, ...split.matched] : split.maybe;
        const matched = conditionUnknown ? [] : split.matched;
        // Worded only when some part may match: most splits have none, and the words cost more than the split.
        const why = maybe.length === 0 ? '' : conditionUnknown ? `rule ${rule.name ?? rule.id} depends on ${conditionUnknown.text}` : describeUnknown(rule, region, cell);
        for (const m of maybe) {
          if (rule.target.kind === 'allow' || rule.target.kind === 'deny') {
            // One possibility per action is all a verdict needs (does any differ from the final action?);
            // keeping every one made a list of unknown rules quadratic.
            const action = rule.target.kind;
            next.push(m.possibilities.some((p) => p.action === action) ? m : cellOf(m, [...m.possibilities, { action, rule, reason: why }], m.pending));
          } else if (rule.target.kind === 'continue') {
            next.push(m);
          } else {
            this.decisions.push({ ruleSet: this.ruleSet, rule, outcome: 'unknown', part: m, reason: why });
          }
        }
        for (const m of matched) {
          const t = rule.target;
          switch (t.kind) {
            case 'allow':
            case 'deny':
              this.decide(m, t.kind, rule, `${t.kind === 'allow' ? 'allowed' : 'denied'} by ${rule.name ?? rule.id}`);
              break;
            case 'continue':
              next.push(m);
              break;
            case 'return':
              returned.push(m);
              break;
            case 'jump':
            case 'goto': {
              const target = this.ruleSet.chains?.[t.chain];
              if (!target) {
                this.decisions.push({ ruleSet: this.ruleSet, rule, outcome: 'unknown', part: m, reason: `chain ${t.chain} is not defined in this file` });
                break;
              }
              const back = this.chain(candidates(target, this.flow), [m], depth + 1);
              if (t.kind === 'jump') next.push(...back);
              else returned.push(...back);
              break;
            }
          }
        }
      }
      live = next;
    }
    returned.push(...live);
    return returned;
  }
}

function defaultFor(ruleSet: RuleSet, direction: Direction): Action {
  if (ruleSet.semantics === 'first-match') return 'allow';
  if (ruleSet.semantics === 'block-wins') return direction === 'outbound' ? 'allow' : 'deny';
  return 'deny';
}

/**
 * Would the rule sets let this flow through? Several rule sets are stages a
 * packet crosses in order (nftables base chains on the hooks it passes,
 * subnet then NIC NSG, ASA in then out): a part passes only if every stage
 * allows it, and a definite deny in any stage denies it even where an
 * earlier stage could not decide (unknown ∧ denied = denied).
 */
export function evaluate(stages: RuleSet | readonly RuleSet[], flow: FlowQuery, options: EvaluateOptions = {}): EvaluationResult {
  const parsed: readonly RuleSet[] = Array.isArray(stages) ? stages : [stages as RuleSet];
  const needed = flow.destinationNames ?? [];
  const list = needed.length ? parsed.map((rs) => seenByName(rs, needed)) : parsed;
  const result = withReplies(list, flow, evaluateOneWay(list, flow, options), options);
  return list.some((rs, i) => rs !== parsed[i]) ? backToParsed(result) : result;
}

const nameViews = new WeakMap<RuleSet, Map<string, RuleSet>>();

/**
 * The rule set as a flow known by these names meets it: a rule whose FQDNs
 * match every name the flow needs matches its whole destination, one whose
 * FQDNs can match none of them does not match at all, and one that matches
 * part of them stays unknown. FQDN tags, URLs and web categories are not
 * host names and stay as they are.
 */
function seenByName(rs: RuleSet, needed: readonly string[]): RuleSet {
  const isName = (s: AddressSymbol): boolean => s.kind === 'fqdn' && !s.negated && !/\s/.test(s.name);
  if (!rs.rules.some((r) => r.destination.value.symbols.some(isName))) return rs;
  const key = needed.join(' ');
  let byNames = nameViews.get(rs);
  if (!byNames) nameViews.set(rs, (byNames = new Map()));
  let view = byNames.get(key);
  if (!view) {
    view = {
      ...rs,
      rules: rs.rules.map((r) => {
        const value = r.destination.value;
        const names = value.symbols.filter(isName);
        if (names.length === 0) return r;
        const coverage = namesCoverage(names.map((s) => s.name), needed);
        if (coverage === 'some') return r;
        const others = value.symbols.filter((s) => !isName(s));
        const concrete = AddressSet.of(value.v4, value.v6, others);
        const seen: Rule = { ...r, destination: { ...r.destination, value: coverage === 'all' ? AddressSet.any() : concrete } };
        parsedOf.set(seen, r);
        return seen;
      }),
    };
    byNames.set(key, view);
    parsedOf.set(view, rs);
  }
  return view;
}

/**
 * A stateless stage (an AWS network ACL) does not let replies back on its
 * own: they are packets of the other direction, to the client's ephemeral
 * ports, and must be allowed by a rule of that direction. A flow whose
 * replies such a stage denies does not work, so it is denied, and the
 * reasons name the port range the replies need.
 */
function withReplies(list: readonly RuleSet[], flow: FlowQuery, forward: EvaluationResult, options: EvaluateOptions): EvaluationResult {
  // Replies are looked at even where the flow itself is denied: opening it then needs their rule too.
  if (flow.direction === 'forward') return forward;
  const stateless = list.filter((rs) => rs.meta?.stateless === 'true' && rs.directions.includes(flow.direction));
  if (stateless.length === 0) return forward;
  const protocols = flow.protocols.intersect(Protocols.of(TCP, UDP));
  if (protocols.isEmpty) return forward;
  const replyDirection: Direction = flow.direction === 'inbound' ? 'outbound' : 'inbound';
  const replyPorts = flow.sourcePorts ?? EPHEMERAL_PORTS;
  const reply = backToParsed(evaluateOneWay(stateless.map(asSeenByReplies), { direction: replyDirection, protocols, source: flow.destination, destination: flow.source, destinationPorts: replyPorts, sourcePorts: flow.destinationPorts }, options));
  if (reply.verdict === 'allowed') return forward;
  const range = formatPortSet(replyPorts);
  const names = stateless.map((rs) => rs.name).join(', ');
  const how = reply.verdict === 'denied' ? 'denied' : reply.verdict === 'partial' ? 'only partly allowed' : 'not known to be allowed';
  const whose = stateless.find((rs) => rs.meta?.replyPortsWhy)?.meta?.replyPortsWhy ?? 'the ephemeral ports AWS documents';
  const note = `the return path is ${how}: ${names} is stateless, so the replies need an ${replyDirection} rule for ${formatProtocolSet(protocols)} to ports ${range} (${whose})`;
  const asFlow = (d: Decision): Decision => ({
    ...d,
    reply: true,
    part: { protocols: d.part.protocols, source: d.part.destination, destination: d.part.source, sourcePorts: d.part.destinationPorts, destinationPorts: d.part.sourcePorts },
    ...(d.outcome === 'allow' ? {} : { reason: d.reason ? `${note}; ${d.reason}` : note }),
  });
  // Readers take the decisions as a partition of the flow. Where the flow itself is allowed throughout, the
  // replies' decisions are that partition (an allowed part whose replies are dropped is dropped). Where it is
  // not, what the flow's own rules deny or leave unknown stays, and each part they allow is cut by the replies'
  // decisions: its replies allowed, the allowing rule stays; its replies stopped, what stops them decides. A
  // part both allowed and denied would read as "partly allowed" when it does not work at all; a part denied
  // both ways carries both denials, which agree.
  const replies = reply.decisions.map(asFlow);
  const decisions =
    forward.verdict === 'allowed'
      ? replies
      : forward.decisions.flatMap((d) => {
          // A denied part whose replies are stopped as well needs two rules: both are said, and the fix writes both.
          if (d.outcome === 'deny') return [d, ...replies.flatMap((r) => (r.outcome === 'deny' ? withPart(r, intersectParts(d.part, r.part)) : []))];
          if (d.outcome !== 'allow') return [d];
          const cut: Decision[] = [];
          for (const r of replies) {
            const part = intersectParts(d.part, r.part);
            if (part) cut.push(r.outcome === 'allow' ? { ...d, part } : { ...r, part });
          }
          return cut;
        });
  const verdict: Verdict = reply.verdict === 'denied' ? 'denied' : forward.verdict === 'allowed' ? reply.verdict : summarise(decisions).verdict;
  const decidingRules =
    forward.verdict === 'denied' ? [...forward.decidingRules, ...reply.decidingRules.filter((r) => !forward.decidingRules.includes(r))] : verdict === 'denied' || forward.verdict === 'allowed' ? reply.decidingRules : forward.decidingRules;
  return { verdict, decisions, decidingRules, reasons: [...forward.reasons, note, ...reply.reasons.filter((r) => r !== note)] };
}

function withPart(d: Decision, part: FlowPart | undefined): Decision[] {
  return part ? [{ ...d, part }] : [];
}

/** The packets two parts share; undefined when they share none. */
function intersectParts(a: FlowPart, b: FlowPart): FlowPart | undefined {
  const part: FlowPart = {
    protocols: a.protocols.intersect(b.protocols),
    source: a.source.intersect(b.source),
    destination: a.destination.intersect(b.destination),
    sourcePorts: a.sourcePorts.intersect(b.sourcePorts),
    destinationPorts: a.destinationPorts.intersect(b.destinationPorts),
  };
  return part.protocols.isEmpty || part.source.isEmpty || part.destination.isEmpty || part.sourcePorts.isEmpty || part.destinationPorts.isEmpty ? undefined : part;
}

const replyViews = new WeakMap<RuleSet, RuleSet>();
/** The parsed rule set and rules behind each view, so what decides a reply points at the file's own rules (a fix goes before them). */
const parsedOf = new WeakMap<RuleSet | Rule, RuleSet | Rule>();

function backToParsed(result: EvaluationResult): EvaluationResult {
  const rule = (r: Rule): Rule => (parsedOf.get(r) as Rule | undefined) ?? r;
  return {
    ...result,
    decisions: result.decisions.map((d) => ({ ...d, ruleSet: (parsedOf.get(d.ruleSet) as RuleSet | undefined) ?? d.ruleSet, ...(d.rule ? { rule: rule(d.rule) } : {}) })),
    decidingRules: result.decidingRules.map(rule),
  };
}

/**
 * Replies belong to a connection already under way, so a rule that only
 * matches such packets (a NetScaler ACL's `-established`: TCP with ACK or RST
 * set) matches them, though it never matches the first packet of a flow.
 */
function asSeenByReplies(rs: RuleSet): RuleSet {
  if (!rs.rules.some((r) => r.conditions.some(isEstablishedOnly))) return rs;
  let view = replyViews.get(rs);
  if (!view) {
    view = {
      ...rs,
      rules: rs.rules.map((r) => {
        if (!r.conditions.some(isEstablishedOnly)) return r;
        const seen: Rule = { ...r, conditions: r.conditions.filter((c) => !isEstablishedOnly(c)) };
        parsedOf.set(seen, r);
        return seen;
      }),
    };
    replyViews.set(rs, view);
    parsedOf.set(view, rs);
  }
  return view;
}

function isEstablishedOnly(c: MatchCondition): boolean {
  return c.kind === 'conntrack' && c.effect === 'never-matches-new';
}

function evaluateOneWay(list: readonly RuleSet[], flow: FlowQuery, options: EvaluateOptions): EvaluationResult {
  const resolve = options.resolve;
  const addr = (a: AddressSet): AddressSet => (resolve ? a.resolve(resolve) : a);
  const path = list.filter((rs) => rs.directions.includes(flow.direction));
  if (path.length === 0) {
    // No stage filters this direction: nothing stands in the flow's way.
    return { verdict: 'allowed', decisions: [], decidingRules: [], reasons: ['no rule set here filters this direction'] };
  }
  const whole = narrowToFilteredFamilies(
    {
      protocols: flow.protocols,
      source: addr(flow.source),
      destination: addr(flow.destination),
      sourcePorts: flow.sourcePorts ?? EPHEMERAL_PORTS,
      destinationPorts: flow.destinationPorts,
    },
    path,
  );
  const inProfile = (profile: WindowsProfile | undefined): EvaluationResult => {
    const first = summarise(evaluatePath(path, whole, flow.direction, resolve, undefined, profile));
    return first.verdict === 'unknown' ? (evaluateBranches(path, whole, flow.direction, resolve, profile) ?? first) : first;
  };
  if (options.profile || !limitedToProfiles(path, whole, flow.direction)) return inProfile(options.profile);
  return acrossProfiles(WINDOWS_PROFILES.map((p) => ({ profile: p, result: inProfile(p) })));
}

/** Whether a rule on the flow's ports applies only in some Windows Firewall profiles. */
function limitedToProfiles(path: readonly RuleSet[], whole: Dims, direction: Direction): boolean {
  return path.some(
    (rs) =>
      rs.format === 'windows-firewall' &&
      candidates(rs.rules, whole).some((r) => r.direction === (rs.rulesDirection ?? direction) && r.conditions.some((c) => c.kind === 'profile' && c.profiles)),
  );
}

const PROFILE_NAMES: Readonly<Record<WindowsProfile, string>> = { domain: 'Domain', private: 'Private', public: 'Public' };

/**
 * No active profile is declared: the verdict in each. The same definite
 * verdict in all is the answer; otherwise it depends on the profile, which
 * only the host (or citrix-flows.yaml) can say.
 */
function acrossProfiles(per: readonly { profile: WindowsProfile; result: EvaluationResult }[]): EvaluationResult {
  const verdicts = new Set(per.map((p) => p.result.verdict));
  const decisions = per.flatMap((p) => p.result.decisions);
  if (verdicts.size === 1) {
    const merged = summarise(decisions);
    const verdict = per[0].result.verdict;
    const note = `no Windows Firewall profile is declared for this host; the flow is ${verdict} in Domain, Private and Public alike`;
    return { ...merged, reasons: [...(verdict === 'allowed' || verdict === 'denied' ? [note] : []), ...merged.reasons] };
  }
  const byVerdict = new Map<string, string[]>();
  for (const p of per) byVerdict.set(p.result.verdict, [...(byVerdict.get(p.result.verdict) ?? []), PROFILE_NAMES[p.profile]]);
  const split = [...byVerdict].map(([v, names]) => `${v} in ${names.join(' and ')}`).join(', ');
  const reason = `depends on the active Windows Firewall profile: ${split}; declare the role's windowsProfile in citrix-flows.yaml`;
  const unknown = decisions.map((d) => ({ ...d, outcome: 'unknown' as const, reason }));
  const rules: Rule[] = [];
  for (const d of unknown) if (d.rule && !rules.includes(d.rule)) rules.push(d.rule);
  return { verdict: 'unknown', decisions: unknown, decidingRules: rules, reasons: [reason] };
}

/** What an unresolved name is taken to hold in one branch: the whole of the flow's side, or none of it. */
interface Branch {
  readonly source: ReadonlyMap<string, boolean>;
  readonly destination: ReadonlyMap<string, boolean>;
  readonly flow: Dims;
}

function evaluatePath(path: readonly RuleSet[], whole: Dims, direction: Direction, resolve: EvaluateOptions['resolve'], branch: Branch | undefined, profile: WindowsProfile | undefined): Decision[] {
  let cells: Cell[] = [cellOf(whole, [], undefined)];
  const decisions: Decision[] = [];
  for (let k = 0; k < path.length && cells.length > 0; k++) {
    const ruleSet = path[k];
    const last = k === path.length - 1;
    const evaluator = new RuleSetEvaluator(ruleSet, direction, resolve, whole, branch, profile);
    const { passing, filtered } = splitByFamily(cells, ruleSet);
    for (const part of passing) {
      const d: Decision = { ruleSet, outcome: 'allow', part, reason: familyNote(ruleSet) };
      familyPasses.add(d);
      evaluator.decisions.push(d);
    }
    if (filtered.length) evaluator.run(filtered);
    cells = [];
    for (const d of evaluator.decisions) {
      const pending = (d.part as Cell).pending;
      if (d.outcome === 'deny') decisions.push(d);
      else if (!last) cells.push(cellOf(d.part, [], d.outcome === 'unknown' ? (pending ?? d) : pending));
      else if (!pending) decisions.push(d);
      else if (d.outcome === 'allow') decisions.push({ ...pending, part: d.part });
      else decisions.push({ ...d, reason: [pending.reason, d.reason].filter(Boolean).join('; ') });
    }
  }
  return decisions;
}

/** Unresolved names one evaluation may branch on: past this, 2^n evaluations cost more than an honest "unknown". */
const MAX_BRANCH_NAMES = 5;
/** Rules on the flow's ports whose names are looked at; past this the flow is left unknown. */
const MAX_BRANCH_RULES = 2000;

const symbolKey = (s: AddressSymbol): string => `${s.kind}:${s.name}`;

/**
 * An unresolved name (service tag, ASG, prefix list, tag, variable) that
 * only chooses between rules ending the same way cannot change the answer:
 * the flow's source (destination) is either in it or not. Every combination
 * is evaluated; when all give the same definite verdict that is the answer,
 * with the split in the reasons. Azure's defaults are the common case: a
 * source in VirtualNetwork meets the declared rule or AllowVnetInBound, one
 * outside meets AllowAzureLoadBalancerInBound or DenyAllInBound.
 */
function evaluateBranches(path: readonly RuleSet[], whole: Dims, direction: Direction, resolve: EvaluateOptions['resolve'], profile: WindowsProfile | undefined): EvaluationResult | undefined {
  const names: { side: 'source' | 'destination'; key: string; name: string }[] = [];
  let looked = 0;
  for (const ruleSet of path) {
    const ruleDirection = ruleSet.rulesDirection ?? direction;
    for (const list of [ruleSet.rules, ...Object.values(ruleSet.chains ?? {})]) {
      for (const rule of candidates(list, whole)) {
        if (!rule.enabled.value || rule.direction !== ruleDirection) continue;
        if (++looked > MAX_BRANCH_RULES) return undefined;
        const region = regionOf(rule, resolve);
        for (const side of ['source', 'destination'] as const) {
          for (const sym of region[side].symbols) {
            const key = symbolKey(sym);
            if (names.some((n) => n.side === side && n.key === key)) continue;
            names.push({ side, key, name: sym.name });
            if (names.length > MAX_BRANCH_NAMES) return undefined;
          }
        }
      }
    }
  }
  if (names.length === 0) return undefined;
  const cases: { holds: boolean[]; result: EvaluationResult }[] = [];
  const source = new Map<string, boolean>();
  const destination = new Map<string, boolean>();
  const holds: boolean[] = names.map(() => true);
  // Names are decided one at a time, and a branch stops as soon as its verdict is definite with the rest still
  // unresolved (the evaluation is sound for every value they may take). Deciding every combination cost 2^n
  // evaluations even where one name settled the flow (48 flows of an Azure export with up to four names: 224
  // evaluations, where every combination is 696); at worst this is 2^(n+1)-2. The last name is decided first and "held" before "not
  // held", so the cases come in the order of the combinations they stand for, every name held first (the declared
  // rules before the defaults in the reasons).
  const decide = (index: number): boolean => {
    const name = names[index];
    const sideMap = name.side === 'source' ? source : destination;
    for (const value of [true, false]) {
      sideMap.set(name.key, value);
      holds[index] = value;
      const result = summarise(evaluatePath(path, whole, direction, resolve, { source, destination, flow: whole }, profile));
      if (result.verdict === 'allowed' || result.verdict === 'denied') {
        if (cases.length && result.verdict !== cases[0].result.verdict) return false;
        // The names still undecided below this one: the case stands for each of their combinations.
        for (let rest = (1 << index) - 1; rest >= 0; rest--) cases.push({ holds: holds.map((h, i) => (i < index ? (rest & (1 << i)) !== 0 : h)), result });
      } else if (index === 0 || !decide(index - 1)) {
        return false;
      }
    }
    sideMap.delete(name.key);
    return true;
  };
  if (!decide(names.length - 1)) return undefined;
  const merged = summarise(cases.flatMap((c) => c.result.decisions));
  return { ...merged, reasons: [splitReason(names, cases), ...merged.reasons] };
}

/** "VirtualNetwork (source) is not resolved; either way the flow is denied: by DenyIca when the source is in VirtualNetwork, by DenyAllInBound when it is not". */
function splitReason(names: readonly { side: string; name: string }[], cases: readonly { holds: boolean[]; result: EvaluationResult }[]): string {
  const label = (rules: readonly Rule[]): string => (rules.length ? rules.map((r) => r.name ?? r.id).join(', ') : 'the default');
  const groups = new Map<string, boolean[][]>();
  for (const c of cases) {
    const key = label(c.result.decidingRules);
    groups.set(key, [...(groups.get(key) ?? []), c.holds]);
  }
  const when = (rows: boolean[][]): string => {
    const fixed = names.map((n, i) => (rows.every((r) => r[i] === rows[0][i]) ? `the ${n.side} is ${rows[0][i] ? '' : 'not '}in ${n.name}` : undefined)).filter((x): x is string => !!x);
    return fixed.length && rows.length < cases.length ? ` when ${fixed.join(' and ')}` : '';
  };
  const list = names.map((n) => `${n.name} (${n.side})`).join(', ');
  const verdict = cases[0].result.verdict;
  return `${list} ${names.length > 1 ? 'are' : 'is'} not resolved; whichever way, the flow is ${verdict}: ${[...groups].map(([rules, rows]) => `by ${rules}${when(rows)}`).join('; ')}`;
}

/** Parts that passed a stage untouched because it filters only the other address family. */
const familyPasses = new WeakSet<Decision>();

type Family = 4 | 6;

/** The families a query side may be in: those of its addresses, or either when it names something unresolved. */
function sideFamilies(a: AddressSet): Family[] {
  if (a.symbols.length) return [4, 6];
  const out: Family[] = [];
  if (!a.v4.isEmpty) out.push(4);
  if (!a.v6.isEmpty) out.push(6);
  return out;
}

function withinFamilies(a: AddressSet, families: readonly Family[]): AddressSet {
  const none = AddressSet.none();
  return AddressSet.of(families.includes(4) ? a.v4 : none.v4, families.includes(6) ? a.v6 : none.v6, a.symbols);
}

/**
 * A query that does not pin its address family (any, or an unresolved name)
 * is asked in the families the path filters: a host whose rules are all
 * iptables (IPv4) is asked about IPv4. A query only in a family no stage
 * filters is left as it is, and passes each stage with a note.
 */
function narrowToFilteredFamilies(whole: Dims, path: readonly RuleSet[]): Dims {
  const filtered = new Set<Family>(path.flatMap((rs) => rs.families ?? ([4, 6] as Family[])));
  if (filtered.size === 2) return whole;
  const dst = sideFamilies(whole.destination);
  const asked = sideFamilies(whole.source).filter((f) => dst.includes(f));
  const kept = asked.filter((f) => filtered.has(f));
  if (kept.length === 0 || kept.length === asked.length) return whole;
  return { ...whole, source: withinFamilies(whole.source, kept), destination: withinFamilies(whole.destination, kept) };
}

/**
 * ip6tables never sees an IPv4 packet, nor iptables an IPv6 one, nor an
 * nftables `ip` / `ip6` table the other family: for a rule set of one family
 * the parts of the other pass untouched. A part whose family only an
 * unresolved name could tell is taken to be in the rule set's family.
 */
function splitByFamily(cells: readonly Cell[], ruleSet: RuleSet): { passing: Cell[]; filtered: Cell[] } {
  const families = ruleSet.families;
  if (!families || families.length !== 1) return { passing: [], filtered: [...cells] };
  const f = families[0];
  const other: Family = f === 4 ? 6 : 4;
  const passing: Cell[] = [];
  const filtered: Cell[] = [];
  const none = AddressSet.none();
  const symbolsOf = (a: AddressSet): AddressSet => AddressSet.of(none.v4, none.v6, a.symbols);
  const concrete = (a: AddressSet, fam: Family): AddressSet => (fam === 4 ? AddressSet.of(a.v4, none.v6) : AddressSet.of(none.v4, a.v6));
  for (const cell of cells) {
    const srcOther = concrete(cell.source, other);
    const dstOther = concrete(cell.destination, other);
    const srcSym = symbolsOf(cell.source);
    const dstSym = symbolsOf(cell.destination);
    const add = (to: Cell[], source: AddressSet, destination: AddressSet): void => {
      if (source.isEmpty || destination.isEmpty) return;
      to.push(cellOf({ ...cell, source, destination }, cell.possibilities, cell.pending));
    };
    add(passing, srcOther, dstOther.union(dstSym));
    add(passing, srcSym, dstOther);
    add(filtered, concrete(cell.source, f).union(srcSym), concrete(cell.destination, f).union(dstSym));
  }
  return { passing, filtered };
}

function familyNote(ruleSet: RuleSet): string {
  const f = ruleSet.families?.[0] === 6 ? 6 : 4;
  const other = f === 4 ? 6 : 4;
  const what =
    ruleSet.format === 'iptables' ? (f === 6 ? 'ip6tables' : 'iptables')
    : ruleSet.format === 'nftables' ? `table ${ruleSet.meta?.family ?? (f === 6 ? 'ip6' : 'ip')} ${ruleSet.meta?.table ?? ''}`.trim()
    : `IPv${f} only`;
  return `${ruleSet.name} (${what}) sees only IPv${f} packets: this IPv${other} traffic is not filtered by it`;
}

function summarise(decisions: Decision[]): EvaluationResult {
  const has = (o: Outcome): boolean => decisions.some((d) => d.outcome === o);
  const allowed = has('allow');
  const denied = has('deny');
  const unknown = has('unknown');
  let verdict: Verdict;
  if (allowed && denied) verdict = 'partial';
  else if (unknown) verdict = 'unknown';
  else if (denied) verdict = 'denied';
  else verdict = 'allowed';
  const deciding = decisions.filter((d) => d.outcome === (denied ? 'deny' : unknown ? 'unknown' : 'allow'));
  const rules: Rule[] = [];
  for (const d of deciding) if (d.rule && !rules.includes(d.rule)) rules.push(d.rule);
  // What let a part through without a rule deciding is worth saying too (the file does not filter its family).
  const reasons = [...new Set(decisions.filter((d) => d.reason && (d.outcome !== 'allow' || familyPasses.has(d))).map((d) => d.reason as string))];
  return { verdict, decisions, decidingRules: rules, reasons };
}

/**
 * Reads a flow written for tests and the CLI:
 * `in tcp 10.0.0.5 -> 10.1.0.7:1494`, `out tcp,udp any -> 10.0.0.0/24:16500-16509`,
 * `forward udp 10.0.0.1 -> [2001:db8::1]:443`, `in tcp tag:VirtualNetwork -> 10.0.0.4:3389`.
 */
export function flow(spec: string): FlowQuery {
  const m = /^\s*(in|inbound|out|outbound|forward)\s+(\S+)\s+(\S+)\s*->\s*(\S+?)(?::([\d,\-*]+))?\s*$/.exec(spec);
  if (!m) throw new Error(`cannot read flow "${spec}"`);
  const direction: Direction = m[1].startsWith('in') ? 'inbound' : m[1].startsWith('out') ? 'outbound' : 'forward';
  let protocols = Protocols.none();
  for (const p of m[2].split(',')) {
    const r = parseProtocol(p);
    if (!r.ok) throw new Error(r.error);
    protocols = protocols.union(r.value);
  }
  const addresses = (text: string): AddressSet => {
    let acc = AddressSet.none();
    for (const item of text.replace(/^\[|\]$/g, '').split(',')) {
      const sym = /^(tag|sg|asg|nettag|sa|var):(.+)$/.exec(item);
      if (sym) {
        const kinds = { tag: 'service-tag', sg: 'security-group', asg: 'application-security-group', nettag: 'network-tag', sa: 'service-account', var: 'variable' } as const;
        acc = acc.union(AddressSet.symbol(kinds[sym[1] as keyof typeof kinds], sym[2]));
        continue;
      }
      const r = AddressSet.parse(item);
      if (!r.ok) throw new Error(r.error);
      acc = acc.union(r.value);
    }
    return acc;
  };
  let ports = m[5] ? Ports.none() : Ports.any();
  for (const p of m[5]?.split(',') ?? []) {
    const r = parsePortRange(p, ['-']);
    if (!r.ok) throw new Error(r.error);
    ports = ports.union(r.value);
  }
  return { direction, protocols, source: addresses(m[3]), destination: addresses(m[4]), destinationPorts: ports };
}

/** The order rules are tried in under the rule set's semantics (priority, deny-first, block-wins), for checks that reason about order. */
export function evaluationOrder(ruleSet: RuleSet, rules: readonly Rule[]): readonly Rule[] {
  return ordered(ruleSet, rules);
}

export interface Coverage {
  /** True when every point of the rule's match region is matched by some coverer (none only "may" match). */
  readonly covered: boolean;
  /** The coverers that took part of the region, in the order given. */
  readonly by: readonly Rule[];
}

/**
 * Does the union of `coverers`' match regions hold all of `rule`'s? Exact,
 * by the same cell splitting as evaluation; a region a coverer only may
 * match (an unresolved name on either side) stays uncovered. Gives up
 * (not covered) when the uncovered remainder fragments past `maxCells`.
 */
export function coverage(rule: Rule, coverers: readonly Rule[], options: EvaluateOptions & { readonly maxCells?: number } = {}): Coverage {
  const maxCells = options.maxCells ?? 256;
  const own = regionOf(rule, options.resolve);
  if (isEmptyDims(own)) return { covered: false, by: [] };
  // Covering needs each dimension covered by the union of the coverers. Ports and protocols are always concrete,
  // so that is a cheap test that spares splitting a catch-all rule against every narrow rule before it.
  let protocols = Protocols.none();
  let ports = Ports.none();
  for (const other of coverers) {
    const region = regionOf(other, options.resolve);
    protocols = protocols.union(region.protocols);
    ports = ports.union(region.destinationPorts);
  }
  if (!own.protocols.isSubsetOf(protocols) || !own.destinationPorts.isSubsetOf(ports)) return { covered: false, by: [] };
  let cells: Cell[] = [cellOf(own, [], undefined)];
  const by: Rule[] = [];
  for (const other of coverers) {
    const region = regionOf(other, options.resolve);
    if (isEmptyDims(region)) continue;
    const next: Cell[] = [];
    let took = false;
    for (const cell of cells) {
      const split = splitCell(cell, region);
      next.push(...split.unmatched, ...split.maybe);
      if (split.matched.length) took = true;
    }
    if (took) by.push(other);
    cells = next;
    if (cells.length === 0) return { covered: true, by };
    if (cells.length > maxCells) return { covered: false, by };
  }
  return { covered: false, by };
}
