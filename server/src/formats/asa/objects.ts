import { AddressSet, parseIPv4, PortSet, Ports, ProtocolSet, Protocols, TCP, UDP } from '../../net';
import type { ParseProblem, Unresolved } from '../../model';
import { ASA_PORT_NAMES, ASA_PROTOCOL_NAMES, PING_ICMP_TYPES } from './names';
import { spanOf, type SourceLine, type Token } from './lines';

/** A parse failure inside one line; caught by the line's caller and turned into a problem. */
export class LineError extends Error {
  readonly token?: Token;
  constructor(message: string, token?: Token) {
    // Thrown once per bad line and only its message is read: capturing a stack
    // trace each time was a fifth of the parse time on a file with many of them.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.token = token;
  }
}

/** One (protocol, source ports, destination ports) tuple of a service object or group. */
export interface Service {
  readonly protocols: ProtocolSet;
  readonly sourcePorts: PortSet;
  readonly destinationPorts: PortSet;
  /** ICMP type literal, when the service names one. */
  readonly icmpType?: string;
}

export interface Resolved<T> {
  readonly value: T;
  readonly unresolved: readonly Unresolved[];
}

type BlockKind = 'object network' | 'object service' | 'group network' | 'group service' | 'group protocol' | 'group icmp-type';

interface Block {
  readonly kind: BlockKind;
  readonly name: string;
  readonly header: SourceLine;
  /** `object-group service NAME tcp|udp|tcp-udp`: a port group. */
  readonly portType?: 'tcp' | 'udp' | 'tcp-udp';
  readonly members: SourceLine[];
}

export interface InterfaceInfo {
  nameif?: string;
  addresses: AddressSet;
  /** The networks its addresses are on, as `ip address A MASK` and `ipv6 address P/LEN` give them. */
  connected: { network: AddressSet; prefixLength: number; text: string }[];
  securityLevel?: number;
}

/** A typed service group (`port-object`) resolves to ports for one protocol family. */
export interface PortGroup {
  readonly kind: 'ports';
  readonly protocols: ProtocolSet;
  readonly ports: PortSet;
}

export interface ServiceList {
  readonly kind: 'services';
  readonly services: readonly Service[];
}

const LOWER_PROTOCOL_TYPES: Record<string, ProtocolSet> = {
  tcp: Protocols.of(TCP),
  udp: Protocols.of(UDP),
  'tcp-udp': Protocols.of(TCP, UDP),
};

/**
 * Everything an ACE can refer to by name: `name`, `object`, `object-group`
 * and the interfaces' own addresses. References are resolved lazily and
 * memoised, so definitions may appear after their use and nested
 * `group-object` chains cost their size once; a cycle is reported, not
 * followed.
 */
