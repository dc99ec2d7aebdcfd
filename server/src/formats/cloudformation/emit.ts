import type { AddressSymbol } from '../../net';
import type { AllowRuleRequest, TextEdit } from '../../model/edits';
import { parseJsonTolerant, type JsonNode } from '../arm/json';
import { awsDescription } from '../aws/securityGroup';
import { addressPlan, eolOf, lineEndAt, lineStartAt, placeholderMeaning, placeholderWords, styleName } from '../emitSupport';
import { member } from './intrinsics';
import { templateStyle } from './style';
import { parseCfnYaml } from './yaml';

/**
 * Writes allow rules into a CloudFormation security group in the template's
 * own style: YAML or JSON, short (`!Ref`) or long (`Ref:`) intrinsics, the
 * indentation of its neighbours. Rules go into the group's inline
 * SecurityGroupIngress/SecurityGroupEgress list (added when the group has
 * none). A peer the topology does not give becomes a parameter without a
 * default, so the flow turns unknown instead of open to everyone.
 */
export function emitAllowRules(requests: readonly AllowRuleRequest[]): { edits: TextEdit[] } | { error: string } {
  if (requests.length === 0) return { edits: [] };
  const file = requests[0].file;
  const text = file.text;
  const style = templateStyle(text);
  const read = style === 'json' ? parseJsonTolerant(text) : parseCfnYaml(text);
  const root = read.root;
  if (!root) return { error: 'the template could not be read' };
  const w = new Writer(text, style, root);
  for (const req of requests) {
    const err = w.add(req);
    if (err) return { error: err };
  }
  try {
    return { edits: w.edits(file.uri) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

interface Item {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly peerKey: string;
  readonly peer: { literal: string } | { ref: string };
  readonly description: string;
}

class Writer {
  private readonly eol: string;
  /** Per group and list: the new items, written at one insertion point. */
  private readonly lists = new Map<string, { groupId: string; key: string; items: Item[] }>();
  private readonly params = new Map<string, string>();
  private readonly shortForm: boolean;

  constructor(
    private readonly text: string,
    private readonly style: 'json' | 'yaml',
    private readonly root: JsonNode,
  ) {
    this.eol = eolOf(text);
    // Long form (`Ref:`) only in a YAML template that uses it and never the short one.
    this.shortForm = style === 'yaml' && (/!(?:Ref|Sub|GetAtt)\b/.test(text) || !/^\s*(?:Ref|Fn::\w+)\s*:/m.test(text));
  }

  add(req: AllowRuleRequest): string | undefined {
    const rs = req.ruleSet;
    if (rs.kind !== 'aws-security-group') return `${rs.name} is a network ACL: add a NetworkAclEntry (and the entry for its replies) by hand`;
    if (req.direction === 'forward') return 'a security group has no forward direction';
    if (rs.meta?.declared === 'elsewhere') return `${rs.name} is not declared in this template; add the rule where it is`;
    const resource = member(member(this.root, 'Resources'), rs.id);
    if (!resource || resource.type !== 'object') return `${rs.name} is not a resource of this template`;
    const key = req.direction === 'inbound' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
    const peerKeyV4 = 'CidrIp';
    const peer = addressPlan(req.direction === 'inbound' ? req.source : req.destination);
    const peers: { key: string; value: { literal: string } | { ref: string } }[] = [];
    if (peer.any) peers.push({ key: peerKeyV4, value: { literal: '0.0.0.0/0' } }, { key: 'CidrIpv6', value: { literal: '::/0' } });
    else {
      for (const c of peer.cidrs4) peers.push({ key: peerKeyV4, value: { literal: c } });
      for (const c of peer.cidrs6) peers.push({ key: 'CidrIpv6', value: { literal: c } });
      for (const s of peer.symbols) peers.push({ key: peerKeyV4, value: { ref: this.parameter(s) } });
    }
    if (peers.length === 0) return 'no peer address to write';
    const pieces: { protocol: string; from: number; to: number }[] = [];
    for (const p of req.protocols) {
      if (p === 'icmp') pieces.push({ protocol: 'icmp', from: -1, to: -1 });
      else for (const r of req.ports) pieces.push({ protocol: p, from: r.from, to: r.to });
    }
    if (pieces.length === 0) return 'no protocol or port to write';
    const description = awsDescription(req.comment);
    const slot = `${rs.id}\u0000${key}`;
    const entry = this.lists.get(slot) ?? { groupId: rs.id, key, items: [] };
    this.lists.set(slot, entry);
    for (const piece of pieces) for (const p of peers) entry.items.push({ ...piece, peerKey: p.key, peer: p.value, description });
    return undefined;
  }

  /** A parameter without a default for an address the topology does not give. */
  private parameter(symbol: AddressSymbol): string {
    const name = styleName(placeholderWords(symbol), 'pascal').replace(/[^A-Za-z0-9]/g, '') || 'CitrixPeerAddresses';
    if (!this.params.has(name)) this.params.set(name, `${placeholderMeaning(symbol)} (one CIDR)`);
    return name;
  }

  edits(uri: string): TextEdit[] {
    const out: TextEdit[] = [];
    for (const { groupId, key, items } of this.lists.values()) out.push({ uri, ...this.insertItems(groupId, key, items) });
    if (this.params.size) out.push({ uri, ...this.insertParameters() });
    return out;
  }

  private ref(name: string): string {
    if (this.style === 'json') return `{ "Ref": ${JSON.stringify(name)} }`;
    return this.shortForm ? `!Ref ${name}` : `{ Ref: ${name} }`;
  }

  private yamlScalar(s: string): string {
    return /^[A-Za-z0-9][A-Za-z0-9 ._/:-]*$/.test(s) && !/:\s|\s#|:$/.test(s) && !/^(?:true|false|yes|no|on|off|null|~|\d+(?:\.\d+)?)$/i.test(s) ? s : `'${s.replace(/'/g, "''")}'`;
  }

  private itemFields(it: Item): [string, string][] {
    const peer = 'literal' in it.peer ? (this.style === 'json' ? JSON.stringify(it.peer.literal) : this.yamlScalar(it.peer.literal)) : this.ref(it.peer.ref);
    const protocol = this.style === 'json' ? JSON.stringify(it.protocol) : it.protocol;
    return [
      ['IpProtocol', protocol],
      ['FromPort', String(it.from)],
      ['ToPort', String(it.to)],
      [it.peerKey, peer],
      ...(it.description ? ([['Description', this.style === 'json' ? JSON.stringify(it.description) : `'${it.description.replace(/'/g, "''")}'`]] as [string, string][]) : []),
    ];
  }

  private column(offset: number): number {
    return offset - lineStartAt(this.text, offset);
  }

  private insertItems(groupId: string, key: string, items: readonly Item[]): { span: { start: number; end: number }; newText: string } {
    const resource = member(member(this.root, 'Resources'), groupId)!;
    const props = member(resource, 'Properties');
    const list = member(props, key);
    return this.style === 'json' ? this.jsonInsert(resource, props, list, key, items) : this.yamlInsert(resource, props, list, key, items);
  }

  private yamlItem(it: Item, dash: string): string {
    const fields = this.itemFields(it);
    const inner = `${dash}  `;
    return fields.map(([k, v], i) => `${i === 0 ? `${dash}- ` : inner}${k}: ${v}`).join(this.eol);
  }

  private yamlInsert(_resource: JsonNode, props: JsonNode | undefined, list: JsonNode | undefined, key: string, items: readonly Item[]) {
    if (list && list.type === 'array' && list.items.length > 0 && this.text[list.span.start] === '-') {
      const dash = ' '.repeat(this.column(list.items[0].span.start) - 2);
      const last = list.items[list.items.length - 1];
      const at = this.lastLineEnd(last.span);
      return { span: { start: at, end: at }, newText: items.map((it) => this.eol + this.yamlItem(it, dash)).join('') };
    }
    if (list && list.type === 'array' && list.items.length === 0) {
      // `SecurityGroupIngress: []`: the empty flow list becomes a block list.
      const indent = ' '.repeat(this.column(this.keyStart(props!, key)));
      let start = list.span.start;
      while (start > 0 && (this.text[start - 1] === ' ' || this.text[start - 1] === '\t')) start--;
      return { span: { start, end: list.span.end }, newText: items.map((it) => this.eol + this.yamlItem(it, `${indent}  `)).join('') };
    }
    if (list) throw new Error(`${key} is not a list this fix can add to; add the rule by hand`);
    if (props && props.type === 'object' && props.props.length > 0) {
      const indent = ' '.repeat(this.column(props.props[0].keySpan.start));
      const at = this.lastLineEnd(props.props[props.props.length - 1].span);
      return { span: { start: at, end: at }, newText: `${this.eol}${indent}${key}:${items.map((it) => this.eol + this.yamlItem(it, `${indent}  `)).join('')}` };
    }
    throw new Error('the group has no Properties to add the rule to');
  }

  private keyStart(props: JsonNode, key: string): number {
    if (props.type !== 'object') return 0;
    return props.props.find((p) => p.key === key)?.keySpan.start ?? 0;
  }

  /** End of the last line holding text of `span` (YAML block nodes run on to the next key's line start). */
  private lastLineEnd(span: { start: number; end: number }): number {
    let end = span.end;
    while (end > span.start && /\s/.test(this.text[end - 1])) end--;
    return lineEndAt(this.text, Math.max(span.start, end - 1));
  }

  private jsonItem(it: Item, indent: string | undefined): string {
    const fields = this.itemFields(it).map(([k, v]) => `"${k}": ${v}`);
    if (indent === undefined) return `{ ${fields.join(', ')} }`;
    return `{${this.eol}${fields.map((f) => `${indent}  ${f}`).join(`,${this.eol}`)}${this.eol}${indent}}`;
  }

  private jsonInsert(_resource: JsonNode, props: JsonNode | undefined, list: JsonNode | undefined, key: string, items: readonly Item[]) {
    if (list && list.type === 'array') {
      const first = list.items[0];
      const oneLine = first ? !this.text.slice(first.span.start, first.span.end).includes('\n') : true;
      const itemIndent = first ? ' '.repeat(this.column(first.span.start)) : `${' '.repeat(this.column(this.keyStart(props!, key)))}  `;
      const texts = items.map((it) => this.jsonItem(it, oneLine ? undefined : itemIndent));
      if (first) {
        const at = list.items[list.items.length - 1].span.end;
        return { span: { start: at, end: at }, newText: texts.map((t) => `,${this.eol}${itemIndent}${t}`).join('') };
      }
      const closeIndent = ' '.repeat(this.column(this.keyStart(props!, key)));
      return { span: { start: list.span.start + 1, end: list.span.end - 1 }, newText: `${this.eol}${texts.map((t) => `${itemIndent}${t}`).join(`,${this.eol}`)}${this.eol}${closeIndent}` };
    }
    if (list) throw new Error(`${key} is not a list this fix can add to; add the rule by hand`);
    if (props && props.type === 'object' && props.props.length > 0) {
      const indent = ' '.repeat(this.column(props.props[0].keySpan.start));
      const last = props.props[props.props.length - 1];
      const at = last.value ? last.value.span.end : last.span.end;
      const texts = items.map((it) => `${indent}  ${this.jsonItem(it, undefined)}`);
      return { span: { start: at, end: at }, newText: `,${this.eol}${indent}"${key}": [${this.eol}${texts.join(`,${this.eol}`)}${this.eol}${indent}]` };
    }
    throw new Error('the group has no Properties to add the rule to');
  }

  private insertParameters(): { span: { start: number; end: number }; newText: string } {
    const params = member(this.root, 'Parameters');
    const resourcesProp = this.root.type === 'object' ? this.root.props.find((p) => p.key === 'Resources') : undefined;
    const entries = [...this.params];
    if (this.style === 'yaml') {
      const body = (indent: string): string =>
        entries.map(([name, meaning]) => `${indent}${name}:${this.eol}${indent}  Type: String${this.eol}${indent}  Description: '${meaning.replace(/'/g, "''")}'`).join(this.eol);
      if (params && params.type === 'object' && params.props.length > 0) {
        const indent = ' '.repeat(this.column(params.props[0].keySpan.start));
        const at = this.lastLineEnd(params.props[params.props.length - 1].span);
        return { span: { start: at, end: at }, newText: `${this.eol}${body(indent)}` };
      }
      const at = lineStartAt(this.text, resourcesProp?.keySpan.start ?? 0);
      return { span: { start: at, end: at }, newText: `Parameters:${this.eol}${body('  ')}${this.eol}` };
    }
    const json = (indent: string): string =>
      entries.map(([name, meaning]) => `${indent}${JSON.stringify(name)}: { "Type": "String", "Description": ${JSON.stringify(meaning)} }`).join(`,${this.eol}`);
    if (params && params.type === 'object' && params.props.length > 0) {
      const indent = ' '.repeat(this.column(params.props[0].keySpan.start));
      const last = params.props[params.props.length - 1];
      const at = last.value ? last.value.span.end : last.span.end;
      return { span: { start: at, end: at }, newText: `,${this.eol}${json(indent)}` };
    }
    const at = resourcesProp?.keySpan.start ?? 0;
    const indent = ' '.repeat(this.column(at));
    return { span: { start: at, end: at }, newText: `"Parameters": {${this.eol}${json(`${indent}  `)}${this.eol}${indent}},${this.eol}${indent}` };
  }
}
