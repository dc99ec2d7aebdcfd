import { allCheckIds, checkById } from '../analysis/checks';
import type { Catalog } from '../catalog';
import type { Span } from '../model';
import { CHECK_SEVERITIES, TOP_LEVEL_KEYS } from '../topology';
import { portKnowledge } from './hover';
import { commentAt, ruleAt } from './locate';
import { namedCitrixPorts, portFieldAt } from './ports';
import type { WorkspaceState } from './state';
import { isTopologyUri } from './state';
import { yamlPlace } from './yamlContext';

export type CompletionKind = 'role' | 'feature' | 'check' | 'port' | 'keyword' | 'value' | 'directive';

export interface CompletionItem {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string;
  /** Markdown. */
  readonly documentation?: string;
  readonly insertText?: string;
  /** What the item replaces: the word being typed. */
  readonly span: Span;
  readonly sortText?: string;
}

const isIdChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_\-]/.test(c);

/** The id-like word being typed up to the offset (and its rest after it). */
function typedWord(text: string, offset: number): Span {
  let start = offset;
  let end = offset;
  while (start > 0 && isIdChar(text[start - 1])) start--;
  while (end < text.length && isIdChar(text[end])) end++;
  return { start, end };
}

function lineBefore(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n' && text[start - 1] !== '\r' && offset - start < 400) start--;
  return text.slice(start, offset);
}

export function doCompletion(state: WorkspaceState, uri: string, offset: number): CompletionItem[] {
  if (isTopologyUri(uri)) {
    const doc = state.document(uri);
    return doc ? topologyCompletion(state, doc.text, offset) : [];
  }
  const file = state.parsedFile(uri);
  const doc = state.document(uri);
  if (!doc) return [];
  const text = doc.text;
  const comment = file ? commentAt(file.comments, offset) : undefined;
  const before = lineBefore(text, offset);
  if (comment || looksLikeComment(before)) return commentCompletion(state.catalog, text, offset, before);
  if (file) {
    const hit = ruleAt(file, offset);
    if (hit && portFieldAt(hit.rule, text, offset)) return portItems(state.catalog, text, offset);
  }
  if (inPortValue(before)) return portItems(state.catalog, text, offset);
  return [];
}

/** A comment leader before the cursor on this line, for a comment the parser has not seen yet. */
function looksLikeComment(before: string): boolean {
  const t = before.trimStart();
  return t.startsWith('#') || t.startsWith('//') || t.startsWith('!') || t.startsWith('REM ') || t.startsWith('::');
}

function commentCompletion(catalog: Catalog, text: string, offset: number, before: string): CompletionItem[] {
  const span = typedWord(text, offset);
  const lower = before.toLowerCase();
  const directive = lower.lastIndexOf('citrix-flow-lint-disable');
  const role = lower.lastIndexOf('citrix-role');
  if (directive >= 0 && directive > role) {
    const rest = before.slice(directive);
    // Nothing after `--` is an id: it is the reason.
    if (rest.includes('--', 'citrix-flow-lint-disable'.length)) return [];
    if (offset - span.start === rest.length) return [];
    return checkItems(span);
  }
  if (role >= 0) {
    const rest = before.slice(role + 'citrix-role'.length).trimStart();
    if (!rest.startsWith(':')) return [];
    return roleItems(catalog, span);
  }
  const word = text.slice(span.start, offset);
  if (word.length && 'citrix-'.startsWith(word.slice(0, 7)) && word.startsWith('c')) {
    return [
      { label: 'citrix-role:', kind: 'directive', insertText: 'citrix-role: ', detail: 'bind the rule set below to Citrix roles', span },
      { label: 'citrix-flow-lint-disable-next-line', kind: 'directive', insertText: 'citrix-flow-lint-disable-next-line ', detail: 'silence a check on the next line', span },
      { label: 'citrix-flow-lint-disable', kind: 'directive', insertText: 'citrix-flow-lint-disable ', detail: 'silence a check in this file', span },
    ];
  }
  return [];
}

const PORT_KEYS = ['port_range', 'portrange', 'from_port', 'to_port', '--dport', '--sport', 'dport', 'sport', ' eq ', ' range ', '-localport', '-remoteport', 'localport=', 'remoteport=', '"ports"', 'ports ='];
const PORT_VALUE_CHARS = new Set([...'0123456789 ,"\'[]=:{}-\t']);

