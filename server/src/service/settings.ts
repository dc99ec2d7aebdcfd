import type { CheckSeverity } from '../topology';
import { filesExcludeGlobs } from './exclude';
import type { InlayHintStyle } from './inlayHints';

/** `citrixFlowLint.*` as the editor has it for one resource; read per request, never kept. */
export interface Settings {
  readonly enable: boolean;
  /** Check id → severity; only ids the user set. */
  readonly checks: Readonly<Record<string, CheckSeverity>>;
  readonly inlayHints: { readonly enabled: boolean; readonly style: InlayHintStyle };
  readonly debounceMs: number;
  readonly maxFileSizeKB: number;
  /** A baseline written by `check --write-baseline` (relative to the workspace folder), and how its findings show. */
  readonly baseline: { readonly file: string; readonly showAs: 'hint' | 'hidden' };
  /** Globs relative to the workspace folder that the scan leaves out (`citrixFlowLint.exclude`). */
  readonly exclude: readonly string[];
  /** VS Code's own `files.exclude` (the globs switched on), read with the settings so both come in one request. */
  readonly filesExclude: readonly string[];
  /** `onType`: analyse after each edit (debounced); `onSave`: only when a document is saved. */
  readonly run: 'onType' | 'onSave';
  /** Infer roles and assume always-present peers where nothing is declared. */
  readonly infer: boolean;
}

/** Whether a document event starts an analysis; the first scan and setting changes always do. */
export function analyzesOn(event: 'open' | 'change' | 'save', run: Settings['run']): boolean {
  if (event === 'change') return run === 'onType';
  // On type, the change that came with the save was analysed already; a save with no edit before it changes nothing.
  if (event === 'save') return run === 'onSave';
  return true;
}

export const DEFAULT_SETTINGS: Settings = { enable: true, checks: {}, inlayHints: { enabled: true, style: 'perRule' }, debounceMs: 150, maxFileSizeKB: 5120, baseline: { file: '', showAs: 'hint' }, exclude: [], filesExclude: [], run: 'onType', infer: true };

const SEVERITIES = new Set<string>(['off', 'info', 'warning', 'error']);

/** Whatever the client sent (possibly nothing, possibly wrong types) as usable settings. */
export function normalizeSettings(raw: unknown, filesExclude?: unknown): Settings {
  if (!raw || typeof raw !== 'object') return filesExclude ? { ...DEFAULT_SETTINGS, filesExclude: filesExcludeGlobs(filesExclude) } : DEFAULT_SETTINGS;
  const r = raw as Record<string, unknown>;
  const checks: Record<string, CheckSeverity> = {};
  if (r.checks && typeof r.checks === 'object') {
    for (const [id, value] of Object.entries(r.checks as Record<string, unknown>)) {
      // VS Code hands "default" through when a user picks it: the check's own severity applies then.
      if (typeof value === 'string' && SEVERITIES.has(value)) checks[id] = value as CheckSeverity;
    }
  }
  const inlay = r.inlayHints && typeof r.inlayHints === 'object' ? (r.inlayHints as Record<string, unknown>) : {};
  const baseline = r.baseline && typeof r.baseline === 'object' ? (r.baseline as Record<string, unknown>) : {};
  const number = (v: unknown, fallback: number, min: number, max: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback);
  return {
    enable: typeof r.enable === 'boolean' ? r.enable : DEFAULT_SETTINGS.enable,
    checks,
    inlayHints: {
      enabled: typeof inlay.enabled === 'boolean' ? inlay.enabled : DEFAULT_SETTINGS.inlayHints.enabled,
      style: inlay.style === 'perPort' || inlay.style === 'hover' || inlay.style === 'perRule' ? inlay.style : DEFAULT_SETTINGS.inlayHints.style,
    },
    debounceMs: number(r.debounceMs, DEFAULT_SETTINGS.debounceMs, 0, 5000),
    maxFileSizeKB: number(r.maxFileSizeKB, DEFAULT_SETTINGS.maxFileSizeKB, 1, 1024 * 1024),
    baseline: {
      file: typeof baseline.file === 'string' ? baseline.file.trim() : '',
      showAs: baseline.showAs === 'hidden' ? 'hidden' : 'hint',
    },
    exclude: Array.isArray(r.exclude) ? r.exclude.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : typeof r.exclude === 'string' && r.exclude.trim() ? [r.exclude] : [],
    filesExclude: filesExcludeGlobs(filesExclude),
    run: r.run === 'onSave' ? 'onSave' : 'onType',
    infer: typeof r.infer === 'boolean' ? r.infer : DEFAULT_SETTINGS.infer,
  };
}
