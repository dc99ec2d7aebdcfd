import type { FormatId } from '../model/types';
import { cloudExportProvider } from './cloud-export/detect';
import { isTerraformJsonFile } from './terraform/json';
import { isTerraformShowJson } from './terraform-plan/detect';

/**
 * Which parser reads a document: from the editor's language id when there is
 * one, else from the file name, else from what the text looks like.
 *
 * Decisions worth knowing:
 * - `.tf.json` and `.tofu.json` (Terraform's JSON syntax) are Terraform by
 *   name, whatever language id the editor gives them: their content is not
 *   an ARM template, and JSON is the editor's guess, not the file's format.
 * - A bare `.rules` extension is sniffed, not claimed: udev, polkit (JavaScript),
 *   audit, Snort/Suricata and Prometheus all use it. `rules.v4`, `rules.v6`,
 *   `iptables.rules`, `*iptables*.rules` and files under an `iptables/` folder
 *   are claimed by name.
 * - Documentation (README, CHANGELOG, LICENSE, Markdown…) is never claimed,
 *   however many example commands it quotes.
 * - Only the first 64 KiB are looked at; every check is a single pass over
 *   lines or a regular expression without nested quantifiers.
 */
export function detectFormat(uri: string, text: string, languageId?: string): FormatId | undefined {
  const head = sniffWindow(text);
  const path = normalisedPath(uri);
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (isTerraformJsonFile(name)) return 'terraform';
  if (languageId !== undefined && languageId !== '') {
    if (name === 'citrix-flows.yaml' || name === 'citrix-flows.yml') return undefined;
    const decided = byLanguageId(languageId, head);
    if (decided !== NOT_DECIDED) return decided;
  }
  return byFileName(path, name, head);
}

export const SNIFF_LIMIT = 64 * 1024;

const NOT_DECIDED = Symbol('not decided');
type Decision = FormatId | undefined | typeof NOT_DECIDED;

/** Language ids VS Code gives files it has no better idea about; the name and content decide. */
const GENERIC_LANGUAGE_IDS = new Set(['plaintext', 'properties', 'ini', 'log', 'hcl', 'ignore', 'code-text-binary']);

function byLanguageId(languageId: string, head: string): Decision {
  switch (languageId) {
    case 'terraform':
    case 'opentofu':
      return 'terraform';
    case 'bicep':
      return 'bicep';
    case 'json':
    case 'jsonc':
      return jsonFormat(head);
    case 'yaml':
    case 'cloudformation':
    case 'yaml-cloudformation':
      return isCloudFormationTemplate(head) ? 'cloudformation' : undefined;
    case 'powershell':
      return hasPowerShellFirewallRules(head) ? 'windows-firewall' : undefined;
    case 'bat':
      return hasNetshFirewallRules(head) ? 'windows-firewall' : undefined;
    case 'iptables':
      return 'iptables';
    case 'nftables':
      return 'nftables';
    case 'cisco-asa':
      return 'asa';
    case 'netscaler':
      return 'netscaler';
    case 'shellscript':
      return sniffShellScript(head);
    case 'xml':
      return isFirewalldZone(head) ? 'firewalld' : undefined;
    default:
      return GENERIC_LANGUAGE_IDS.has(languageId) ? NOT_DECIDED : undefined;
  }
}

/** Extensions that say nothing about the content, so the content decides. */
const GENERIC_EXTENSIONS = new Set(['', '.txt', '.conf', '.cfg', '.config', '.rules', '.save', '.v4', '.v6', '.fw', '.acl', '.out', '.log']);
const SHELL_EXTENSIONS = new Set(['.sh', '.bash', '.ksh', '.zsh', '.dash']);
/** Package managers' lock files (pnpm-lock.yaml, package-lock.yaml): YAML, never a template. */
const YAML_LOCK_FILE = /(?:^|[.-])lock\.ya?ml$/;
const DOCUMENTATION = /^(?:readme|changelog|changes|history|license|licence|notice|copying|authors|contributing)(?:[.-]|$)/;

