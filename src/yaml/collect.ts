// The `collect:` section: which kinds of other hosts' exported resources to pull in.
import type { CollectAllow, CollectSpec } from '../model/spec.js';
import type { ProblemLog } from './errors.js';
import type { KindLookup } from './resources.js';
import { didYouMean, oneOf } from './suggest.js';
import type { YEntry } from './tree.js';
import { describe, entryOf, isAbsent, readBoolean, readNonEmptyString, readString, readStringList } from './values.js';

const collectKeys = ['kind', 'pattern', 'allow', 'purge'];
/** What an export may set only when its collect entry allows it: what each one would let a remote host do. */
export const collectAllows: readonly CollectAllow[] = ['source', 'owner', 'group', 'setuid'];

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
    const allow = readAllow(entryOf(item, 'allow'), label, log);
    let purge = false;
    const purgeEntry = entryOf(item, 'purge');
    if (purgeEntry && !isAbsent(purgeEntry.value)) {
      const r = readBoolean(purgeEntry.value);
      if (!r.ok) {
        log.add(purgeEntry.line, `purge ${r.problem} (delete what was collected when its export is withdrawn)`, label);
      } else if (r.value && kind !== undefined && kind !== 'file') {
        log.add(purgeEntry.line, `purge: true is supported for kind file only (it deletes the collected file); expected it left out for ${kind}`, label);
      } else purge = r.value;
    }
    if (kind !== undefined && log.count === before) {
      // allow and purge only when given: an mgmt graph reads exactly as before.
      out.push({ kind, pattern, ...(allow.length ? { allow } : {}), ...(purge ? { purge } : {}), pos: { file: log.file, line: item.line } });
    }
  }
  return out;
}

/** `allow: [source, owner, group, setuid]`: each one a field an export may then set. */
function readAllow(entry: YEntry | undefined, label: string, log: ProblemLog): CollectAllow[] {
  if (!entry || isAbsent(entry.value)) return [];
  const r = readStringList(entry.value);
  if (!r.ok) {
    log.add(r.line ?? entry.line, `allow ${r.problem} (${oneOf([...collectAllows])})`, label);
    return [];
  }
  const out: CollectAllow[] = [];
  for (const word of r.value) {
    if ((collectAllows as readonly string[]).includes(word)) out.push(word as CollectAllow);
    else log.add(entry.line, `allow: "${word}" is not something a collect entry can allow${didYouMean(word, [...collectAllows])}; expected ${oneOf([...collectAllows])}`, label);
  }
  return out;
}
