import type { Comment, ParsedFile, ParseOptions, ParseProblem, RuleSet, Span } from '../../model';
import { lexPowerShell, type PsToken, tokenSpan } from './lexer';
import { ValueReader, type Value, type Variables } from './values';
import { buildRules, type ParamValue, type RuleSpec } from './rules';
import { SpecIndex } from './specIndex';

export { lexPowerShell } from './lexer';

/** Parameters of New-/Set-NetFirewallRule, by lower-case name, as the cmdlet documents them. */
const RULE_PARAMETERS = [
  'DisplayName', 'Name', 'NewDisplayName', 'Direction', 'Action', 'Protocol', 'LocalPort', 'RemotePort', 'LocalAddress', 'RemoteAddress',
  'Enabled', 'Profile', 'Description', 'Group', 'DisplayGroup', 'Program', 'Service', 'Package', 'InterfaceType', 'InterfaceAlias',
  'EdgeTraversalPolicy', 'Authentication', 'Encryption', 'IcmpType', 'DynamicTarget', 'LocalUser', 'RemoteUser', 'RemoteMachine',
  'Owner', 'PolicyStore', 'GPOSession', 'Platform', 'LooseSourceMapping', 'LocalOnlyMapping', 'OverrideBlockRules',
  'RemoteDynamicKeywordAddresses', 'CimSession', 'ThrottleLimit', 'ErrorAction', 'ErrorVariable', 'WarningAction',
  'WarningVariable', 'InformationAction', 'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'Status',
  'TracePolicyStore', 'PrimaryStatus', 'InputObject', 'AssociatedNetFirewallRule', 'All', 'ID',
];
const SWITCHES = new Set(['asjob', 'passthru', 'whatif', 'confirm', 'verbose', 'debug', 'all', 'force']);
const CANONICAL = new Map(RULE_PARAMETERS.map((p) => [p.toLowerCase(), p]));

/** PowerShell resolves a unique prefix of a parameter name (`-Dir Inbound`). */
function canonicalParameter(name: string): string | undefined {
  const lower = name.toLowerCase();
  const exact = CANONICAL.get(lower);
  if (exact) return exact;
  if (SWITCHES.has(lower)) return lower;
  const matches = RULE_PARAMETERS.filter((p) => p.toLowerCase().startsWith(lower));
  return matches.length === 1 ? matches[0] : undefined;
}

const CMDLETS = new Set(['new-netfirewallrule', 'set-netfirewallrule', 'remove-netfirewallrule', 'disable-netfirewallrule', 'enable-netfirewallrule']);

/**
 * PowerShell `*-NetFirewallRule` scripts and `netsh advfirewall firewall`
 * commands → one block-wins RuleSet for the host (inbound blocked and
 * outbound allowed by default, as Windows ships its profiles).
 */
