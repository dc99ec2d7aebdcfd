import type { CheckDefinition } from './types';

/**
 * Every parse problem of every file becomes a finding, so the editor, the
 * text, JSON and SARIF reports all show the same problems, each on its line
 * (`files[].parseProblems` in the JSON report counts exactly these). What
 * the parser could not read is `unparsed-rule`; a value it could not resolve
 * is `unresolved-value`, so one setting turns each kind off. A problem the
 * parser graded as information stays information.
 */
export const unparsedRule: CheckDefinition = {
  id: 'unparsed-rule',
  title: 'Rule not understood',
  summary: 'A line or block the parser could not read; its effect on flows is not known.',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: false,
  run(context) {
    return context.files.flatMap((file) =>
      file.problems.map((p) =>
        p.code === 'unresolved-value'
          ? { checkId: 'unresolved-value', severity: p.severity, uri: file.uri, span: p.span, message: p.message, data: { problem: p.code } }
          : {
              checkId: 'unparsed-rule',
              ...(p.severity === 'info' ? { severity: 'info' as const } : {}),
              uri: file.uri,
              span: p.span,
              message: p.message,
              data: { problem: p.code },
            },
      ),
    );
  },
};
