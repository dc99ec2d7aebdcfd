import { AddressSet, ICMP, ICMPV6, parseProtocol, Ports, Protocols, TCP, UDP, type PortSet, type ProtocolSet } from '../../net';
import { LineIndex, RULE_DEFAULTS, unorderedRule, type Action, type Direction, type Field, type MatchCondition, type ParsedFile, type ParseProblem, type Rule, type RuleSet, type RuleTarget, type Span } from '../../model';
import { commandName, readShell, stripWrappers, type ShellWord } from '../shell';

/**
 * Shell scripts of ufw commands (ufw(8)). ufw keeps one list of user rules
 * and checks it in order, first match, after its before-rules and before
 * the default policy:
 *   ufw [--dry-run] [--force] [rule] [delete] [insert NUM] [prepend] allow|deny|reject|limit [in|out [on IF]] [log|log-all]
 *       ( PORT[/PROTO] | APPNAME | [proto P] [from A [port P | app N]] [to B [port P | app N]] ) [comment C]
 *   ufw route … (forwarded packets), ufw default allow|deny|reject [incoming|outgoing|routed],
 *   ufw delete NUM, ufw enable|disable|reset.
 * Defaults not set in the script are ufw's shipped ones (/etc/default/ufw:
 * incoming DROP, outgoing ACCEPT, routed DROP). `limit` is an allow that
 * rejects a source's 6th new connection within 30 seconds: read as allowing
 * (a flow within the rate passes). ufw's before.rules (state, loopback,
 * ICMP, DHCP client, mDNS, UPnP) are the implicit first rules.
 * The script is read as if ufw held no rules before it ran (most begin
 * with `ufw --force reset`); a note says so when it does not reset.
 */

/** /etc/services names a ufw rule may use (Debian's netbase), for the services beside a VDA; others are unknown. */
const SERVICES: ReadonlyMap<string, readonly [number, readonly ('tcp' | 'udp')[]]> = new Map([
  ['ssh', [22, ['tcp']]],
  ['http', [80, ['tcp']]],
  ['https', [443, ['tcp']]],
  ['domain', [53, ['tcp', 'udp']]],
  ['ntp', [123, ['udp']]],
  ['ldap', [389, ['tcp']]],
  ['ldaps', [636, ['tcp']]],
  ['kerberos', [88, ['tcp', 'udp']]],
  ['microsoft-ds', [445, ['tcp']]],
  ['ms-sql-s', [1433, ['tcp']]],
  ['postgresql', [5432, ['tcp']]],
  ['mysql', [3306, ['tcp']]],
  ['smtp', [25, ['tcp']]],
  ['ftp', [21, ['tcp']]],
  ['telnet', [23, ['tcp']]],
] as const);

const TCP_SET = Protocols.of(TCP);
const UDP_SET = Protocols.of(UDP);
const TCP_UDP = Protocols.of(TCP, UDP);

/**
 * Application profiles as the Debian/Ubuntu packages ship them in
 * /etc/ufw/applications.d (openssh-server, apache2, nginx, postfix, bind9):
 * a script that names one relies on its package being installed, since ufw
 * refuses a profile it cannot find. A local edit of the profile is not seen
 * here, which the rule's condition says.
 */
const APP_PROFILES: ReadonlyMap<string, { readonly ports: readonly number[]; readonly protocols: 'tcp' | 'tcp+udp'; readonly from: string }> = new Map([
  ['OpenSSH', { ports: [22], protocols: 'tcp', from: 'openssh-server' }],
  ['Apache', { ports: [80], protocols: 'tcp', from: 'apache2' }],
  ['Apache Secure', { ports: [443], protocols: 'tcp', from: 'apache2' }],
  ['Apache Full', { ports: [80, 443], protocols: 'tcp', from: 'apache2' }],
  ['Nginx HTTP', { ports: [80], protocols: 'tcp', from: 'nginx' }],
  ['Nginx HTTPS', { ports: [443], protocols: 'tcp', from: 'nginx' }],
  ['Nginx Full', { ports: [80, 443], protocols: 'tcp', from: 'nginx' }],
  ['Postfix', { ports: [25], protocols: 'tcp', from: 'postfix' }],
  ['Postfix SMTPS', { ports: [465], protocols: 'tcp', from: 'postfix' }],
  ['Postfix Submission', { ports: [587], protocols: 'tcp', from: 'postfix' }],
  ['Bind9', { ports: [53], protocols: 'tcp+udp', from: 'bind9' }],
]);

