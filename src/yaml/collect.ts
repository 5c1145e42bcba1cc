// The `collect:` section: which kinds of other hosts' exported resources to pull in.
import type { CollectSpec } from '../model/spec.js';
import type { ProblemLog } from './errors.js';
import type { KindLookup } from './resources.js';
import { didYouMean, oneOf } from './suggest.js';
import type { YEntry } from './tree.js';
import { describe, entryOf, isAbsent, readNonEmptyString, readString } from './values.js';

const collectKeys = ['kind', 'pattern'];

export function readCollect(entry: YEntry | undefined, registry: KindLookup, log: ProblemLog): CollectSpec[] {
  const out: CollectSpec[] = [];
  if (entry === undefined || isAbsent(entry.value)) return out;
  if (entry.value.kind !== 'seq') {
    log.add(entry.line, `"collect" is ${describe(entry.value)}; expected a list of {kind, pattern}`);
    return out;
  }
  for (const [i, item] of entry.value.items.entries()) {
    const label = `collect[#${i + 1}]`;
    const before = log.count;
    if (item.kind !== 'map') {
      log.add(item.line, `collect entry is ${describe(item)}; expected a mapping with kind and pattern`, label);
      continue;
    }
    for (const { key, line } of item.entries) {
      if (!collectKeys.includes(key)) log.add(line, `key "${key}" is not a collect key${didYouMean(key, collectKeys)}; expected ${oneOf(collectKeys)}`, label);
    }
    let kind: string | undefined;
    const kindEntry = entryOf(item, 'kind');
    if (!kindEntry || isAbsent(kindEntry.value)) log.add(item.line, 'kind is missing; expected the resource kind to collect', label);
    else {
      const r = readNonEmptyString(kindEntry.value);
      if (!r.ok) log.add(kindEntry.line, `kind ${r.problem}`, label);
      else if (!registry.get(r.value.toLowerCase())) {
        const known = registry.names();
        log.add(kindEntry.line, `kind "${r.value}" is not a known resource kind${didYouMean(r.value, known)}; expected ${oneOf(known)}`, label);
      } else kind = r.value.toLowerCase(); // mgmt matches kinds case-insensitively
    }
    // mgmt writes `pattern: ''` for "no pattern"; absent means the same.
    let pattern = '';
    const patternEntry = entryOf(item, 'pattern');
    if (patternEntry && !isAbsent(patternEntry.value)) {
      const r = readString(patternEntry.value);
      if (r.ok) pattern = r.value;
      else log.add(patternEntry.line, `pattern ${r.problem}`, label);
    }
    if (kind !== undefined && log.count === before) out.push({ kind, pattern, pos: { file: log.file, line: item.line } });
  }
  return out;
}
