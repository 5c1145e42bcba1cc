// The `resources:` section: kind -> list of resources, each with name, meta and fields.
import { refKey } from '../model/spec.js';
import type { ResourceSpec } from '../model/spec.js';
import type { ResourceKind } from '../model/resource.js';
import type { Registry } from '../model/registry.js';
import type { ProblemLog } from './errors.js';
import { readParams } from './fields.js';
import { readMeta } from './meta.js';
import { didYouMean, oneOf } from './suggest.js';
import type { YEntry, YMap } from './tree.js';
import { describe, entryOf, isAbsent, readNonEmptyString } from './values.js';

/**
 * What the parser needs from a Registry (any Registry will do). `load`, when there, loads the
 * kinds a file names before they are validated (a registry that loads kinds lazily, the CLI's).
 */
export type KindLookup = Pick<Registry, 'get' | 'names'> & { load?(kinds: Iterable<string>): Promise<void> };

export interface ResourcesRead {
  resources: ResourceSpec[];
  /** `kind[name]` -> line, for every named resource, including those of unknown kinds (so edges to them do not pile up more errors). */
  defined: Map<string, number>;
}

export function readResources(entry: YEntry | undefined, registry: KindLookup, log: ProblemLog): ResourcesRead {
  const out: ResourcesRead = { resources: [], defined: new Map() };
  if (entry === undefined || isAbsent(entry.value)) return out;
  if (entry.value.kind !== 'map') {
    log.add(entry.line, `"resources" is ${describe(entry.value)}; expected a mapping of resource kinds to lists of resources`);
    return out;
  }
  for (const kindEntry of entry.value.entries) {
    const kind = registry.get(kindEntry.key);
    if (!kind) {
      const known = registry.names();
      log.add(kindEntry.line, `unknown resource kind "${kindEntry.key}"${didYouMean(kindEntry.key, known)}; expected ${oneOf(known)}`);
    }
    readKind(kindEntry, kind, log, out);
  }
  return out;
}

/** One kind's list. With `kind` undefined (unknown kind) only the names are recorded. */
function readKind(entry: YEntry, kind: ResourceKind | undefined, log: ProblemLog, out: ResourcesRead): void {
  const kindName = entry.key;
  if (isAbsent(entry.value)) return;
  if (entry.value.kind !== 'seq') {
    if (kind) log.add(entry.line, `resources.${kindName} is ${describe(entry.value)}; expected a list of ${kindName} resources`);
    return;
  }
  const items = entry.value.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== 'map') {
      if (kind) log.add(item.line, `resource is ${describe(item)}; expected a mapping with a name and the ${kindName} fields`, `${kindName}[#${i + 1}]`);
      continue;
    }
    const name = readName(item);
    const label = name.ok ? refKey({ kind: kindName, name: name.value }) : `${kindName}[#${i + 1}]`;
    const definedOn = name.ok ? out.defined.get(label) : undefined;
    if (!kind) {
      if (name.ok && definedOn === undefined) out.defined.set(label, item.line);
      continue;
    }
    const report = (line: number, message: string): void => log.add(line, message, label);
    if (!name.ok) report(name.line, name.problem);
    else if (definedOn !== undefined) {
      report(item.line, `duplicate resource: ${label} is already defined on line ${definedOn}; expected a unique name for each ${kindName}`);
    } else out.defined.set(label, item.line);

    const before = log.count;
    const meta = readMeta(entryOf(item, 'meta'), report);
    const { params, clean } = readParams(kind, item, report);
    if (clean) {
      const problem = validate(kind, params);
      if (problem) report(item.line, problem);
    }
    if (name.ok && log.count === before) {
      out.resources.push({ kind: kindName, name: name.value, meta, params, pos: { file: log.file, line: item.line } });
    }
  }
}

function readName(item: YMap): { ok: true; value: string } | { ok: false; problem: string; line: number } {
  const e = entryOf(item, 'name');
  if (!e || isAbsent(e.value)) return { ok: false, problem: 'name is missing; expected a non-empty string', line: item.line };
  const r = readNonEmptyString(e.value);
  return r.ok ? r : { ok: false, problem: `name ${r.problem}`, line: e.line };
}

/** The kind's cross-field check; a kind that throws is reported, not propagated. */
function validate(kind: ResourceKind, params: Record<string, unknown>): string | undefined {
  try {
    return kind.validate?.(params);
  } catch (err) {
    return `${kind.kind} validation failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
