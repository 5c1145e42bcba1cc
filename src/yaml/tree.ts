// YAML text -> a tree of nodes that know their line. A file in the plain block subset most graph
// files are written in is read line by line without js-yaml (block-tree.ts); any other goes the
// way below, and so does every file that is not valid YAML: js-yaml's messages and lines stand.
//
// js-yaml's loader gives values without positions and its event parser gives positions without
// values; we run the parser once and walk both results side by side, so every value the
// validator reads has a line number.
//
// Cost: this runs on every graph file, and a 10 000-resource graph has 100 000 events. So there
// is no intermediate tree: one pass over the events builds the nodes. Offsets become line
// numbers by one forward scan of the text for the newlines passed so far (events come in source
// order), not a search per node. And the common file, with no anchors, aliases, tags, complex or
// duplicate keys, is built from the events alone: there the constructor's values are exactly
// what the events say (resolved by the same schema call), so running it would only repeat
// the work. Anything else goes through js-yaml's constructor, which also reports its errors.
import { constructFromEvents, CORE_SCHEMA, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE } from 'js-yaml';
import type { Event } from 'js-yaml';
import { blockTree } from './block-tree.js';
import { exact, isTaken, KeptStrings, SMALL_MAP, unshared } from './kept-strings.js';

export interface YScalar {
  kind: 'scalar';
  line: number;
  /** As the YAML core schema resolves it: null, boolean, number, string (or a tagged object). */
  value: unknown;
  /** The scalar as written (decoded): `0741` stays "0741" although `value` is 741. */
  text: string;
  /** Unquoted and not a block scalar: the only style YAML resolves to non-strings. */
  plain: boolean;
}

export interface YSeq {
  kind: 'seq';
  line: number;
  items: YNode[];
}

export interface YEntry {
  key: string;
  /** Line of the key, which is where a message about this entry points. */
  line: number;
  value: YNode;
}

export interface YMap {
  kind: 'map';
  line: number;
  /** In source order. */
  entries: YEntry[];
}

export type YNode = YScalar | YSeq | YMap;

export type TreeResult =
  | { ok: true; root: YNode | undefined }
  | { ok: false; line: number; message: string };

/** Parses one YAML document; `root` is undefined for an empty file. Never throws. */
export function parseTree(text: string, source: string): TreeResult {
  const root = blockTree(text);
  return root !== undefined ? { ok: true, root } : parseTreeByEvents(text, source);
}

/** parseTree through js-yaml's events, for any text (block-tree.ts takes the common ones faster). */
export function parseTreeByEvents(text: string, source: string): TreeResult {
  let events: Event[];
  try {
    events = parseEvents(text, { filename: source });
  } catch (err) {
    return { ok: false, ...describeYamlError(err, text) };
  }
  const plain = plainTree(events, text);
  if (!(plain instanceof NeedsConstructor)) return { ok: true, root: plain };
  // plainTree let go of the events it read; the same text parses to the same events again.
  events = parseEvents(text, { filename: source });
  const tooMuch = aliasProblem(events, text);
  if (tooMuch) return { ok: false, ...tooMuch };
  let docs: unknown[];
  try {
    docs = constructFromEvents(events, { source: text, filename: source });
  } catch (err) {
    return { ok: false, ...describeYamlError(err, text) };
  }
  const walk = new Walk(events, text);
  if (docs.length > 1) {
    return { ok: false, line: walk.documentLine(1) ?? 1, message: `found ${docs.length} YAML documents; expected exactly one` };
  }
  if (docs.length === 0) return { ok: true, root: undefined };
  return { ok: true, root: docs[0] === null ? undefined : walk.document(0, docs[0]) };
}

/** At most this many aliases (`*name`) in one file. */
export const MAX_ALIASES = 50_000;
/** Aliases may add at most this many nodes to the tree, all aliases of the file together. */
export const MAX_ALIAS_NODES = 500_000;

/**
 * Why the aliases of `events` would expand too far, before anything is expanded: the tree built
 * beside the constructed values copies each alias's node, so a few hundred bytes of nested
 * aliases ("billion laughs") would otherwise become billions of nodes. One pass: `nodes` counts
 * the nodes of the expanded tree so far; a node's expanded size is the count at its end minus the
 * count at its start, recorded for its anchor; an alias adds its anchor's size.
 */