function byFileName(path: string, name: string, head: string): FormatId | undefined {
  if (name === 'nftables.conf') return 'nftables';
  if (name === 'ns.conf') return 'netscaler';
  if (isIptablesFileName(path, name)) return 'iptables';
  const ext = extension(name);
  if (ext === '.xml') return FIREWALLD_ZONE_PATH.test(path) || isFirewalldZone(head) ? 'firewalld' : undefined;
  switch (ext) {
    case '.tf':
    case '.tofu':
      return 'terraform';
    case '.bicep':
      return 'bicep';
    case '.json':
    case '.jsonc':
      return jsonFormat(head);
    case '.yaml':
    case '.yml':
    case '.template':
      return name.startsWith('citrix-flows.') || YAML_LOCK_FILE.test(name) ? undefined : isCloudFormationTemplate(head) ? 'cloudformation' : undefined;
    case '.ps1':
    case '.psm1':
      return hasPowerShellFirewallRules(head) ? 'windows-firewall' : undefined;
    case '.cmd':
    case '.bat':
      return hasNetshFirewallRules(head) ? 'windows-firewall' : undefined;
    case '.nft':
      return 'nftables';
    case '.iptables':
      return 'iptables';
    case '.asa':
      return 'asa';
  }
  if (DOCUMENTATION.test(name)) return undefined;
  if (SHELL_EXTENSIONS.has(ext)) return sniffShellScript(head);
  if (GENERIC_EXTENSIONS.has(ext)) return sniffContent(head);
  return undefined;
}

/**
 * Whether a file of this name could be one we read, decided without opening
 * it: the same name rules as detection, with the content left undecided.
 * A workspace scan skips everything else (images, sources, lock files)
 * without reading a byte.
 */
export function mayBeReadable(uri: string): boolean {
  const path = normalisedPath(uri);
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (isTerraformJsonFile(name)) return true;
  if (name === 'nftables.conf' || name === 'ns.conf' || isIptablesFileName(path, name)) return true;
  const ext = extension(name);
  if (YAML_LOCK_FILE.test(name)) return false;
  if (['.tf', '.tofu', '.bicep', '.json', '.jsonc', '.yaml', '.yml', '.template', '.ps1', '.psm1', '.cmd', '.bat', '.nft', '.iptables', '.asa', '.xml'].includes(ext)) return true;
  if (DOCUMENTATION.test(name)) return false;
  return SHELL_EXTENSIONS.has(ext) || GENERIC_EXTENSIONS.has(ext);
}

function isIptablesFileName(path: string, name: string): boolean {
  if (name === 'rules.v4' || name === 'rules.v6') return true;
  if (name.endsWith('.rules') && (name.includes('iptables') || name.includes('ip6tables'))) return true;
  if (name.endsWith('.rules') && path.includes('/iptables/')) return true;
  return path.endsWith('/sysconfig/iptables') || path.endsWith('/sysconfig/ip6tables');
}

/** Content sniffing for names that say nothing (no extension, `.txt`, `.conf`, …). */
function sniffContent(head: string): FormatId | undefined {
  const lines = splitLines(head);
  if (isIptablesSave(lines) || isBareRuleList(lines)) return 'iptables';
  if (isNftablesRuleset(lines)) return 'nftables';
  if (isAsaConfig(lines)) return 'asa';
  if (isNetscalerConfig(lines)) return 'netscaler';
  const shell = countFirewallCommands(lines);
  if (shell) return shell;
  if (startsPowerShellFirewallRule(lines)) return 'windows-firewall';
  return undefined;
}

/** A shell script is ours when it runs iptables or nft commands (or feeds iptables-restore / nft -f a here-document). */
function sniffShellScript(head: string): FormatId | undefined {
  const lines = splitLines(head);
  return countFirewallCommands(lines) ?? (isIptablesSave(lines) ? 'iptables' : isNftablesRuleset(lines) ? 'nftables' : undefined);
}

// ---- content checks ------------------------------------------------------

const NS_CONF_HEADER = /^#NS\d+(?:\.\d+)* Build /;
const NS_ACL_COMMAND = /^(?:add|set|rm|apply|bind)\s+ns\s+(?:acls?6?|simpleacl6?)(?:\s|$)/i;
const NS_COMMAND = /^(?:add|set|bind|enable|disable)\s+(?:ns|lb|vpn|cs|ssl|policy|responder|rewrite|aaa|authentication|system|snmp|dns)\s+\w+/i;

/**
 * A NetScaler configuration: ns.conf's `#NS13.1 Build …` first line, or CLI
 * commands among which an ACL command, most lines being NetScaler commands
 * (so a shell script that quotes one is not claimed).
 */
