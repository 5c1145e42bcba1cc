// The `edges:` section: named dependencies between resources defined in this file.
import { refKey } from '../model/spec.js';
import type { EdgeSpec, ResourceRef } from '../model/spec.js';
import type { ProblemLog, Report } from './errors.js';
import type { DefinedResources } from './resources.js';
import { didYouMean, oneOf } from './suggest.js';
import type { YEntry, YMap } from './tree.js';
import { describe, entryOf, isAbsent, readBoolean, readNonEmptyString } from './values.js';

const edgeKeys = ['name', 'from', 'to', 'notify'];
const endpointKeys = ['kind', 'name'];

/** `defined` has every resource of the file. */
export function readEdges(entry: YEntry | undefined, defined: Pick<DefinedResources, 'has'>, log: ProblemLog): EdgeSpec[] {
  const edges: EdgeSpec[] = [];
  if (entry === undefined || isAbsent(entry.value)) return edges; // mgmt writes `edges:` for none
  if (entry.value.kind !== 'seq') {
    log.add(entry.line, `"edges" is ${describe(entry.value)}; expected a list of edges`);
    return edges;
  }
  const names = new Map<string, number>();
  for (const [i, item] of entry.value.items.entries()) {
    if (item.kind !== 'map') {
      log.add(item.line, `edge is ${describe(item)}; expected a mapping with ${edgeKeys.join(', ')}`, `edge[#${i + 1}]`);
      continue;
    }
    const nameEntry = entryOf(item, 'name');
    const name = nameEntry && !isAbsent(nameEntry.value) ? readNonEmptyString(nameEntry.value) : undefined;
    const label = name?.ok ? `edge[${name.value}]` : `edge[#${i + 1}]`;
    const before = log.count;
    const report: Report = (line, message) => log.add(line, message, label);

    if (!name) report(item.line, 'name is missing; expected a non-empty string');
    else if (!name.ok) report(nameEntry!.line, `name ${name.problem}`);
    else if (names.has(name.value)) {
      report(item.line, `duplicate edge name: ${label} is already defined on line ${names.get(name.value)}; expected a unique name for each edge`);
    } else names.set(name.value, item.line);

    for (const { key, line } of item.entries) {
      if (!edgeKeys.includes(key)) report(line, `key "${key}" is not an edge key${didYouMean(key, edgeKeys)}; expected ${oneOf(edgeKeys)}`);
    }
    const from = readEndpoint(item, 'from', report);
    const to = readEndpoint(item, 'to', report);
    const loop = from && to && refKey(from.ref) === refKey(to.ref);
    if (loop) report(item.line, `from and to are both ${refKey(from.ref)}; expected two different resources`);
    for (const [side, end] of [['from', from], ['to', loop ? undefined : to]] as const) {
      if (end && !defined.has(end.ref)) {
        report(end.line, `${side} ${refKey(end.ref)} is not a resource in this graph; expected the kind and name of a resource under resources`);
      }
    }
    let notify = false;
    const notifyEntry = entryOf(item, 'notify');
    if (notifyEntry && !isAbsent(notifyEntry.value)) {
      const r = readBoolean(notifyEntry.value);
      if (r.ok) notify = r.value;
      else report(notifyEntry.line, `notify ${r.problem} (send a refresh to "to" when "from" changed something)`);
    }
    if (name?.ok && from && to && log.count === before) {
      edges.push({ name: name.value, from: from.ref, to: to.ref, notify, pos: { file: log.file, line: item.line } });
    }
  }
  return edges;
}

/** `from:` or `to:` -> a resource reference and its line, or undefined after reporting why not. */
function readEndpoint(item: YMap, side: 'from' | 'to', report: Report): { ref: ResourceRef; line: number } | undefined {
  const e = entryOf(item, side);
  const expected = 'a mapping with kind and name of a resource under resources';
  if (!e || isAbsent(e.value)) {
    report(item.line, `${side} is missing; expected ${expected}`);
    return undefined;
  }
  if (e.value.kind !== 'map') {
    report(e.line, `${side} is ${describe(e.value)}; expected ${expected}`);
    return undefined;
  }
  const parts: Partial<Record<'kind' | 'name', string>> = {};
  for (const { key, line, value } of e.value.entries) {
    if (key !== 'kind' && key !== 'name') {
      report(line, `key "${side}.${key}" is not allowed${didYouMean(key, endpointKeys)}; expected kind and name`);
      continue;
    }
    const r = isAbsent(value) ? undefined : readNonEmptyString(value);
    if (r?.ok) parts[key] = key === 'kind' ? r.value.toLowerCase() : r.value; // mgmt matches kinds case-insensitively
    else if (r) report(line, `${side}.${key} ${r.problem}`);
  }
  for (const key of endpointKeys) {
    const given = entryOf(e.value, key);
    if (!given || isAbsent(given.value)) report(e.line, `${side}.${key} is missing; expected a non-empty string`);
  }
  if (parts.kind === undefined || parts.name === undefined) return undefined;
  return { ref: { kind: parts.kind, name: parts.name }, line: e.line };
}