export class ObjectTable {
  readonly names = new Map<string, number>();
  readonly interfaces = new Map<string, InterfaceInfo>();
  private readonly blocks = new Map<string, Block>();
  private readonly addressMemo = new Map<string, Resolved<AddressSet>>();
  private readonly serviceMemo = new Map<string, Resolved<PortGroup | ServiceList>>();
  private readonly protocolMemo = new Map<string, Resolved<ProtocolSet>>();
  private readonly icmpMemo = new Map<string, Resolved<string[]>>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly problems: ParseProblem[],
  ) {}

  define(kind: BlockKind, name: string, header: SourceLine, portType?: 'tcp' | 'udp' | 'tcp-udp'): Block {
    const block: Block = { kind, name, header, portType, members: [] };
    const key = kind.startsWith('object') ? `object ${name}` : `group ${name}`;
    const existing = this.blocks.get(key);
    // ASA re-enters an existing object to add members; the first header wins.
    if (existing && existing.kind === kind) return existing;
    this.blocks.set(key, block);
    return block;
  }

  kindOfGroup(name: string): BlockKind | undefined {
    return this.blocks.get(`group ${name}`)?.kind;
  }
  kindOfObject(name: string): BlockKind | undefined {
    return this.blocks.get(`object ${name}`)?.kind;
  }
  isPortGroup(name: string): boolean {
    const b = this.blocks.get(`group ${name}`);
    return b !== undefined && b.kind === 'group service' && b.portType !== undefined;
  }

  /** `object NAME` or `object-group NAME` in an address position. */
  address(ref: 'object' | 'object-group', name: string, at: Token): Resolved<AddressSet> {
    const key = `${ref === 'object' ? 'object' : 'group'} ${name}`;
    const memo = this.addressMemo.get(key);
    if (memo) return memo;
    const block = this.blocks.get(key);
    const wanted: BlockKind = ref === 'object' ? 'object network' : 'group network';
    if (!block || block.kind !== wanted) {
      const reason = block
        ? `${ref} ${name} is a ${block.kind.replace('group', 'object-group')}, not a network ${ref}`
        : `${ref} ${name} is not defined in this file`;
      return this.unknownAddress(key, name, at, reason);
    }
    if (this.inProgress.has(key)) return this.unknownAddress(key, name, at, `${ref} ${name} contains itself`);
    this.inProgress.add(key);
    let set = AddressSet.none();
    const unresolved: Unresolved[] = [];
    for (const line of block.members) {
      try {
        const r = this.networkMember(block, line);
        set = set.union(r.value);
        unresolved.push(...r.unresolved);
      } catch (e) {
        const err = asLineError(e);
        this.problem(line, err, 'syntax-error');
        set = set.union(AddressSet.symbol('object', `${name} (unparsed member)`));
        unresolved.push({ text: lineText(this.text, line), span: lineSpan(line), reason: err.message });
      }
    }
    this.inProgress.delete(key);
    const result = { value: set, unresolved };
    this.addressMemo.set(key, result);
    return result;
  }

  private unknownAddress(key: string, name: string, at: Token, reason: string): Resolved<AddressSet> {
    const result = { value: AddressSet.symbol('object', name), unresolved: [{ text: name, span: { start: at.start, end: at.end }, reason }] };
    this.addressMemo.set(key, result);
    return result;
  }

  private networkMember(block: Block, line: SourceLine): Resolved<AddressSet> {
    const t = line.tokens;
    const head = lower(t[0]);
    if (head === 'description' || head === 'nat') return { value: AddressSet.none(), unresolved: [] };
    if (block.kind === 'object network') {
      switch (head) {
        case 'host':
          return { value: this.ip(t, 1), unresolved: [] };
        case 'subnet':
          return { value: this.addressWithMask(t, 1), unresolved: [] };
        case 'range': {
          const a = need(t, 1, 'a first address');
          const b = need(t, 2, 'a last address');
          const r = AddressSet.parse(`${this.resolveName(a.text)}-${this.resolveName(b.text)}`);
          if (!r.ok) throw new LineError(r.error, a);
          return { value: r.value, unresolved: [] };
        }
        case 'fqdn': {
          let i = 1;
          if (t[i] && (lower(t[i]) === 'v4' || lower(t[i]) === 'v6')) i++;
          const fqdn = need(t, i, 'a domain name');
          return {
            value: AddressSet.symbol('fqdn', fqdn.text),
            unresolved: [{ text: fqdn.text, span: { start: fqdn.start, end: fqdn.end }, reason: 'an FQDN object is resolved by DNS on the firewall at run time' }],
          };
        }
        default:
          throw new LineError(`"${t[0].text}" is not a network object statement`, t[0]);
      }
    }
    if (head === 'group-object') {
      const n = need(t, 1, 'an object-group name');
      return this.address('object-group', n.text, n);
    }
    if (head !== 'network-object') throw new LineError(`"${t[0].text}" is not a network object-group statement`, t[0]);
    const kind = need(t, 1, 'an address');
    switch (lower(kind)) {
      case 'host':
        return { value: this.ip(t, 2), unresolved: [] };
      case 'object': {
        const n = need(t, 2, 'an object name');
        return this.address('object', n.text, n);
      }
      default:
        return { value: this.addressWithMask(t, 1), unresolved: [] };
    }
  }

  /** `A.B.C.D MASK`, `IPv6/len`, or a `name` followed by a mask; consumes one or two tokens. */
  addressWithMask(t: readonly Token[], i: number): AddressSet {
    const a = need(t, i, 'an address');
    if (a.text.includes(':') || a.text.includes('/')) {
      const r = AddressSet.parse(a.text);
      if (!r.ok) throw new LineError(r.error, a);
      return r.value;
    }
    const m = need(t, i + 1, 'a subnet mask');
    const prefix = maskToPrefix(m);
    const r = AddressSet.parse(`${this.resolveName(a.text)}/${prefix}`);
    if (!r.ok) throw new LineError(r.error, a);
    return r.value;
  }

  ip(t: readonly Token[], i: number): AddressSet {
    const a = need(t, i, 'an address');
    const r = AddressSet.parse(this.resolveName(a.text));
    if (!r.ok || a.text.includes('/')) throw new LineError(r.ok ? `"${a.text}" is a prefix, not a host` : r.error, a);
    if (a.text.toLowerCase() === 'any') throw new LineError('"host any" is not an address', a);
    return r.value;
  }

  /** A `name 10.0.0.5 ddc1` alias, or the text itself. */
  resolveName(text: string): string {
    const v = this.names.get(text);
    if (v === undefined) return text;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }

  /** `object NAME` (service object) or `object-group NAME` (service group) as protocol or port. */
  services(ref: 'object' | 'object-group', name: string, at: Token): Resolved<PortGroup | ServiceList> | undefined {
    const key = `${ref === 'object' ? 'object' : 'group'} ${name}`;
    const memo = this.serviceMemo.get(key);
    if (memo) return memo;
    const block = this.blocks.get(key);
    if (!block || (block.kind !== 'object service' && block.kind !== 'group service')) return undefined;
    if (this.inProgress.has(key)) {
      return { value: { kind: 'services', services: [] }, unresolved: [{ text: name, span: tokSpan(at), reason: `${ref} ${name} contains itself` }] };
    }
    this.inProgress.add(key);
    const services: Service[] = [];
    let ports = Ports.none();
    const unresolved: Unresolved[] = [];
    for (const line of block.members) {
      try {
        const head = lower(line.tokens[0]);
        if (head === 'description') continue;
        if (head === 'group-object') {
          const n = need(line.tokens, 1, 'an object-group name');
          const inner = this.services('object-group', n.text, n);
          if (!inner) {
            unresolved.push({ text: n.text, span: tokSpan(n), reason: `object-group ${n.text} is not a service group defined in this file` });
            services.push({ protocols: Protocols.any(), sourcePorts: Ports.any(), destinationPorts: Ports.any() });
            continue;
          }
          unresolved.push(...inner.unresolved);
          if (inner.value.kind === 'ports') {
            if (block.portType) ports = ports.union(inner.value.ports);
            else services.push({ protocols: inner.value.protocols, sourcePorts: Ports.any(), destinationPorts: inner.value.ports });
          } else services.push(...inner.value.services);
          continue;
        }
        if (block.portType) {
          if (head !== 'port-object') throw new LineError(`"${line.tokens[0].text}" is not a port object-group statement`, line.tokens[0]);
          const p = parsePortOperator(line.tokens, 1);
          if (!p) throw new LineError('expected eq or range after port-object', line.tokens[1] ?? line.tokens[0]);
          ports = ports.union(p.ports);
          continue;
        }
        if (block.kind === 'object service' ? head !== 'service' : head !== 'service-object') {
          throw new LineError(`"${line.tokens[0].text}" is not a service statement`, line.tokens[0]);
        }
        if (block.kind === 'group service' && lower(line.tokens[1]) === 'object') {
          const n = need(line.tokens, 2, 'a service object name');
          const inner = this.services('object', n.text, n);
          if (!inner || inner.value.kind !== 'services') {
            unresolved.push({ text: n.text, span: tokSpan(n), reason: `service object ${n.text} is not defined in this file` });
            services.push({ protocols: Protocols.any(), sourcePorts: Ports.any(), destinationPorts: Ports.any() });
          } else {
            services.push(...inner.value.services);
            unresolved.push(...inner.unresolved);
          }
          continue;
        }
        services.push(parseServiceTuple(line.tokens, 1));
      } catch (e) {
        const err = asLineError(e);
        this.problem(line, err, 'syntax-error');
        unresolved.push({ text: lineText(this.text, line), span: lineSpan(line), reason: err.message });
        services.push({ protocols: Protocols.any(), sourcePorts: Ports.any(), destinationPorts: Ports.any() });
      }
    }
    this.inProgress.delete(key);
    const value: PortGroup | ServiceList = block.portType
      ? { kind: 'ports', protocols: LOWER_PROTOCOL_TYPES[block.portType], ports }
      : { kind: 'services', services };
    const result = { value, unresolved };
    this.serviceMemo.set(key, result);
    return result;
  }

  protocols(name: string, at: Token): Resolved<ProtocolSet> | undefined {
    const key = `group ${name}`;
    const memo = this.protocolMemo.get(key);
    if (memo) return memo;
    const block = this.blocks.get(key);
    if (!block || block.kind !== 'group protocol') return undefined;
    if (this.inProgress.has(key)) return { value: Protocols.none(), unresolved: [{ text: name, span: tokSpan(at), reason: `object-group ${name} contains itself` }] };
    this.inProgress.add(key);
    let set = Protocols.none();
    const unresolved: Unresolved[] = [];
    for (const line of block.members) {
      const t = line.tokens;
      try {
        const head = lower(t[0]);
        if (head === 'description') continue;
        if (head === 'group-object') {
          const n = need(t, 1, 'an object-group name');
          const inner = this.protocols(n.text, n);
          if (!inner) throw new LineError(`object-group ${n.text} is not a protocol group defined in this file`, n);
          set = set.union(inner.value);
          unresolved.push(...inner.unresolved);
        } else if (head === 'protocol-object') {
          set = set.union(parseAsaProtocol(need(t, 1, 'a protocol')));
        } else throw new LineError(`"${t[0].text}" is not a protocol object-group statement`, t[0]);
      } catch (e) {
        const err = asLineError(e);
        this.problem(line, err, 'syntax-error');
        unresolved.push({ text: lineText(this.text, line), span: lineSpan(line), reason: err.message });
        set = Protocols.any();
      }
    }
    this.inProgress.delete(key);
    const result = { value: set, unresolved };
    this.protocolMemo.set(key, result);
    return result;
  }

  icmpTypes(name: string): Resolved<string[]> | undefined {
    const key = `group ${name}`;
    const memo = this.icmpMemo.get(key);
    if (memo) return memo;
    const block = this.blocks.get(key);
    if (!block || block.kind !== 'group icmp-type' || this.inProgress.has(key)) return undefined;
    this.inProgress.add(key);
    const types: string[] = [];
    const unresolved: Unresolved[] = [];
    for (const line of block.members) {
      const t = line.tokens;
      const head = lower(t[0]);
      if (head === 'icmp-object' && t[1]) types.push(lower(t[1]));
      else if (head === 'group-object' && t[1]) {
        const inner = this.icmpTypes(t[1].text);
        if (inner) types.push(...inner.value);
        else unresolved.push({ text: t[1].text, span: tokSpan(t[1]), reason: `object-group ${t[1].text} is not an icmp-type group defined in this file` });
      }
    }
    this.inProgress.delete(key);
    const result = { value: types, unresolved };
    this.icmpMemo.set(key, result);
    return result;
  }

  private problem(line: SourceLine, err: LineError, code: 'syntax-error' | 'unparsed-rule'): void {
    this.problems.push({
      code,
      severity: 'warning',
      message: err.message,
      span: err.token ? tokSpan(err.token) : lineSpan(line),
    });
  }
}