function aliasProblem(events: Event[], text: string): { line: number; message: string } | undefined {
  const sizes = new Map<string, number>();
  const open: Array<{ anchor: string | undefined; start: number }> = [];
  const lines = new Lines(text);
  let nodes = 0;
  let added = 0;
  let aliases = 0;
  for (const e of events) {
    if (e.type === EVENT_ID.ALIAS) {
      const size = sizes.get(text.slice(e.anchorStart, e.anchorEnd)) ?? 1; // unknown: the constructor says so
      aliases++;
      nodes += size;
      added += size;
      const line = lines.at(e.anchorStart) ?? 1;
      if (aliases > MAX_ALIASES) return { line, message: `too many YAML aliases (more than ${MAX_ALIASES}); expected a graph that spells out what it repeats` };
      if (added > MAX_ALIAS_NODES) {
        return { line, message: `YAML aliases expand the document beyond ${MAX_ALIAS_NODES} nodes (an alias of an alias of ...); expected a graph that spells out what it repeats` };
      }
    } else if (e.type === EVENT_ID.SCALAR) {
      nodes++;
      if (e.anchorStart !== -1) sizes.set(text.slice(e.anchorStart, e.anchorEnd), 1);
    } else if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) {
      open.push({ anchor: e.anchorStart !== -1 ? text.slice(e.anchorStart, e.anchorEnd) : undefined, start: nodes });
      nodes++;
    } else if (e.type === EVENT_ID.DOCUMENT) {
      open.push({ anchor: undefined, start: nodes });
    } else if (e.type === EVENT_ID.POP) {
      const node = open.pop();
      if (node?.anchor !== undefined) sizes.set(node.anchor, nodes - node.start);
    }
  }
  return undefined;
}

function describeYamlError(err: unknown, text: string): { line: number; message: string } {
  const e = err as { reason?: unknown; mark?: { line?: unknown; position?: unknown }; message?: unknown };
  const line = typeof e?.mark?.line === 'number' ? e.mark.line + 1 : 1;
  const reason = typeof e?.reason === 'string' ? e.reason : String(e?.message ?? err);
  const at = typeof e?.mark?.position === 'number' ? e.mark.position : -1;
  // What the parser says when a quoted scalar ran on too far, at the line it gave up on.
  const ranOn = /quoted scalar|indentation|end of the stream|implicit mapping pair/.test(reason);
  const open = ranOn && at >= 0 ? unclosedQuote(text, at) : undefined;
  if (open !== undefined) {
    const openLine = new Lines(text).at(open)!;
    if (openLine < line) return { line: openLine, message: `invalid YAML: the quoted string that starts here is never closed (the parser stopped at line ${line}: ${reason}); expected a closing ${text[open]}` };
  }
  return { line, message: `invalid YAML: ${reason}` };
}

/**
 * The offset of the quote that opens the quoted scalar the parser was inside of at `at`, if any:
 * the nearest quote before `at` that starts a scalar (after `: `, `- `, `[`, `{`, `,` or at a
 * line's start) and is not closed before `at`. A quoted scalar may span lines, so the parser only
 * notices a missing closing quote lines later, where the next key does not fit in it.
 */
function unclosedQuote(text: string, at: number): number | undefined {
  for (let q = Math.min(at, text.length - 1); q >= 0; q--) {
    const c = text[q];
    if (c !== '"' && c !== "'") continue;
    let b = q - 1;
    while (b >= 0 && (text[b] === ' ' || text[b] === '\t')) b--;
    const before = b < 0 ? '\n' : text[b];
    if (!':-[{,\n'.includes(before)) continue;
    if (!closes(text, q, at)) return q;
  }
  return undefined;
}

/** Whether the quoted scalar opened at `q` is closed before `at`. */
function closes(text: string, q: number, at: number): boolean {
  const quote = text[q];
  for (let i = q + 1; i < at && i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return true;
    }
  }
  return false;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Where a node's line comes from: its collection start, scalar value or alias. -1: none. */
