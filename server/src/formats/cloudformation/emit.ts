import type { AddressSymbol } from '../../net';
import type { ParsedFile } from '../../model';
import type { AllowRuleRequest, TextEdit } from '../../model/edits';
import { parseJsonTolerant, type JsonNode } from '../arm/json';
import { awsDescription } from '../aws/securityGroup';
import { AclEntryPlanner, type PlannedAclEntry } from '../aws/networkAclEntries';
import { addressPlan, eolOf, lineEndAt, lineStartAt, nameWords, oneLine, placeholderMeaning, placeholderWords, styleName, uniqueName } from '../emitSupport';
import { member } from './intrinsics';
import { rememberTemplateRoot, templateRootOf } from './roots';
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
  const root = templateRoot(file, style);
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

/** The parser's own tree of the template when this is its parse, else the template read again (once per parse). */
function templateRoot(file: ParsedFile, style: 'json' | 'yaml'): JsonNode | undefined {
  const known = templateRootOf(file);
  if (known.found) return known.root;
  const root = (style === 'json' ? parseJsonTolerant(file.text) : parseCfnYaml(file.text)).root;
  rememberTemplateRoot(file, root);
  return root;
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
  private readonly aclPlanner = new AclEntryPlanner();
  /** Per network ACL: the new NetworkAclEntry resources, written after its last entry. */
  private readonly aclEntries = new Map<string, { aclId: string; after: string; aclRef: string | undefined; resources: { id: string; entry: PlannedAclEntry; comment: string }[] }>();
  private readonly resourceIds: Set<string>;

  constructor(
    private readonly text: string,
    private readonly style: 'json' | 'yaml',
    private readonly root: JsonNode,
  ) {
    this.eol = eolOf(text);
    // Long form (`Ref:`) only in a YAML template that uses it and never the short one.
    this.shortForm = style === 'yaml' && (/!(?:Ref|Sub|GetAtt)\b/.test(text) || !/^\s*(?:Ref|Fn::\w+)\s*:/m.test(text));
    const resources = member(root, 'Resources');
    this.resourceIds = new Set(resources?.type === 'object' ? resources.props.map((p) => p.key) : []);
  }

  /** NetworkAclEntry resources after the ACL's last entry, numbered below the entry that denies, as the neighbours name their ACL. */
  private addAclEntries(req: AllowRuleRequest): string | undefined {
    const rs = req.ruleSet;
    if (rs.meta?.declared === 'elsewhere') return `${rs.name} is not declared in this template; add the entry where it is`;
    const entries = rs.rules.filter((r) => !r.implicit && r.meta?.ruleAddress);
    const last = [...entries].sort((a, b) => b.span.end - a.span.end)[0]?.meta?.ruleAddress;
    const plan = this.aclPlanner.plan(req);
    if (typeof plan === 'string') return plan;
    if (plan.entries.length === 0) return undefined;
    const slot = this.aclEntries.get(rs.id) ?? { aclId: rs.id, after: last ?? rs.id, aclRef: this.aclRefOf(last), resources: [] };
    this.aclEntries.set(rs.id, slot);
    for (const entry of plan.entries) {
      // The rule number first: it is what tells two entries apart.
      const base = styleName(['acl', 'entry', String(entry.number), ...nameWords(req.name).filter((w) => w.toLowerCase() !== 'allow'), ...(req.reply ? ['replies'] : [])], 'pascal').replace(/[^A-Za-z0-9]/g, '');
      const id = uniqueName(base, this.resourceIds, '', 255);
      this.resourceIds.add(id);
      slot.resources.push({ id, entry, comment: oneLine(req.comment) });
    }
    return undefined;
  }

  /** How the ACL's existing entries write their NetworkAclId, as text to copy. */
  private aclRefOf(entryId: string | undefined): string | undefined {
    const node = member(member(member(member(this.root, 'Resources'), entryId ?? ''), 'Properties'), 'NetworkAclId');
    return node ? this.text.slice(node.span.start, node.span.end).trim() : undefined;
  }

  private aclEntryText(acl: { aclId: string; aclRef: string | undefined }, r: { id: string; entry: PlannedAclEntry; comment: string }, indent: string, unit: string): string {
    const e = r.entry;
    const protocol = e.protocol === 'tcp' ? 6 : 17;
    const ref = acl.aclRef ?? this.ref(acl.aclId);
    if (this.style === 'yaml') {
      const i1 = indent + unit;
      const i2 = i1 + unit;
      return [
        `${indent}# ${r.comment}`,
        `${indent}${r.id}:`,
        `${i1}Type: AWS::EC2::NetworkAclEntry`,
        `${i1}Properties:`,
        `${i2}NetworkAclId: ${ref}`,
        `${i2}RuleNumber: ${e.number}`,
        `${i2}Protocol: ${protocol}`,
        `${i2}RuleAction: allow`,
        `${i2}Egress: ${e.egress}`,
        `${i2}${e.v6 ? 'Ipv6CidrBlock' : 'CidrBlock'}: ${typeof e.cidr === 'string' ? this.yamlScalar(e.cidr) : this.ref(this.parameter(e.cidr))}`,
        `${i2}PortRange:`,
        `${i2}${unit}From: ${e.from}`,
        `${i2}${unit}To: ${e.to}`,
      ].join(this.eol);
    }
    const i1 = indent + unit;
    const i2 = i1 + unit;
    const props: [string, string][] = [
      ['NetworkAclId', ref],
      ['RuleNumber', String(e.number)],
      ['Protocol', String(protocol)],
      ['RuleAction', '"allow"'],
      ['Egress', String(e.egress)],
      [e.v6 ? 'Ipv6CidrBlock' : 'CidrBlock', typeof e.cidr === 'string' ? JSON.stringify(e.cidr) : this.ref(this.parameter(e.cidr))],
      ['PortRange', `{ "From": ${e.from}, "To": ${e.to} }`],
    ];
    return [
      `${indent}${JSON.stringify(r.id)}: {`,
      `${i1}"Type": "AWS::EC2::NetworkAclEntry",`,
      `${i1}"Metadata": { "Comment": ${JSON.stringify(r.comment)} },`,
      `${i1}"Properties": {`,
      props.map(([k, v]) => `${i2}"${k}": ${v}`).join(`,${this.eol}`),
      `${i1}}`,
      `${indent}}`,
    ].join(this.eol);
  }

  private insertAclEntries(slot: { aclId: string; after: string; aclRef: string | undefined; resources: { id: string; entry: PlannedAclEntry; comment: string }[] }): { span: { start: number; end: number }; newText: string } {
    const resources = member(this.root, 'Resources');
    if (resources?.type !== 'object') throw new Error('the template has no Resources');
    const prop = resources.props.find((p) => p.key === slot.after);
    if (!prop) throw new Error(`${slot.after} is not a resource of this template`);
    const indent = ' '.repeat(this.column(prop.keySpan.start));
    const inner = prop.value?.type === 'object' ? prop.value.props[0] : undefined;
    const unit = inner ? ' '.repeat(Math.max(1, this.column(inner.keySpan.start) - indent.length)) : '  ';
    const texts = slot.resources.map((r) => this.aclEntryText(slot, r, indent, unit));
    if (this.style === 'yaml') {
      const at = this.lastLineEnd(prop.span);
      return { span: { start: at, end: at }, newText: texts.map((t) => this.eol + this.eol + t).join('') };
    }
    const at = prop.value ? prop.value.span.end : prop.span.end;
    return { span: { start: at, end: at }, newText: texts.map((t) => `,${this.eol}${t}`).join('') };
  }

  add(req: AllowRuleRequest): string | undefined {
    const rs = req.ruleSet;
    if (rs.kind === 'aws-network-acl') return this.addAclEntries(req);
    if (rs.kind !== 'aws-security-group') return `cannot write rules for a ${rs.kind} rule set`;
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
    for (const slot of this.aclEntries.values()) out.push({ uri, ...this.insertAclEntries(slot) });
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