function isNetscalerConfig(lines: readonly string[]): boolean {
  let acl = 0;
  let ns = 0;
  let other = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (NS_CONF_HEADER.test(line)) return true;
    if (line.startsWith('#')) continue;
    const isAcl = NS_ACL_COMMAND.test(line);
    if (isAcl) acl++;
    if (isAcl || NS_COMMAND.test(line)) ns++;
    else other++;
  }
  return acl > 0 && other * 4 <= ns;
}

const FIREWALLD_ZONE_PATH = /\/firewalld\/zones\/[^/]+\.xml$/;

/** A firewalld zone file: its root element is <zone>, after the XML declaration and comments. */
function isFirewalldZone(head: string): boolean {
  let i = 0;
  for (let guard = 0; guard < 64; guard++) {
    while (i < head.length && /\s/.test(head[i])) i++;
    const close = head.startsWith('<?', i) ? '?>' : head.startsWith('<!--', i) ? '-->' : head.startsWith('<!DOCTYPE', i) ? '>' : undefined;
    if (!close) break;
    const end = head.indexOf(close, i + 2);
    if (end < 0) return false;
    i = end + close.length;
  }
  return /^<zone[\s>/]/.test(head.slice(i, i + 6));
}

const SAVE_TABLE = /^\*(?:filter|nat|mangle|raw|security)\s*$/;
const SAVE_GENERATED = /^# Generated by (?:ip6?tables|xtables)(?:-legacy|-nft)?-save\b/;
const SAVE_BODY = /^(?::\S+\s+(?:ACCEPT|DROP|-)(?:\s|$)|-A\s|COMMIT\s*$)/;

/** iptables-save output: a `*table` header followed by chain declarations, rules or COMMIT. */
function isIptablesSave(lines: readonly string[]): boolean {
  let sawTable = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (SAVE_GENERATED.test(line)) return true;
    if (SAVE_TABLE.test(line)) sawTable = true;
    else if (sawTable && SAVE_BODY.test(line)) return true;
  }
  return false;
}

const BARE_RULE = /^-(?:A|I|P|N)\s+[A-Za-z][\w.-]*(?:\s|$)/;

/**
 * A bare list of iptables rules (`-A INPUT -p tcp --dport 22 -j ACCEPT`
 * lines without `*filter` and COMMIT, as policy generators and `iptables -S`
 * write them): it starts with such a line, has at least two, and nearly
 * every other line is one too.
 */
function isBareRuleList(lines: readonly string[]): boolean {
  let rules = 0;
  let other = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (BARE_RULE.test(line)) rules++;
    else if (rules === 0) return false;
    else other++;
  }
  return rules >= 2 && other * 10 <= rules;
}

