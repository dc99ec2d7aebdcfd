import { SyntaxNode } from './tree';

/**
 * A direct reader of well-formed Bicep for the common shapes of NSG files,
 * producing exactly the tree the tree-sitter route produces (tree.ts
 * `plainTree`): params with primitive types, vars, resources with object
 * bodies, decorators, objects, arrays, strings with interpolation, numbers,
 * booleans, null, identifiers, member access and calls. Going through
 * tree-sitter costs a WebAssembly parse plus the copy of every node across
 * the boundary; this reads the characters once. Whatever it is not certain
 * to read the same way (operators, conditionals, loops, subscripts, escapes,
 * multi-line strings, spacing-only string pieces, types beyond the
 * primitive ones, modules, outputs, anything malformed) makes it give up, and
 * the caller parses with tree-sitter as before, so error recovery and the
 * rarer syntax stay with one implementation. Both routes are compared on
 * every fixture, example and fuzz input in test/unit/formats/bicep-fast.test.ts.
 */
export function parseBicepFast(text: string): SyntaxNode | undefined {
  try {
    return new FastReader(text).document();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

const GIVE_UP: unique symbol = Symbol('give up');

const enum C {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Hash = 35,
  Dollar = 36,
  Quote = 39,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Colon = 58,
  Equals = 61,
  At = 64,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Underscore = 95,
  LBrace = 123,
  RBrace = 125,
}

const isIdStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === C.Underscore;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdPart = (c: number): boolean => isIdStart(c) || isDigit(c);
const isSpace = (c: number): boolean =>
  c === C.Space || c === C.Tab || c === C.LF || c === C.CR || c === 11 || c === 12 ||
  c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

/** Words the grammar reads as keywords (or keyword identifiers): as a value, a property name after `.` or a declared name they may parse differently. */
const KEYWORDS = new Set([
  'if', 'for', 'in', 'true', 'false', 'null', 'module', 'import', 'provider', 'metadata', 'output', 'param', 'resource', 'existing', 'type', 'var',
  'array', 'bool', 'int', 'object', 'secureObject', 'secureString', 'string', 'func', 'targetScope', 'using', 'extension', 'with', 'as', 'test', 'assert',
]);
const PRIMITIVE_TYPES = new Set(['array', 'bool', 'int', 'object', 'string']);
const MEMBER_PARENT_FIELDS = ['object', undefined, 'property'];
const CALL_FIELDS = ['function', 'arguments'];

class FastReader {
  private pos = 0;
  private readonly n: number;
  /** Comments read since the last token, waiting for the node that holds both their neighbours. */
  private pending: SyntaxNode[] = [];

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  private fail(): never {
    throw GIVE_UP;
  }

  private code(i: number): number {
    return i < this.n ? this.text.charCodeAt(i) : -1;
  }

  private node(type: string, children: SyntaxNode[], fields?: (string | undefined)[]): SyntaxNode {
    const node = new SyntaxNode(this.text, type, children[0].startIndex, children[children.length - 1].endIndex, true, false, children);
    if (fields) node.fields = fields;
    return node;
  }

  /**
   * Skips spacing and comments. A comment becomes a child of the lowest node
   * holding the tokens on both sides of it (tree-sitter keeps trailing extras
   * out of a node when it reduces it), which is the node whose next child the
   * reader appends next: `flush` puts them there.
   */
  private trivia(): void {
    const t = this.text;
    for (;;) {
      const c = this.code(this.pos);
      if (c === C.Space || c === C.Tab || c === C.LF || c === C.CR) {
        this.pos++;
      } else if (c === C.Slash && this.code(this.pos + 1) === C.Slash) {
        const start = this.pos;
        let end = t.indexOf('\n', start);
        if (end < 0) end = this.n;
        // A backslash continues a `//` comment onto the next line in the grammar; leave that to tree-sitter.
        for (let i = start + 2; i < end; i++) if (t.charCodeAt(i) === C.Backslash) this.fail();
        this.pending.push(new SyntaxNode(t, 'comment', start, end, true, false));
        this.pos = end;
      } else if (c === C.Slash && this.code(this.pos + 1) === C.Star) {
        const start = this.pos;
        const close = t.indexOf('*/', start + 2);
        if (close < 0) this.fail();
        this.pending.push(new SyntaxNode(t, 'comment', start, close + 2, true, false));
        this.pos = close + 2;
      } else if (c === -1 || c > C.Space || c === C.Hash) {
        if (c === C.Hash || (c > 127 && isSpace(c))) this.fail();
        return;
      } else {
        this.fail();
      }
    }
  }

  private flush(children: SyntaxNode[]): void {
    if (this.pending.length === 0) return;
    for (const c of this.pending) children.push(c);
    this.pending = [];
  }

  /** Appends the anonymous token `type` (which is the text at the current position). */
  private token(children: SyntaxNode[], type: string): void {
    if (!this.text.startsWith(type, this.pos)) this.fail();
    this.flush(children);
    children.push(new SyntaxNode(this.text, type, this.pos, this.pos + type.length, false, false));
    this.pos += type.length;
  }

  private expect(children: SyntaxNode[], type: string): void {
    this.trivia();
    this.token(children, type);
  }

  private word(): string {
    const start = this.pos;
    if (!isIdStart(this.code(start))) this.fail();
    let i = start + 1;
    while (isIdPart(this.code(i))) i++;
    if (this.code(i) === C.Star) this.fail();
    return this.text.slice(start, i);
  }

  private identifier(children: SyntaxNode[], type = 'identifier'): SyntaxNode {
    this.trivia();
    const w = this.word();
    if (KEYWORDS.has(w)) this.fail();
    this.flush(children);
    const node = new SyntaxNode(this.text, type, this.pos, this.pos + w.length, true, false);
    this.pos += w.length;
    children.push(node);
    return node;
  }

  document(): SyntaxNode {
    const children: SyntaxNode[] = [];
    // tree-sitter skips a byte-order mark at the start.
    if (this.code(0) === 0xfeff) this.pos = 1;
    for (;;) {
      this.trivia();
      if (this.pos >= this.n) break;
      this.flush(children);
      if (this.code(this.pos) === C.At) {
        children.push(this.decorators());
        continue;
      }
      const w = this.word();
      if (w === 'param') children.push(this.param());
      else if (w === 'var') children.push(this.variable());
      else if (w === 'resource') children.push(this.resource());
      else this.fail();
    }
    this.flush(children);
    // The root starts at its first token and ends at the end of the text; an input without tokens is left to tree-sitter.
    if (children.length === 0) this.fail();
    return new SyntaxNode(this.text, 'infrastructure', children[0].startIndex, this.n, true, false, children);
  }

  private decorators(): SyntaxNode {
    const children: SyntaxNode[] = [];
    for (;;) {
      const d: SyntaxNode[] = [];
      this.token(d, '@');
      const fn: SyntaxNode[] = [];
      this.identifier(fn);
      if (this.code(this.pos) !== C.LParen) this.fail();
      fn.push(this.args());
      this.noPostfix();
      d.push(this.node('call_expression', fn, CALL_FIELDS));
      children.push(this.node('decorator', d));
      this.trivia();
      if (this.code(this.pos) !== C.At) break;
      this.flush(children);
    }
    return this.node('decorators', children);
  }

  private param(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, 'param');
    this.identifier(ch);
    this.trivia();
    const w = this.word();
    if (!PRIMITIVE_TYPES.has(w)) this.fail();
    this.flush(ch);
    const kw = new SyntaxNode(this.text, w, this.pos, this.pos + w.length, false, false);
    this.pos += w.length;
    ch.push(this.node('type', [this.node('primitive_type', [kw])]));
    this.trivia();
    if (this.code(this.pos) === C.Equals) {
      this.token(ch, '=');
      this.value(ch, false);
    }
    return this.node('parameter_declaration', ch);
  }

  private variable(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, 'var');
    this.identifier(ch);
    this.expect(ch, '=');
    this.value(ch, false);
    return this.node('variable_declaration', ch);
  }

  private resource(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, 'resource');
    this.identifier(ch);
    this.trivia();
    if (this.code(this.pos) !== C.Quote) this.fail();
    this.flush(ch);
    ch.push(this.string());
    this.trivia();
    if (this.code(this.pos) !== C.Equals) this.token(ch, 'existing');
    this.expect(ch, '=');
    this.trivia();
    if (this.code(this.pos) !== C.LBrace) this.fail();
    this.flush(ch);
    ch.push(this.object());
    return this.node('resource_declaration', ch);
  }

  /** One expression appended to `children`. `inList`: between array items a leading minus could be an operator. */
  private value(children: SyntaxNode[], inList: boolean): void {
    this.trivia();
    const c = this.code(this.pos);
    let node: SyntaxNode;
    if (c === C.Quote) {
      this.flush(children);
      node = this.string();
    } else if (c === C.LBrace) {
      this.flush(children);
      node = this.object();
    } else if (c === C.LBracket) {
      this.flush(children);
      node = this.array();
    } else if (isDigit(c) || (c === C.Minus && !inList && isDigit(this.code(this.pos + 1)))) {
      this.flush(children);
      const start = this.pos;
      let i = start + 1;
      while (isDigit(this.code(i))) i++;
      if (isIdPart(this.code(i)) || this.code(i) === C.Dot) this.fail();
      node = new SyntaxNode(this.text, 'number', start, i, true, false);
      this.pos = i;
    } else if (isIdStart(c)) {
      const w = this.word();
      this.flush(children);
      const start = this.pos;
      this.pos += w.length;
      if (w === 'true' || w === 'false') {
        node = new SyntaxNode(this.text, 'boolean', start, this.pos, true, false, [new SyntaxNode(this.text, w, start, this.pos, false, false)]);
      } else if (w === 'null') {
        node = new SyntaxNode(this.text, 'null', start, this.pos, true, false);
      } else {
        if (KEYWORDS.has(w)) this.fail();
        node = new SyntaxNode(this.text, 'identifier', start, this.pos, true, false);
        if (this.code(this.pos) === C.LParen) node = this.node('call_expression', [node, this.args()], CALL_FIELDS);
        while (this.code(this.pos) === C.Dot) {
          const m: SyntaxNode[] = [node];
          this.token(m, '.');
          const p = this.word();
          if (KEYWORDS.has(p)) this.fail();
          m.push(new SyntaxNode(this.text, 'property_identifier', this.pos, this.pos + p.length, true, false));
          this.pos += p.length;
          node = this.node('member_expression', m, MEMBER_PARENT_FIELDS);
          if (this.code(this.pos) === C.LParen) this.fail();
        }
      }
    } else {
      this.fail();
    }
    this.noPostfix();
    children.push(node);
  }

  /** Subscripts, non-null assertions, safe access and `:` right after a value are left to tree-sitter. */
  private noPostfix(): void {
    const c = this.code(this.pos);
    if (c === C.LBracket || c === 33 /* ! */ || c === 63 /* ? */ || c === C.LParen || c === C.Dot || c === C.Colon || c === C.Quote) this.fail();
  }

  private args(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, '(');
    this.trivia();
    if (this.code(this.pos) === C.RParen) {
      this.token(ch, ')');
      return this.node('arguments', ch);
    }
    for (;;) {
      this.value(ch, false);
      this.trivia();
      const c = this.code(this.pos);
      if (c === C.Comma) this.token(ch, ',');
      else if (c === C.RParen) {
        this.token(ch, ')');
        return this.node('arguments', ch);
      } else this.fail();
    }
  }

  private object(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, '{');
    for (;;) {
      this.trivia();
      const c = this.code(this.pos);
      if (c === C.RBrace) {
        this.token(ch, '}');
        return this.node('object', ch);
      }
      if (c === C.Comma) {
        // A comma only separates properties: never first, never doubled.
        const last = ch[ch.length - 1];
        if (last.type !== 'object_property') this.fail();
        this.token(ch, ',');
        continue;
      }
      this.flush(ch);
      const p: SyntaxNode[] = [];
      if (c === C.Quote) p.push(this.string());
      else {
        const w = this.word();
        if (w === 'true' || w === 'false' || w === 'null' || w === 'for' || w === 'in') this.fail();
        p.push(new SyntaxNode(this.text, 'identifier', this.pos, this.pos + w.length, true, false));
        this.pos += w.length;
      }
      this.expect(p, ':');
      this.value(p, false);
      ch.push(this.node('object_property', p));
    }
  }

  private array(): SyntaxNode {
    const ch: SyntaxNode[] = [];
    this.token(ch, '[');
    for (;;) {
      this.trivia();
      const c = this.code(this.pos);
      if (c === C.RBracket) {
        this.token(ch, ']');
        return this.node('array', ch);
      }
      if (c === C.Comma) {
        const last = ch[ch.length - 1];
        if (!last.isNamed || last.type === 'comment') this.fail();
        this.token(ch, ',');
        continue;
      }
      this.value(ch, true);
    }
  }

  private string(): SyntaxNode {
    const t = this.text;
    const ch: SyntaxNode[] = [];
    if (t.startsWith("'''", this.pos)) this.fail();
    this.token(ch, "'");
    for (;;) {
      const c = this.code(this.pos);
      if (c === C.Quote) {
        this.token(ch, "'");
        return this.node('string', ch);
      }
      if (c === C.Dollar) {
        if (this.code(this.pos + 1) !== C.LBrace) this.fail();
        const ip: SyntaxNode[] = [];
        this.token(ip, '${');
        this.value(ip, false);
        this.expect(ip, '}');
        ch.push(this.node('interpolation', ip));
        continue;
      }
      const start = this.pos;
      let i = start;
      let spacing = true;
      for (;;) {
        const d = this.code(i);
        if (d === C.Quote || d === C.Dollar) break;
        if (d === -1 || d === C.Backslash || d === C.Hash || d === C.LF || d === C.CR) this.fail();
        // A comment opener inside a string is read as a comment by the grammar's lexer.
        if (d === C.Slash && (this.code(i + 1) === C.Slash || this.code(i + 1) === C.Star)) this.fail();
        if (d < 32 || d === 127) this.fail();
        if (spacing && !isSpace(d)) spacing = false;
        i++;
      }
      // Spacing alone between the quotes and interpolations is skipped as extras by tree-sitter.
      if (spacing) this.fail();
      ch.push(new SyntaxNode(t, 'string_content', start, i, true, false));
      this.pos = i;
    }
  }
}