/** `service tcp|udp|tcp-udp|icmp|ip|N [source OP P] [destination OP P]` (also the pre-8.3 `service-object tcp eq 80`). */
export function parseServiceTuple(t: readonly Token[], i: number): Service {
  const protoTok = need(t, i, 'a protocol');
  const name = lower(protoTok);
  const protocols = name === 'tcp-udp' ? Protocols.of(TCP, UDP) : parseAsaProtocol(protoTok);
  let sourcePorts = Ports.any();
  let destinationPorts = Ports.any();
  let icmpType: string | undefined;
  let k = i + 1;
  while (k < t.length) {
    const w = lower(t[k]);
    if (w === 'source' || w === 'destination') {
      const p = parsePortOperator(t, k + 1);
      if (!p) throw new LineError(`expected a port operator after ${w}`, t[k + 1] ?? t[k]);
      if (w === 'source') sourcePorts = p.ports;
      else destinationPorts = p.ports;
      k = p.next;
      continue;
    }
    const bare = parsePortOperator(t, k);
    if (bare) {
      destinationPorts = bare.ports;
      k = bare.next;
      continue;
    }
    if ((name === 'icmp' || name === 'icmp6') && icmpType === undefined) {
      icmpType = w;
      k++;
      if (k < t.length && /^\d{1,3}$/.test(t[k].text)) k++;
      continue;
    }
    throw new LineError(`unexpected "${t[k].text}" in a service definition`, t[k]);
  }
  return { protocols, sourcePorts, destinationPorts, icmpType };
}

