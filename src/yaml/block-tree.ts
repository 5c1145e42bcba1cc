// The tree of a plain block-style graph file, read line by line without js-yaml: the fast path
// for the files generators write (and most people too). js-yaml's parser alone costs more than
// the whole load may, as its event stream is a hundred thousand objects for 10 000 resources;
// here each line is looked at once and its line number is known for free.
//
// It takes only a subset of YAML whose meaning is plain (below), and answers undefined for
// anything else, for which parseTree asks js-yaml: every error, every hostile input and every
// feature beyond the subset goes the way it went before. block-tree.test.ts checks that
// wherever this reads a text, the tree is the one the js-yaml path builds.
//
// The subset, all of it in one document at column 0:
// - lines end in "\n"; no tab, CR, BOM, control or surrogate character anywhere; blank lines
//   and whole-line comments anywhere;
// - block mappings, one `key: value` or `key:` a line, keys of letters, digits, `_ . / -`
//   (starting with a letter, digit or `_`) that YAML reads as strings, distinct in a mapping;
// - block sequences of `- value` or `- key: value` (a mapping that goes on below, aligned);
// - a value on the key's line: a plain scalar on one line (no `: `, no trailing `:`, not
//   starting with an indicator), a single- or double-quoted scalar closed on the same line
//   (double-quoted escapes as JSON has them), `[]` or `{}`; each may be followed by a comment;
// - a value below its key: a mapping or a sequence indented more (a sequence also at the key's
//   own indentation), or nothing at all (null).
import { CORE_SCHEMA } from 'js-yaml';
import { exact, KeptStrings, SMALL_MAP, unshared } from './kept-strings.js';
import type { YEntry, YMap, YNode, YScalar, YSeq } from './tree.js';

/**
 * Characters that send a text to js-yaml wherever they are: tab and CR (indentation and line
 * rules this walk does not follow), the characters YAML refuses to read (C0, DEL, C1, BOM,
 * U+FFFE/U+FFFF), surrogates (js-yaml's own check for lone ones decides there) and the line and
 * paragraph separators (line breaks to YAML 1.1, not to 1.2: no doubt allowed here).
 */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const OUTSIDE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]/;

/** Deeper than this goes to js-yaml, which has the depth limit and its message. */
const MAX_DEPTH = 32;

/** A longer key goes to js-yaml, which refuses implicit keys longer than 1024 characters. */
const MAX_KEY = 1000;

/** Thrown to give up; one instance, so giving up costs no stack trace. */
const OUT = new Error('outside the block subset');

/**
 * Where the walk may hand over the lists of `resources:` (the lists of the top-level mapping's
 * `resources` mapping) item by item as it reads them: `lists(kind)` gives a reader for the
 * kind's items, which then do not stay in the tree (its list is left empty), or undefined to
 * keep them there. When the text turns out to be outside the subset, what the readers were
 * given is to be forgotten: js-yaml reads the text again.
 */
export type ListReaders = (kind: string) => ((item: YNode, index: number) => void) | undefined;

/** The tree of `text` when it is in the subset above, else undefined. Never throws. */
export function blockTree(text: string, lists?: ListReaders): YNode | undefined {
  if (OUTSIDE.test(text)) return undefined;
  try {
    const walk = new BlockWalk(text, lists);
    if (walk.indent !== 0) return undefined; // an empty file, or an indented root
    return walk.map(0, 1); // which ends only at the text's end: no line is left of column 0
  } catch (err) {
    if (err === OUT) return undefined;
    throw err;
  }
}

/** Whether one of the first `n` entries has `key` (a small mapping's check for a repeated key). */
function takenBefore(entries: YEntry[], n: number, key: string): boolean {
  for (let i = 0; i < n; i++) if (entries[i].key === key) return true;
  return false;
}

const isKeyStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isKeyChar = (c: number): boolean => isKeyStart(c) || c === 45 || c === 46 || c === 47; // - . /

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;

/**
 * The kinds a graph file's `resources:` probably lists, from its lines alone: the keys at the
 * indentation of the first line below a `resources:` at column 0, up to the next line at column
 * 0. A guess, for loading kinds before the tree is read: a wrong name is skipped by the
 * registry, a missed kind is loaded after the tree is read (and its resources read then). A
 * look at each line's start only (a 100 000-resource file in ~10 ms).
 */