export function parseWindowsFirewall(text: string, uri: string, _options?: ParseOptions): ParsedFile {
  const problems: ParseProblem[] = [];
  const comments: Comment[] = [];
  let ruleSets: RuleSet[] = [];
  try {
    ruleSets = [interpret(text, problems, comments)];
    collapseRepeatedUnassigned(problems);
  } catch (e) {
    problems.push({ code: 'syntax-error', severity: 'error', span: { start: 0, end: text.length }, message: `internal error reading the firewall script: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { uri, format: 'windows-firewall', text, ruleSets, problems, comments };
}

/**
 * Scripts that dot-source their variables from another file use the same
 * unassigned variable in hundreds of rules (one public rule set: `$Direction`
 * in 168); one finding per variable says it once, at its first use, with the
 * count, instead of burying everything else. The rules themselves stay
 * unknown where the value decides.
 */
function collapseRepeatedUnassigned(problems: ParseProblem[]): void {
  const unassigned = /^(\w+): (\$\S+) is not assigned a literal value in this script$/;
  const uses = new Map<string, number>();
  for (const p of problems) {
    const m = p.code === 'unresolved-value' ? unassigned.exec(p.message) : null;
    if (m) uses.set(m[2], (uses.get(m[2]) ?? 0) + 1);
  }
  const reported = new Set<string>();
  let kept = 0;
  for (const p of problems) {
    const m = p.code === 'unresolved-value' ? unassigned.exec(p.message) : null;
    if (m) {
      if (reported.has(m[2])) continue;
      reported.add(m[2]);
      const n = uses.get(m[2])!;
      const others = n === 2 ? 'nor is its other use' : `nor are its ${n - 1} other uses`;
      problems[kept++] = n > 1 ? { ...p, message: `${p.message}, ${others} in this file (the rules that use it are unknown where it decides)` } : p;
      continue;
    }
    problems[kept++] = p;
  }
  problems.length = kept;
}

function interpret(text: string, problems: ParseProblem[], comments: Comment[]): RuleSet {
  const tokens = lexPowerShell(text, comments);
  const vars: Variables = new Map();
  const specs: RuleSpec[] = [];
  const index = new SpecIndex();
  for (const statement of statements(tokens)) {
    const first = statement[0];
    if (first.kind === 'word' && first.value.toLowerCase() === 'param' && statement[1]?.kind === 'lparen') {
      readParamDefaults(statement, vars, text);
      continue;
    }
    // `$port = 443`, and typed as in a param block: `[int] $SSLPort = 443,` (the trailing comma separates parameters).
    const typed = first.kind === 'word' && TYPE_LITERAL.test(first.value) && statement[1]?.kind === 'var' ? 1 : 0;
    const target = statement[typed];
    if (target?.kind === 'var' && statement[typed + 1]?.kind === 'equals') {
      const assignment = statement[statement.length - 1]?.kind === 'comma' ? statement.slice(0, -1) : statement;
      const reader = new ValueReader(assignment, vars, text);
      vars.set(target.value.toLowerCase(), reader.read(typed + 2).value);
      continue;
    }
    if (first.kind !== 'word') continue;
    const segments = split(statement, 'pipe');
    const netshSpan = netshInvocation(segments[0]);
    if (netshSpan) {
      netsh(text, netshSpan.span, netshSpan.withHead, specs, index, problems, vars);
      continue;
    }
    const head = segments[0][0];
    const cmd = head.kind === 'word' ? head.value.toLowerCase() : '';
    if (cmd === 'get-netfirewallrule' && segments.length > 1) {
      const selector = commandArgs(segments[0], vars, text, problems);
      const target = segments[1][0];
      if (selector && target?.kind === 'word' && CMDLETS.has(target.value.toLowerCase())) {
        const args = commandArgs(segments[1], vars, text, problems);
        if (args) modify(target.value.toLowerCase(), new Map([...selector, ...args]), statementSpan(segments[1]), specs, index, problems);
      }
      continue;
    }
    if (!CMDLETS.has(cmd)) continue;
    const args = commandArgs(segments[0], vars, text, problems);
    if (!args) continue;
    const span = statementSpan(segments[0]);
    if (cmd === 'new-netfirewallrule') {
      const spec: RuleSpec = { params: args, span, style: 'powershell' };
      specs.push(spec);
      index.add(spec);
    } else modify(cmd, args, span, specs, index, problems);
  }
  const rules = buildRules(specs, text, problems);
  const defaultsUnknown = outsideRulesReason(text, specs.filter((x) => !x.builtIn).length, index);
  return {
    id: 'windows-firewall',
    name: 'Windows Defender Firewall',
    format: 'windows-firewall',
    kind: 'windows-firewall',
    semantics: 'block-wins',
    directions: ['inbound', 'outbound'],
    rules,
    defaults: { inbound: { value: 'deny' }, outbound: { value: 'allow' } },
    span: { start: text.charCodeAt(0) === 0xfeff ? 1 : 0, end: text.length },
    ...(defaultsUnknown ? { defaultsUnknown } : {}),
    meta: { defaultsFrom: 'Windows profile defaults (inbound blocked, outbound allowed)' },
  };
}

/**
 * Windows' own rule groups a script may switch on, with what they open: none
 * is a Citrix port, so enabling one changes no Citrix verdict (their rules are
 * not modelled; the message names their ports).
 */
interface BuiltInRule {
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly port: string;
  /** As Windows ships it; LocalSubnet is resolved on the host, so a flow from a declared peer stays unknown. */
  readonly remote?: string;
  readonly profile?: string;
}

const LOCAL = 'LocalSubnet';
const BUILT_IN_GROUPS = new Map<string, { readonly opens: string; readonly rules: readonly BuiltInRule[] }>([
  [
    'network discovery',
    {
      opens: 'NetBIOS 137-138/udp, LLMNR 5355/udp, SSDP 1900/udp, UPnP 2869/tcp, WSD 3702/udp, 5357-5358/tcp',
      rules: [
        { name: 'Network Discovery (NB-Name-In)', protocol: 'UDP', port: '137', remote: LOCAL },
        { name: 'Network Discovery (NB-Datagram-In)', protocol: 'UDP', port: '138', remote: LOCAL },
        { name: 'Network Discovery (LLMNR-UDP-In)', protocol: 'UDP', port: '5355', remote: LOCAL },
        { name: 'Network Discovery (SSDP-In)', protocol: 'UDP', port: '1900', remote: LOCAL },
        { name: 'Network Discovery (UPnP-In)', protocol: 'TCP', port: '2869', remote: LOCAL },
        { name: 'Network Discovery (WSD-In)', protocol: 'UDP', port: '3702', remote: LOCAL },
        { name: 'Network Discovery (WSD Events-In)', protocol: 'TCP', port: '5357', remote: LOCAL },
        { name: 'Network Discovery (WSD EventsSecure-In)', protocol: 'TCP', port: '5358', remote: LOCAL },
      ],
    },
  ],
  [
    'file and printer sharing',
    {
      opens: 'SMB 445/tcp, NetBIOS 137-139, ICMP echo',
      rules: [
        { name: 'File and Printer Sharing (SMB-In)', protocol: 'TCP', port: '445', remote: LOCAL },
        { name: 'File and Printer Sharing (NB-Session-In)', protocol: 'TCP', port: '139', remote: LOCAL },
        { name: 'File and Printer Sharing (NB-Name-In)', protocol: 'UDP', port: '137', remote: LOCAL },
        { name: 'File and Printer Sharing (NB-Datagram-In)', protocol: 'UDP', port: '138', remote: LOCAL },
      ],
    },
  ],
  [
    'remote desktop',
    {
      opens: '3389/tcp and udp',
      rules: [
        { name: 'Remote Desktop - User Mode (TCP-In)', protocol: 'TCP', port: '3389' },
        { name: 'Remote Desktop - User Mode (UDP-In)', protocol: 'UDP', port: '3389' },
      ],
    },
  ],
  [
    'windows remote management',
    {
      opens: '5985/tcp',
      rules: [
        { name: 'Windows Remote Management (HTTP-In)', protocol: 'TCP', port: '5985', profile: 'Domain,Private' },
        { name: 'Windows Remote Management (HTTP-In) (Public)', protocol: 'TCP', port: '5985', remote: LOCAL, profile: 'Public' },
      ],
    },
  ],
  // RPC with dynamic ports: named, not modelled (no Citrix flow uses them).
  ['core networking', { opens: 'DHCP, DNS client, ICMPv6, IPHTTPS, Teredo', rules: [] }],
  ['windows management instrumentation (wmi)', { opens: 'RPC 135/tcp and dynamic ports', rules: [] }],
  ['remote event log management', { opens: 'RPC 135/tcp, 445/tcp', rules: [] }],
]);

/**
 * Switching on one of Windows' groups the file does not create: its rules
 * as Windows Server ships them (inbound allow), placed at the command that
 * enables them, so a later change to the group applies to them and the
 * ports they open are judged like the script's own.
 */
function addBuiltInGroup(group: string, span: Span, specs: RuleSpec[], index: SpecIndex): void {
  const known = BUILT_IN_GROUPS.get(group.toLowerCase());
  if (!known || index.find('Group', [group.toLowerCase()]).length > 0) return;
  const text = (t: string): ParamValue => ({ name: 'built-in', nameSpan: span, value: { kind: 'text', text: t, span } });
  for (const r of known.rules) {
    const params = new Map<string, ParamValue>([
      ['DisplayName', text(r.name)],
      ['Group', text(group)],
      ['Direction', text('Inbound')],
      ['Action', text('Allow')],
      ['Protocol', text(r.protocol)],
      ['LocalPort', text(r.port)],
      ['Enabled', text('True')],
    ]);
    if (r.remote) params.set('RemoteAddress', text(r.remote));
    if (r.profile) params.set('Profile', text(r.profile));
    const spec: RuleSpec = { params, span, style: 'powershell', builtIn: true };
    specs.push(spec);
    index.add(spec);
  }
}

/**
 * Rules Citrix's installers create are named "Citrix …" ("Citrix ICA Service",
 * "Citrix Desktop Service"): a script that changes one, even to disable it,
 * shows the installer's other rules are on the host too.
 */
const CITRIX_INSTALLER_RULE = /^citrix\b/i;

/** Citrix's installers open the ports of the components they install when given this switch. */
const CITRIX_CONFIGURE_FIREWALL = /\/configure_firewall\b/i;

/**
 * Why what no rule in this script decides is unknown rather than Windows'
 * default block, if it is: the script is a change to a host whose other rules
 * it shows exist (it enables or edits rules it does not create), runs a Citrix
 * installer that writes its own rules, or creates no rule at all (a setup
 * script that only touches Windows' groups says nothing of the host's Citrix
 * ports). A block rule here still blocks: only the default is in doubt.
 */
function outsideRulesReason(text: string, created: number, index: SpecIndex): { inbound: string } | undefined {
  const installer = CITRIX_CONFIGURE_FIREWALL.exec(text);
  if (installer) {
    const line = text.slice(0, installer.index).split('\n').length;
    return { inbound: `a Citrix installer runs with /configure_firewall (line ${line}), which adds the rules for the components it installs; those rules are not in this file` };
  }
  const elsewhere = [...new Set(index.madeElsewhere)];
  if (elsewhere.length) {
    return { inbound: `the host has rules this script enables or changes but does not create (${elsewhere.slice(0, 3).join(', ')}${elsewhere.length > 3 ? ', …' : ''}), which may admit it` };
  }
  if (created === 0 && index.changedOutside > 0) {
    return { inbound: "this script creates no firewall rule of its own (it only changes Windows' or others' rules), so it does not show what the host admits" };
  }
  return undefined;
}

function isFalse(v: ParamValue | undefined): boolean {
  return v?.value.kind === 'text' && /^(false|no|\$false|0)$/i.test(v.value.text);
}

function isBlock(v: ParamValue | undefined): boolean {
  return v?.value.kind === 'text' && /^block$/i.test(v.value.text);
}

/** Statements end at a newline, `;`, `{` or `}` outside parentheses, arrays and hashtables. */
function statements(tokens: readonly PsToken[]): PsToken[][] {
  const out: PsToken[][] = [];
  let current: PsToken[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'lparen' || t.kind === 'array-open' || t.kind === 'hash-open') depth++;
    else if ((t.kind === 'rparen' || t.kind === 'rbrace') && depth > 0) depth--;
    else if (depth === 0 && (t.kind === 'end' || t.kind === 'rbrace')) {
      if (current.length) out.push(current);
      current = [];
      continue;
    }
    current.push(t);
  }
  if (current.length) out.push(current);
  return out;
}

function split(tokens: readonly PsToken[], kind: 'pipe'): PsToken[][] {
  const out: PsToken[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'lparen' || t.kind === 'array-open' || t.kind === 'hash-open') depth++;
    else if (t.kind === 'rparen' || t.kind === 'rbrace') depth--;
    if (t.kind === kind && depth === 0) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out.filter((s) => s.length > 0);
}

function statementSpan(tokens: readonly PsToken[]): Span {
  return { start: tokens[0].start, end: tokens[tokens.length - 1].end };
}

/**
 * Binds a cmdlet's arguments. An unknown parameter makes PowerShell refuse
 * the whole command, so the command is reported and yields nothing.
 */
function commandArgs(tokens: readonly PsToken[], vars: Variables, text: string, problems: ParseProblem[]): Map<string, ParamValue> | undefined {
  const reader = new ValueReader(tokens, vars, text);
  const args = new Map<string, ParamValue>();
  let i = 1;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.kind === 'splat') {
      const v = vars.get(t.value.toLowerCase());
      if (!v || v.kind !== 'hash') {
        problems.push({ code: 'unresolved-value', severity: 'warning', span: tokenSpan(t), message: `@${t.value} is not a hashtable assigned in this script; its parameters are unknown` });
        args.set('__unresolved_splat', { name: `@${t.value}`, nameSpan: tokenSpan(t), value: { kind: 'unresolved', text: `@${t.value}`, span: tokenSpan(t), reason: 'splatted parameters not known' } });
      } else {
        for (const entry of v.entries.values()) {
          const p = canonicalParameter(entry.key);
          if (!p) {
            problems.push({ code: 'unparsed-rule', severity: 'warning', span: entry.keySpan, message: `${tokens[0].value}: "${entry.key}" is not a parameter of this cmdlet; PowerShell rejects the command, so it creates no rule` });
            return undefined;
          }
          args.set(p, { name: entry.key, nameSpan: entry.keySpan, value: entry.value });
        }
      }
      i++;
      continue;
    }
    if (t.kind !== 'param') {
      if (args.has('Name') || !/^(set|remove|disable|enable|get)-/i.test(tokens[0].value)) {
        problems.push({ code: 'unparsed-rule', severity: 'warning', span: tokenSpan(t), message: `${tokens[0].value}: unexpected "${text.slice(t.start, t.end)}"; PowerShell rejects the command, so it creates no rule` });
        return undefined;
      }
      // Set-/Remove-/…-NetFirewallRule take -Name positionally.
      const v = reader.read(i);
      args.set('Name', { name: 'Name', nameSpan: tokenSpan(t), value: v.value });
      i = Math.max(v.next, i + 1);
      continue;
    }
    const p = canonicalParameter(t.value);
    if (!p) {
      problems.push({
        code: 'unparsed-rule',
        severity: 'warning',
        span: tokenSpan(t),
        message: `${tokens[0].value}: "-${t.value}" is not a parameter of this cmdlet; PowerShell rejects the command, so it creates no rule`,
      });
      return undefined;
    }
    if (SWITCHES.has(p.toLowerCase()) && !t.colon) {
      i++;
      continue;
    }
    const v = reader.read(i + 1);
    args.set(p, { name: t.value, nameSpan: tokenSpan(t), value: v.value });
    i = Math.max(v.next, i + 2);
  }
  return args;
}

/** Set-/Remove-/Disable-/Enable-NetFirewallRule against rules created earlier in the same file. */
function modify(cmd: string, args: Map<string, ParamValue>, span: Span, specs: RuleSpec[], index: SpecIndex, problems: ParseProblem[]): void {
  const selection = selectorOf(args);
  if (!selection) {
    problems.push({ code: 'unparsed-rule', severity: 'info', span, message: `${cmd}: only -Name, -DisplayName, -Group or -DisplayGroup selections are followed; this change is not applied` });
    return;
  }
  const { key, param, selector } = selection;
  const wanted = new Set(textsOf(selector.value).map((s) => s.toLowerCase()));
  // A spec without a text value compares as "\u0000" (so `-Name "\u0000"` selects it, as it always has).
  const hits = index.find(key, wanted.has('\u0000') ? [...wanted, undefined] : wanted);
  if (hits.length === 0) {
    index.changedOutside++;
    const names = textsOf(selector.value);
    const named = names.map((t) => `"${t}"`).join(', ');
    const builtIn = key === 'Group' ? names.map((n) => BUILT_IN_GROUPS.get(n.toLowerCase())?.opens).filter((g): g is string => g !== undefined) : [];
    const enables = cmd === 'enable-netfirewallrule' || (cmd === 'set-netfirewallrule' && !isFalse(args.get('Enabled')) && !isBlock(args.get('Action')));
    if (enables && key === 'Group') for (const n of names) addBuiltInGroup(n, span, specs, index);
    if ((enables && builtIn.length < names.length) || names.some((n) => CITRIX_INSTALLER_RULE.test(n))) index.madeElsewhere.push(named);
    const what = key === 'Group' ? `of group ${named}` : `${key} ${[...wanted].join(', ')}`;
    const whose = builtIn.length ? `one of Windows' built-in groups: ${builtIn.join('; ')}` : key === 'Group' ? "a group of Windows' built-in rules, or rules made elsewhere" : 'a built-in or existing rule';
    problems.push({ code: 'unresolved-value', severity: 'info', span, message: `${cmd}: no rule ${what} is created earlier in this file (${whose}), so the change is not reflected` });
    return;
  }
  for (const spec of hits) {
    if (cmd === 'remove-netfirewallrule') spec.removed = true;
    else if (cmd === 'disable-netfirewallrule' || cmd === 'enable-netfirewallrule') {
      spec.params.set('Enabled', { name: cmd, nameSpan: span, value: { kind: 'text', text: cmd.startsWith('disable') ? 'False' : 'True', span } });
    } else {
      for (const [k, v] of args) {
        if (k === param) continue;
        if (k === 'NewDisplayName') spec.params.set('DisplayName', v);
        else spec.params.set(k, v);
      }
      index.update(spec);
    }
  }
}

/** The parameter a Set-/Enable-/…-NetFirewallRule selects rules by; -DisplayGroup is the group as shown, which for a script's own groups is the -Group it gave. */
function selectorOf(args: ReadonlyMap<string, ParamValue>): { key: 'Name' | 'DisplayName' | 'Group'; param: string; selector: ParamValue } | undefined {
  for (const [param, key] of [
    ['Name', 'Name'],
    ['DisplayName', 'DisplayName'],
    ['Group', 'Group'],
    ['DisplayGroup', 'Group'],
  ] as const) {
    const selector = args.get(param);
    if (selector) return { key, param, selector };
  }
  return undefined;
}

function textsOf(v: Value): string[] {
  if (v.kind === 'text') return [v.text];
  if (v.kind === 'list') return v.items.flatMap(textsOf);
  return [];
}

export function specText(spec: RuleSpec, key: string): string | undefined {
  const v = spec.params.get(key)?.value;
  return v?.kind === 'text' ? v.text : undefined;
}

/** netsh option names → the New-NetFirewallRule parameter they set. */
const NETSH_KEYS: Record<string, string> = {
  name: 'DisplayName',
  dir: 'Direction',
  action: 'Action',
  protocol: 'Protocol',
  localport: 'LocalPort',
  remoteport: 'RemotePort',
  localip: 'LocalAddress',
  remoteip: 'RemoteAddress',
  enable: 'Enabled',
  profile: 'Profile',
  program: 'Program',
  service: 'Service',
  interfacetype: 'InterfaceType',
  description: 'Description',
  edge: 'EdgeTraversalPolicy',
  security: 'Authentication',
  rmtcomputergrp: 'RemoteMachine',
  rmtusrgrp: 'RemoteUser',
  group: 'Group',
};

/**
 * A script's `param(…)` block: each parameter's default is its value when the
 * script runs without it (an assumption the rule's value then rests on, as a
 * Terraform variable's default does). `[int] $SSLPort = 443, [string] $Name`.
 */
function readParamDefaults(statement: readonly PsToken[], vars: Variables, text: string): void {
  let depth = 0;
  for (let k = 1; k < statement.length; k++) {
    const t = statement[k];
    if (t.kind === 'lparen' || t.kind === 'array-open' || t.kind === 'hash-open') depth++;
    else if (t.kind === 'rparen' || t.kind === 'rbrace') depth--;
    if (depth !== 1 || t.kind !== 'var' || statement[k + 1]?.kind !== 'equals') continue;
    // The default runs to the next comma or the closing parenthesis at this depth.
    let end = k + 2;
    for (let inner = 0; end < statement.length; end++) {
      const u = statement[end];
      if (u.kind === 'lparen' || u.kind === 'array-open' || u.kind === 'hash-open') inner++;
      else if (u.kind === 'rparen' || u.kind === 'rbrace') {
        if (inner === 0) break;
        inner--;
      } else if (u.kind === 'comma' && inner === 0) break;
    }
    vars.set(t.value.toLowerCase(), new ValueReader(statement.slice(k + 2, end), vars, text).read(0).value);
    k = end - 1;
  }
}

/** A PowerShell type literal before a variable: `[int]`, `[string[]]`, `[System.Net.IPAddress]`. */
const TYPE_LITERAL = /^\[[\w.]+(?:\[\])?\]$/;

/**
 * PowerShell expands a variable in a netsh argument before netsh sees it
 * (`localport=$SSLPort`); where the script assigns it a literal, that is the
 * value. Other values stay as written, and the rule reader says why.
 */
function expandVariable(valueText: string, span: Span, vars: Variables | undefined): Value | undefined {
  const m = /^\$(?:\{([^}]+)\}|([\w:]+))$/.exec(valueText);
  if (!m || !vars) return undefined;
  let v = vars.get((m[1] ?? m[2]!).toLowerCase());
  if (v?.kind === 'list' && v.items.length === 1) v = v.items[0];
  return v?.kind === 'text' ? { kind: 'text', text: v.text, span } : undefined;
}

/** The last part of a command path without `.exe`: `C:\Windows\System32\netsh.exe` → `netsh`. */
function programName(token: PsToken | undefined): string {
  if (!token || (token.kind !== 'word' && token.kind !== 'string')) return '';
  return token.value.toLowerCase().split(/[\\/]/).pop()!.replace(/\.exe$/, '');
}

/**
 * Where a netsh command line sits in one pipeline segment, however a script
 * launches it: `netsh …`, a full path, the call operator (`& netsh …`,
 * `& "$env:windir\System32\netsh.exe" …`), `cmd /c netsh …`,
 * `cmd.exe /c "netsh …"` and `Start-Process netsh -ArgumentList "…"`. The
 * segment already ends before a pipe, so `| Out-Null` is not read as an option.
 * `withHead` is false when the span starts at the netsh arguments themselves.
 */
function netshInvocation(segment: readonly PsToken[]): { span: Span; withHead: boolean } | undefined {
  let i = 0;
  if (segment[i]?.kind === 'word' && (segment[i].value === '&' || segment[i].value === '.')) i++;
  const program = programName(segment[i]);
  const end = segment[segment.length - 1].end;
  if (program === 'netsh') return { span: { start: segment[i].start, end }, withHead: true };
  if (program === 'cmd' && segment[i + 1]?.kind === 'word' && /^\/[ck]$/i.test(segment[i + 1].value)) {
    const next = segment[i + 2];
    // cmd strips the quotes around the whole command line it is given.
    if (next?.kind === 'string' && segment.length === i + 3 && /^\s*netsh(\.exe)?\s/i.test(next.value)) return { span: { start: next.start + 1, end: next.end - 1 }, withHead: true };
    if (programName(next) === 'netsh') return { span: { start: next.start, end }, withHead: true };
    return undefined;
  }
  if (program === 'start-process') {
    let file: PsToken | undefined;
    let args: PsToken | undefined;
    for (let k = i + 1; k < segment.length; k++) {
      const t = segment[k];
      if (t.kind === 'param' && /^(filepath|f)$/i.test(t.value)) file = segment[++k];
      else if (t.kind === 'param' && /^(argumentlist|args)$/i.test(t.value)) args = segment[++k];
      else if (t.kind === 'param') continue;
      else if (!file) file = t;
      else if (!args) args = t;
    }
    if (programName(file) === 'netsh' && args?.kind === 'string') return { span: { start: args.start + 1, end: args.end - 1 }, withHead: false };
  }
  return undefined;
}

/** `netsh advfirewall firewall add|delete|set rule key=value …`, read from the raw text as cmd.exe would split it. */
function netsh(text: string, span: Span, withHead: boolean, specs: RuleSpec[], index: SpecIndex, problems: ParseProblem[], vars?: Variables): void {
  const words = netshWords(text, span);
  // Output redirections (`> $null`, `2>&1`) belong to the shell, not to netsh.
  const redirect = words.findIndex((w) => /^\d?>/.test(w.value));
  if (redirect >= 0) words.length = redirect;
  if (!withHead) words.unshift({ value: 'netsh', span: { start: span.start, end: span.start }, valueStart: span.start });
  const lower = words.map((w) => w.value.toLowerCase());
  if (lower[1] !== 'advfirewall' || lower[2] !== 'firewall' || lower[4] !== 'rule') return;
  const verb = lower[3];
  const params = new Map<string, ParamValue>();
  const updates = new Map<string, ParamValue>();
  let target = params;
  for (const w of words.slice(5)) {
    if (w.value.toLowerCase() === 'new') {
      target = updates;
      continue;
    }
    const eq = w.value.indexOf('=');
    const key = eq > 0 ? w.value.slice(0, eq).toLowerCase() : '';
    const p = NETSH_KEYS[key];
    if (!p) {
      problems.push({ code: 'unparsed-rule', severity: 'warning', span: w.span, message: `netsh: "${w.value}" is not a rule option netsh accepts; netsh rejects the command, so it creates no rule` });
      return;
    }
    const valueStart = w.valueStart;
    const valueText = w.value.slice(eq + 1);
    const valueSpan = { start: valueStart, end: w.span.end };
    const value: Value = expandVariable(valueText, valueSpan, vars) ?? { kind: 'text', text: valueText, span: valueSpan };
    target.set(p, { name: key, nameSpan: { start: w.span.start, end: w.span.start + key.length }, value });
  }
  if (verb === 'add') {
    if (!params.has('DisplayName') || !params.has('Direction') || !params.has('Action')) {
      problems.push({ code: 'unparsed-rule', severity: 'warning', span, message: 'netsh add rule needs name=, dir= and action=; netsh rejects the command, so it creates no rule' });
      return;
    }
    const spec: RuleSpec = { params, span, style: 'netsh' };
    specs.push(spec);
    index.add(spec);
    return;
  }
  // netsh selects the rules to change by name= or, for set, by group=.
  const name = params.get('DisplayName');
  const group = params.get('Group');
  const selector = name?.value.kind === 'text' ? { key: 'DisplayName' as const, text: name.value.text } : group?.value.kind === 'text' ? { key: 'Group' as const, text: group.value.text } : undefined;
  if (!selector) {
    problems.push({ code: 'unparsed-rule', severity: 'warning', span, message: `netsh ${verb} rule needs name= (or group= for set); netsh rejects the command, so nothing changes` });
    return;
  }
  const wanted = selector.text.toLowerCase();
  if (verb === 'delete' && selector.key === 'DisplayName' && wanted === 'all') {
    deleteAllMatching(params, span, index, problems);
    return;
  }
  const dir = params.get('Direction');
  const hits = index.find(selector.key, [wanted]).filter(
    (s) => (!dir || dir.value.kind !== 'text' || directionOf(specText(s, 'Direction')) === directionOf(dir.value.text)),
  );
  if (hits.length === 0) {
    index.changedOutside++;
    const builtIn = selector.key === 'Group' ? BUILT_IN_GROUPS.get(wanted)?.opens : undefined;
    const enabled = updates.get('Enabled');
    const action = updates.get('Action');
    if (verb === 'set' && selector.key === 'Group' && enabled && !isFalse(enabled)) addBuiltInGroup(selector.text, span, specs, index);
    // Only a change that leaves the outside rule in force shows rules that may admit traffic: enable=no or a delete does not.
    if ((verb === 'set' && !builtIn && !isFalse(enabled) && !isBlock(action)) || CITRIX_INSTALLER_RULE.test(selector.text)) index.madeElsewhere.push(`"${selector.text}"`);
    const what = selector.key === 'Group' ? `of group "${selector.text}" (${builtIn ? `one of Windows' built-in groups: ${builtIn}` : "a group of Windows' built-in rules, or rules made elsewhere"})` : `named "${selector.text}"`;
    problems.push({ code: 'unresolved-value', severity: 'info', span, message: `netsh ${verb} rule: no rule ${what} is added earlier in this file, so the change is not reflected` });
    return;
  }
  for (const spec of hits) {
    if (verb === 'delete') spec.removed = true;
    else if (verb === 'set') {
      for (const [k, v] of updates) spec.params.set(k, v);
      index.update(spec);
    }
  }
}

/**
 * `netsh … delete rule name=all protocol=tcp localport=443`: every rule with
 * those options goes, whatever its name. A script runs it to start clean, so
 * it proves nothing about rules made elsewhere; only the rules this file made
 * before it are followed.
 */
function deleteAllMatching(params: ReadonlyMap<string, ParamValue>, span: Span, index: SpecIndex, problems: ParseProblem[]): void {
  const filters = [...params].filter(([k]) => k !== 'DisplayName');
  const matches = (spec: RuleSpec): boolean =>
    filters.every(([k, v]) => {
      const want = v.value.kind === 'text' ? v.value.text.toLowerCase() : undefined;
      const have = specText(spec, k)?.toLowerCase();
      return k === 'Direction' ? directionOf(have) === directionOf(want) : have === want;
    });
  const hits = index.live().filter(matches);
  for (const spec of hits) spec.removed = true;
  const described = filters.map(([, v]) => `${v.name}=${v.value.kind === 'text' ? v.value.text : '…'}`).join(' ');
  problems.push({
    code: 'unresolved-value',
    severity: 'info',
    span,
    message: `netsh delete rule name=all${described ? ` ${described}` : ''}: deletes every such rule; ${hits.length === 0 ? 'none is' : hits.length === 1 ? '1 is' : `${hits.length} are`} created earlier in this file`,
  });
}

function directionOf(text: string | undefined): string {
  const t = (text ?? 'inbound').toLowerCase();
  return t === 'out' || t === 'outbound' ? 'outbound' : 'inbound';
}

interface NetshWord {
  readonly value: string;
  readonly span: Span;
  /** Offset of the first value character after `key=` (after an opening quote). */
  readonly valueStart: number;
}

function netshWords(text: string, span: Span): NetshWord[] {
  const out: NetshWord[] = [];
  let i = span.start;
  while (i < span.end) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0x60 || c === 0x5e /* ^ cmd continuation */) {
      i++;
      continue;
    }
    const start = i;
    let value = '';
    let valueStart = -1;
    while (i < span.end) {
      const d = text.charCodeAt(i);
      if (d === 32 || d === 9 || d === 10 || d === 13) break;
      if (d === 34) {
        if (valueStart < 0 && value.endsWith('=')) valueStart = i + 1;
        const close = text.indexOf('"', i + 1);
        const end = close < 0 || close > span.end ? span.end : close;
        value += text.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      value += text[i];
      i++;
      if (d === 61 && valueStart < 0 && text.charCodeAt(i) !== 34) valueStart = i;
    }
    out.push({ value, span: { start, end: Math.min(i, span.end) }, valueStart: valueStart < 0 ? start : valueStart });
  }
  return out;
}