function offsetOf(e: Event): number {
  switch (e.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return e.start;
    case EVENT_ID.SCALAR:
      return e.valueStart;
    case EVENT_ID.ALIAS:
      return e.anchorStart;
    default:
      return -1;
  }
}

/**
 * offset -> 1-based line, for offsets asked mostly in increasing order. `lineAtOff` is the line
 * of offset `off`, `nextNl` the first "\n" at or after `off` (-1: none): moving forward counts the
 * newlines passed, moving back (rare) counts them back. Over a whole walk that is one scan.
 */
class Lines {
  private off = 0;
  private lineAtOff = 1;
  private nextNl: number;

  constructor(private readonly text: string) {
    this.nextNl = text.indexOf('\n');
  }

  /** 1 + the newlines before `offset`; undefined for -1, "no position". */
  at(offset: number): number | undefined {
    if (offset < 0) return undefined;
    const text = this.text;
    if (offset >= this.off) {
      let line = this.lineAtOff;
      let nl = this.nextNl;
      while (nl !== -1 && nl < offset) {
        line++;
        nl = text.indexOf('\n', nl + 1);
      }
      this.nextNl = nl;
      this.lineAtOff = line;
    } else {
      let line = this.lineAtOff;
      for (let nl = text.lastIndexOf('\n', this.off - 1); nl >= offset; nl = nl === 0 ? -1 : text.lastIndexOf('\n', nl - 1)) line--;
      this.lineAtOff = line;
      this.nextNl = text.indexOf('\n', offset);
    }
    this.off = offset;
    return this.lineAtOff;
  }
}

/**
 * plainTree's answer for a stream that needs js-yaml's constructor, which its walk throws to
 * give up: one instance made once, so giving up costs no stack trace.
 */
class NeedsConstructor extends Error {}
const BAIL = new NeedsConstructor('needs the constructor');

const hasProperties = (e: { anchorStart: number; tagStart: number }): boolean => e.anchorStart !== -1 || e.tagStart !== -1;

/**
 * The events a walk reads once, in order: each slot is emptied as its event is consumed, so on
 * a big file the events already turned into nodes are garbage while the rest of the tree is
 * built, and the peak holds about one of the two (events and tree), not both.
 */
type Consumed = Array<Event | undefined>;

/**
 * The tree of a stream that is exactly one document of untagged, unanchored mappings, sequences
 * and scalars, whose keys are scalars that YAML reads as strings, distinct within each mapping.
 * For such a stream constructFromEvents cannot fail, and what it builds is what the events say:
 * each scalar's value by the same CORE_SCHEMA call as here (a plain scalar resolved implicitly,
 * a quoted or block one its text), each mapping an object with those keys in that order, each
 * sequence an array. BAIL for anything else (an anchor, alias, tag, complex or non-string key,
 * a duplicate key, `__proto__`, no document or several): the general path takes those.
 * It consumes `events` (see Consumed) even when it gives up.
 */
function plainTree(events: Event[], text: string): YNode | undefined | NeedsConstructor {
  const last = events.length - 1;
  if (last < 2 || events[0].type !== EVENT_ID.DOCUMENT || events[1].type === EVENT_ID.POP) return BAIL;
  const walk = new PlainWalk(events, text);
  let root: YNode;
  try {
    root = walk.node(1);
  } catch (err) {
    if (err === BAIL) return BAIL;
    throw err;
  }
  if (walk.next !== last || events[last].type !== EVENT_ID.POP) return BAIL; // more than one document
  return root.kind === 'scalar' && root.value === null ? undefined : root;
}

/** plainTree's walk; throws BAIL at anything outside its subset. */
class PlainWalk {
  /** The next event to read: the document's root. */
  next = 1;
  private readonly lines: Lines;

  constructor(
    private readonly events: Consumed,
    private readonly text: string,
  ) {
    this.lines = new Lines(text);
  }

  private readonly kept = new KeptStrings();

