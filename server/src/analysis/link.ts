import * as path from 'node:path';
import type { ParsedFile, Rule, RuleSet } from '../model';

/** The file a rule was written in, when linking moved it into a rule set declared in another file. */
export const RULE_URI_META = 'uri';

function folderOf(uri: string): string {
  return path.posix.dirname(uri);
}

/**
 * Terraform reads a folder as one module: an `azurerm_network_security_rule`
 * or `aws_vpc_security_group_ingress_rule` in rules.tf belongs to the group
 * declared in main.tf. Parsers see one file at a time and leave such rules in
 * a stand-in rule set marked `declared: elsewhere`; this moves them into the
 * declared rule set of the same folder, each rule remembering its own file.
 */
export function linkTerraformModules(files: readonly ParsedFile[]): ParsedFile[] {
  const declared = new Map<string, { fileIndex: number; ruleSet: RuleSet }>();
  files.forEach((file, fileIndex) => {
    if (file.format !== 'terraform') return;
    for (const rs of file.ruleSets) if (rs.meta?.declared !== 'elsewhere') declared.set(`${folderOf(file.uri)}#${rs.id}`, { fileIndex, ruleSet: rs });
  });
  const moved = new Map<RuleSet, Rule[]>();
  const removed = new Set<RuleSet>();
  for (const file of files) {
    if (file.format !== 'terraform') continue;
    for (const rs of file.ruleSets) {
      if (rs.meta?.declared !== 'elsewhere') continue;
      const target = declared.get(`${folderOf(file.uri)}#${rs.id}`);
      if (!target) continue;
      const extra = moved.get(target.ruleSet) ?? [];
      extra.push(...rs.rules.filter((r) => !r.implicit).map((r) => ({ ...r, meta: { ...r.meta, [RULE_URI_META]: file.uri } })));
      moved.set(target.ruleSet, extra);
      removed.add(rs);
    }
  }
  if (moved.size === 0) return [...files];
  return files.map((file) => {
    if (!file.ruleSets.some((rs) => moved.has(rs) || removed.has(rs))) return file;
    const ruleSets = file.ruleSets
      .filter((rs) => !removed.has(rs))
      .map((rs) => {
        const extra = moved.get(rs);
        if (!extra) return rs;
        const written = rs.rules.filter((r) => !r.implicit);
        const implicit = rs.rules.filter((r) => r.implicit);
        const base = rs.rules.length;
        const rules = [...written, ...extra.map((r, i) => ({ ...r, order: base + i })), ...implicit];
        return { ...rs, rules };
      });
    return { ...file, ruleSets };
  });
}

/** The file a rule is written in: its own, or the one linking recorded. */
export function ruleFile(rule: Rule, owner: ParsedFile, files: readonly ParsedFile[]): ParsedFile {
  const uri = rule.meta?.[RULE_URI_META];
  if (!uri || uri === owner.uri) return owner;
  return files.find((f) => f.uri === uri) ?? owner;
}
