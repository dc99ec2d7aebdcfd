import { LineIndex, type Comment, type ParsedFile, type ParseProblem, type Span } from '../../model';
import { commandName, readShell, stripWrappers, type ShellWord } from '../shell';
import { parseRichRule } from './rich';
import { parseXml, type XmlElement } from './xml';
import { newZone, type AddressMatch, type Located, type RichElement, type RichRule, type Zone, zoneRuleSet } from './zone';

/**
 * firewalld zone files (/etc/firewalld/zones/<zone>.xml, firewalld.zone(5))
 * and shell scripts of firewall-cmd / firewall-offline-cmd commands. One
 * rule set per zone, for new inbound connections; see zone.ts for what
 * decides. A script's runtime and --permanent changes are read together,
 * as the configuration in force once the script has run and reloaded.
 */
export function parseFirewalld(text: string, uri: string): ParsedFile {
  return /^\s*</.test(text.replace(/^\uFEFF/, '')) ? parseZoneXml(text, uri) : parseScript(text, uri);
}

function zoneNameFromUri(uri: string): string {
  const name = uri.slice(uri.lastIndexOf('/') + 1).replace(/\.xml$/i, '');
  return name || 'zone';
}

// ---- zone XML --------------------------------------------------------------

const IGNORED = new Set(['short', 'description']);
const NOT_FILTERING: Readonly<Record<string, string>> = {
  masquerade: 'masquerade rewrites the addresses of forwarded packets',
  'forward-port': 'forward-port redirects packets to another port or host',
  forward: 'forward lets packets pass between interfaces of this zone',
  'icmp-block': 'icmp-block rejects one ICMP type',
  'icmp-block-inversion': 'icmp-block-inversion turns the ICMP blocks into the only ICMP allowed',
};

function attr(el: XmlElement, name: string): Located | undefined {
  const a = el.attrs.get(name);
  return a ? { value: a.value.trim(), span: a.span } : undefined;
}

function parseZoneXml(text: string, uri: string): ParsedFile {
  const doc = parseXml(text);
  const problems: ParseProblem[] = [...doc.problems];
  const comments: Comment[] = [...doc.comments];
  const root = doc.roots.find((r) => r.name === 'zone');
  const base: ParsedFile = { uri, format: 'firewalld', text, ruleSets: [], problems, comments };
  if (!root) {
    problems.push({ code: 'syntax-error', message: 'no <zone> element: a firewalld zone file has one, around its rules', span: { start: 0, end: Math.min(text.length, 1) }, severity: 'error' });
    return base;
  }
  for (const other of doc.roots) if (other !== root) problems.push({ code: 'syntax-error', message: `<${other.name}> outside <zone>: firewalld reads one <zone> element`, span: other.open, severity: 'error' });
  const zone = newZone(zoneNameFromUri(uri), root.span, false, root.closeStart ?? text.length);
  zone.nameSpan = root.open;
  zone.target = attr(root, 'target');
  const note = (message: string, span: Span, severity: ParseProblem['severity'] = 'info', code: ParseProblem['code'] = 'limit'): void => {
    problems.push({ code, message, span, severity });
  };
  for (const el of root.children) {
    switch (el.name) {
      case 'interface': {
        const name = attr(el, 'name');
        if (name) zone.interfaces.push(name);
        else note('<interface> needs name="…"', el.open, 'error', 'syntax-error');
        break;
      }
      case 'source': {
        const a = attr(el, 'address') ?? (attr(el, 'ipset') ? { value: `ipset:${attr(el, 'ipset')?.value}`, span: el.open } : undefined) ?? attr(el, 'mac');
        if (a) zone.sources.push(a);
        else note('<source> needs address="…", mac="…" or ipset="…"', el.open, 'error', 'syntax-error');
        break;
      }
      case 'service':
      case 'protocol': {
        const v = attr(el, el.name === 'service' ? 'name' : 'value');
        if (v) zone.items.push({ kind: el.name, value: v, span: el.span });
        else note(`<${el.name}> needs ${el.name === 'service' ? 'name' : 'value'}="…"`, el.open, 'error', 'syntax-error');
        break;
      }
      case 'port':
      case 'source-port': {
        const port = attr(el, 'port');
        if (port) zone.items.push({ kind: el.name, value: port, protocol: attr(el, 'protocol'), span: el.span });
        else note(`<${el.name}> needs port="…" and protocol="…"`, el.open, 'error', 'syntax-error');
        break;
      }
      case 'rule': {
        const r = xmlRichRule(text, el, problems);
        if (r) zone.rules.push(r);
        break;
      }
      default:
        if (IGNORED.has(el.name)) break;
        if (NOT_FILTERING[el.name]) note(`${NOT_FILTERING[el.name]}: not evaluated (this reader checks which new connections the host accepts)`, el.open);
        else note(`<${el.name}> is not an element this reader knows: not read`, el.open, 'warning', 'unparsed-rule');
    }
  }
  const ruleSet = zoneRuleSet(text, zone, problems, LineIndex.of(text), 'xml');
  return { ...base, ruleSets: [ruleSet] };
}