export function kindsListed(text: string): string[] {
  const at = text.startsWith('resources:') ? 0 : text.indexOf('\nresources:') + 1;
  if (at === 0 && !text.startsWith('resources:')) return [];
  const kinds = new Set<string>();
  let width = -1; // the kinds' indentation
  for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
    const c0 = text.charCodeAt(nl + 1);
    if (c0 !== SPACE) {
      if (c0 === 10 || c0 === HASH || nl + 1 === text.length) continue; // a blank line, a comment
      break; // a line at column 0: the section is over
    }
    if (width === -1) {
      let p = nl + 1;
      while (text.charCodeAt(p) === SPACE) p++;
      const c = text.charCodeAt(p);
      if (c === 10 || c === HASH || p === text.length) continue;
      width = p - nl - 1;
    }
    // Only the two characters around the indentation's end are looked at: a guess may be wrong.
    const p = nl + 1 + width;
    if (text.charCodeAt(p - 1) !== SPACE || !isKeyStart(text.charCodeAt(p))) continue;
    let k = p + 1;
    while (isKeyChar(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === COLON) kinds.add(text.slice(p, k));
  }
  return [...kinds];
}

/**
 * Characters a plain scalar may not start with: YAML's indicators (`-`, `?` and `:` only
 * when a space follows, but this walk is stricter and lets `-` through only before a non-space).
 */
