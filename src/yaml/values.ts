// Typed reads of YAML nodes, with the few coercions mgmt users rely on. A failed read says
// what was found and what was expected; the caller puts the key path in front of it.
import type { YEntry, YMap, YNode, YScalar } from './tree.js';

export type Read<T> =
  | { ok: true; value: T }
  /** `problem` reads after a key path: `is a list; expected a string`. `line` is set when an inner item is at fault. */
  | { ok: false; problem: string; line?: number };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const wrong = (node: YNode, expected: string): Read<never> => ({ ok: false, problem: `is ${describe(node)}; expected ${expected}` });

/** A key with no value (`content:`) or `~`/`null` counts as absent, as in mgmt. */
export const isAbsent = (node: YNode | undefined): node is undefined | YScalar =>
  node === undefined || (node.kind === 'scalar' && node.value === null);

export function entryOf(map: YMap, key: string): YEntry | undefined {
  const entries = map.entries;
  for (let i = 0; i < entries.length; i++) if (entries[i].key === key) return entries[i];
  return undefined;
}

/** `a list`, `a string ("x")`, `a number (741)`, ... for "found ..." in messages. */
export function describe(node: YNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (v === null) return 'empty';
  if (typeof v === 'boolean') return `a boolean (${node.text})`;
  if (typeof v === 'number') return `a number (${node.text})`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)})`;
  return `a ${Object.prototype.toString.call(v).slice(8, -1)} (${node.text})`;
}

/**
 * Any scalar reads as its text as written, so `mode: 0741`, `owner: 1` or `value: true`
 * mean "0741", "1" and "true" (YAML would make them numbers and booleans; mgmt's Go YAML
 * decoder also keeps the text for string fields).
 */
export function readString(node: YNode): Read<string> {
  if (node.kind !== 'scalar' || node.value === null) return wrong(node, 'a string');
  const v = node.value;
  if (typeof v === 'string') return ok(v);
  if (typeof v === 'number' || typeof v === 'boolean') return ok(node.text);
  return wrong(node, 'a string');
}

/** A non-empty string without NUL characters: names of graphs, resources, edges and kinds. */
export function readNonEmptyString(node: YNode): Read<string> {
  const r = readString(node);
  if (r.ok && r.value === '') return { ok: false, problem: 'is an empty string; expected a non-empty string' };
  // A name ends up in paths, unit names, D-Bus calls and C strings, where a NUL cuts it short.
  if (r.ok && r.value.includes('\0')) return { ok: false, problem: `contains a NUL character (at character ${r.value.indexOf('\0') + 1}); expected a name without NUL` };
  return r.ok ? r : wrong(node, 'a non-empty string');
}

// YAML 1.1 (mgmt's Go decoder) reads these unquoted words as booleans; YAML 1.2 does not.
const yaml11Booleans = new Map<string, boolean>([
  ['yes', true], ['Yes', true], ['YES', true], ['on', true], ['On', true], ['ON', true],
  ['no', false], ['No', false], ['NO', false], ['off', false], ['Off', false], ['OFF', false],
]);

export function readBoolean(node: YNode): Read<boolean> {
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return ok(node.value);
  const word = node.kind === 'scalar' && node.plain ? yaml11Booleans.get(node.text) : undefined;
  if (word !== undefined) return ok(word);
  return wrong(node, 'a boolean (true or false)');
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  /** Accept `.inf` (and mgmt's spelling `+Inf`) as Infinity. */
  infinity?: boolean;
}

const infinityWords = new Set(['+Inf', 'Inf', 'inf', '+inf']);

export function expectedNumber(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a number';
  return rule.min === undefined ? what : `${what} >= ${rule.min}`;
}

export function readNumber(node: YNode, rule: NumberRule = {}): Read<number> {
  const expected = expectedNumber(rule);
  if (node.kind !== 'scalar') return wrong(node, expected);
  let v = node.value;
  if (rule.infinity && node.plain && infinityWords.has(node.text)) v = Infinity;
  if (typeof v !== 'number') return wrong(node, expected);
  // `0741` is octal to YAML 1.1 (mgmt) and decimal to YAML 1.2: refuse rather than guess.
  if (node.plain && /^[-+]?0[0-9]+$/.test(node.text)) {
    return { ok: false, problem: `is ${node.text}, which YAML 1.1 (mgmt) reads as octal and YAML 1.2 as decimal; expected ${expected} without a leading 0 (or 0o... for octal)` };
  }
  if (rule.integer && !Number.isInteger(v)) return wrong(node, expected);
  if (!Number.isFinite(v) && !(v === Infinity && rule.infinity)) return wrong(node, `a finite ${expected.replace(/^an? /, '')}`);
  if (rule.min !== undefined && v < rule.min) return { ok: false, problem: `is ${node.text}; expected ${expected}` };
  return ok(v);
}

export function readStringList(node: YNode): Read<string[]> {
  if (node.kind !== 'seq') return wrong(node, 'a list of strings');
  const out: string[] = [];
  for (const [i, item] of node.items.entries()) {
    const r = readString(item);
    if (!r.ok) return { ok: false, problem: `item ${i + 1} ${r.problem}`, line: item.line };
    out.push(r.value);
  }
  return ok(out);
}

/** A mapping of names to scalars; every value reads as its text, like a string field. */
export function readStringMap(node: YNode): Read<Record<string, string>> {
  if (node.kind !== 'map') return wrong(node, 'a mapping of names to strings');
  const out: Record<string, string> = {};
  for (const e of node.entries) {
    const r = readString(e.value);
    if (!r.ok) return { ok: false, problem: `key ${JSON.stringify(e.key)} ${r.problem}`, line: e.line };
    out[e.key] = r.value;
  }
  return ok(out);
}