/** `eq P | neq P | lt P | gt P | range A B`, or undefined when the token is not an operator. */
export function parsePortOperator(t: readonly Token[], i: number): { ports: PortSet; next: number; span: { start: number; end: number } } | undefined {
  const op = lower(t[i]);
  switch (op) {
    case 'eq':
    case 'neq':
    case 'lt':
    case 'gt': {
      const p = portValue(need(t, i + 1, `a port after ${op}`));
      let ports: PortSet;
      if (op === 'eq') ports = Ports.single(p);
      else if (op === 'neq') ports = Ports.single(p).complement();
      else if (op === 'lt') ports = p === 0 ? Ports.none() : Ports.range(0, p - 1);
      else ports = p === 65535 ? Ports.none() : Ports.range(p + 1, 65535);
      return { ports, next: i + 2, span: spanOf(t, i, i + 1)! };
    }
    case 'range': {
      const a = portValue(need(t, i + 1, 'a first port after range'));
      const b = portValue(need(t, i + 2, 'a last port after range'));
      if (a > b) throw new LineError(`port range ${a}-${b} runs backwards`, t[i + 1]);
      return { ports: Ports.range(a, b), next: i + 3, span: spanOf(t, i, i + 2)! };
    }
    default:
      return undefined;
  }
}

export function portValue(tok: Token): number {
  const w = tok.text.toLowerCase();
  if (/^\d{1,5}$/.test(w)) {
    const n = Number(w);
    if (n > 65535) throw new LineError(`port ${n} is above 65535`, tok);
    return n;
  }
  const named = ASA_PORT_NAMES[w];
  if (named === undefined) {
    const hint = w === 'dns' ? ' (ASA spells DNS "domain")' : w === 'rdp' ? ' (ASA has no name for 3389; write the number)' : '';
    throw new LineError(`"${tok.text}" is not a port number or an ASA port name${hint}`, tok);
  }
  return named;
}

