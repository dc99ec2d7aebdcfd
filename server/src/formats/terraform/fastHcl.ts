import type { Comment, Span } from '../../model';
import type { HclAttribute, HclBlock, HclBody, HclDocument, HclExpr, HclLabel, TemplatePart, TraversalStep } from './hcl';

/**
 * A direct reader of well-formed HCL for the common shapes of Terraform
 * security configurations, producing exactly what the tree-sitter route in
 * hcl.ts produces. Going through tree-sitter costs a WebAssembly parse plus
 * a call across the boundary per node and per property; this reads the
 * characters once. Whatever it is not certain to read the same way
 * (operators, conditionals, for expressions, heredocs, template directives,
 * escapes, splats, parentheses, non-ASCII names, anything malformed) makes it
 * give up, and the caller parses with tree-sitter as before, so error
 * recovery and the rarer syntax stay with one implementation. The equality
 * of both routes is checked in test/unit/formats/terraform-fast.test.ts.
 */
export function parseHclFast(text: string): HclDocument | undefined {
  try {
    const r = new FastReader(text);
    const body = r.document();
    return { body, comments: r.comments, problems: [] };
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
  Bang = 33,
  Quote = 34,
  Hash = 35,
  Dollar = 36,
  Percent = 37,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Equals = 61,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Underscore = 95,
  LBrace = 123,
  RBrace = 125,
}

const isIdStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === C.Underscore;
const isIdPart = (c: number): boolean => isIdStart(c) || (c >= C.Zero && c <= C.Nine) || c === C.Minus;
const ID_START = /^\p{ID_Start}$/u;
const ID_CONTINUE = /^\p{ID_Continue}$/u;
const isDigit = (c: number): boolean => c >= C.Zero && c <= C.Nine;
/** Spacing beyond ASCII, which tree-sitter's `\s` also skips inside strings; left to it. */
const isOtherSpace = (c: number): boolean =>
  c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

class FastReader {
  readonly comments: Comment[] = [];
  private pos = 0;
  private readonly n: number;
  /** Lookahead re-reads the spacing after a value; a comment is recorded the first time only. */
  private commentsEnd = 0;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  private fail(): never {
    throw GIVE_UP;
  }

  private code(i: number): number {
    return i < this.n ? this.text.charCodeAt(i) : -1;
  }

  /** Skips spaces, tabs, carriage returns and comments; line feeds too when `newlines`. */
  private skip(newlines: boolean): void {
    const t = this.text;
    for (;;) {
      const c = this.code(this.pos);
      if (c === C.Space || c === C.Tab || c === C.CR || (newlines && c === C.LF)) {
        this.pos++;
      } else if (c === C.Hash || (c === C.Slash && this.code(this.pos + 1) === C.Slash)) {
        const start = this.pos;
        let end = t.indexOf('\n', start);
        if (end < 0) end = this.n;
        // The comment token runs to the line feed; its span stops before a trailing CR (as hcl.ts reports it).
        let spanEnd = end;
        while (spanEnd > start && t.charCodeAt(spanEnd - 1) === C.CR) spanEnd--;
        this.checkCommentText(start, end);
        if (start >= this.commentsEnd) {
          this.comments.push({ span: { start, end: spanEnd }, text: t.slice(start + (c === C.Hash ? 1 : 2), end).trim() });
          this.commentsEnd = end;
        }
        this.pos = end;
      } else if (c === C.Slash && this.code(this.pos + 1) === C.Star) {
        const start = this.pos;
        const close = t.indexOf('*/', start + 2);
        if (close < 0) this.fail();
        const end = close + 2;
        this.checkCommentText(start, end);
        if (start >= this.commentsEnd) {
          this.comments.push({ span: { start, end }, text: t.slice(start + 2, close).trim() });
          this.commentsEnd = end;
        }
        this.pos = end;
      } else if (c >= 0 && c < 32 && c !== C.LF) {
        this.fail();
      } else {
        return;
      }
    }
  }

  /** Control characters other than tab, CR and LF read differently in tree-sitter's lexer; leave them to it. */
  private checkCommentText(start: number, end: number): void {
    const t = this.text;
    for (let i = start; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c < 32 && c !== C.Tab && c !== C.CR && c !== C.LF) this.fail();
    }
  }

  document(): HclBody {
    const items: (HclAttribute | HclBlock)[] = [];
    // A byte-order mark is spacing to tree-sitter.
    if (this.code(0) === 0xfeff) this.pos = 1;
    for (;;) {
      this.skip(true);
      if (this.pos >= this.n) return { items };
      items.push(this.item());
    }
  }

  private identifier(): Span {
    const start = this.pos;
    let i = start;
    const first = this.code(i);
    if (isIdStart(first)) i++;
    else if (first >= 128) i += this.unicodeId(i, ID_START);
    else this.fail();
    if (i === start) this.fail();
    for (;;) {
      const c = this.code(i);
      if (isIdPart(c)) i++;
      else if (c >= 128) {
        const k = this.unicodeId(i, ID_CONTINUE);
        if (k === 0) break;
        i += k;
      } else break;
    }
    // `::` (provider functions): left to tree-sitter.
    if (this.code(i) === C.Colon && this.code(i + 1) === C.Colon) this.fail();
    this.pos = i;
    return { start, end: i };
  }

  /** Length in UTF-16 units of the identifier character at `i`, 0 when it is not one. */
  private unicodeId(i: number, re: RegExp): number {
    const cp = this.text.codePointAt(i) ?? 0;
    return re.test(String.fromCodePoint(cp)) ? (cp > 0xffff ? 2 : 1) : 0;
  }

  /** An attribute or a block; after it only a comment, a line feed, `}` or the end may follow on its line. */
  private item(): HclAttribute | HclBlock {
    const nameSpan = this.identifier();
    const name = this.text.slice(nameSpan.start, nameSpan.end);
    this.skip(false);
    const c = this.code(this.pos);
    let out: HclAttribute | HclBlock;
    if (c === C.Equals) {
      // `==` cannot start a value.
      if (this.code(this.pos + 1) === C.Equals) this.fail();
      this.pos++;
      this.skip(false);
      const expr = this.expression(false);
      out = { kind: 'attribute', name, nameSpan, expr, span: { start: nameSpan.start, end: expr.span.end }, hasError: false };
    } else {
      const labels: HclLabel[] = [];
      for (;;) {
        this.skip(true);
        const d = this.code(this.pos);
        if (d === C.Quote) {
          const start = this.pos;
          const value = this.plainString();
          labels.push({ value, span: { start, end: this.pos } });
        } else if (isIdStart(d)) {
          const s = this.identifier();
          labels.push({ value: this.text.slice(s.start, s.end), span: s });
        } else break;
      }
      if (this.code(this.pos) !== C.LBrace) this.fail();
      this.pos++;
      const items: (HclAttribute | HclBlock)[] = [];
      for (;;) {
        this.skip(true);
        const d = this.code(this.pos);
        if (d === C.RBrace) break;
        if (d < 0) this.fail();
        items.push(this.item());
      }
      this.pos++;
      out = { kind: 'block', type: name, typeSpan: nameSpan, labels, body: { items }, span: { start: nameSpan.start, end: this.pos }, hasError: false };
    }
    this.skip(false);
    const e = this.code(this.pos);
    if (e !== C.LF && e !== C.RBrace && e !== -1) this.fail();
    return out;
  }

  /**
   * A quoted string without interpolation, escapes or directives: its value
   * and nothing else (the caller knows the span). Anything else gives up.
   */
  private plainString(): string {
    const t = this.text;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = this.code(i);
      if (c === C.Quote) break;
      if (c < 32 || c === C.Backslash || isOtherSpace(c)) this.fail();
      if ((c === C.Dollar || c === C.Percent) && this.code(i + 1) === C.LBrace) this.fail();
      i++;
    }
    this.pos = i + 1;
    const [s, e] = this.trim(start, i);
    return t.slice(s, e);
  }

  /**
   * tree-sitter's HCL grammar skips spacing at either end of every literal
   * run in a string as if it were between tokens (`" x "` reads as "x"), so
   * this route does the same to give identical values and spans.
   */
  private trim(start: number, end: number): [number, number] {
    const t = this.text;
    while (start < end && t.charCodeAt(start) === C.Space) start++;
    while (end > start && t.charCodeAt(end - 1) === C.Space) end--;
    return [start, end];
  }

  /**
   * An expression. `nested`: inside brackets, braces or parentheses, where
   * line feeds are only spacing; outside them a value ends at its line.
   */
  private expression(nested: boolean): HclExpr {
    const expr = this.term(nested);
    this.skip(nested);
    const c = this.code(this.pos);
    // Operators and conditionals (and anything else that could continue the value) go to tree-sitter.
    if (c === C.Equals) {
      if (this.code(this.pos + 1) === C.Equals) this.fail();
    } else if (c === 63 || c === 43 || c === C.Minus || c === C.Star || c === C.Slash || c === C.Percent || c === 60 || c === 62 || c === C.Bang || c === 38 || c === 124) {
      this.fail();
    }
    return expr;
  }

  private term(nested: boolean): HclExpr {
    const start = this.pos;
    const c = this.code(start);
    let base: HclExpr;
    if (c === C.Quote) base = this.quoted();
    else if (isDigit(c)) base = this.number();
    else if (c === C.Minus) {
      // `-1`: the tree-sitter route folds a negated number literal into the literal.
      this.pos++;
      if (!isDigit(this.code(this.pos))) this.fail();
      const num = this.number();
      if (num.kind !== 'literal' || typeof num.value !== 'number') this.fail();
      base = { kind: 'literal', value: -num.value, span: { start, end: num.span.end } };
      // A suffix on a negated literal (`-1.x`) is a different tree.
      const d = this.code(this.pos);
      if (d === C.Dot || d === C.LBracket) this.fail();
      return base;
    } else if (c === C.LBracket) base = this.tuple();
    else if (c === C.LBrace) base = this.object();
    else if (isIdStart(c)) {
      const id = this.identifier();
      const name = this.text.slice(id.start, id.end);
      for (let k = id.start; k < id.end; k++) if (this.text.charCodeAt(k) === C.Minus) this.fail();
      if (name === 'for' || name === 'if' || name === 'in') this.fail();
      if (name === 'true' || name === 'false') base = { kind: 'literal', value: name === 'true', span: id };
      else if (name === 'null') base = { kind: 'literal', value: null, span: id };
      else {
        const save = this.pos;
        this.skip(nested);
        if (this.code(this.pos) === C.LParen) base = this.call(name, id);
        else {
          this.pos = save;
          base = { kind: 'traversal', root: name, rootSpan: id, steps: [], span: id };
        }
      }
    } else this.fail();
    return this.suffixes(base, start, nested);
  }

  /** `.attr`, `.0` and `[index]` after a term; splats give up. */
  private suffixes(base: HclExpr, start: number, nested: boolean): HclExpr {
    let steps: TraversalStep[] | undefined;
    for (;;) {
      const save = this.pos;
      this.skip(nested);
      const c = this.code(this.pos);
      if (c === C.Dot && this.code(this.pos + 1) !== C.Dot) {
        const stepStart = this.pos;
        this.pos++;
        this.skip(nested);
        const d = this.code(this.pos);
        if (d === C.Star) this.fail();
        if (isDigit(d)) {
          let i = this.pos;
          while (isDigit(this.code(i))) i++;
          if (isIdPart(this.code(i)) || this.code(i) >= 128 || (this.code(i) === C.Dot && isDigit(this.code(i + 1)))) this.fail();
          const span = { start: stepStart, end: i };
          (steps ??= []).push({ kind: 'index', key: { kind: 'literal', value: Number(this.text.slice(this.pos, i)), span }, span });
          this.pos = i;
        } else {
          const id = this.identifier();
          // `a.b-1` is one identifier to tree-sitter; whether that is what was meant is its call.
          for (let k = id.start; k < id.end; k++) if (this.text.charCodeAt(k) === C.Minus) this.fail();
          (steps ??= []).push({ kind: 'attr', name: this.text.slice(id.start, id.end), span: { start: stepStart, end: id.end } });
        }
      } else if (c === C.LBracket && (nested || save === this.pos)) {
        const stepStart = this.pos;
        this.pos++;
        this.skip(true);
        if (this.code(this.pos) === C.Star) this.fail();
        const key = this.expression(true);
        this.skip(true);
        if (this.code(this.pos) !== C.RBracket) this.fail();
        this.pos++;
        (steps ??= []).push({ kind: 'index', key, span: { start: stepStart, end: this.pos } });
      } else {
        this.pos = save;
        break;
      }
    }
    if (!steps) return base;
    const span = { start, end: this.pos };
    if (base.kind === 'traversal') return { ...base, steps: [...base.steps, ...steps], span };
    if (base.kind === 'unsupported') return { ...base, span };
    return { kind: 'traversal', root: '', rootSpan: base.span, steps: [{ kind: 'index', key: base, span: base.span }, ...steps], span };
  }

  private number(): HclExpr {
    const start = this.pos;
    let i = start;
    if (this.code(i) === C.Zero && (this.code(i + 1) === 120 || this.code(i + 1) === 88)) this.fail();
    while (isDigit(this.code(i))) i++;
    if (this.code(i) === C.Dot && isDigit(this.code(i + 1))) {
      i++;
      while (isDigit(this.code(i))) i++;
      const e = this.code(i);
      if (e === 101 || e === 69) this.fail();
    }
    const next = this.code(i);
    if (isIdPart(next) || next === C.Dot || next >= 128) this.fail();
    this.pos = i;
    return { kind: 'literal', value: Number(this.text.slice(start, i)), span: { start, end: i } };
  }

  /** A quoted string: a plain literal, or a template of literal chunks and `${ … }` interpolations. */
  private quoted(): HclExpr {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let parts: TemplatePart[] | undefined;
    let chunkStart = i;
    for (;;) {
      const c = this.code(i);
      if (c === C.Quote) break;
      if (c < 32 || c === C.Backslash || isOtherSpace(c)) this.fail();
      if (c === C.Percent && this.code(i + 1) === C.LBrace) this.fail();
      if (c === C.Dollar && this.code(i + 1) === C.LBrace) {
        // `$${` is an escape; `${~` a strip marker: both to tree-sitter.
        if (i > start + 1 && t.charCodeAt(i - 1) === C.Dollar) this.fail();
        parts ??= [];
        this.literalPart(parts, chunkStart, i);
        this.pos = i + 2;
        this.skip(true);
        if (this.code(this.pos) === 126) this.fail();
        const expr = this.expression(true);
        this.skip(true);
        if (this.code(this.pos) !== C.RBrace) this.fail();
        parts.push({ expr });
        i = chunkStart = this.pos + 1;
        continue;
      }
      i++;
    }
    this.pos = i + 1;
    const span = { start, end: this.pos };
    if (!parts) {
      const [s, e] = this.trim(start + 1, i);
      return { kind: 'literal', value: t.slice(s, e), span };
    }
    this.literalPart(parts, chunkStart, i);
    return { kind: 'template', parts, span };
  }

  private literalPart(parts: TemplatePart[], from: number, to: number): void {
    const [s, e] = this.trim(from, to);
    if (e > s) parts.push({ literal: this.text.slice(s, e), span: { start: s, end: e } });
  }

  /**
   * `[for … : …]` and `{for … : … => …}`: the tree-sitter route does not
   * evaluate them either, so only their extent and comments matter.
   */
  private forExpression(start: number, close: number): HclExpr | undefined {
    const save = this.pos;
    this.skip(true);
    const t = this.text;
    if (!(t.startsWith('for', this.pos) && (this.code(this.pos + 3) === C.Space || this.code(this.pos + 3) === C.Tab || this.code(this.pos + 3) === C.LF))) {
      this.pos = save;
      return undefined;
    }
    this.pos += 3;
    this.skip(true);
    this.identifier();
    this.skip(true);
    if (this.code(this.pos) === C.Comma) {
      this.pos++;
      this.skip(true);
      this.identifier();
      this.skip(true);
    }
    const inId = this.identifier();
    if (t.slice(inId.start, inId.end) !== 'in') this.fail();
    this.skip(true);
    this.expression(true);
    this.skip(true);
    if (this.code(this.pos) !== C.Colon) this.fail();
    this.pos++;
    this.skip(true);
    this.expression(true);
    this.skip(true);
    if (close === C.RBrace) {
      if (this.code(this.pos) !== C.Equals || this.code(this.pos + 1) !== 62) this.fail();
      this.pos += 2;
      this.skip(true);
      this.expression(true);
      this.skip(true);
      if (t.startsWith('...', this.pos)) {
        this.pos += 3;
        this.skip(true);
      }
    }
    if (t.startsWith('if', this.pos) && !isIdPart(this.code(this.pos + 2))) {
      this.pos += 2;
      this.skip(true);
      this.expression(true);
      this.skip(true);
    }
    if (this.code(this.pos) !== close) this.fail();
    this.pos++;
    return { kind: 'unsupported', what: 'a for expression', span: { start, end: this.pos } };
  }

  private tuple(): HclExpr {
    const start = this.pos;
    this.pos++;
    const forExpr = this.forExpression(start, C.RBracket);
    if (forExpr) return forExpr;
    const items: HclExpr[] = [];
    for (;;) {
      this.skip(true);
      const c = this.code(this.pos);
      if (c === C.RBracket) break;
      items.push(this.expression(true));
      this.skip(true);
      const d = this.code(this.pos);
      if (d === C.Comma) this.pos++;
      else if (d !== C.RBracket) this.fail();
    }
    this.pos++;
    return { kind: 'tuple', items, span: { start, end: this.pos } };
  }

  private object(): HclExpr {
    const start = this.pos;
    this.pos++;
    const forExpr = this.forExpression(start, C.RBrace);
    if (forExpr) return forExpr;
    const entries: { key: HclExpr; value: HclExpr }[] = [];
    for (;;) {
      this.skip(true);
      const c = this.code(this.pos);
      if (c === C.RBrace) break;
      if (c === C.Comma) {
        // Only one optional comma between elements; a leading or doubled comma is an error.
        if (entries.length === 0) this.fail();
        this.pos++;
        this.skip(true);
        if (this.code(this.pos) === C.Comma) this.fail();
        continue;
      }
      const key = this.expression(true);
      this.skip(true);
      const sep = this.code(this.pos);
      if (sep !== C.Equals && sep !== C.Colon) this.fail();
      if (sep === C.Equals && (this.code(this.pos + 1) === C.Equals || this.code(this.pos + 1) === 62)) this.fail();
      this.pos++;
      this.skip(true);
      const value = this.expression(true);
      entries.push({ key, value });
    }
    this.pos++;
    return { kind: 'object', entries, span: { start, end: this.pos } };
  }

  private call(name: string, id: Span): HclExpr {
    this.pos++;
    const args: HclExpr[] = [];
    let expandLast = false;
    for (;;) {
      this.skip(true);
      const c = this.code(this.pos);
      if (c === C.RParen) break;
      if (args.length && !expandLast && c === C.Dot) {
        if (this.code(this.pos + 1) !== C.Dot || this.code(this.pos + 2) !== C.Dot) this.fail();
        this.pos += 3;
        expandLast = true;
        continue;
      }
      if (expandLast) this.fail();
      args.push(this.expression(true));
      this.skip(true);
      const d = this.code(this.pos);
      if (d === C.Comma) {
        this.pos++;
        this.skip(true);
        // `f(a, ...)` is not HCL; `f(a,)` is.
        if (this.code(this.pos) === C.Dot) this.fail();
      } else if (d !== C.RParen && d !== C.Dot) this.fail();
    }
    this.pos++;
    return { kind: 'call', name, args, expandLast, span: { start: id.start, end: this.pos } };
  }
}