function xmlAddress(el: XmlElement): AddressMatch | undefined {
  const invert = /^(?:true|yes|1)$/i.test(el.attrs.get('invert')?.value ?? '');
  const address = attr(el, 'address');
  const ipset = attr(el, 'ipset');
  const mac = attr(el, 'mac');
  if (!address && !ipset && !mac) return undefined;
  return { invert, span: el.span, ...(address ? { address } : {}), ...(ipset ? { ipset } : {}), ...(mac ? { mac } : {}) };
}

function xmlRichRule(text: string, el: XmlElement, problems: ParseProblem[]): RichRule | undefined {
  const p = el.attrs.get('priority');
  let source: AddressMatch | undefined;
  let destination: AddressMatch | undefined;
  let element: RichElement | undefined;
  let action: RichRule['action'];
  const bad = (message: string, span: Span): void => {
    problems.push({ code: 'unparsed-rule', message: `rich rule: ${message}`, span, severity: 'warning' });
  };
  for (const c of el.children) {
    switch (c.name) {
      case 'source':
      case 'destination': {
        const m = xmlAddress(c);
        if (!m) bad(`<${c.name}> needs address="…"${c.name === 'source' ? ', mac="…"' : ''} or ipset="…"`, c.open);
        else if (c.name === 'source') source = m;
        else destination = m;
        break;
      }
      case 'service':
      case 'icmp-block':
      case 'icmp-type': {
        const name = attr(c, 'name');
        if (name) element = { kind: c.name, name, span: c.span };
        else bad(`<${c.name}> needs name="…"`, c.open);
        break;
      }
      case 'port':
      case 'source-port': {
        const port = attr(c, 'port');
        const protocol = attr(c, 'protocol');
        if (port && protocol) element = { kind: c.name, port, protocol, span: c.span };
        else bad(`<${c.name}> needs port="…" and protocol="…"`, c.open);
        break;
      }
      case 'protocol': {
        const value = attr(c, 'value');
        if (value) element = { kind: 'protocol', value, span: c.span };
        else bad('<protocol> needs value="…"', c.open);
        break;
      }
      case 'masquerade':
      case 'forward-port':
      case 'tcp-mss-clamp':
        element = { kind: c.name, span: c.span };
        break;
      case 'accept':
      case 'reject':
      case 'drop':
      case 'mark': {
        const limit = c.children.find((x) => x.name === 'limit');
        action = { kind: c.name, span: c.span, ...(limit ? { limit: limit.attrs.get('value')?.value ?? '' } : {}) };
        break;
      }
      case 'log':
      case 'nflog':
      case 'audit':
        break;
      default:
        bad(`<${c.name}> is not part of a rich rule this reader knows; the rule is not read`, c.open);
        return undefined;
    }
  }
  const raw = text.slice(el.span.start, el.span.end);
  return {
    span: el.span,
    raw,
    key: raw.replace(/\s+/g, ' '),
    family: attr(el, 'family'),
    priority: p ? { value: Number(p.value), span: p.span } : undefined,
    source,
    destination,
    element,
    action,
  };
}

