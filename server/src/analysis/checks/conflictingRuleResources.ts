import type { Rule, RuleSet, Span } from '../../model';
import { RULE_URI_META } from '../link';
import type { CheckDefinition } from './types';

/**
 * Providers that manage a group's rules either inline or as separate
 * resources, never both: each `terraform apply` then rewrites the rules the
 * other way defined. Their documentation says so:
 * - azurerm_network_security_group: "you cannot use a Network Security Group
 *   with in-line Network Security Rules in conjunction with any Network
 *   Security Rule resources. Doing so will cause a conflict of rule settings
 *   and will overwrite rules."
 * - aws_security_group: in-line ingress/egress "in conjunction with the
 *   aws_vpc_security_group_egress_rule and aws_vpc_security_group_ingress_rule
 *   resources or the aws_security_group_rule resource … may cause rule
 *   conflicts, perpetual differences, and result in rules being overwritten."
 */
const PROVIDERS: Readonly<Record<string, { name: string; inline: string; separate: string; fix: string }>> = {
  azurerm_network_security_group: {
    name: 'azurerm',
    inline: 'inline security_rule blocks',
    separate: 'azurerm_network_security_rule',
    fix: 'Move this rule into the NSG as a security_rule block, or every inline rule out into azurerm_network_security_rule resources',
  },
  aws_security_group: {
    name: 'aws',
    inline: 'inline ingress/egress blocks',
    separate: 'aws_security_group_rule / aws_vpc_security_group_*_rule',
    fix: 'Move this rule into the security group as an ingress/egress block, or every inline rule out into rule resources',
  },
};

/** The first line of a resource block: where the squiggle goes, not over its fifteen lines. */
function headerSpan(text: string, span: Span): Span {
  const eol = text.indexOf('\n', span.start);
  const end = eol < 0 || eol > span.end ? span.end : eol;
  return { start: span.start, end: text[end - 1] === '\r' ? end - 1 : end };
}

const isInline = (r: Rule): boolean => (r.meta?.style ?? '').startsWith('inline');
const isSeparate = (r: Rule): boolean => r.meta?.ruleAddress !== undefined;

export const conflictingRuleResources: CheckDefinition = {
  id: 'conflicting-rule-resources',
  title: 'Inline rules and rule resources on one group',
  summary: 'A Terraform NSG or security group has inline rules and separate rule resources at once, which its provider documents as conflicting: each apply overwrites one with the other.',
  defaultSeverity: 'error',
  scope: 'workspace',
  needsRoles: false,
  run(context) {
    const out = [];
    const textOf = new Map((context.allFiles ?? context.files).map((f) => [f.uri, f.text]));
    for (const file of context.files) {
      if (file.format !== 'terraform') continue;
      for (const ruleSet of file.ruleSets as readonly RuleSet[]) {
        const provider = PROVIDERS[ruleSet.meta?.resourceType ?? ''];
        if (!provider) continue;
        const inline = ruleSet.rules.filter(isInline);
        const separate = ruleSet.rules.filter(isSeparate);
        if (inline.length === 0 || separate.length === 0) continue;
        const groupName = ruleSet.meta?.nsgName ?? ruleSet.name;
        for (const rule of separate) {
          const uri = rule.meta?.[RULE_URI_META] ?? file.uri;
          const text = textOf.get(uri) ?? file.text;
          out.push({
            checkId: 'conflicting-rule-resources',
            uri,
            span: headerSpan(text, rule.span),
            message:
              // The verdict first, short enough for the Problems panel; which provider rule and the way out follow.
              `Conflicts with the ${provider.inline} of ${groupName}: each apply overwrites one with the other. ` +
              `The ${provider.name} provider documents that inline rules and ${provider.separate} resources conflict. ${provider.fix}.`,
            related: inline.slice(0, 1).map((r) => ({ uri: file.uri, span: headerSpan(file.text, r.span), message: `an inline rule of ${groupName}` })),
            data: { ruleSetId: ruleSet.id, ruleId: rule.id },
          });
        }
      }
    }
    return out;
  },
};