const NFT_TABLE = /^table\s+(?:(?:ip|ip6|inet|arp|bridge|netdev)\s+)?[\w.-]+\s*\{/;
const NFT_TABLE_WITH_FAMILY = /^table\s+(?:ip|ip6|inet|arp|bridge|netdev)\s+[\w.-]+/;
const NFT_SHEBANG = /^#!\s*\S*\/(?:env\s+)?nft(?:\s|$)/;

function isNftablesRuleset(lines: readonly string[]): boolean {
  if (lines.length > 0 && NFT_SHEBANG.test(lines[0])) return true;
  for (const raw of lines) {
    const line = raw.trim();
    if (NFT_TABLE.test(line) || NFT_TABLE_WITH_FAMILY.test(line) || line === 'flush ruleset') return true;
  }
  return false;
}

const ASA_VERSION = /^(?:ASA|PIX) Version\s/;
const ASA_EXTENDED_ACL = /^access-list\s+\S+\s+(?:line\s+\d+\s+)?extended\s+(?:permit|deny)\s/;

/** Cisco IOS writes `ip access-list extended NAME` and numbered lists without `extended`; neither matches. */
function isAsaConfig(lines: readonly string[]): boolean {
  for (const raw of lines) {
    const line = raw.trim();
    if (ASA_VERSION.test(line) || ASA_EXTENDED_ACL.test(line)) return true;
  }
  return false;
}

const IPTABLES_COMMAND = /^ip6?tables(?:-legacy|-nft)?$/;
const IPTABLES_ASSIGNMENT = /^(?:export\s+)?([A-Za-z_]\w*)=["']?(?:\S*\/)?ip6?tables(?:-legacy|-nft)?["']?$/;
const NFT_ASSIGNMENT = /^(?:export\s+)?([A-Za-z_]\w*)=["']?(?:\S*\/)?nft["']?$/;
/** `iptables-restore` run as a command (a line start, after a pipe or separator, or a wrapper), not named in prose. */
const IPTABLES_RESTORE_LINE = /(?:^|[|;&]\s*|\b(?:sudo|exec|then|do|else|doas|command)\s+)(?:\S*\/)?ip6?tables(?:-legacy|-nft)?-restore(?:\s|$)/;
const NFT_VERBS = new Set(['add', 'insert', 'create', 'replace', 'delete', 'destroy', 'flush']);
const TOKEN_SEPARATOR = /[\s;&|()`]+/;

/**
 * Counts lines that run iptables (an option must follow, so `iptables-restore`
 * and prose do not count) and lines that run `nft add|insert|…`; the tool with
 * more lines wins, the first seen on a tie. Variables such as `IPT=/sbin/iptables`
 * are followed, because scripts often call `$IPT -A …`.
 */
type ShellTool = 'iptables' | 'nftables' | 'firewalld' | 'ufw';

function countFirewallCommands(lines: readonly string[]): ShellTool | undefined {
  const iptablesVars = new Set<string>();
  const nftVars = new Set<string>();
  let iptables = 0;
  let nft = 0;
  let firewalld = 0;
  let ufw = 0;
  let first: ShellTool | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const assignedIptables = IPTABLES_ASSIGNMENT.exec(line);
    if (assignedIptables) {
      iptablesVars.add(assignedIptables[1]);
      continue;
    }
    const assignedNft = NFT_ASSIGNMENT.exec(line);
    if (assignedNft) {
      nftVars.add(assignedNft[1]);
      continue;
    }
    if (IPTABLES_RESTORE_LINE.test(line)) {
      iptables++;
      first ??= 'iptables';
      continue;
    }
    const tokens = line.split(TOKEN_SEPARATOR);
    for (let i = 0; i < tokens.length; i++) {
      const tool = commandName(tokens[i], iptablesVars, nftVars);
      if (tool === 'iptables' && tokens[i + 1]?.startsWith('-')) {
        iptables++;
        first ??= 'iptables';
        break;
      }
      if (tool === 'nftables' && isNftVerbAfter(tokens, i + 1)) {
        nft++;
        first ??= 'nftables';
        break;
      }
      const base = tokens[i].slice(tokens[i].lastIndexOf('/') + 1);
      if ((base === 'firewall-cmd' || base === 'firewall-offline-cmd') && tokens[i + 1]?.startsWith('--')) {
        firewalld++;
        first ??= 'firewalld';
        break;
      }
      if (base === 'ufw' && isUfwVerbAfter(tokens, i + 1)) {
        ufw++;
        first ??= 'ufw';
        break;
      }
    }
  }
  const counts: [ShellTool, number][] = [['iptables', iptables], ['nftables', nft], ['firewalld', firewalld], ['ufw', ufw]];
  const most = Math.max(iptables, nft, firewalld, ufw);
  if (most === 0) return undefined;
  const winners = counts.filter(([, n]) => n === most).map(([t]) => t);
  // A tie goes to the tool seen first, among the tied ones.
  return first && winners.includes(first) ? first : winners[0];
}

const UFW_VERBS = new Set(['allow', 'deny', 'reject', 'limit', 'default', 'insert', 'prepend', 'delete', 'route', 'enable']);

/** `ufw allow 1494/tcp`, `ufw --force enable`, `ufw default deny incoming`: a verb after optional flags. */
function isUfwVerbAfter(tokens: readonly string[], from: number): boolean {
  for (let i = from; i < tokens.length && i < from + 3; i++) {
    if (tokens[i] === '--force' || tokens[i] === '--dry-run') continue;
    return UFW_VERBS.has(tokens[i]);
  }
  return false;
}

function commandName(token: string, iptablesVars: ReadonlySet<string>, nftVars: ReadonlySet<string>): 'iptables' | 'nftables' | undefined {
  const variable = variableName(token);
  if (variable !== undefined) {
    if (iptablesVars.has(variable)) return 'iptables';
    if (nftVars.has(variable)) return 'nftables';
    return undefined;
  }
  const base = token.slice(token.lastIndexOf('/') + 1);
  if (IPTABLES_COMMAND.test(base)) return 'iptables';
  if (base === 'nft') return 'nftables';
  return undefined;
}

function variableName(token: string): string | undefined {
  let t = token;
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
  if (t.startsWith('${') && t.endsWith('}')) return t.slice(2, -1);
  if (t.startsWith('$')) return t.slice(1);
  return undefined;
}

function isNftVerbAfter(tokens: readonly string[], from: number): boolean {
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i].replace(/^["']/, '');
    if (token.startsWith('-')) continue; // nft -a add rule …
    return NFT_VERBS.has(token);
  }
  return false;
}

const NETSH_ADD_RULE = /\bnetsh(?:\.exe)?\s+advfirewall\s+firewall\s+add\s+rule\b/i;
/** Changing rules (a built-in group enabled, a rule deleted) is firewall configuration too: read, so what it does is said. */
const NETSH_CHANGE_RULE = /\bnetsh(?:\.exe)?\s+advfirewall\s+firewall\s+(?:add|set|delete)\s+rule\b/i;
const POWERSHELL_RULE_CMDLET = /\b(?:New|Set|Enable|Disable|Remove)-NetFirewallRule\b/i;

function hasNetshFirewallRules(head: string): boolean {
  return NETSH_CHANGE_RULE.test(head);
}

function hasPowerShellFirewallRules(head: string): boolean {
  return POWERSHELL_RULE_CMDLET.test(head) || hasNetshFirewallRules(head);
}

const POWERSHELL_RULE_LINE = /^(?:\$[\w:]+\s*=\s*)?New-NetFirewallRule\b/i;

/** In a file whose name says nothing, a mention is not enough: a line must run the cmdlet or netsh. */
function startsPowerShellFirewallRule(lines: readonly string[]): boolean {
  for (const raw of lines) {
    const line = raw.trim();
    if (POWERSHELL_RULE_LINE.test(line) || (line.toLowerCase().startsWith('netsh') && NETSH_ADD_RULE.test(line))) return true;
  }
  return false;
}

const ARM_SCHEMA = /"\$schema"\s*:\s*"[^"]*deploymentTemplate\.json/i;

/** ARM templates name their schema (deploymentTemplate, subscriptionDeploymentTemplate, …); parameter files do not match. */
/** ARM first (its resources may be NSGs too), then CloudFormation, then what a cloud CLI exports. */
function jsonFormat(head: string): FormatId | undefined {
  if (isArmTemplate(head)) return 'arm';
  if (isCloudFormationTemplate(head)) return 'cloudformation';
  if (isTerraformShowJson(head)) return 'terraform-plan';
  return cloudExportProvider(head) ? 'cloud-export' : undefined;
}

function isArmTemplate(head: string): boolean {
  return ARM_SCHEMA.test(head);
}

// A minified JSON template puts the key right after the opening brace: `{"AWSTemplateFormatVersion":…`.
const CFN_VERSION = /^\s*\{?\s*["']?AWSTemplateFormatVersion["']?\s*:/m;
const CFN_RESOURCES = /^(?:Resources\s*:|\s*\{?\s*"Resources"\s*:)/m;
const CFN_AWS_TYPE = /["']?Type["']?\s*:\s*["']?AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/;

/**
 * A CloudFormation template names its format version, or has a top-level
 * `Resources` with `AWS::` types. Kubernetes manifests, ARM templates,
 * Serverless Framework files (`resources:` in lower case) and citrix-flows.yaml
 * do not match.
 */
function isCloudFormationTemplate(head: string): boolean {
  return CFN_VERSION.test(head) || (CFN_RESOURCES.test(head) && CFN_AWS_TYPE.test(head));
}

// ---- helpers --------------------------------------------------------------

function sniffWindow(text: string): string {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return text.slice(start, start + SNIFF_LIMIT);
}

function splitLines(head: string): string[] {
  return head.split(/\r\n|\r|\n/);
}

/** Lower-case path with forward slashes, without scheme, query or fragment (`file:///C:/x/Rules.V4` → `/c:/x/rules.v4`). */
function normalisedPath(uri: string): string {
  let path = uri;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]+:/.exec(path);
  if (scheme) {
    path = path.slice(scheme[0].length);
    const cut = path.search(/[?#]/);
    if (cut >= 0) path = path.slice(0, cut);
    try {
      path = decodeURIComponent(path);
    } catch {
      // A malformed escape is kept as written; the name still decides.
    }
  }
  return path.replace(/\\/g, '/').toLowerCase();
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot);
}
