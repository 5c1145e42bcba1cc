// YAML text -> a tree of nodes that know their line. js-yaml's loader gives values without
// positions and its event parser gives positions without values; we run the parser once and
// walk both results side by side, so every value the validator reads has a line number.
import { constructFromEvents, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE } from 'js-yaml';
import type { Event } from 'js-yaml';

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
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(text, { filename: source });
    docs = constructFromEvents(events, { source: text, filename: source });
  } catch (err) {
    return { ok: false, ...describeYamlError(err) };
  }
  const lineOf = lineFinder(text);
  const positions = positionsOf(events, text, lineOf);
  if (docs.length > 1) {
    return { ok: false, line: positions[1]?.line ?? 1, message: `found ${docs.length} YAML documents; expected exactly one` };
  }
  if (docs.length === 0) return { ok: true, root: undefined };
  return { ok: true, root: docs[0] === null ? undefined : locate(positions[0], docs[0], 1) };
}

function describeYamlError(err: unknown): { line: number; message: string } {
  const e = err as { reason?: unknown; mark?: { line?: unknown }; message?: unknown };
  const line = typeof e?.mark?.line === 'number' ? e.mark.line + 1 : 1;
  const reason = typeof e?.reason === 'string' ? e.reason : String(e?.message ?? err);
  return { line, message: `invalid YAML: ${reason}` };
}

/** offset -> 1-based line, by binary search over the offsets where lines start. */
function lineFinder(text: string): (offset: number) => number | undefined {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    if (offset < 0) return undefined;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

// The shape of the source as the parser saw it: positions and scalar text, no values.
type Pos =
  | { kind: 'map'; line: number | undefined; entries: { key: string | undefined; line: number | undefined; value: Pos }[] }
  | { kind: 'seq'; line: number | undefined; items: Pos[] }
  | { kind: 'scalar'; line: number | undefined; text: string; plain: boolean }
  | { kind: 'alias'; line: number | undefined };

type Frame =
  | { kind: 'doc'; roots: Pos[] }
  | { kind: 'map'; node: Extract<Pos, { kind: 'map' }>; key: Pos | undefined }
  | { kind: 'seq'; node: Extract<Pos, { kind: 'seq' }> };

/** The root position of each document in the event stream. */
function positionsOf(events: Event[], text: string, lineOf: (offset: number) => number | undefined): Pos[] {
  const docs: Pos[] = [];
  const stack: Frame[] = [];
  const attach = (child: Pos): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.kind === 'doc') top.roots.push(child);
    else if (top.kind === 'seq') top.node.items.push(child);
    else if (top.key === undefined) top.key = child;
    else {
      const key = top.key.kind === 'scalar' ? top.key.text : undefined;
      top.node.entries.push({ key, line: top.key.line, value: child });
      top.key = undefined;
    }
  };
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        stack.push({ kind: 'doc', roots: [] });
        break;
      case EVENT_ID.MAPPING: {
        const node: Extract<Pos, { kind: 'map' }> = { kind: 'map', line: lineOf(e.start), entries: [] };
        attach(node);
        stack.push({ kind: 'map', node, key: undefined });
        break;
      }
      case EVENT_ID.SEQUENCE: {
        const node: Extract<Pos, { kind: 'seq' }> = { kind: 'seq', line: lineOf(e.start), items: [] };
        attach(node);
        stack.push({ kind: 'seq', node });
        break;
      }
      case EVENT_ID.SCALAR:
        attach({ kind: 'scalar', line: lineOf(e.valueStart), text: getScalarValue(text, e), plain: e.style === SCALAR_STYLE.PLAIN });
        break;
      case EVENT_ID.ALIAS:
        attach({ kind: 'alias', line: lineOf(e.anchorStart) });
        break;
      case EVENT_ID.POP: {
        const done = stack.pop();
        if (done?.kind === 'doc') docs.push(done.roots[0] ?? { kind: 'alias', line: undefined });
        break;
      }
    }
  }
  return docs;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Joins a constructed value with its position. Where they part (an alias, a key the
 * loader normalised), the value wins and the nearest known line stands in.
 */
function locate(pos: Pos | undefined, value: unknown, fallbackLine: number): YNode {
  const line = pos?.line ?? fallbackLine;
  if (Array.isArray(value)) {
    const items = pos?.kind === 'seq' ? pos.items : [];
    return { kind: 'seq', line, items: value.map((v, i) => locate(items[i], v, items[i]?.line ?? line)) };
  }
  if (isPlainObject(value)) {
    const entries: YEntry[] = [];
    const seen = new Set<string>();
    for (const p of pos?.kind === 'map' ? pos.entries : []) {
      if (p.key === undefined || seen.has(p.key) || !Object.hasOwn(value, p.key)) continue;
      seen.add(p.key);
      const keyLine = p.line ?? line;
      entries.push({ key: p.key, line: keyLine, value: locate(p.value, value[p.key], keyLine) });
    }
    for (const key of Object.keys(value)) {
      if (!seen.has(key)) entries.push({ key, line, value: locate(undefined, value[key], line) });
    }
    return { kind: 'map', line, entries };
  }
  if (pos?.kind === 'scalar') return { kind: 'scalar', line, value, text: pos.text, plain: pos.plain };
  return { kind: 'scalar', line, value, text: typeof value === 'string' ? value : String(value), plain: typeof value !== 'string' };
}