/** The cursor is in the value of a port key on this line (`destination_port_range = "|`, `--dport |`), before the parser sees a rule. */
function inPortValue(before: string): boolean {
  const lower = before.toLowerCase();
  let best = -1;
  let keyLength = 0;
  for (const key of PORT_KEYS) {
    const at = lower.lastIndexOf(key);
    if (at > best) {
      best = at;
      keyLength = key.length;
    }
  }
  if (best < 0) return false;
  for (let i = best + keyLength; i < before.length; i++) if (!PORT_VALUE_CHARS.has(before[i])) return false;
  return true;
}

function portItems(catalog: Catalog, text: string, offset: number): CompletionItem[] {
  let start = offset;
  let end = offset;
  while (start > 0 && /[0-9]/.test(text[start - 1])) start--;
  while (end < text.length && /[0-9]/.test(text[end])) end++;
  const span = { start, end };
  return namedCitrixPorts().map((p, i) => {
    const label = p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`;
    return {
      label,
      kind: 'port' as const,
      detail: p.name,
      documentation: portKnowledge(catalog, p.from, p.to).join('\n'),
      span,
      sortText: String(i).padStart(3, '0'),
    };
  });
}

function roleItems(catalog: Catalog, span: Span): CompletionItem[] {
  return catalog.roles.map((r) => ({
    label: r.id,
    kind: 'role' as const,
    detail: r.name,
    documentation: r.description || undefined,
    span,
  }));
}

function featureItems(catalog: Catalog, span: Span): CompletionItem[] {
  return catalog.features.map((f) => ({
    label: f.id,
    kind: 'feature' as const,
    detail: `${f.name} (default ${f.default ? 'on' : 'off'})`,
    documentation: f.description || undefined,
    span,
  }));
}

function checkItems(span: Span): CompletionItem[] {
  return allCheckIds().map((id) => {
    const check = checkById(id);
    return { label: id, kind: 'check' as const, detail: check?.title, documentation: check?.summary, span };
  });
}

function values(labels: readonly string[], span: Span): CompletionItem[] {
  return labels.map((label) => ({ label, kind: 'value' as const, span }));
}

function topologyCompletion(state: WorkspaceState, text: string, offset: number): CompletionItem[] {
  const span = typedWord(text, offset);
  const place = yamlPlace(text, span.start);
  const catalog = state.catalog;
  if (place.position === 'key') {
    if (!place.section) return TOP_LEVEL_KEYS.map((k) => ({ label: k, kind: 'keyword' as const, insertText: `${k}:`, span }));
    if (place.depth === 0) {
      switch (place.section) {
        case 'roles':
          return roleItems(catalog, span);
        case 'features':
          return featureItems(catalog, span);
        case 'checks':
          return checkItems(span);
        case 'bindings':
          return values(['files', 'ruleSet', 'roles'], span).map((i) => ({ ...i, kind: 'keyword' as const, insertText: `${i.label}: ` }));
        case 'interfaces':
          return values(['name', 'files', 'roles'], span).map((i) => ({ ...i, kind: 'keyword' as const, insertText: `${i.label}: ` }));
      }
    }
    if (place.section === 'roles' && place.depth === 1) return values(['addresses', 'name'], span).map((i) => ({ ...i, kind: 'keyword' as const, insertText: `${i.label}: ` }));
    if (place.section === 'machines' && place.depth === 1) return values(['netscaler', 'roles', 'addresses'], span).map((i) => ({ ...i, kind: 'keyword' as const, insertText: `${i.label}: ` }));
    if (place.section === 'machines' && place.depth === 2) return values(['nsip', 'snip', 'vip', 'peer'], span).map((i) => ({ ...i, kind: 'keyword' as const, insertText: `${i.label}: ` }));
    return [];
  }
  if (place.key === 'roles' && place.section === 'machines') return roleItems(catalog, span);
  if (place.key === 'roles' && (place.section === 'bindings' || place.section === 'interfaces')) {
    // A machine stands for every role it plays.
    const machines = [...(state.topology().machines?.keys() ?? [])].map((name) => ({ label: name, kind: 'value' as const, detail: `machine: ${state.topology().machines?.get(name)?.roles.join(', ')}`, span }));
    return [...machines, ...roleItems(catalog, span)];
  }
  if (place.section === 'features' && place.depth >= 1) return values(['true', 'false'], span);
  if (place.section === 'checks' && place.depth >= 1) return values(CHECK_SEVERITIES, span);
  if (place.section === 'roles' && place.depth >= 1) {
    const topology = state.topology();
    return values(['any', ...topology.networks.keys()], span);
  }
  return [];
}