interface UfwRule {
  readonly rule: Omit<Rule, 'order'>;
  /** The rule as ufw compares them for `delete <rule>`. */
  readonly key: string;
}

interface State {
  readonly text: string;
  readonly problems: ParseProblem[];
  readonly lines: LineIndex;
  rules: UfwRule[];
  defaults: Record<Direction, Field<Action> & { set: boolean }>;
  enabled?: { value: boolean; span: Span };
  reset: boolean;
  reordered: boolean;
  ids: Map<string, number>;
  /** How many rules of each key `rules` holds, so a duplicate is found without a scan per rule (quadratic in 10,000-rule scripts). */
  keys: Map<string, number>;
  prefix?: string;
  lastRuleEnd: number;
}

const SHIPPED: Record<Direction, Action> = { inbound: 'deny', outbound: 'allow', forward: 'deny' };

/** The ports and protocols of a shipped application profile, with the condition that says so; an unknown profile makes the rule unknown. */
function appProfile(word: ShellWord, conditions: MatchCondition[]): { ports: Field<PortSet>; protocols: Field<ProtocolSet> } | undefined {
  const profile = APP_PROFILES.get(word.value);
  if (!profile) {
    conditions.push({ kind: 'other', text: `application profile "${word.value}" (defined in /etc/ufw/applications.d, not one this reader knows)`, span: word.span, effect: 'unknown' });
    return undefined;
  }
  const ports = profile.ports.map((p) => ({ from: p, to: p }));
  conditions.push({ kind: 'other', text: `application profile "${word.value}" as ${profile.from} ships it (${profile.ports.join(',')}/${profile.protocols})`, span: word.span, effect: 'assume-match' });
  return {
    ports: { value: Ports.of(ports), span: word.span, text: word.value },
    protocols: { value: profile.protocols === 'tcp' ? TCP_SET : TCP_UDP, span: word.span, text: word.value },
  };
}

function forgetKey(s: State, key: string): void {
  const n = s.keys.get(key) ?? 0;
  if (n <= 1) s.keys.delete(key);
  else s.keys.set(key, n - 1);
}

function note(s: State, code: ParseProblem['code'], message: string, span: Span, severity: ParseProblem['severity'] = 'warning'): void {
  s.problems.push({ code, message, span, severity });
}

