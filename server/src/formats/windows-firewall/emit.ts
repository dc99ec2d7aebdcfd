import type { AddressSet } from '../../net';
import type { AllowRuleEmitter, AllowRuleRequest, Rule, TextEdit } from '../../model';
import { indentOf, lineStart, nextLineStart } from '../lineText';

/**
 * Writes allow rules into a Windows Defender Firewall script, in its style:
 * `New-NetFirewallRule` on one line, with backtick continuations, or as a
 * splatted hashtable (`= ` aligned, the script's own variable name), with
 * the script's quote style, and `-Name`, `-Profile`, `-Group` when every
 * existing rule sets them; `netsh advfirewall firewall add rule` when the
 * script uses netsh. New rules go after the last rule statement (order does
 * not matter: block wins). A flow blocked by a written block rule cannot be
 * fixed by adding an allow (block wins over allow), so that request is
 * refused with the reason. A peer whose addresses are not declared becomes
 * `$Citrix<Role>Addresses` with a TODO to set it (unset, PowerShell rejects
 * the rule rather than opening it to everyone); netsh has no variable that
 * keeps the command valid, so there such a request is refused.
 */
function profilesOf(rule: Rule): string {
  const profiles = rule.meta?.profile;
  return profiles ? `the ${profiles} profile${/[,\s]/.test(profiles) ? 's' : ''}` : 'some profiles';
}

export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { error: 'nothing to write' };
  const file = requests[0].file;
  const text = file.text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const blocks: string[] = [];
  const errors: string[] = [];
  const names = new Set<string>();
  let anchorEnd = -1;
  let indent = '';
  // A block rule limited to some profiles decides the flow there while the default decides it in the others, so one
  // finding asks for both. An allow would open the flow only where no block rule applies, and the host's active
  // profile (not declared) may be the blocked one: the flow is refused whole, not written for half the profiles.
  const flowKey = (r: AllowRuleRequest): string => [r.direction, r.protocols.join(','), r.ports.map((p) => `${p.from}-${p.to}`).join(','), r.source, r.destination].join(' ');
  const blockedBy = new Map<string, Rule>();
  for (const request of requests) {
    const before = request.before && !request.before.implicit ? request.before : undefined;
    if (before && before.target.kind === 'deny') blockedBy.set(flowKey(request), before);
  }
  for (const request of requests) {
    const block = blockedBy.get(flowKey(request));
    if (block && request.before !== block) {
      errors.push(`${block.name ?? block.id} blocks this flow in ${profilesOf(block)}, and a block rule wins over any allow rule: an allow rule would open it only in the other profiles; narrow or disable the block rule, or declare the host's windowsProfile`);
      continue;
    }
    const style = styleOf(request);
    if (style.last && style.last.span.end > anchorEnd) {
      anchorEnd = style.last.span.end;
      indent = indentOf(text, lineStart(text, style.last.span.start));
    }
    const before = request.before && !request.before.implicit ? request.before : undefined;
    if (before && before.target.kind === 'deny') {
      errors.push(`${before.name ?? before.id} blocks this flow and a block rule wins over any allow rule in Windows Firewall: narrow or disable it`);
      continue;
    }
    const r = style.netsh ? netshRule(request, style, names) : powershellRule(request, style, names);
    if ('error' in r) errors.push(r.error);
    else blocks.push(...r.lines.map((l) => l.split('\n').map((x) => (x === '' ? x : indent + x)).join(eol)));
  }
  if (blocks.length === 0) return { error: errors.join('; ') };
  const at = anchorEnd < 0 ? text.length : nextLineStart(text, anchorEnd);
  const needsBreak = at === text.length && text.length > 0 && !text.endsWith('\n');
  const edit: TextEdit = { uri: file.uri, span: { start: at, end: at }, newText: (needsBreak ? eol : '') + blocks.map((b) => b + eol).join('') };
  return { edits: [edit] };
};

