import type { CheckDefinition } from './types';

export const unparsedRule: CheckDefinition = {
  id: 'unparsed-rule',
  title: 'Rule not understood',
  summary: 'A line or block the parser could not read; its effect on flows is not known.',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: false,
  run(context) {
    return context.files.flatMap((file) =>
      file.problems
        .filter((p) => p.code === 'unparsed-rule' || p.code === 'syntax-error' || p.code === 'limit')
        .map((p) => ({
          checkId: 'unparsed-rule',
          uri: file.uri,
          span: p.span,
          message: p.message,
          data: { problem: p.code },
        })),
    );
  },
};
