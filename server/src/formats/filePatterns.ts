/**
 * Which files say "this workspace has firewall rules" before anything is
 * parsed. The extension's activation events, the client's start decision and
 * its file watcher are all derived from these lists (a test holds
 * package.json equal to them), so that a repository without any of them
 * never starts the language server.
 *
 * - CLAIMED: names detectFormat reads as a format whatever the content
 *   (`.tf`, `.bicep`, `rules.v4`, …): finding one starts the server.
 * - CANDIDATES: names that often hold rules but are shared with other tools
 *   (udev `.rules`, `deploy-firewall.sh`, `azuredeploy.json`): they activate
 *   the extension, whose client sniffs their first bytes with detectFormat
 *   and starts the server only if one is recognised.
 *
 * Generic languages (JSON, YAML, shell, PowerShell, batch) are deliberately
 * not activation events: every repository has such files. A document of any
 * language opened while the extension is active is sniffed the same way.
 */
export const TOPOLOGY_GLOB = '**/citrix-flows.yaml';

export const CLAIMED_GLOBS: readonly string[] = [
  '**/*.tf',
  '**/*.bicep',
  '**/*.nft',
  '**/nftables.conf',
  '**/*.iptables',
  '**/rules.v4',
  '**/rules.v6',
  '**/*iptables*.rules',
  '**/*ip6tables*.rules',
  '**/iptables/*.rules',
  '**/sysconfig/iptables',
  '**/sysconfig/ip6tables',
  '**/*.asa',
  '**/ns.conf',
];

export const CANDIDATE_GLOBS: readonly string[] = [
  '**/*.rules',
  '**/*{firewall,Firewall,FIREWALL,iptables,nftables,netfilter}*',
  '**/*{nsg,Nsg,NSG}*.json',
  '**/azuredeploy*.json',
  '**/*[tT]emplate*.json',
  '**/*running-config*',
  // CloudFormation: Citrix's and AWS's quick starts name them *.template, *.template.yaml, cft-*.yaml.
  '**/*.template',
  '**/*[tT]emplate*.{yaml,yml}',
  '**/*{cloudformation,CloudFormation,cfn,cft,CFT}*.{yaml,yml,json}',
];

/** Our own languages (package.json `contributes.languages`) and the two VS Code gets from other extensions; a document in one of them is ours. */
export const OWN_LANGUAGES: readonly string[] = ['terraform', 'bicep', 'iptables', 'nftables', 'cisco-asa', 'netscaler'];

/** package.json `activationEvents`, in this order. */
export function activationEvents(): string[] {
  return [
    ...OWN_LANGUAGES.map((l) => `onLanguage:${l}`),
    `workspaceContains:${TOPOLOGY_GLOB}`,
    ...CLAIMED_GLOBS.map((g) => `workspaceContains:${g}`),
    ...CANDIDATE_GLOBS.map((g) => `workspaceContains:${g}`),
  ];
}

/** Folders a workspace search skips, as the server's scan does. */
export const SKIPPED_FOLDERS_GLOB = '**/{node_modules,.git,.terraform,.venv,dist,out,.cache,__pycache__}/**';
