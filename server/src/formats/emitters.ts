import type { FormatId } from '../model';
import type { AllowRuleEmitter } from '../model/edits';
import { descriptorOf } from './descriptors';
import { leaderIn, type CommentedFile, type CommentSyntax } from './formatDescriptor';
import { FORMAT_MODULES } from './registry';

/**
 * The one writer per format (the registry's `emit`): quick fixes, "fix all"
 * and `generate` all go through it. A format without one gets no "Allow …" fix.
 */
export function emitterFor(format: FormatId): AllowRuleEmitter | undefined {
  return FORMAT_MODULES[format].emit;
}

/** citrix-flows.yaml, the topology file: YAML comments. */
const TOPOLOGY_COMMENTS: CommentSyntax = { line: '#' };

/** A format's comment syntax; `citrix-flows` is the YAML topology file. */
export function commentSyntaxOf(format: FormatId | 'citrix-flows'): CommentSyntax {
  return format === 'citrix-flows' ? TOPOLOGY_COMMENTS : descriptorOf(format).comments;
}

/**
 * The line-comment leader to write: into `source` when given (undefined when
 * that file takes no comment, see CommentSyntax.leaderIn), else the format's
 * own (a new file, a generated header).
 */
export function commentLeaderOf(format: FormatId | 'citrix-flows', source?: CommentedFile): string | undefined {
  const syntax = commentSyntaxOf(format);
  return source ? leaderIn(syntax, source) : syntax.line;
}

/** One comment line (without its line break) at `indent`: `  # citrix-role: vda`; undefined where no comment may go. */
export function commentLine(format: FormatId | 'citrix-flows', text: string, indent: string, source?: CommentedFile): string | undefined {
  const leader = commentLeaderOf(format, source);
  return leader === undefined ? undefined : `${indent}${leader} ${text.replace(/[\r\n]+/g, ' ')}`;
}
