import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeParsed, readTopology, type WorkspaceAnalysis } from '../../../server/src/analysis/analyze';
import type { Finding } from '../../../server/src/analysis/findings';
import { checkOf, requestsFor as fixRequestsFor } from '../../../server/src/analysis/checks/fixes/allowFlow';
import { parseAs } from '../../../server/src/formats';
import { applyEdits, type AllowRuleEmitter, type AllowRuleRequest, type FormatId, type ParsedFile, type Rule, type TextEdit } from '../../../server/src/model';
import { formatPortSet, formatProtocolSet, type PortSet } from '../../../server/src/net';
import { fixturePath } from '../../helpers/fixtures';

export const FIX_CHECKS = new Set(['missing-flow', 'partial-flow', 'edt-needs-udp']);

/** Input files of test/fixtures/fixes/<folder>: not snapshots, not topologies. */
export function fixInputs(folder: string): string[] {
  const dir = fixturePath('fixes', folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.endsWith('.fixed') && !f.endsWith('.json') && !f.endsWith('.yaml') && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** `<input>.citrix-flows.yaml` when the fixture needs its own topology, else the one in the fixture's folder. */
export function topologyFor(input: string): string {
  const own = `${input}.citrix-flows.yaml`;
  return fs.existsSync(own) ? own : path.join(path.dirname(input), 'citrix-flows.yaml');
}

export function analyse(format: FormatId, text: string, uri: string, topologyFile: string): { file: ParsedFile; analysis: WorkspaceAnalysis } {
  const file = parseAs(format, text, uri);
  const topology = readTopology(fs.readFileSync(topologyFile, 'utf8'), 'file:///ws/citrix-flows.yaml');
  return { file, analysis: analyzeParsed([file], topology, { workspaceRoot: '/ws' }) };
}

export function fixableFindings(analysis: WorkspaceAnalysis, uri: string): Finding[] {
  return analysis.findings.filter((f) => f.uri === uri && FIX_CHECKS.has(f.checkId));
}

/** The requests the required-flow checks' fixes build for one finding (the blocked part only, one per deciding rule). */
export function requestsFor(finding: Finding, analysis: WorkspaceAnalysis): AllowRuleRequest[] {
  const check = checkOf(finding, analysis);
  return check ? fixRequestsFor(finding, check, finding.checkId === 'edt-needs-udp' ? 'udp' : undefined) : [];
}

/** Rules as comparable text, without ids and places (both shift when lines are inserted). */
export function ruleSignatures(file: ParsedFile, skip: (rule: Rule) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const rs of file.ruleSets) {
    const all = [...rs.rules.map((r) => ['', r] as const), ...Object.entries(rs.chains ?? {}).flatMap(([c, rules]) => rules.map((r) => [c, r] as const))];
    for (const [chain, r] of all) {
      if (skip(r)) continue;
      const ports = (p: PortSet): string => (p.isFull ? '*' : formatPortSet(p));
      out.push(
        [rs.id, chain, r.implicit ? 'implicit' : r.raw.trim(), r.target.kind, r.direction, formatProtocolSet(r.protocols.value), r.source.value, r.destination.value, ports(r.destinationPorts.value), r.enabled.value].join(' | '),
      );
    }
  }
  return out;
}

/** Offsets, in the text after the edits, that the edits inserted. */
export function insertedRanges(edits: readonly TextEdit[]): { start: number; end: number }[] {
  let shift = 0;
  return [...edits]
    .sort((a, b) => a.span.start - b.span.start)
    .map((e) => {
      const start = e.span.start + shift;
      shift += e.newText.length - (e.span.end - e.span.start);
      return { start, end: start + e.newText.length };
    });
}

export function problemSummary(file: ParsedFile): string[] {
  return file.problems.map((p) => `${p.code}: ${p.message}`).sort();
}

export function applyAll(text: string, edits: readonly TextEdit[]): string {
  return applyEdits(text, edits);
}

export type Emitter = AllowRuleEmitter;