// ---- firewall-cmd scripts ----------------------------------------------------

const COMMANDS = new Set(['firewall-cmd', 'firewall-offline-cmd']);
/** Options that read or report, or reload what is already there: nothing to evaluate. */
const NO_EFFECT = /^--(?:reload|complete-reload|runtime-to-permanent|check-config|state|version|help|quiet|permanent|list-\S+|query-\S+|get-\S+|info-\S+|panic-off|query-panic|zone|timeout|debug|nofork|nopid|system-config|default-config)$/;
const VALUE_OPTIONS = new Set(['--zone', '--timeout', '--new-zone', '--delete-zone', '--set-default-zone', '--set-target', '--set-description', '--set-short', '--policy', '--ipset', '--service', '--helper', '--icmptype']);

interface Option {
  readonly name: string;
  readonly value?: string;
  readonly word: ShellWord;
  /** Offset in the file of value's first character, when the word is written as it reads. */
  readonly valueAt?: number;
}

/** `{a,b}` in an unquoted word, as bash expands it: `--add-service={nfs,mountd}` is two options. */
function expandBraces(value: string, raw: string): string[] {
  const m = /^([^{}]*)\{([^{}]*,[^{}]*)\}([^{}]*)$/.exec(value);
  if (!m || raw.includes("'") || raw.includes('"')) return [value];
  return m[2].split(',').slice(0, 256).map((x) => m[1] + x + m[3]);
}

function options(words: readonly ShellWord[]): Option[] {
  const out: Option[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const v = w.value;
    if (!v.startsWith('--')) {
      out.push({ name: v, word: w });
      continue;
    }
    const eq = v.indexOf('=');
    if (eq > 0) {
      const name = v.slice(0, eq);
      const value = v.slice(eq + 1);
      const inRaw = w.raw.indexOf(value, eq);
      for (const one of expandBraces(value, w.raw)) out.push({ name, value: one, word: w, ...(w.exact ? { valueAt: w.span.start + eq + 1 } : inRaw >= 0 && one === value ? { valueAt: w.span.start + inRaw } : {}) });
      continue;
    }
    const next = words[i + 1];
    const takes = VALUE_OPTIONS.has(v) || /^--(?:add|remove)-(?!masquerade$|icmp-block-inversion$|forward$)/.test(v) || v === '--change-interface' || v === '--change-source';
    if (takes && next && !next.value.startsWith('--')) {
      i++;
      for (const one of expandBraces(next.value, next.raw)) out.push({ name: v, value: one, word: next, ...(next.exact && one === next.value ? { valueAt: next.span.start } : {}) });
    } else out.push({ name: v, word: w });
  }
  return out;
}