export function parseAsaProtocol(tok: Token): ProtocolSet {
  const w = tok.text.toLowerCase();
  if (w === 'ip') return Protocols.any();
  if (/^\d{1,3}$/.test(w)) {
    const n = Number(w);
    if (n > 255) throw new LineError(`protocol number ${n} is above 255`, tok);
    return n === 0 ? Protocols.any() : Protocols.of(n);
  }
  const n = ASA_PROTOCOL_NAMES[w];
  if (n === undefined) throw new LineError(`"${tok.text}" is not an ASA protocol`, tok);
  return Protocols.of(n);
}

export function isPingType(types: readonly string[]): boolean {
  return types.some((t) => PING_ICMP_TYPES.has(t) && t !== 'echo-reply' && t !== '0' && t !== '129');
}

export function maskToPrefix(tok: Token): number {
  const m = parseIPv4(tok.text);
  if (!m.ok) throw new LineError(`"${tok.text}" is not a subnet mask`, tok);
  const inv = ~m.value >>> 0;
  if ((inv & (inv + 1)) !== 0) {
    const wildcard = (m.value & (m.value + 1)) === 0;
    throw new LineError(
      wildcard ? `"${tok.text}" looks like a wildcard mask; ASA takes a subnet mask (e.g. 255.255.255.0)` : `"${tok.text}" is not a contiguous subnet mask`,
      tok,
    );
  }
  return 32 - Math.log2(inv + 1);
}

export function need(t: readonly Token[], i: number, what: string): Token {
  const tok = t[i];
  if (!tok) throw new LineError(`expected ${what}`, t[t.length - 1]);
  return tok;
}

export function lower(tok: Token | undefined): string {
  return tok ? tok.text.toLowerCase() : '';
}

export function asLineError(e: unknown): LineError {
  return e instanceof LineError ? e : new LineError(e instanceof Error ? e.message : String(e));
}

export function tokSpan(tok: Token): { start: number; end: number } {
  return { start: tok.start, end: tok.end };
}

export function lineSpan(line: SourceLine): { start: number; end: number } {
  const t = line.tokens;
  return t.length ? { start: t[0].start, end: t[t.length - 1].end } : { start: line.start, end: line.end };
}

export function lineText(text: string, line: SourceLine): string {
  const s = lineSpan(line);
  return text.slice(s.start, s.end);
}