interface Style {
  readonly netsh: boolean;
  readonly last?: Rule;
  readonly quote: "'" | '"';
  /** Backtick-continued parameters, with the continuation lines' indentation. */
  readonly continuation?: string;
  /** The splatted hashtable variable the script uses, and its entries' indentation. */
  readonly splat?: { readonly variable: string; readonly indent: string };
  readonly withName: boolean;
  readonly profile?: string;
  readonly group?: string;
  readonly commentLeader: string;
}

function styleOf(request: AllowRuleRequest): Style {
  const text = request.file.text;
  const rules = request.ruleSet.rules.filter((r) => !r.implicit);
  let last: Rule | undefined;
  for (const r of rules) if (!last || r.span.end > last.span.end) last = r;
  const netsh = last ? last.meta?.style === 'netsh' : /^\s*netsh(\.exe)?\s+advfirewall/im.test(text);
  const ps = rules.filter((r) => r.meta?.style !== 'netsh');
  const model = [...ps].reverse().find((r) => /New-NetFirewallRule/i.test(r.raw));
  const splatVar = model ? /New-NetFirewallRule\s+@(\w+)/i.exec(model.raw)?.[1] : undefined;
  let splat: Style['splat'];
  if (splatVar) {
    const entry = new RegExp(`\\$${splatVar}\\s*=\\s*@\\{\\s*\\r?\\n([ \\t]+)\\w`, 'i').exec(text);
    splat = { variable: splatVar, indent: entry?.[1] ?? '    ' };
  }
  const cont = model ? /`\r?\n([ \t]+)-/.exec(model.raw) : undefined;
  const same = (key: string): string | undefined => {
    const values = new Set(rules.map((r) => r.meta?.[key]));
    const [only] = [...values];
    return values.size === 1 && only ? only : undefined;
  };
  const singles = (text.match(/(?:-DisplayName\s+|DisplayName\s*=\s*)'/gi) ?? []).length;
  const doubles = (text.match(/(?:-DisplayName\s+|DisplayName\s*=\s*)"/gi) ?? []).length;
  return {
    netsh,
    last,
    quote: singles > doubles ? "'" : '"',
    continuation: cont?.[1],
    splat,
    withName: rules.length > 0 && rules.every((r) => r.meta?.name !== undefined),
    profile: same('profile'),
    group: same('group'),
    commentLeader: /^\s*::/m.test(text) && !/^\s*rem\s/im.test(text) ? '::' : 'REM',
  };
}

interface Param {
  readonly name: string;
  /** Already written as PowerShell (quoted, a list, a variable). */
  readonly value: string;
}

function powershellRule(request: AllowRuleRequest, style: Style, names: Set<string>): { lines: string[] } | { error: string } {
  const q = (s: string): string => (style.quote === "'" ? `'${s.replace(/'/g, "''")}'` : `"${s.replace(/[`"$]/g, (c) => '`' + c)}"`);
  const inbound = request.direction === 'inbound';
  if (request.direction === 'forward') return { error: 'Windows Firewall filters traffic to and from this host, not forwarded traffic' };
  const remote = inbound ? request.source : request.destination;
  const notes: string[] = [`# ${oneLine(request.comment)}`];
  let remoteValue: string | undefined;
  if (remote.symbols.length) {
    const variable = `$Citrix${pascal(roleOf(remote))}Addresses`;
    notes.push(`# TODO(citrix-flow-lint): set ${variable} to the ${roleOf(remote)} addresses (e.g. ${variable} = @('10.0.0.0/24')), or declare them in citrix-flows.yaml`);
    remoteValue = variable;
  } else if (!remote.isAny) remoteValue = remote.toStrings().map(q).join(',');
  const lines: string[] = [notes.join('\n')];
  for (const protocol of request.protocols) {
    const display = request.protocols.length > 1 ? `${request.name} (${protocol.toUpperCase()})` : request.name;
    const params: Param[] = [];
    if (style.withName) params.push({ name: 'Name', value: q(uniqueName(display, request, names)) });
    params.push({ name: 'DisplayName', value: q(display) });
    params.push({ name: 'Direction', value: style.splat ? q(inbound ? 'Inbound' : 'Outbound') : inbound ? 'Inbound' : 'Outbound' });
    params.push({ name: 'Action', value: style.splat ? q('Allow') : 'Allow' });
    if (protocol === 'icmp') {
      params.push({ name: 'Protocol', value: style.splat ? q('ICMPv4') : 'ICMPv4' });
      params.push({ name: 'IcmpType', value: '8' });
    } else {
      params.push({ name: 'Protocol', value: style.splat ? q(protocol.toUpperCase()) : protocol.toUpperCase() });
      if (request.ports.length) params.push({ name: inbound ? 'LocalPort' : 'RemotePort', value: request.ports.map((p) => (p.from === p.to ? String(p.from) : q(`${p.from}-${p.to}`))).join(',') });
    }
    if (remoteValue) params.push({ name: 'RemoteAddress', value: remoteValue });
    if (style.profile) params.push({ name: 'Profile', value: q(style.profile) });
    if (style.group) params.push({ name: 'Group', value: q(style.group) });
    params.push({ name: 'Description', value: q(oneLine(request.comment)) });
    lines.push(writeCall(params, style));
  }
  return { lines };
}

