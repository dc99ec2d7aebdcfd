/**
 * What the editor, the client and the docs need to know about a format before
 * any of it is parsed. Each format folder has one `format.ts` of this shape,
 * with no import that pulls a parser in: the client bundles these (through
 * `descriptors.ts`) to decide whether to start the server, so they must stay
 * plain data and small predicates.
 */
export interface FormatDescriptor {
  readonly id: string;
  /** "Cisco ASA", "ARM template": how messages and the status item name the format. */
  readonly name: string;
  readonly languages: {
    /** Language ids a document is this format in, whatever its content (ours in package.json, or another extension's). */
    readonly claimed: readonly string[];
    /** Of those, the ones this extension contributes (package.json `contributes.languages`, with a grammar in syntaxes/). */
    readonly contributed: readonly string[];
    /** Shared language ids whose documents may hold this format: the client hands them to the server, which sniffs them. */
    readonly sniffed: readonly string[];
  };
  readonly files: {
    /** Globs detectFormat reads as this format whatever the content; finding one starts the server. */
    readonly claimed: readonly string[];
    /** Globs that often hold this format but are shared with other tools: they activate the extension, and their first bytes decide. */
    readonly candidates: readonly string[];
  };
  readonly comments: CommentSyntax;
}

/** What a comment-writing edit (a suppression, a role annotation, a generated file's header) needs. */
export interface CommentSyntax {
  /** The format's line-comment leader when it has one (`#`, `//`, `!`). */
  readonly line: string | undefined;
  /**
   * The leader to write into this file, or undefined when a comment would
   * break it (a JSON CloudFormation template, an ARM template whose toolchain
   * we cannot know accepts comments). Defaults to `line`.
   */
  readonly leaderIn?: (file: CommentedFile) => string | undefined;
}

export interface CommentedFile {
  readonly uri: string;
  readonly text: string;
  /** The comments the parser found, when the file was parsed. */
  readonly comments?: readonly unknown[];
}

/** The leader to write into `file` in this syntax (see CommentSyntax.leaderIn). */
export function leaderIn(syntax: CommentSyntax, file: CommentedFile): string | undefined {
  return syntax.leaderIn ? syntax.leaderIn(file) : syntax.line;
}