export function parseUfw(text: string, uri: string): ParsedFile {
  const script = readShell(text, { expand: true });
  const s: State = {
    text,
    problems: [...script.problems],
    lines: LineIndex.of(text),
    rules: [],
    defaults: {
      inbound: { value: 'deny', set: false },
      outbound: { value: 'allow', set: false },
      forward: { value: 'deny', set: false },
    },
    reset: false,
    reordered: false,
    ids: new Map(),
    keys: new Map(),
    lastRuleEnd: -1,
  };
  let firstUfw: Span | undefined;
  for (const cmd of script.commands) {
    const words = stripWrappers(cmd.words);
    if (commandName(words[0]) !== 'ufw') continue;
    firstUfw ??= cmd.span;
    const unresolved = words.flatMap((w) => w.unresolved);
    if (unresolved.length) {
      note(s, 'unresolved-value', `${unresolved.map((u) => u.text).join(', ')} ${unresolved.length > 1 ? 'are' : 'is'} not known in this file: this ufw command is not read`, cmd.span);
      continue;
    }
    s.prefix ??= text.slice(cmd.span.start, words[0].span.end);
    command(s, words.slice(1), cmd.span);
  }
  // Where each rule stands at the end of the script, where a quick fix's `insert N` is written. Numbered once
  // here: renumbering after every command was quadratic (10,000-rule scripts took seconds).
  for (let k = 0; k < s.rules.length; k++) (s.rules[k].rule.meta as Record<string, string>).position = String(k + 1);
  const ruleSets: RuleSet[] = [];
  if (firstUfw) {
    if (!s.reset) note(s, 'limit', 'this script does not run `ufw --force reset`: rules ufw held before it are not known, so what it does not admit is unknown, not denied; its own rules are read as if none came before them (ufw ships with none)', firstUfw, 'info');
    if (!s.enabled) note(s, 'limit', 'this script never runs `ufw enable`: read as if ufw is active (it stays enabled across boots once enabled)', firstUfw, 'info');
    const off = s.enabled && !s.enabled.value ? s.enabled.span : undefined;
    if (off) note(s, 'limit', 'ufw is disabled at the end of this script: it filters nothing, every flow passes', off, 'warning');
    for (const [direction, label] of [['inbound', 'incoming'], ['outbound', 'outgoing'], ['forward', 'routed']] as const) {
      const d = s.defaults[direction];
      if (!d.set && s.rules.some((r) => r.rule.direction === direction)) {
        note(s, 'limit', `no \`ufw default … ${label}\` here: ufw's shipped default is assumed (${label} ${SHIPPED[direction] === 'deny' ? 'deny' : 'allow'}, from /etc/default/ufw)`, firstUfw, 'info');
      }
      const rules: Rule[] = [...implicitRules(direction, firstUfw), ...s.rules.filter((r) => r.rule.direction === direction).map((r) => r.rule)].map((r, order) => ({ ...r, order, ...(off ? { enabled: { value: false } } : {}) }));
      ruleSets.push({
        id: `ufw ${label}`,
        name: `ufw ${label}`,
        format: 'ufw',
        kind: 'ufw',
        semantics: 'first-match',
        directions: [direction],
        rules,
        defaults: { [direction]: off ? { value: 'allow', span: off } : { value: d.value, span: d.span } },
        // Without a reset, rules from before the script may admit what it does not: such a flow is unknown, not denied.
        ...(!s.reset && !off ? { defaultsUnknown: { [direction]: 'ufw may hold rules from before this script (it does not run `ufw --force reset`), which are not known here' } } : {}),
        span: firstUfw,
        appliesTo: [label],
        meta: { direction: label, prefix: s.prefix ?? 'ufw', lastRuleEnd: String(s.lastRuleEnd), reordered: s.reordered ? 'true' : 'false' },
      });
    }
  }
  return { uri, format: 'ufw', text, ruleSets, problems: s.problems, comments: script.comments };
}

/** ufw's before.rules: what passes before any user rule (established replies are the evaluator's stateful default). */
function implicitRules(direction: Direction, span: Span): Omit<Rule, 'order'>[] {
  if (direction !== 'inbound') return [];
  const base = (id: string, protocols: ProtocolSet, fields: Partial<Rule>, raw: string): Omit<Rule, 'order'> =>
    unorderedRule({ id, target: { kind: 'allow' }, direction: 'inbound', protocols: { value: protocols }, span, raw, implicit: true, meta: { implicit: 'before.rules' }, ...fields });
  const addr = (a: string): AddressSet => (AddressSet.parse(a) as { ok: true; value: AddressSet }).value;
  return [
    base('before.rules ICMP', Protocols.of(ICMP, ICMPV6), { conditions: [{ kind: 'other', text: 'ICMP types destination-unreachable, time-exceeded, parameter-problem, echo-request', effect: 'assume-match' }] }, 'before.rules: -p icmp … -j ACCEPT'),
    base('before.rules DHCP client', UDP_SET, { sourcePorts: { value: Ports.single(67) }, destinationPorts: { value: Ports.single(68) } }, 'before.rules: -p udp --sport 67 --dport 68 -j ACCEPT'),
    base('before.rules mDNS', UDP_SET, { destination: { value: addr('224.0.0.251') }, destinationPorts: { value: Ports.single(5353) } }, 'before.rules: -p udp -d 224.0.0.251 --dport 5353 -j ACCEPT'),
    base('before.rules UPnP', UDP_SET, { destination: { value: addr('239.255.255.250') }, destinationPorts: { value: Ports.single(1900) } }, 'before.rules: -p udp -d 239.255.255.250 --dport 1900 -j ACCEPT'),
  ];
}

const ACTIONS = new Set(['allow', 'deny', 'reject', 'limit']);

