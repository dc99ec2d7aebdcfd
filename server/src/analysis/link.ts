import * as path from 'node:path';
import type { GuardedNetwork, ParsedFile, Rule, RuleSet } from '../model';

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
  const placed = placedAcrossFiles(files);
  if (moved.size === 0 && placed.size === 0) return [...files];
  return files.map((file) => {
    if (!file.ruleSets.some((rs) => moved.has(rs) || removed.has(rs) || placed.has(rs))) return file;
    const ruleSets = file.ruleSets
      .filter((rs) => !removed.has(rs))
      .map((original) => {
        const guards = placed.get(original);
        const rs: RuleSet = guards
          ? { ...original, guardedNetworks: [...(original.guardedNetworks ?? []), ...guards], appliesTo: [...(original.appliesTo ?? []), ...guards.map((g) => `subnet ${g.name}`).filter((a) => !original.appliesTo?.includes(a))] }
          : original;
        const extra = moved.get(original);
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

/**
 * An NSG in nsg.tf associated with a subnet in network.tf (or the association
 * in a third file): the subnets a module's files write, joined across them,
 * so the NSG is placed in front of its subnets as if one file held all three.
 * Subnets the NSG's own file already places are not added twice.
 */
function placedAcrossFiles(files: readonly ParsedFile[]): Map<RuleSet, GuardedNetwork[]> {
  const out = new Map<RuleSet, GuardedNetwork[]>();
  const byFolder = new Map<string, ParsedFile[]>();
  for (const f of files) {
    if (f.format !== 'terraform') continue;
    const list = byFolder.get(folderOf(f.uri));
    if (list) list.push(f);
    else byFolder.set(folderOf(f.uri), [f]);
  }
  for (const folder of byFolder.values()) {
    if (folder.length < 2 || !folder.some((f) => f.moduleNetworks)) continue;
    const subnets = new Map<string, GuardedNetwork>();
    for (const f of folder) for (const s of f.moduleNetworks?.subnets ?? []) subnets.set(s.address, { name: s.address, kind: 'subnet', addresses: s.addresses, span: s.span, uri: f.uri });
    const associations = folder.flatMap((f) => f.moduleNetworks?.associations ?? []);
    for (const f of folder) {
      for (const rs of f.ruleSets) {
        if (rs.kind !== 'azure-nsg' || rs.meta?.declared === 'elsewhere') continue;
        const have = new Set((rs.guardedNetworks ?? []).map((g) => g.name));
        const add: GuardedNetwork[] = [];
        for (const a of associations) {
          if (a.nsg !== rs.id.replace(/\[.*$/, '')) continue;
          const network = subnets.get(a.subnet);
          // A subnet written in this NSG's own file is placed by its parser already, with the span in that file.
          if (!network || have.has(network.name) || f.moduleNetworks?.subnets.some((s) => s.address === a.subnet)) continue;
          have.add(network.name);
          add.push(network);
        }
        if (add.length) out.set(rs, add);
      }
    }
  }
  return out;
}

/** The file a rule is written in: its own, or the one linking recorded. */
export function ruleFile(rule: Rule, owner: ParsedFile, files: readonly ParsedFile[]): ParsedFile {
  const uri = rule.meta?.[RULE_URI_META];
  if (!uri || uri === owner.uri) return owner;
  return files.find((f) => f.uri === uri) ?? owner;
}