function lineEndAfter(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

function parseScript(text: string, uri: string): ParsedFile {
  const script = readShell(text, { expand: true });
  const problems: ParseProblem[] = [...script.problems];
  const zones = new Map<string, Zone>();
  let defaultZone = { name: 'public', set: false };
  let permanentSeen = false;
  const createdHere = new Set<string>();
  let panic: Span | undefined;
  const zoneOf = (name: string, span: Span, nameSpan?: Span): Zone => {
    let z = zones.get(name);
    if (!z) {
      z = newZone(name, span, true, span.end);
      z.nameSpan = nameSpan;
      zones.set(name, z);
    }
    return z;
  };
  const note = (message: string, span: Span, severity: ParseProblem['severity'] = 'info', code: ParseProblem['code'] = 'limit'): void => {
    problems.push({ code, message, span, severity });
  };
  for (const cmd of script.commands) {
    const words = stripWrappers(cmd.words);
    const tool = commandName(words[0]);
    if (!tool || !COMMANDS.has(tool)) continue;
    const opts = options(words.slice(1));
    const unresolved = words.slice(1).flatMap((w) => w.unresolved);
    if (unresolved.length) {
      note(`${unresolved.map((u) => u.text).join(', ')} ${unresolved.length > 1 ? 'are' : 'is'} not known in this file: this command is not read`, cmd.span, 'warning', 'unresolved-value');
      continue;
    }
    const permanent = tool === 'firewall-offline-cmd' || opts.some((o) => o.name === '--permanent');
    if (permanent) permanentSeen = true;
    const runtime = permanent ? {} : { runtimeOnly: true as const };
    const zoneOpt = opts.find((o) => o.name === '--zone');
    const zoneName = zoneOpt?.value ?? defaultZone.name;
    const prefix = text.slice(cmd.span.start, words[0].span.end);
    let touched: Zone | undefined;
    const zone = (): Zone => {
      const z = zoneOf(zoneName, cmd.span, zoneOpt?.word.span);
      touched = z;
      return z;
    };
    for (const o of opts) {
      const v = o.value ?? '';
      const span = o.valueAt !== undefined ? { start: o.valueAt, end: o.valueAt + v.length } : o.word.span;
      const located: Located = { value: v, span };
      const verb = /^--(add|remove)-(.+)$/.exec(o.name);
      if (verb && o.value === undefined && !['masquerade', 'icmp-block-inversion', 'forward'].includes(verb[2])) {
        note(`${o.name} needs a value (${o.name}=…)`, o.word.span, 'error', 'syntax-error');
        continue;
      }
      if (verb) {
        const add = verb[1] === 'add';
        const what = verb[2];
        const z = zone();
        const item = { value: located, span: cmd.span };
        switch (what) {
          case 'service':
          case 'protocol': {
            if (add) z.items.push({ kind: what, ...item, ...runtime });
            else removeWhere(z.items, (x) => x.kind === what && x.value.value === v);
            break;
          }
          case 'port':
          case 'source-port': {
            const slash = v.lastIndexOf('/');
            const port = slash >= 0 ? v.slice(0, slash) : v;
            const proto = slash >= 0 ? v.slice(slash + 1) : '';
            const portSpan = o.valueAt !== undefined ? { start: span.start, end: span.start + port.length } : span;
            const protoSpan = o.valueAt !== undefined && slash >= 0 ? { start: span.start + slash + 1, end: span.end } : span;
            if (add) z.items.push({ kind: what, value: { value: port, span: portSpan }, protocol: slash >= 0 ? { value: proto, span: protoSpan } : undefined, span: cmd.span, ...runtime });
            else removeWhere(z.items, (x) => x.kind === what && x.value.value === port && (x.protocol?.value ?? '') === proto);
            break;
          }
          case 'rich-rule': {
            const r = parseRichRule(v, o.word.span, o.valueAt, problems);
            if (!r) break;
            if (add) z.rules.push({ ...r, span: cmd.span, raw: text.slice(cmd.span.start, cmd.span.end), ...runtime });
            else removeWhere(z.rules, (x) => x.key === r.key);
            break;
          }
          case 'source':
          case 'interface': {
            const list = what === 'source' ? z.sources : z.interfaces;
            if (add) list.push(located);
            else removeWhere(list, (x) => x.value === v);
            break;
          }
          case 'masquerade':
          case 'forward-port':
          case 'icmp-block':
          case 'icmp-block-inversion':
          case 'forward':
            note(`${NOT_FILTERING[what]}: not evaluated (this reader checks which new connections the host accepts)`, o.word.span);
            break;
          default:
            note(`${o.name} is not an option this reader knows: not read`, o.word.span, 'warning', 'unparsed-rule');
        }
        continue;
      }
      switch (o.name) {
        case '--change-interface':
        case '--change-source':
          if (o.value) {
            for (const other of zones.values()) removeWhere(o.name === '--change-source' ? other.sources : other.interfaces, (x) => x.value === o.value);
            (o.name === '--change-source' ? zone().sources : zone().interfaces).push(located);
          }
          break;
        case '--set-target':
          if (!permanent) note('--set-target only works with --permanent: firewall-cmd refuses it otherwise', o.word.span, 'warning', 'syntax-error');
          zone().target = located;
          break;
        case '--new-zone':
          if (o.value) {
            touched = zoneOf(o.value, cmd.span, span);
            createdHere.add(o.value);
          }
          break;
        case '--reload':
        case '--complete-reload': {
          // The runtime becomes the permanent configuration again: what was added without --permanent is gone.
          let dropped = 0;
          for (const z of zones.values()) {
            const before = z.items.length + z.rules.length;
            removeWhere(z.items, (x) => x.runtimeOnly === true);
            removeWhere(z.rules, (x) => x.runtimeOnly === true);
            dropped += before - z.items.length - z.rules.length;
          }
          if (dropped) note(`${o.name} drops the ${dropped === 1 ? 'change' : `${dropped} changes`} made above without --permanent: not read as in force`, o.word.span, 'warning', 'limit');
          break;
        }
        case '--delete-zone':
          if (o.value) zones.delete(o.value);
          break;
        case '--set-default-zone':
          if (o.value) {
            defaultZone = { name: o.value, set: true };
            touched = zoneOf(o.value, cmd.span, span);
          }
          break;
        case '--panic-on':
          panic = o.word.span;
          break;
        case '--panic-off':
          panic = undefined;
          break;
        default:
          if (!NO_EFFECT.test(o.name) && !VALUE_OPTIONS.has(o.name)) {
            if (o.name.startsWith('-')) note(`${o.name} is not an option this reader knows: not read`, o.word.span, 'warning', 'unparsed-rule');
          }
          if (o.name === '--timeout') note('--timeout makes this change lapse after a while: read as in force', o.word.span);
      }
    }
    if (touched) {
      touched.insertAt = lineEndAfter(text, cmd.span.end);
      touched.prefix = prefix;
      if (permanent) touched.permanent = true;
    }
  }
  const ruleSets = [];
  const lines = LineIndex.of(text);
  for (const z of zones.values()) {
    if (panic) z.panic = panic;
    z.permanent ||= permanentSeen;
    if (!createdHere.has(z.name)) {
      // What the zone held before may allow more than the script adds, and its target may be ACCEPT: a flow the script does not admit is unknown, not denied.
      const shipped = SHIPPED_ZONES.get(z.name);
      z.defaultUnknown = `zone ${z.name} held settings before this script (saved changes, its target) that are not known here${shipped ? `; as firewalld ships it, ${z.name} ${shipped}` : ' (it is not one of the zones firewalld ships)'}`;
      note(
        `zone ${z.name}${z.name === defaultZone.name && !defaultZone.set ? " (the default zone: firewalld's shipped default is public, firewalld.conf's DefaultZone may say otherwise)" : ''} is read as holding what this script adds and, before it, what is not known here: what the script does not admit is unknown, not denied. firewalld's shipped zones hold no rich rules, so nothing there rejects what the script admits, unless someone added one`,
        z.nameSpan ?? z.span,
      );
    }
    ruleSets.push(zoneRuleSet(text, z, problems, lines, 'script'));
  }
  return { uri, format: 'firewalld', text, ruleSets, problems, comments: script.comments };
}

/**
 * The zones firewalld ships (/usr/lib/firewalld/zones, firewalld 1.x), in
 * words, for the reason a flow the script does not admit is unknown: what the
 * zone would do if nobody changed it. Not used to decide: saved changes and
 * distribution defaults differ (RHEL and Fedora add cockpit to public).
 */
const SHIPPED_ZONES: ReadonlyMap<string, string> = new Map([
  ['public', 'admits ssh and dhcpv6-client (and cockpit on RHEL and Fedora) and rejects the rest'],
  ['work', 'admits ssh and dhcpv6-client and rejects the rest'],
  ['home', 'admits ssh, mdns, samba-client and dhcpv6-client and rejects the rest'],
  ['internal', 'admits ssh, mdns, samba-client and dhcpv6-client and rejects the rest'],
  ['dmz', 'admits ssh and rejects the rest'],
  ['external', 'admits ssh and rejects the rest (and masquerades)'],
  ['block', 'rejects everything (target %%REJECT%%)'],
  ['drop', 'drops everything (target DROP)'],
  ['trusted', 'accepts everything (target ACCEPT)'],
]);

function removeWhere<T>(list: T[], match: (x: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (match(list[i])) list.splice(i, 1);
}