  /** The event at `next`, consumed. */
  private take(): Event {
    const e = this.events[this.next];
    if (e === undefined) throw BAIL; // past the end: cannot happen in a stream the parser accepted
    this.events[this.next++] = undefined;
    return e;
  }

  /** The type of the event at `next`, not consumed. */
  private peek(): Event['type'] | undefined {
    return this.events[this.next]?.type;
  }

  /** The node at `next`, consumed; `fallback` is the line to use when it has no position. */
  node(fallback: number): YNode {
    const e = this.take();
    if (e.type === EVENT_ID.SCALAR) {
      if (hasProperties(e)) throw BAIL;
      const text = e.fast ? unshared(getScalarValue(this.text, e)) : getScalarValue(this.text, e);
      const plain = e.style === SCALAR_STYLE.PLAIN;
      const value = plain ? CORE_SCHEMA.resolveImplicitScalarTag(text).value : text;
      return { kind: 'scalar', line: this.lines.at(e.valueStart) ?? fallback, value, text, plain };
    }
    if (e.type === EVENT_ID.SEQUENCE) {
      if (hasProperties(e)) throw BAIL;
      const line = this.lines.at(e.start) ?? fallback;
      const items: YNode[] = [];
      while (this.peek() !== EVENT_ID.POP) items.push(this.node(line));
      this.take(); // POP
      return { kind: 'seq', line, items: exact(items) };
    }
    if (e.type !== EVENT_ID.MAPPING || hasProperties(e)) throw BAIL; // an alias
    const line = this.lines.at(e.start) ?? fallback;
    const entries: YEntry[] = [];
    let taken: Set<string> | undefined; // made once the map is no longer small
    while (this.peek() !== EVENT_ID.POP) {
      const k = this.take();
      if (k.type !== EVENT_ID.SCALAR || hasProperties(k)) throw BAIL;
      // The constructor keys the object by String(the key's value): `1`, `~` or `True` as keys
      // would be renamed. `__proto__` is set specially.
      const key = this.kept.key(getScalarValue(this.text, k), k.style === SCALAR_STYLE.PLAIN);
      if (key === undefined || key === '__proto__' || isTaken(entries, taken, key) || this.peek() === EVENT_ID.POP) throw BAIL;
      const keyLine = this.lines.at(k.valueStart) ?? line;
      const value = this.node(keyLine);
      this.kept.shareValue(key, value);
      entries.push({ key, line: keyLine, value });
      if (taken) taken.add(key);
      else if (entries.length > SMALL_MAP) taken = new Set(entries.map((en) => en.key));
    }
    this.take(); // POP
    return { kind: 'map', line, entries: exact(entries) };
  }
}

/**
 * One walk over the event stream beside the constructed values. `i` is the next event to read;
 * each node method consumes exactly the events of one node (a collection up to its POP).
 * Where the events and the value part (an alias, a key the loader normalised, a tag that made
 * a list of a mapping), the value wins and the nearest known line stands in.
 */
class Walk {
  private i = 0;
  private readonly lines: Lines;

  constructor(
    private readonly events: Event[],
    private readonly text: string,
  ) {
    this.lines = new Lines(text);
  }

  private lineAt(offset: number): number | undefined {
    return this.lines.at(offset);
  }

  /** Index of the event after the DOCUMENT event of document `n`, or -1. */
  private documentStart(n: number): number {
    const events = this.events;
    let seen = 0;
    for (let j = 0; j < events.length; j++) {
      if (events[j].type !== EVENT_ID.DOCUMENT) continue;
      if (seen++ === n) return j + 1;
      this.i = j + 1;
      this.skip(); // the root, if any (a POP ends an empty document)
      j = this.i - 1;
    }
    return -1;
  }

  /** The line of document `n`'s root node, if it has one with a position. */
  documentLine(n: number): number | undefined {
    const at = this.documentStart(n);
    const root = at >= 0 ? this.events[at] : undefined;
    return root === undefined || root.type === EVENT_ID.POP ? undefined : this.lineAt(offsetOf(root));
  }

