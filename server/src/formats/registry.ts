import type { FormatId, Parser } from '../model';
import type { AllowRuleEmitter } from '../model/edits';
import { FORMAT_DESCRIPTORS } from './descriptors';
import type { FormatDescriptor } from './formatDescriptor';
import { armFormat } from './arm/format';
import { parseArm } from './arm';
import { emitAllowRules as emitArm } from './arm/emit';
import { asaFormat } from './asa/format';
import { parseAsa } from './asa';
import { emitAllowRules as emitAsa } from './asa/emit';
import { bicepFormat } from './bicep/format';
import { parseBicep } from './bicep';
import { emitAllowRules as emitBicep } from './bicep/emit';
import { cloudExportFormat } from './cloud-export/format';
import { terraformPlanFormat } from './terraform-plan/format';
import { parseTerraformPlan } from './terraform-plan';
import { parseCloudExport } from './cloud-export';
import { cloudformationFormat } from './cloudformation/format';
import { parseCloudFormation } from './cloudformation';
import { emitAllowRules as emitCloudFormation } from './cloudformation/emit';
import { firewalldFormat } from './firewalld/format';
import { parseFirewalld } from './firewalld';
import { emitAllowRules as emitFirewalld } from './firewalld/emit';
import { iptablesFormat } from './iptables/format';
import { parseIptables } from './iptables';
import { emitAllowRules as emitIptables } from './iptables/emit';
import { netscalerFormat } from './netscaler/format';
import { parseNetscaler } from './netscaler';
import { emitAllowRules as emitNetscaler } from './netscaler/emit';
import { nftablesFormat } from './nftables/format';
import { parseNftables } from './nftables';
import { emitAllowRules as emitNftables } from './nftables/emit';
import { terraformFormat } from './terraform/format';
import { parseTerraform } from './terraform';
import { emitAllowRules as emitTerraform } from './terraform/emit';
import { ufwFormat } from './ufw/format';
import { parseUfw } from './ufw';
import { emitAllowRules as emitUfw } from './ufw/emit';
import { windowsFirewallFormat } from './windows-firewall/format';
import { parseWindowsFirewall } from './windows-firewall';
import { emitAllowRules as emitWindowsFirewall } from './windows-firewall/emit';

/**
 * A format as the engine sees it: its descriptor (names, languages, files,
 * comments) with the code that reads and writes it. `emit` writes allow
 * rules in the format's own style for quick fixes, "fix all" and `generate`;
 * a format without one gets no "Allow …" fix.
 */
export interface FormatModule extends FormatDescriptor {
  readonly id: FormatId;
  readonly parse: Parser;
  readonly emit?: AllowRuleEmitter;
}

/** One entry per id of descriptors.ts: leaving one out (or adding one not there) does not compile. */
export const FORMAT_MODULES: { readonly [K in FormatId]: FormatModule & { readonly id: K } } = {
  terraform: { ...terraformFormat, parse: parseTerraform, emit: emitTerraform },
  bicep: { ...bicepFormat, parse: parseBicep, emit: emitBicep },
  arm: { ...armFormat, parse: parseArm, emit: emitArm },
  iptables: { ...iptablesFormat, parse: parseIptables, emit: emitIptables },
  nftables: { ...nftablesFormat, parse: parseNftables, emit: emitNftables },
  asa: { ...asaFormat, parse: parseAsa, emit: emitAsa },
  'windows-firewall': { ...windowsFirewallFormat, parse: parseWindowsFirewall, emit: emitWindowsFirewall },
  cloudformation: { ...cloudformationFormat, parse: parseCloudFormation, emit: emitCloudFormation },
  netscaler: { ...netscalerFormat, parse: parseNetscaler, emit: emitNetscaler },
  // Computed from the source or exported from the cloud: the finding says which source to change instead of editing this file.
  'terraform-plan': { ...terraformPlanFormat, parse: parseTerraformPlan },
  'cloud-export': { ...cloudExportFormat, parse: parseCloudExport },
  firewalld: { ...firewalldFormat, parse: parseFirewalld, emit: emitFirewalld },
  ufw: { ...ufwFormat, parse: parseUfw, emit: emitUfw },
};

/** The modules in registry order (the order detection tries them). */
export const FORMAT_LIST: readonly FormatModule[] = FORMAT_DESCRIPTORS.map((d) => FORMAT_MODULES[d.id]);

export function formatModule(id: FormatId): FormatModule {
  return FORMAT_MODULES[id];
}
