// A resource's `meta:` mapping -> MetaParams, defaults filled in from defaultMeta.
import { MAX_DURATION_SECONDS, maxDurationText } from '../model/durations.js';
import { defaultMeta } from '../model/spec.js';
import type { MetaParams } from '../model/spec.js';
import type { Report } from './errors.js';
import type { YEntry, YNode } from './tree.js';
import { didYouMean, oneOf } from './suggest.js';
import { describe, isAbsent, readBoolean, readNumber, readStringList } from './values.js';
import type { Read } from './values.js';

interface MetaRule<T> {
  read(node: YNode): Read<T>;
  /** Said after a type problem, so the user learns what the key is for. */
  doc: string;
}

const boolean = (doc: string): MetaRule<boolean> => ({ read: readBoolean, doc });

const rules: { [K in keyof MetaParams]: MetaRule<MetaParams[K]> } = {
  autoedge: boolean('add the edges the resources imply, e.g. a file after its directory'),
  autogroup: boolean('allow merging this resource with compatible ones'),
  noop: boolean('check only, change nothing'),
  retry: { read: (n) => readNumber(n, { integer: true, min: -1 }), doc: 'retries after a failure; -1 retries forever' },
  delay: { read: (n) => atMost(readNumber(n, { integer: true, min: 0 }), MAX_DURATION_SECONDS * 1000, 'ms'), doc: 'milliseconds between retries' },
  poll: { read: (n) => atMost(readPoll(n), MAX_DURATION_SECONDS, 's'), doc: 'seconds between polls; 0 watches for events' },
  // mgmt writes "no limit" as .inf; rxmgmt spells it 0.
  limit: { read: (n) => slowestRate(mapRead(readNumber(n, { min: 0, infinity: true }), (v) => (v === Infinity ? 0 : v))), doc: 'CheckApply runs per second; 0 or .inf for no limit' },
  burst: { read: (n) => readNumber(n, { integer: true, min: 0 }), doc: 'runs allowed at once under meta.limit' },
  sema: { read: readSemaphores, doc: 'semaphores as id or id:N' },
  rewatch: boolean('restart a watch that completed'),
  reverse: boolean('undo the resource when the graph no longer has it'),
  hidden: boolean('keep the resource in the graph but never run it'),
};

/**
 * mgmt meta params rxmgmt does not implement. Each is accepted only with the value at
 * which it has no effect (so ignoring it cannot change what happens); any other value is
 * refused as "not supported by rxmgmt" rather than silently dropped.
 */
const mgmtOnly: Record<string, { read(node: YNode): Read<unknown>; harmless(v: unknown): boolean; harmlessValue?: string; what: string }> = {
  retryreset: { read: readBoolean, harmless: (v) => v === false, harmlessValue: 'false', what: 'resets the retry count after a success' },
  reset: { read: readBoolean, harmless: (v) => v === false, harmlessValue: 'false', what: 'resets retry state when the resource changes' },
  // mgmt documents it but does not implement it either: accepting true would promise what no one does.
  realize: { read: readBoolean, harmless: (v) => v === false, harmlessValue: 'false', what: 'would make a graph swap wait until the resource has run once, but mgmt does not implement it either' },
  timeout: { read: (n) => readNumber(n, { integer: true, min: 0 }), harmless: (v) => v === 0, harmlessValue: '0', what: 'times out a CheckApply' },
  export: { read: readStringList, harmless: (v) => (v as string[]).length === 0, harmlessValue: '[]', what: 'exports to named hosts; rxmgmt exports resources named @@name' },
  async: { read: readBoolean, harmless: () => false, what: 'lets a CheckApply run on through a graph swap' },
  // mgmt refuses names starting with $ unless this is set; rxmgmt never refuses them.
  dollar: { read: readBoolean, harmless: () => true, what: '' },
};

export const metaKeys = Object.keys(rules).sort();

/**
 * Reads `meta:`; problems go to `report`, and the defaults stand in for anything wrong.
 * Without a `meta:` the answer is defaultMeta itself, shared (and frozen).
 */
