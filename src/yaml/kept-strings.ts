// What both ways to a tree (tree.ts from js-yaml's events, block-tree.ts from the lines) do to
// keep a big graph's tree small: own copies of strings, arrays of their exact length, and one
// copy of each key and of each run of repeated values.
import { CORE_SCHEMA } from 'js-yaml';
import type { YEntry, YNode } from './tree.js';

/**
 * `s` as a string of its own. A scalar read as it stands in the file is a substring of the
 * file's text, and V8 makes a substring of 13 characters or more a view into the whole text:
 * one path kept by the spec for the run would keep the whole graph file (10 MB at 100 000
 * resources) alive with it. JSON's round trip is the cheapest full copy.
 */
export const unshared = (s: string): string => (s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string));

/**
 * `list` in an array of its exact length. An array grown by push keeps room for 16 items more
 * than it had, and a resource's few entries would carry that room for the whole load.
 */
export const exact = <T>(list: T[]): T[] => (list.length === 0 ? list : list.slice());

/** Maps with more entries than this track the keys already taken in a Set, smaller ones by scanning. */
export const SMALL_MAP = 8;

export function isTaken(entries: YEntry[], taken: Set<string> | undefined, key: string): boolean {
  if (taken) return taken.has(key);
  for (const en of entries) if (en.key === key) return true;
  return false;
}

/** The strings one tree keeps, shared where they repeat. */
export class KeptStrings {
  /**
   * Keys seen so far, each mapped to the one copy the tree keeps: a graph repeats the same few
   * keys in every resource, and each read of one makes a new string. Plain keys are here only
   * once known to read as strings; quoted ones, always strings, have their own map (a quoted
   * "1" says nothing about a plain 1).
   */
  private readonly plainKeys = new Map<string, string>();
  private readonly quotedKeys = new Map<string, string>();

  /**
   * The last string value each key had: a value equal to it is given that one copy instead.
   * Generated graphs repeat the same few values key after key (`state: exists`, `owner: root`
   * in every resource), and the spec keeps them for the run; unique values cost one compare.
   */
  private readonly lastValues = new Map<string, string>();

  /** The kept copy of `key`; undefined for a plain key that YAML does not read as a string. */
  key(key: string, plain: boolean): string | undefined {
    const known = plain ? this.plainKeys : this.quotedKeys;
    const kept = known.get(key);
    if (kept !== undefined) return kept;
    if (plain && typeof CORE_SCHEMA.resolveImplicitScalarTag(key).value !== 'string') return undefined;
    const own = unshared(key);
    known.set(own, own);
    return own;
  }

  /** Gives `node`, the value of `key`, the copy of the key's last value when it equals it. */
  shareValue(key: string, node: YNode): void {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') return;
    const last = this.lastValues.get(key);
    if (last === node.text && last === node.value) {
      node.text = last;
      node.value = last;
    } else if (node.text === node.value) this.lastValues.set(key, node.text);
  }
}
