import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, Severity } from '../analysis/findings';
import { LineIndex } from '../model';
import type { LoadedWorkspace } from '../engine/batch';
import { guessInWords, type SiteInference } from '../topology';
import { loadCatalog } from '../catalog';
import { toUri } from '../service/workspaceFiles';

export function displayPath(uri: string, cwd: string): string {
  if (!uri.startsWith('file:')) return uri;
  const rel = path.relative(cwd, fileURLToPath(uri));
  return rel.startsWith('..') ? fileURLToPath(uri) : rel.split(path.sep).join('/');
}

interface Position {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export function positions(texts: ReadonlyMap<string, string>): (uri: string, span: { start: number; end: number }) => Position {
  const indexes = new Map<string, LineIndex>();
  return (uri, span) => {
    const text = texts.get(uri) ?? '';
    let index = indexes.get(uri);
    if (!index) indexes.set(uri, (index = LineIndex.of(text)));
    const s = index.positionAt(span.start);
    const e = index.positionAt(span.end);
    return { line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
  };
}

export function formatJson(loaded: LoadedWorkspace): string {
  const at = positions(loaded.texts);
  const findings = loaded.analysis.findings.map((f) => {
    const p = at(f.uri, f.span);
    return {
      checkId: f.checkId,
      severity: f.severity,
      file: displayPath(f.uri, loaded.cwd),
      ...p,
      message: f.message,
      ...(f.flowId ? { flowId: f.flowId } : {}),
      ...(f.decidingRule ? { decidingRule: { file: displayPath(f.decidingRule.uri, loaded.cwd), line: at(f.decidingRule.uri, f.decidingRule.span).line } } : {}),
      ...(f.assumptions?.length
        ? {
            assumptions: f.assumptions.map((a) => ({
              kind: a.kind,
              role: a.role,
              text: a.text,
              ...(a.confidence ? { confidence: a.confidence } : {}),
              ...(a.evidence ? { evidence: { kind: a.evidence.kind, text: a.evidence.text, file: displayPath(a.evidence.uri, loaded.cwd), ...(a.evidence.span ? { line: at(a.evidence.uri, a.evidence.span).line } : {}) } } : {}),
            })),
          }
        : {}),
    };
  });
  const files = loaded.analysis.files.map((file) => ({
    file: displayPath(file.uri, loaded.cwd),
    format: file.format,
    ruleSets: file.ruleSets.length,
    // Every parse problem is also a finding (check unparsed-rule or unresolved-value) with its line.
    parseProblems: file.problems.length,
  }));
  const inference = loaded.analysis.inference;
  const assumed = inference && (inference.bindings.length || inference.hints.length || inference.peers.length || inference.features.length || inference.addresses?.length) ? assumedJson(inference, loaded, at) : undefined;
  // Only when something was skipped or assumed, so the usual shape stays { findings, files }.
  const skipped = [...(loaded.unsupported ?? []), ...loaded.skipped].map((x) => ({ file: displayPath(toUri(x.file), loaded.cwd), reason: x.why }));
  return `${JSON.stringify({ findings, files, ...(skipped.length ? { skipped } : {}), ...(assumed ? { assumed } : {}) }, null, 2)}\n`;
}

/** Every assumption of the run, as data: the rule sets' inferred roles, the hints that did not bind, the assumed peers. */
function assumedJson(inference: SiteInference, loaded: LoadedWorkspace, at: ReturnType<typeof positions>): unknown {
  const one = (b: SiteInference['bindings'][number]): unknown => ({
    file: displayPath(b.uri, loaded.cwd),
    ruleSet: b.ruleSetId,
    roles: b.roles,
    guesses: b.guesses.map((g) => ({
      role: g.role,
      confidence: g.confidence,
      evidence: g.evidence.map((e) => ({ kind: e.kind, text: e.text, ...(e.span ? { line: at(e.uri, e.span).line } : {}) })),
    })),
  });
  return { ruleSets: inference.bindings.map(one), hints: inference.hints.map(one), peers: inference.peers.map((p) => ({ role: p.role, alternatives: p.alternatives, neededBy: p.neededBy })), features: inference.features.map((f) => ({ feature: f.id, on: f.on, scope: f.scope, file: displayPath(f.uri, loaded.cwd), ...(f.ruleSetName ? { ruleSet: f.ruleSetName } : {}), evidence: f.evidence })),
    ...(inference.addresses?.length
      ? {
          addresses: inference.addresses.map((a) => ({
            role: a.role,
            folder: displayPath(a.folder, loaded.cwd) || '.',
            ...(a.peerOnly ? { peerOnly: true } : {}),
            addresses: a.addresses.toStrings(),
            evidence: a.evidence.map((e) => ({ kind: e.kind, name: e.name, file: displayPath(e.uri, loaded.cwd), line: at(e.uri, e.span).line, ...(e.valueFrom ? { valueFrom: e.valueFrom } : {}) })),
          })),
        }
      : {}),
  };
}

const COLORS = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m', hint: '\x1b[90m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function formatText(loaded: LoadedWorkspace, options: { color: boolean; baselined?: number }): string {
  const paint = (code: keyof typeof COLORS, text: string): string => (options.color ? `${COLORS[code]}${text}${COLORS.reset}` : text);
  const findings = loaded.analysis.findings;
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) byFile.set(f.uri, [...(byFile.get(f.uri) ?? []), f]);
  for (const [uri, list] of byFile) {
    lines.push(paint('bold', displayPath(uri, loaded.cwd)));
    const text = loaded.texts.get(uri);
    const index = text === undefined ? undefined : LineIndex.of(text);
    for (const f of list) {
      const s = index?.positionAt(f.span.start) ?? { line: 0, character: 0 };
      const e = index?.positionAt(f.span.end) ?? s;
      lines.push(`  ${`${s.line + 1}:${s.character + 1}`.padEnd(8)} ${paint(f.severity, f.severity.padEnd(7))} ${f.message}  ${paint('dim', f.checkId)}`);
      if (index) {
        const source = index.lineText(s.line).replace(/\t/g, ' ');
        const gutter = `${s.line + 1}`.padStart(6);
        const width = e.line === s.line ? Math.max(1, e.character - s.character) : Math.max(1, source.length - s.character);
        lines.push(paint('dim', `  ${gutter} | `) + source.slice(0, 200));
        lines.push(paint('dim', `  ${' '.repeat(6)} | `) + ' '.repeat(Math.min(s.character, 200)) + paint(f.severity, '^'.repeat(Math.min(width, 120))));
      }
    }
    lines.push('');
  }
  const count = (sev: Severity): number => findings.filter((f) => f.severity === sev).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const fileCount = loaded.analysis.files.length;
  const ruleSetCount = loaded.analysis.files.reduce((n, f) => n + f.ruleSets.length, 0);
  const summary = findings.length
    ? `${plural(findings.length, 'problem')} (${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('info') + count('hint')} info)`
    : 'No problems';
  const suppressed = (loaded.analysis.suppressedCount ? `; ${loaded.analysis.suppressedCount} suppressed` : '') + (options.baselined ? `; ${options.baselined} in the baseline` : '');
  lines.push(...assumedBlock(loaded, paint));
  lines.push(`${findings.length ? paint(count('error') ? 'error' : 'warning', summary) : summary} in ${plural(fileCount, 'file')} with ${plural(ruleSetCount, 'rule set')}; ${plural(loaded.analysis.required.length, 'required flow')} checked${suppressed}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * The "Assumed" block: each rule set whose roles were inferred and why,
 * the peers assumed present, the guesses too weak to bind; or, when
 * nothing was declared or inferred, how to declare roles.
 */
function assumedBlock(loaded: LoadedWorkspace, paint: (code: keyof typeof COLORS, text: string) => string): string[] {
  const inference = loaded.analysis.inference;
  if (!inference) return [];
  const catalog = loadCatalog();
  const name = (r: string): string => (r === 'any-citrix-component' ? 'Citrix components' : catalog.roleById(r)?.name ?? r);
  const out: string[] = [];
  if (inference.bindings.length || inference.peers.length || inference.features.length || inference.addresses?.length) {
    out.push(paint('bold', 'Assumed') + paint('dim', ' (nothing declares these; `citrix-flow-lint init` writes them into citrix-flows.yaml, --no-infer turns this off):'));
    for (const b of inference.bindings) {
      const best = b.guesses.filter((g) => b.roles.includes(g.role) && g.confidence === 'high');
      const why = best.map((g) => `${name(g.role)} from ${guessInWords(g)}`).join('; ');
      const extra = b.roles.filter((r) => !best.some((g) => g.role === r));
      out.push(`  ${displayPath(b.uri, loaded.cwd)}  ${b.ruleSetName}: ${why}${extra.length ? ` (so also ${extra.map(name).join(', ')}, the same machine)` : ''}`);
    }
    const at = positions(loaded.texts);
    for (const a of inference.addresses ?? []) {
      const first = a.evidence[0];
      const line = at(first.uri, first.span).line;
      const what = first.kind === 'rule' ? `the rule "${first.name}"` : `the ${first.kind} "${first.name}"${first.valueFrom ? ` (value from ${first.valueFrom})` : ''}`;
      const folder = displayPath(a.folder, loaded.cwd) || '.';
      out.push(`  ${name(a.role)}: at ${a.addresses.toString()}, from ${what} (${displayPath(first.uri, loaded.cwd)}:${line})${a.evidence.length > 1 ? ` and ${a.evidence.length - 1} more` : ''}; its flows with the rule sets in ${folder} are checked from (to) these addresses`);
    }
    for (const p of inference.peers) {
      out.push(`  ${[p.role, ...p.alternatives].map(name).join(' or ')}: not declared, needed by ${p.neededBy.map(name).join(', ')}; its flows are checked against any address`);
    }
    for (const f of inference.features) {
      const where = f.scope === 'file' ? displayPath(f.uri, loaded.cwd) : `the files in ${displayPath(f.uri.slice(0, f.uri.lastIndexOf('/') + 1), loaded.cwd) || '.'}`;
      const since = f.ruleSetName ? `${displayPath(f.uri, loaded.cwd)}  ${f.ruleSetName} ${f.evidence}` : f.evidence;
      out.push(`  ${catalog.featureById(f.id)?.name ?? f.id}: ${f.on ? 'on' : 'off'} for ${where}, since ${since}`);
    }
    out.push('');
  }
  if (inference.hints.length) {
    out.push(paint('bold', 'Not assumed') + paint('dim', ' (too weak to bind; declare the role if it is right):'));
    for (const b of inference.hints.slice(0, 20)) {
      const g = b.guesses[0];
      const what = b.note ? `${b.note} (from ${guessInWords(g)}); no catalog flow to check without a declaration` : `perhaps ${name(g.role)}, from ${guessInWords(g)}`;
      out.push(`  ${displayPath(b.uri, loaded.cwd)}  ${b.ruleSetName}: ${what}`);
    }
    if (inference.hints.length > 20) out.push(`  … and ${inference.hints.length - 20} more`);
    out.push('');
  }
  if (inference.nothing && loaded.analysis.files.some((f) => f.ruleSets.length)) {
    out.push('No Citrix roles declared or inferred, so no required flow was checked. Declare them in citrix-flows.yaml (`citrix-flow-lint init` writes one) or with a `citrix-role: <id>` comment above a rule set.');
    out.push('');
  }
  return out;
}

/**
 * One line per finding, `file:line:column: severity: message [check-id]`,
 * for editors' problem matchers (package.json contributes `$citrix-flow-lint`)
 * and for grep. A message never spans lines here.
 */
export function formatCompact(loaded: LoadedWorkspace): string {
  const at = positions(loaded.texts);
  const lines = loaded.analysis.findings.map((f) => {
    const p = at(f.uri, f.span);
    const severity = f.severity === 'hint' ? 'info' : f.severity;
    return `${displayPath(f.uri, loaded.cwd)}:${p.line}:${p.column}: ${severity}: ${f.message.replace(/\s*\n\s*/g, ' ')} [${f.checkId}]`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}