function command(s: State, args: readonly ShellWord[], span: Span): void {
  let i = 0;
  while (args[i] && (args[i].value === '--dry-run' || args[i].value === '--force')) i++;
  const verb = args[i]?.value;
  if (verb === undefined) return;
  switch (verb) {
    case 'enable':
      s.enabled = { value: true, span: args[i].span };
      return;
    case 'disable':
      s.enabled = { value: false, span: args[i].span };
      return;
    case 'reset':
      s.rules = [];
      s.keys.clear();
      s.reset = true;
      s.reordered = false;
      for (const d of ['inbound', 'outbound', 'forward'] as const) s.defaults[d] = { value: SHIPPED[d], set: false };
      return;
    case 'reload':
    case 'status':
    case 'logging':
    case 'show':
    case 'version':
    case 'app':
    case 'help':
      return;
    case 'default': {
      const policy = args[i + 1];
      const dir = args[i + 2]?.value ?? 'incoming';
      const direction: Direction | undefined = ({ incoming: 'inbound', in: 'inbound', outgoing: 'outbound', out: 'outbound', routed: 'forward' } as Record<string, Direction>)[dir];
      if (!policy || !['allow', 'deny', 'reject'].includes(policy.value) || !direction) {
        note(s, 'syntax-error', 'ufw default takes allow, deny or reject, then incoming, outgoing or routed', span, 'error');
        return;
      }
      s.defaults[direction] = { value: policy.value === 'allow' ? 'allow' : 'deny', span: { start: policy.span.start, end: (args[i + 2] ?? policy).span.end }, set: true };
      return;
    }
  }
  ruleCommand(s, args.slice(i), span);
}