const INDICATORS = new Set('?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

/**
 * The first characters of the plain scalars YAML 1.2's core schema reads as something else than
 * a string: null (`~`, `null`), booleans (`true`, `False`), integers and floats (`-1`, `+2`,
 * `0x1f`, `.5`, `.inf`, `.nan`). Any other plain scalar is a string, with no need to ask.
 */
export const MAYBE_NOT_STRING = new Set('~nNtTfF0123456789+-.'.split('').map((ch) => ch.charCodeAt(0)));

/**
 * The walk over the lines. It always stands on a content line (not blank, not a comment):
 * `line` its number, `indent` its spaces (-1 past the end), `start` its first character and
 * `end` its "\n" (or the text's end); `lineStart` where it starts.
 */
class BlockWalk {
  line = 0;
  indent = -1;
  start = 0;
  end = -1;
  private lineStart = 0;
  /** Whether a content line or the document's `---` has been read. */
  private started = false;
  private readonly kept = new KeptStrings();
  /**
   * The entries of the last mapping read at each depth. The next one there mostly has the same
   * keys in the same order (every resource of a kind): its n-th key is first compared in place
   * with the n-th key found there, which costs no string.
   */
  private readonly lastEntries: YEntry[][] = [];

  /** Whether the walk is in the value of the top-level `resources` key, and the key there it is in. */
  private inResources = false;
  private kindKey = '';

  constructor(
    private readonly text: string,
    private readonly lists: ListReaders | undefined,
  ) {
    this.advance();
  }

  /** Moves to the next content line. */
  private advance(): void {
    const text = this.text;
    for (;;) {
      const from = this.end + 1;
      if (from >= text.length) {
        this.indent = -1;
        this.start = this.end = text.length;
        return;
      }
      this.line++;
      let end = text.indexOf('\n', from);
      if (end === -1) end = text.length;
      let p = from;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      this.end = end;
      if (p === end || text.charCodeAt(p) === HASH) continue;
      if (p === from && (text.startsWith('---', p) || text.startsWith('...', p) || text.charCodeAt(p) === 37)) {
        // The one document may say where it starts, before anything else; other markers and
        // directives are js-yaml's.
        if (!this.started && text.startsWith('---', p) && this.restIsComment(p + 3, end)) {
          this.started = true;
          continue;
        }
        throw OUT;
      }
      this.started = true;
      this.lineStart = from;
      this.start = p;
      this.indent = p - from;
      return;
    }
  }

  /** Whether the line from `p` to `end` holds nothing more than spaces and a comment after one. */
  private restIsComment(p: number, end: number): boolean {
    const text = this.text;
    let a = p;
    while (a < end && text.charCodeAt(a) === SPACE) a++;
    return a === end || (a > p && text.charCodeAt(a) === HASH);
  }

  /** Whether the current line is a sequence item: `-` then a space or the line's end. */
  private atDash(): boolean {
    return this.text.charCodeAt(this.start) === DASH && (this.start + 1 === this.end || this.text.charCodeAt(this.start + 1) === SPACE);
  }

  /** The end of the key at `p` (its colon), or -1 when `p` does not start a `key:` on this line. */
  private keyEnd(p: number): number {
    const text = this.text;
    if (!isKeyStart(text.charCodeAt(p))) return -1;
    let k = p + 1;
    while (k < this.end && isKeyChar(text.charCodeAt(k))) k++;
    if (k === this.end || text.charCodeAt(k) !== COLON) return -1;
    if (k + 1 !== this.end && text.charCodeAt(k + 1) !== SPACE) return -1;
    return k;
  }

  /** The mapping whose first key is the current line's, at column `indent`. */
  map(indent: number, depth: number): YMap {
    if (depth > MAX_DEPTH) throw OUT;
    const text = this.text;
    const line = this.line;
    const last = this.lastEntries[depth];
    // Room for as many entries as the last mapping here had: the next one mostly has as many
    // (every resource of a kind), and then its list needs no copy to its exact length.
    const room = last === undefined ? 0 : last.length;
    const entries: YEntry[] = room === 0 ? [] : new Array<YEntry>(room);
    let n = 0;
    let taken: Set<string> | undefined; // made once the map is no longer small
    for (;;) {
      const colon = this.keyEnd(this.start);
      if (colon === -1 || colon - this.start > MAX_KEY) throw OUT;
      // The constructor keys the object by String(the key's value): `1`, `true` or `null` as
      // keys would be renamed; `__proto__` is set specially.
      const like = n < room ? last[n] : undefined;
      const hint = like?.key;
      const key =
        hint !== undefined && hint.length === colon - this.start && text.startsWith(hint, this.start) ? hint : this.kept.key(text.slice(this.start, colon), true);
      if (key === undefined || key === '__proto__' || (taken ? taken.has(key) : takenBefore(entries, n, key))) throw OUT;
      const keyLine = this.line;
      if (this.lists !== undefined) {
        if (depth === 1) this.inResources = key === 'resources';
        else if (depth === 2) this.kindKey = key;
      }
      const value = this.valueOf(colon + 1, indent, keyLine, depth, key === hint ? like!.value : undefined);
      if (depth === 1) this.inResources = false;
      this.kept.shareValue(key, value);
      const entry: YEntry = { key, line: keyLine, value };
      if (n < room) entries[n] = entry;
      else entries.push(entry);
      n++;
      if (taken) taken.add(key);
      else if (n > SMALL_MAP) {
        taken = new Set<string>();
        for (let i = 0; i < n; i++) taken.add(entries[i].key);
      }
      if (this.indent < indent) break; // the mapping is over (or the text)
      if (this.indent > indent || this.atDash()) throw OUT;
    }
    const kept = n === room ? entries : n < room ? entries.slice(0, n) : exact(entries);
    this.lastEntries[depth] = kept;
    return { kind: 'map', line, entries: kept };
  }

  /**
   * The value of a key at column `indent` whose colon ends before `p`. `like` is the value the
   * same key had in the last mapping at this depth: a plain scalar written as it was takes its
   * strings, with no new string made (`state: exists` in every resource).
   */
  private valueOf(p: number, indent: number, keyLine: number, depth: number, like: YNode | undefined): YNode {
    const text = this.text;
    while (p < this.end && text.charCodeAt(p) === SPACE) p++;
    if (p < this.end && text.charCodeAt(p) !== HASH) return this.inline(p, indent, like);
    this.advance();
    if (this.indent > indent) return this.atDash() ? this.seq(this.indent, depth + 1) : this.map(this.indent, depth + 1);
    if (this.indent === indent && this.atDash()) return this.seq(indent, depth + 1);
    return { kind: 'scalar', line: keyLine, value: null, text: '', plain: true };
  }

  /** The sequence whose first `-` is the current line's, at column `indent`. */
  private seq(indent: number, depth: number): YSeq {
    if (depth > MAX_DEPTH) throw OUT;
    const text = this.text;
    const line = this.line;
    const items: YNode[] = [];
    // A depth-3 list in the resources section is a kind's (the value of a key of its mapping).
    const each = depth === 3 && this.inResources ? this.lists!(this.kindKey) : undefined;
    let index = 0;
    while (this.indent === indent && this.atDash()) {
      let p = this.start + 1;
      while (p < this.end && text.charCodeAt(p) === SPACE) p++;
      // An item below its dash, or a sequence in a sequence: js-yaml's.
      if (p === this.end || text.charCodeAt(p) === HASH || (text.charCodeAt(p) === DASH && (p + 1 === this.end || text.charCodeAt(p + 1) === SPACE))) throw OUT;
      let item: YNode;
      if (this.keyEnd(p) !== -1) {
        this.start = p;
        this.indent = p - this.lineStart;
        item = this.map(this.indent, depth + 1);
        if (this.indent > indent) throw OUT; // a key out of line with the item's mapping
      } else item = this.inline(p, indent, undefined);
      if (each !== undefined) each(item, index++);
      else items.push(item);
    }
    if (this.indent > indent) throw OUT;
    return { kind: 'seq', line, items: exact(items) };
  }

  /**
   * The scalar (or `[]`, `{}`) at `p` that ends on this line, as the value of something at
   * column `indent`. The next line must not be indented more: it would continue the scalar.
   */
  private inline(p: number, indent: number, like: YNode | undefined): YNode {
    const text = this.text;
    const c = text.charCodeAt(p);
    const line = this.line;
    let node: YNode;
    let after: number; // where what follows the value starts
    if (c === 34) {
      // "...": the closing quote is the first one not escaped.
      let q = p + 1;
      for (;;) {
        q = text.indexOf('"', q);
        if (q === -1 || q >= this.end) throw OUT; // runs on to another line
        let slashes = 0;
        while (text.charCodeAt(q - 1 - slashes) === 92) slashes++;
        if (slashes % 2 === 0) break;
        q++;
      }
      const raw = text.slice(p, q + 1);
      // JSON's escapes mean in JSON what they mean in YAML, except that YAML refuses what would
      // make a lone surrogate: those, and YAML's escapes JSON lacks, go to js-yaml.
      if (raw.includes('\\u') && /\\u[dD][89abAB]/.test(raw)) throw OUT;
      let value: string;
      try {
        value = JSON.parse(raw) as string; // a string of its own, never a view into the text
      } catch {
        throw OUT;
      }
      node = { kind: 'scalar', line, value, text: value, plain: false };
      after = q + 1;
    } else if (c === 39) {
      // '...': a doubled quote is a quote.
      let q = p + 1;
      for (;;) {
        q = text.indexOf("'", q);
        if (q === -1 || q >= this.end) throw OUT;
        if (text.charCodeAt(q + 1) !== 39) break;
        q += 2;
      }
      const value = unshared(text.slice(p + 1, q).replaceAll("''", "'"));
      node = { kind: 'scalar', line, value, text: value, plain: false };
      after = q + 1;
    } else if (c === 124) {
      // `|` or `|-`, and the lines below (read by literal); other block headers are js-yaml's.
      after = text.charCodeAt(p + 1) === DASH ? p + 2 : p + 1;
      node = { kind: 'scalar', line, value: null, text: '', plain: false }; // for now
    } else if ((c === 91 && text.charCodeAt(p + 1) === 93) || (c === 123 && text.charCodeAt(p + 1) === 125)) {
      node = c === 91 ? { kind: 'seq', line, items: [] } : { kind: 'map', line, entries: [] };
      after = p + 2;
    } else {
      if (INDICATORS.has(c) || (c === DASH && (p + 1 === this.end || text.charCodeAt(p + 1) === SPACE))) throw OUT;
      // A plain scalar runs to a comment or the line's end, without the spaces before them; a
      // colon before a space or the end would make it a key.
      let e = p + 1;
      for (; e < this.end; e++) {
        const ch = text.charCodeAt(e);
        if (ch === HASH && text.charCodeAt(e - 1) === SPACE) break;
        if (ch === COLON && (e + 1 === this.end || text.charCodeAt(e + 1) === SPACE)) throw OUT;
      }
      while (text.charCodeAt(e - 1) === SPACE) e--;
      if (like !== undefined && like.kind === 'scalar' && like.plain && like.text.length === e - p && text.startsWith(like.text, p)) {
        node = { kind: 'scalar', line, value: like.value, text: like.text, plain: true } satisfies YScalar; // same text, same value
      } else {
        const own = unshared(text.slice(p, e));
        const value = MAYBE_NOT_STRING.has(c) ? CORE_SCHEMA.resolveImplicitScalarTag(own).value : own;
        node = { kind: 'scalar', line, value, text: own, plain: true } satisfies YScalar;
      }
      after = e;
    }
    if (!this.restIsComment(after, this.end)) throw OUT;
    if (c === 124) node = this.literal(indent, after - p === 2);
    this.advance();
    if (this.indent > indent) throw OUT;
    return node;
  }

  /**
   * The lines of a literal block scalar (`|`, or `|-` to strip the last line break) whose header
   * ends the current line, which is then the block's last. Its lines are those indented like
   * the first one, which must be indented more than `indent`, or more. A blank line among them
   * or after them (which the chomping and indentation rules would decide), no line at all, or a
   * last line without its "\n" are js-yaml's.
   */
  private literal(indent: number, strip: boolean): YScalar {
    const text = this.text;
    const lines: string[] = [];
    let width = -1; // the block's indentation
    let from = this.end + 1;
    while (from < text.length) {
      const end = text.indexOf('\n', from);
      if (end === -1) throw OUT;
      let p = from;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      if (p === end) throw OUT;
      if (width === -1) {
        if (p - from <= indent) break;
        width = p - from;
      } else if (p - from < width) break;
      lines.push(text.slice(from + width, end));
      from = end + 1;
    }
    if (lines.length === 0) throw OUT;
    const line = this.line + 1;
    this.line += lines.length;
    this.end = from - 1;
    const value = unshared(lines.join('\n') + (strip ? '' : '\n'));
    return { kind: 'scalar', line, value, text: value, plain: false };
  }
}