  /** Document `n`'s root, with the constructed `value` (line 1 when nothing better is known). */
  document(n: number, value: unknown): YNode {
    this.i = this.documentStart(n);
    const root = this.i >= 0 ? this.events[this.i] : undefined;
    if (root === undefined || root.type === EVENT_ID.POP) return this.detached(value, 1);
    return this.node(value, 1);
  }

  /** Skips the node at `i` (a collection with everything in it). */
  private skip(): void {
    const events = this.events;
    const first = events[this.i++].type;
    if (first !== EVENT_ID.MAPPING && first !== EVENT_ID.SEQUENCE) return;
    for (let depth = 1; depth > 0 && this.i < events.length; ) {
      const t = events[this.i++].type;
      if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
      else if (t === EVENT_ID.POP) depth--;
    }
  }

  /** The node at `i`, joined with its constructed `value`; `fallback` is the line to use when it has none. */
  private node(value: unknown, fallback: number): YNode {
    const e = this.events[this.i];
    const line = this.lineAt(offsetOf(e)) ?? fallback;
    if (e.type === EVENT_ID.MAPPING && isPlainObject(value)) return this.map(value, line);
    if (e.type === EVENT_ID.SEQUENCE && Array.isArray(value)) return this.seq(value, line);
    if (e.type === EVENT_ID.SCALAR && !Array.isArray(value) && !isPlainObject(value)) {
      this.i++;
      // Untagged, a string value is the decoded text itself (the core schema's implicit tags
      // make only null, booleans and numbers): no need to decode it again.
      const text = typeof value === 'string' && e.tagStart === -1 ? value : getScalarValue(this.text, e);
      return { kind: 'scalar', line, value, text, plain: e.style === SCALAR_STYLE.PLAIN };
    }
    this.skip(); // an alias, or events and value of different shapes
    return this.detached(value, line);
  }

  private map(value: Record<string, unknown>, line: number): YMap {
    const events = this.events;
    const entries: YEntry[] = [];
    let taken: Set<string> | undefined; // made once the map is no longer small
    this.i++; // MAPPING
    for (let e = events[this.i]; e.type !== EVENT_ID.POP; e = events[this.i]!) {
      const key = e.type === EVENT_ID.SCALAR ? getScalarValue(this.text, e) : undefined;
      const keyLine = this.lineAt(offsetOf(e)) ?? line;
      this.skip(); // the key
      if (key === undefined || isTaken(entries, taken, key) || !Object.hasOwn(value, key)) {
        this.skip(); // its value
        continue;
      }
      entries.push({ key, line: keyLine, value: this.node(value[key], keyLine) });
      if (taken) taken.add(key);
      else if (entries.length > SMALL_MAP) taken = new Set(entries.map((en) => en.key));
    }
    this.i++; // POP
    // Keys the events do not show (merged in with `<<`, say), in the value's order. Every entry
    // so far is a distinct own key, so equal counts mean there are none.
    let own = 0;
    for (const key in value) if (Object.hasOwn(value, key)) own++;
    if (own !== entries.length) {
      for (const key of Object.keys(value)) {
        if (!isTaken(entries, taken, key)) entries.push({ key, line, value: this.detached(value[key], line) });
      }
    }
    return { kind: 'map', line, entries };
  }

  private seq(value: unknown[], line: number): YSeq {
    const events = this.events;
    const items: YNode[] = [];
    this.i++; // SEQUENCE
    for (let n = 0; events[this.i].type !== EVENT_ID.POP; n++) {
      if (n < value.length) items.push(this.node(value[n], line));
      else this.skip();
    }
    this.i++; // POP
    for (let n = items.length; n < value.length; n++) items.push(this.detached(value[n], line));
    return { kind: 'seq', line, items };
  }

  /** A value with no events to go by: everything in it gets `line`. */
  private detached(value: unknown, line: number): YNode {
    if (Array.isArray(value)) return { kind: 'seq', line, items: value.map((v) => this.detached(v, line)) };
    if (isPlainObject(value)) {
      return { kind: 'map', line, entries: Object.keys(value).map((key) => ({ key, line, value: this.detached(value[key], line) })) };
    }
    return { kind: 'scalar', line, value, text: typeof value === 'string' ? value : String(value), plain: typeof value !== 'string' };
  }
}