function ruleCommand(s: State, args: readonly ShellWord[], span: Span): void {
  let i = 0;
  let direction: Direction = 'inbound';
  let route = false;
  if (args[i]?.value === 'route') {
    route = true;
    direction = 'forward';
    i++;
  } else if (args[i]?.value === 'rule') i++;
  let del = false;
  let insert: number | undefined;
  let prepend = false;
  if (args[i]?.value === 'delete') {
    del = true;
    i++;
    if (args[i] && /^\d+$/.test(args[i].value)) {
      const n = Number(args[i].value);
      const removed = s.rules.splice(n - 1, 1);
      for (const r of removed) forgetKey(s, r.key);
      if (!removed.length) note(s, 'syntax-error', `ufw delete ${n}: there is no rule ${n} at this point of the script`, args[i].span, 'error');
      else note(s, 'limit', `ufw delete ${n} read as the ${n}th rule this script added (ufw numbers IPv4 rules before IPv6 ones, and rules that were there before)`, args[i].span, 'info');
      s.reordered = true;
      return;
    }
  }
  if (args[i]?.value === 'insert') {
    const n = args[i + 1] && /^\d+$/.test(args[i + 1].value) ? Number(args[i + 1].value) : undefined;
    if (!n) {
      note(s, 'syntax-error', 'ufw insert takes a rule number (1 is the first)', args[i].span, 'error');
      return;
    }
    insert = n;
    i += 2;
  } else if (args[i]?.value === 'prepend') {
    prepend = true;
    i++;
  }
  const actionWord = args[i];
  if (!actionWord || !ACTIONS.has(actionWord.value)) {
    note(s, 'unparsed-rule', `${actionWord ? `"${actionWord.value}" is not a ufw command this reader knows` : 'a ufw rule needs allow, deny, reject or limit'}: not read`, actionWord?.span ?? span);
    return;
  }
  i++;
  const action = actionWord.value;
  const conditions: MatchCondition[] = [];
  const keyParts: string[] = [route ? 'route' : '', action];
  if (args[i]?.value === 'in' || args[i]?.value === 'out') {
    if (!route) direction = args[i].value === 'in' ? 'inbound' : 'outbound';
    keyParts.push(args[i].value);
    i++;
    if (args[i]?.value === 'on' && args[i + 1]) {
      conditions.push({ kind: args[i - 1].value === 'in' ? 'interface-in' : 'interface-out', text: `${args[i - 1].value} on ${args[i + 1].value}`, span: { start: args[i].span.start, end: args[i + 1].span.end }, effect: 'assume-match' });
      keyParts.push(`on ${args[i + 1].value}`);
      i += 2;
    }
  }
  if (args[i]?.value === 'log' || args[i]?.value === 'log-all') i++;
  let protocols: Field<ProtocolSet> = RULE_DEFAULTS.protocols;
  let source: Field<AddressSet> = RULE_DEFAULTS.source;
  let destination: Field<AddressSet> = RULE_DEFAULTS.destination;
  let sourcePorts: Field<PortSet> = RULE_DEFAULTS.sourcePorts;
  let destinationPorts: Field<PortSet> = RULE_DEFAULTS.destinationPorts;
  let comment: string | undefined;
  const rest = args.slice(i);
  const commentAt = rest.findIndex((w) => w.value === 'comment');
  const body = commentAt >= 0 ? rest.slice(0, commentAt) : rest;
  if (commentAt >= 0) comment = rest[commentAt + 1]?.value;
  const fullForm = body.some((w) => ['from', 'to', 'proto'].includes(w.value));
  let portsNeedProto: Span | undefined;
  let explicitProto: ProtocolSet | undefined;
  const portsOf = (w: ShellWord): { ports?: PortSet; protocols?: ProtocolSet; unknown?: string } => {
    const [spec, proto] = w.value.split('/');
    let protocolsOfName: ProtocolSet | undefined;
    const ranges: { from: number; to: number }[] = [];
    for (const part of spec.split(',')) {
      const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(part);
      if (m) {
        const from = Number(m[1]);
        const to = m[2] === undefined ? from : Number(m[2]);
        if (from > 65535 || to > 65535 || to < from || from === 0) return { unknown: `"${part}" is not a port or range (1494, 60000:61000)` };
        if (m[2] !== undefined || spec.includes(',')) portsNeedProto = w.span;
        ranges.push({ from, to });
        continue;
      }
      const svc = SERVICES.get(part.toLowerCase());
      if (svc && !spec.includes(',')) {
        ranges.push({ from: svc[0], to: svc[0] });
        protocolsOfName = Protocols.of(...svc[1].map((p) => (p === 'tcp' ? TCP : UDP)));
        continue;
      }
      return { unknown: `"${part}" is not a port, and not one of the /etc/services names this reader knows` };
    }
    let protocols = protocolsOfName;
    if (proto !== undefined) {
      const p = proto === 'tcp' ? TCP_SET : proto === 'udp' ? UDP_SET : undefined;
      if (!p) return { unknown: `"${proto}" is not tcp or udp` };
      protocols = protocolsOfName ? protocolsOfName.intersect(p) : p;
      portsNeedProto = undefined;
    }
    return { ports: Ports.of(ranges), protocols };
  };
  const fail = (message: string, at: Span, code: ParseProblem['code'] = 'syntax-error'): void => note(s, code, `${message}; this rule is not read`, at, code === 'syntax-error' ? 'error' : 'warning');
  if (!fullForm) {
    const target = body[0];
    if (!target || body.length > 1) return fail('the short form is one PORT[/PROTO], service name or application name', (body[1] ?? actionWord).span);
    keyParts.push(target.value);
    const p = portsOf(target);
    // A word of digits (or digits/proto) is a port, never an application name: ufw refuses a bad one.
    if (!p.ports && /^[\d,:]+(?:\/\w*)?$/.test(target.value)) return fail(p.unknown ?? 'not a port', target.span);
    if (p.ports) {
      destinationPorts = { value: p.ports, span: target.span, text: target.value };
      protocols = { value: p.protocols ?? TCP_UDP, span: target.span, text: target.value };
    } else {
      const app = appProfile(target, conditions);
      if (app) {
        destinationPorts = app.ports;
        protocols = app.protocols;
      }
    }
  } else {
    let j = 0;
    let side: 'from' | 'to' | undefined;
    while (j < body.length) {
      const w = body[j];
      const v = body[j + 1];
      if (!v) return fail(`"${w.value}" needs a value after it`, w.span);
      keyParts.push(`${w.value} ${v.value}`);
      if (w.value === 'proto') {
        const p = parseProtocol(v.value);
        if (!p.ok || ['icmp', 'icmpv6'].includes(v.value)) return fail(`ufw takes proto tcp, udp, ah, esp, gre, ipv6, igmp, vrrp or any, not "${v.value}"`, v.span);
        explicitProto = p.value;
        protocols = { value: p.value, span: v.span, text: v.value };
      } else if (w.value === 'from' || w.value === 'to') {
        side = w.value;
        const a = AddressSet.parse(v.value);
        if (!a.ok) return fail(`"${v.value}" is not an address or network (10.0.0.0/24, any)`, v.span);
        if (side === 'from') source = { value: a.value, span: v.span, text: v.value };
        else destination = { value: a.value, span: v.span, text: v.value };
      } else if (w.value === 'port') {
        if (!side) return fail('port comes after from ADDRESS or to ADDRESS', w.span);
        const p = portsOf(v);
        if (!p.ports) return fail(p.unknown ?? 'not a port', v.span);
        const field = { value: p.ports, span: v.span, text: v.value };
        if (side === 'from') sourcePorts = field;
        else destinationPorts = field;
        if (p.protocols && !explicitProto) protocols = { value: p.protocols, span: v.span, text: v.value };
      } else if (w.value === 'app') {
        const app = appProfile(v, conditions);
        if (app && side === 'from') sourcePorts = app.ports;
        else if (app) destinationPorts = app.ports;
        if (app && !explicitProto) protocols = app.protocols;
      } else return fail(`"${w.value}" is not part of a ufw rule (proto, from, to, port, app, comment)`, w.span);
      j += 2;
    }
    if (protocols === RULE_DEFAULTS.protocols && (destinationPorts !== RULE_DEFAULTS.destinationPorts || sourcePorts !== RULE_DEFAULTS.sourcePorts)) protocols = { value: TCP_UDP };
  }
  if (portsNeedProto && !explicitProto) return fail('a port list or range needs a protocol (1494,2598/tcp, or proto tcp)', portsNeedProto);
  const key = keyParts.filter(Boolean).join(' ');
  if (del) {
    const at = s.rules.findIndex((r) => r.key === key);
    if (at < 0) note(s, 'limit', `ufw delete: no rule "${key}" was added before this line in this script`, span, 'info');
    else forgetKey(s, s.rules.splice(at, 1)[0].key);
    return;
  }
  if (s.keys.has(key)) {
    // ufw skips a rule it already has ("Skipping adding existing rule").
    return;
  }
  const target: RuleTarget = action === 'allow' || action === 'limit' ? { kind: 'allow' } : { kind: 'deny', ...(action === 'reject' ? { reject: true } : {}) };
  if (action === 'limit') conditions.push({ kind: 'other', text: 'limit (rejects a source’s 6th new connection within 30 s; read as within the rate)', span: actionWord.span, effect: 'assume-match' });
  const line = s.lines.positionAt(span.start).line + 1;
  let id = `line ${line}`;
  const seen = s.ids.get(id) ?? 0;
  s.ids.set(id, seen + 1);
  if (seen) id = `${id} #${seen + 1}`;
  const rule: Omit<Rule, 'order'> = {
    id,
    target,
    direction,
    protocols,
    source,
    destination,
    sourcePorts,
    destinationPorts,
    enabled: RULE_DEFAULTS.enabled,
    conditions,
    unresolved: RULE_DEFAULTS.none,
    span,
    raw: s.text.slice(span.start, span.end),
    comment,
    meta: { action, ...(insert !== undefined ? { insert: String(insert) } : {}) },
  };
  const entry: UfwRule = { rule, key };
  if (insert !== undefined) {
    if (insert > s.rules.length + 1) {
      note(s, 'syntax-error', `ufw insert ${insert}: there are only ${s.rules.length} rules at this point, so ufw refuses it ("Invalid position")`, span, 'error');
      return;
    }
    s.rules.splice(insert - 1, 0, entry);
    s.reordered = true;
  } else if (prepend) {
    s.rules.unshift(entry);
    s.reordered = true;
  } else s.rules.push(entry);
  s.keys.set(key, (s.keys.get(key) ?? 0) + 1);
  s.lastRuleEnd = span.end;
}