export function readMeta(entry: YEntry | undefined, report: Report): MetaParams {
  if (entry === undefined || isAbsent(entry.value)) return defaultMeta;
  if (entry.value.kind !== 'map') {
    report(entry.line, `meta is ${describe(entry.value)}; expected a mapping of meta params (${metaKeys.join(', ')})`);
    return defaultMeta;
  }
  const meta: MetaParams = { ...defaultMeta };
  const set = meta as unknown as Record<string, unknown>;
  for (const { key, line, value } of entry.value.entries) {
    if (isAbsent(value)) continue;
    const rule = Object.hasOwn(rules, key) ? (rules as Record<string, MetaRule<unknown>>)[key] : undefined;
    if (rule) {
      const r = rule.read(value);
      if (r.ok) set[key] = r.value;
      else report(r.line ?? line, `meta.${key} ${r.problem} (${rule.doc})`);
      continue;
    }
    const other = Object.hasOwn(mgmtOnly, key) ? mgmtOnly[key] : undefined;
    if (other) {
      const r = other.read(value);
      if (!r.ok) report(r.line ?? line, `meta.${key} ${r.problem}`);
      else if (!other.harmless(r.value)) {
        const fix = other.harmlessValue ? `it left out or set to ${other.harmlessValue}` : 'it left out';
        report(line, `meta.${key} is not supported by rxmgmt (in mgmt it ${other.what}); expected ${fix}`);
      }
      continue;
    }
    report(line, `meta key "${key}" is unknown${didYouMean(key, metaKeys)}; expected ${oneOf(metaKeys)}`);
  }
  checkRateLimit(meta, entry.value.entries, report);
  return meta;
}

/** A duration past the longest rxmgmt waits is refused, not turned into "at once" or "never". */
function atMost(r: Read<number>, max: number, unit: 's' | 'ms'): Read<number> {
  if (!r.ok || r.value <= max) return r;
  return { ok: false, problem: `is ${r.value} ${unit}, longer than the longest duration rxmgmt waits, ${unit === 's' ? maxDurationText : `${max} ms (10 years)`}` };
}

/** A rate so low that one run waits longer than the longest duration is refused too. */
function slowestRate(r: Read<number>): Read<number> {
  if (!r.ok || r.value === 0 || 1 / r.value <= MAX_DURATION_SECONDS) return r;
  return { ok: false, problem: `is ${r.value} per second, one run every ${Math.round(1 / r.value)} s, longer than the longest duration rxmgmt waits, ${maxDurationText}` };
}

function mapRead<T, U>(r: Read<T>, f: (v: T) => U): Read<U> {
  return r.ok ? { ok: true, value: f(r.value) } : r;
}

/** `id` or `id:N`: if there is a colon, what follows the last one must be a positive count. */
function readSemaphores(node: YNode): Read<string[]> {
  const list = readStringList(node);
  if (!list.ok || node.kind !== 'seq') return list;
  for (const [i, id] of list.value.entries()) {
    const colon = id.lastIndexOf(':');
    const name = colon === -1 ? id : id.slice(0, colon);
    const count = colon === -1 ? '1' : id.slice(colon + 1);
    const bareNumber = colon === -1 && /^[0-9]+$/.test(id); // mgmt refuses these too
    if (name === '' || bareNumber || !/^[1-9][0-9]*$/.test(count)) {
      return { ok: false, problem: `item ${i + 1} is ${JSON.stringify(id)}; expected "id" or "id:N" with N a positive integer`, line: node.items[i].line };
    }
  }
  return list;
}

/** mgmt's `poll: -1` (run once, never watch) deserves its own message. */
function readPoll(node: YNode): Read<number> {
  if (node.kind === 'scalar' && node.value === -1) {
    return { ok: false, problem: 'is -1 (in mgmt: run once, never watch), which rxmgmt does not support; expected an integer >= 0' };
  }
  return readNumber(node, { integer: true, min: 0 });
}

/** A token bucket with no room never lets a run through (mgmt refuses this too). */
function checkRateLimit(meta: MetaParams, entries: YEntry[], report: Report): void {
  if (meta.limit > 0 && meta.burst === 0) {
    const line = entries.find((e) => e.key === 'limit')?.line ?? 0;
    report(line, `meta.limit is ${meta.limit} with meta.burst 0, so the resource could never run; expected meta.burst >= 1 (or meta.limit 0 or .inf for no limit)`);
  }
}
