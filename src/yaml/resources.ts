// The `resources:` section: kind -> list of resources, each with name, meta and fields.
import { refKey } from '../model/spec.js';
import type { ResourceRef, ResourceSpec } from '../model/spec.js';
import type { ResourceKind } from '../model/resource.js';
import type { Registry } from '../model/registry.js';
import type { ProblemLog } from './errors.js';
import { readParams } from './fields.js';
import { readMeta } from './meta.js';
import { didYouMean, oneOf } from './suggest.js';
import type { YEntry, YNode } from './tree.js';
import { describe, entryOf, isAbsent, readNonEmptyString } from './values.js';

/**
 * What the parser needs from a Registry (any Registry will do). `load`, when there, loads the
 * kinds a file names before they are validated (a registry that loads kinds lazily, the CLI's).
 */
export type KindLookup = Pick<Registry, 'get' | 'names'> & { load?(kinds: Iterable<string>): Promise<void> };

/**
 * The line of each named resource, by kind then name: one look-up by the name as read, where a
 * map keyed by `kind[name]` would make (and hash) a new string for every resource.
 */
export class DefinedResources {
  private readonly byKind = new Map<string, Map<string, number>>();

  /** The names of one kind (made on first use), name -> line. */
  of(kind: string): Map<string, number> {
    let names = this.byKind.get(kind);
    if (names === undefined) this.byKind.set(kind, (names = new Map<string, number>()));
    return names;
  }

  has(ref: ResourceRef): boolean {
    return this.byKind.get(ref.kind)?.has(ref.name) === true;
  }
}

/** Reads each resource of a kind's list, given it and its index in the list. */
export type ListReader = (item: YNode, index: number) => void;

/**
 * Reads the `resources:` section into specs. Either from the finished tree (section()), or list
 * by list while the tree is being read (list(), for block-tree.ts: each resource's nodes are let
 * go as soon as it is read, instead of the whole tree living until the end); section() then
 * takes the specs of the lists read that way in their place, so the order is the file's either way.
 */
export class ResourceReader {
  /** Every named resource, including those of unknown kinds (so edges to them do not pile up more errors). */
  readonly defined = new DefinedResources();
  /** The specs of the lists read by list(), by kind. */
  private readonly early = new Map<string, ResourceSpec[]>();

  constructor(
    readonly registry: KindLookup,
    private readonly log: ProblemLog,
  ) {}

  /**
   * A reader for the list of `kindName` found in the section, or undefined (a kind not known or
   * not loaded yet) to leave the list in the tree, for section() to read.
   */
  list(kindName: string): ListReader | undefined {
    const kind = this.registry.get(kindName);
    if (!kind || this.early.has(kindName)) return undefined;
    const specs: ResourceSpec[] = [];
    this.early.set(kindName, specs);
    return kindList(kindName, kind, this.log, this.defined.of(kindName), specs);
  }

  /** The specs of the `resources:` section (`entry`), in the file's order. */
  section(entry: YEntry | undefined): ResourceSpec[] {
    const out: ResourceSpec[] = [];
    const log = this.log;
    if (entry === undefined || isAbsent(entry.value)) return out;
    if (entry.value.kind !== 'map') {
      log.add(entry.line, `"resources" is ${describe(entry.value)}; expected a mapping of resource kinds to lists of resources`);
      return out;
    }
    for (const kindEntry of entry.value.entries) {
      const early = this.early.get(kindEntry.key);
      if (early !== undefined) {
        for (let i = 0; i < early.length; i++) out.push(early[i]);
        continue;
      }
      const kind = this.registry.get(kindEntry.key);
      if (!kind) {
        const known = this.registry.names();
        log.add(kindEntry.line, `unknown resource kind "${kindEntry.key}"${didYouMean(kindEntry.key, known)}; expected ${oneOf(known)}`);
      }
      const value = kindEntry.value;
      if (isAbsent(value)) continue;
      if (value.kind !== 'seq') {
        if (kind) log.add(kindEntry.line, `resources.${kindEntry.key} is ${describe(value)}; expected a list of ${kindEntry.key} resources`);
        continue;
      }
      const read = kindList(kindEntry.key, kind, log, this.defined.of(kindEntry.key), out);
      for (let i = 0; i < value.items.length; i++) read(value.items[i], i);
    }
    return out;
  }
}

/**
 * The reader of one kind's list, putting its specs in `specs`. With `kind` undefined (unknown
 * kind) only the names are recorded. It runs once per resource (100 000 times for a big graph),
 * so what does not depend on the resource is made here, once per kind, and what only a message
 * needs (the resource's label) only for a message.
 */
function kindList(kindName: string, kind: ResourceKind | undefined, log: ProblemLog, names: Map<string, number>, specs: ResourceSpec[]): ListReader {
  const file = log.file;
  // The resource being read, for the one report function of the kind (readMeta and readParams
  // report while they are called, never later).
  let name: string | undefined;
  let index = 0;
  const labelOf = (): string => (name !== undefined ? refKey({ kind: kindName, name }) : `${kindName}[#${index + 1}]`);
  const report = (line: number, message: string): void => log.add(line, message, labelOf());
  return (item, i) => {
    if (item.kind !== 'map') {
      if (kind) log.add(item.line, `resource is ${describe(item)}; expected a mapping with a name and the ${kindName} fields`, `${kindName}[#${i + 1}]`);
      return;
    }
    const read = readName(entryOf(item, 'name'));
    name = typeof read === 'string' ? read : undefined;
    index = i;
    const definedOn = name !== undefined ? names.get(name) : undefined;
    if (!kind) {
      if (name !== undefined && definedOn === undefined) names.set(name, item.line);
      return;
    }
    const before = log.count;
    if (typeof read !== 'string') report(read.line ?? item.line, read.problem);
    else if (definedOn !== undefined) {
      report(item.line, `duplicate resource: ${labelOf()} is already defined on line ${definedOn}; expected a unique name for each ${kindName}`);
    } else names.set(read, item.line);

    const meta = readMeta(entryOf(item, 'meta'), report);
    const { params, clean } = readParams(kind, item, report);
    if (clean) {
      const problem = validate(kind, params);
      if (problem) report(item.line, problem);
    }
    if (name !== undefined && log.count === before) {
      specs.push({ kind: kindName, name, meta, params, pos: { file, line: item.line } });
    }
  };
}

/** The resource's name (a non-empty string without NUL), or what is wrong with it and where (no line: the item's). */
function readName(e: YEntry | undefined): string | { problem: string; line?: number } {
  const node = e?.value;
  const v = node?.kind === 'scalar' ? node.value : undefined;
  if (typeof v === 'string' && v !== '' && !v.includes('\0')) return v; // the common case, with no Read made
  if (!e || isAbsent(e.value)) return { problem: 'name is missing; expected a non-empty string' };
  const r = readNonEmptyString(e.value);
  return r.ok ? r.value : { problem: `name ${r.problem}`, line: e.line };
}

/** The kind's cross-field check; a kind that throws is reported, not propagated. */
function validate(kind: ResourceKind, params: Record<string, unknown>): string | undefined {
  try {
    return kind.validate?.(params);
  } catch (err) {
    return `${kind.kind} validation failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