function writeCall(params: readonly Param[], style: Style): string {
  if (style.splat) {
    const width = Math.max(...params.map((p) => p.name.length));
    const body = params.map((p) => `${style.splat!.indent}${p.name.padEnd(width)} = ${p.value}`).join('\n');
    return `$${style.splat.variable} = @{\n${body}\n}\nNew-NetFirewallRule @${style.splat.variable}`;
  }
  if (style.continuation !== undefined) {
    return `New-NetFirewallRule \`\n${params.map((p) => `${style.continuation}-${p.name} ${p.value}`).join(' `\n')}`;
  }
  return `New-NetFirewallRule ${params.map((p) => `-${p.name} ${p.value}`).join(' ')}`;
}

function netshRule(request: AllowRuleRequest, style: Style, names: Set<string>): { lines: string[] } | { error: string } {
  const inbound = request.direction === 'inbound';
  if (request.direction === 'forward') return { error: 'Windows Firewall filters traffic to and from this host, not forwarded traffic' };
  const remote = inbound ? request.source : request.destination;
  if (remote.symbols.length) {
    return { error: `the ${roleOf(remote)} addresses are not declared, and netsh has no placeholder that keeps the command valid: declare them in citrix-flows.yaml first` };
  }
  const lines = [`${style.commentLeader} ${oneLine(request.comment).replace(/[&|<>^%]/g, '')}`];
  for (const protocol of request.protocols) {
    const display = (request.protocols.length > 1 ? `${request.name} (${protocol.toUpperCase()})` : request.name).replace(/"/g, '');
    names.add(display);
    const parts = [`netsh advfirewall firewall add rule name="${display}"`, `dir=${inbound ? 'in' : 'out'}`, 'action=allow'];
    if (protocol === 'icmp') parts.push('protocol=icmpv4:8,any');
    else {
      parts.push(`protocol=${protocol.toUpperCase()}`);
      if (request.ports.length) parts.push(`${inbound ? 'localport' : 'remoteport'}=${request.ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}-${p.to}`)).join(',')}`);
    }
    if (!remote.isAny) parts.push(`remoteip=${remote.toStrings().join(',')}`);
    if (style.profile) parts.push(`profile=${style.profile}`);
    lines.push(parts.join(' '));
  }
  return { lines };
}

/** -Name must be unique among the script's rules and the batch's. */
function uniqueName(display: string, request: AllowRuleRequest, names: Set<string>): string {
  const taken = new Set(request.ruleSet.rules.map((r) => r.meta?.name?.toLowerCase()));
  const base = display.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  let name = base;
  for (let k = 2; taken.has(name.toLowerCase()) || names.has(name.toLowerCase()); k++) name = `${base}-${k}`;
  names.add(name.toLowerCase());
  return name;
}

function roleOf(set: AddressSet): string {
  const s = set.symbols[0];
  return s.name.startsWith('role:') ? s.name.slice(5) : s.name;
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
    .join('');
}

function oneLine(comment: string): string {
  return comment.replace(/[\r\n]+/g, ' ').replace(/citrix-(role|flow-lint-disable)/gi, 'citrix $1').trim();
}

