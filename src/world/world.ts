// The World: what hosts share. Each host exports resources (`@@name` in a graph) and
// publishes whether it has converged; every host can collect the exports of all hosts and
// see which live hosts have converged. Two backends implement it: `memory` (in-process, the
// default: a single host needs nothing else) and `etcd` (a real etcd cluster, `--seeds`).
// docs/world.md describes the semantics and the etcd key layout.

import { type Observable, distinctUntilChanged, map } from 'rxjs';
import type { MetaParams } from '../model/spec.js';
import type { WorldStrings } from '../model/resource.js';

/** One resource exported by one host, as every collector sees it. */
export interface ExportedResource {
  /** The exporting host. */
  host: string;
  kind: string;
  /** The resource's name as exported (the engine strips the `@@` marker). */
  name: string;
  /** Kind-specific fields; JSON values only (they travel as JSON). */
  params: Record<string, unknown>;
  meta: MetaParams;
}

/**
 * What `setExports` takes: an exported resource without its host (the World's own host is
 * implied; a `host` that names another host is an error) and with `meta` optional (defaults
 * from `defaultMeta` fill what is missing).
 */
export interface ExportInput {
  host?: string;
  kind: string;
  name: string;
  params: Record<string, unknown>;
  meta?: Partial<MetaParams>;
}

/**
 * `connecting` until the first synchronisation (a backend's factory resolves only once it is
 * `up`), `up` while the shared state is live, `down` during an outage (etcd unreachable or
 * without quorum): collected lists then keep their last known value until the World is `up`
 * again, after a full resynchronisation.
 */
export type WorldStatus = 'connecting' | 'up' | 'down';

export interface World extends WorldStrings {
  readonly host: string;
  /**
   * Replaces this host's exported resources with `resources`, atomically: collectors see
   * the old set or the new one, never a mix; resources left out are withdrawn. Exports
   * outlive `close()` (a host that stops keeps exporting what it last exported until it
   * replaces the list; `setExports([])` withdraws everything).
   *
   * Resolves once written. Rejects on an invalid list (duplicate kind+name, non-JSON
   * params, another host's name) and when the write cannot be made now (World `down`,
   * a `WorldDownError`): the World then keeps the list as this host's desired exports and
   * writes it when it resynchronises, so such a rejection only needs logging.
   */
  setExports(resources: readonly ExportInput[]): Promise<void>;
  /**
   * Live view of every host's exports (this host's own included) whose kind is in `kinds`
   * (an empty array collects nothing), sorted by host, kind, name. Emits the full current
   * list on subscribe and after every change (at most once per atomic change: one `setExports`
   * of one host; a backend may deliver changes that come close together as one list, never
   * part of a change), never twice in a row the same list. During an outage it emits nothing: the
   * last list stays the truth until the World resynchronises. Completes on `close()`.
   */
  collect(kinds: readonly string[]): Observable<ExportedResource[]>;
  /**
   * Publishes this host's converged state. Every host is present (as not converged) from
   * the moment its World is up; its entry lives under a lease, so a host that dies
   * disappears after the lease TTL, and one that closes disappears at once. Resolves and
   * rejects like `setExports` (the desired state is re-published on resynchronisation).
   */
  setConverged(converged: boolean): Promise<void>;
  /** Live map host -> converged for every live host (this one included). Completes on close. */
  hostsConverged(): Observable<ReadonlyMap<string, boolean>>;
  /** The current status on subscribe, then every transition. Completes on close. */
  status(): Observable<WorldStatus>;
  /** Stops watching, withdraws this host's converged entry (not its exports), frees the connection. */
  close(): Promise<void>;
}

/** The rejection of a write attempted while the World is down (the write is kept for resync). */
export class WorldDownError extends Error {
  constructor(what: string, reason: string) {
    super(`World is down (${reason}): ${what} will be written when it resynchronises`);
    this.name = 'WorldDownError';
  }
}

// ---- Shared by the backends -------------------------------------------------------------

/** Everything a World knows about the shared state at one instant. */
export interface WorldSnapshot {
  /** Exports by a unique id (the etcd key for etcd), each already decoded. */
  readonly exports: ReadonlyMap<string, ExportedResource>;
  /** Live hosts -> converged. */
  readonly converged: ReadonlyMap<string, boolean>;
}

export const emptySnapshot: WorldSnapshot = Object.freeze({
  exports: new Map<string, ExportedResource>(),
  converged: new Map<string, boolean>(),
});

export function compareExports(a: ExportedResource, b: ExportedResource): number {
  return cmp(a.host, b.host) || cmp(a.kind, b.kind) || cmp(a.name, b.name);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JSON with object keys sorted, so equal values have equal text. Throws on non-JSON values. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, []));
}

function sortKeys(v: unknown, path: string[]): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`not JSON: ${v} at ${where(path)}`);
    return v;
  }
  if (Array.isArray(v)) {
    if (path.length > 64) throw new TypeError(`not JSON: nested too deep at ${where(path)}`);
    return v.map((x, i) => (x === undefined ? null : sortKeys(x, [...path, String(i)])));
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`not JSON: a ${proto?.constructor?.name ?? 'non-plain object'} at ${where(path)}`);
    }
    if (path.length > 64) throw new TypeError(`not JSON: nested too deep at ${where(path)}`);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x, [...path, k]);
    }
    return out;
  }
  throw new TypeError(`not JSON: a ${typeof v} at ${where(path)}`);
}

const where = (path: string[]): string => (path.length ? path.join('.') : 'the top level');

/** `collect` over a snapshot stream: filter by kind, sort, drop repeats. */
export function collectFrom(
  snapshots: Observable<WorldSnapshot>,
  kinds: readonly string[],
): Observable<ExportedResource[]> {
  const wanted = new Set(kinds);
  return snapshots.pipe(
    // A snapshot that changed only converged states keeps its exports map: nothing to sort.
    map((s) => s.exports),
    distinctUntilChanged(),
    map((exports) => [...exports.values()].filter((r) => wanted.has(r.kind)).sort(compareExports)),
    distinctUntilChanged(sameExports),
  );
}

/**
 * Equal lists of exports. The backends keep the object of an unchanged export across
 * changes, so most elements compare by identity and only the changed ones by their text: one
 * change costs a pointer comparison per export, not a serialisation of the whole list.
 */
export function sameExports(a: ExportedResource[], b: ExportedResource[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && canonicalJson(a[i]) !== canonicalJson(b[i])) return false;
  }
  return true;
}

/** `hostsConverged` over a snapshot stream, dropping repeats. */
export function convergedFrom(snapshots: Observable<WorldSnapshot>): Observable<ReadonlyMap<string, boolean>> {
  return snapshots.pipe(
    map((s) => new Map([...s.converged].sort(([a], [b]) => cmp(a, b))) as ReadonlyMap<string, boolean>),
    distinctUntilChanged((a, b) => a.size === b.size && [...a].every(([h, c]) => b.get(h) === c)),
  );
}

/** The shared strings of `kv` (docs/world.md, "Strings"). */
export interface StringsState {
  /** Global key -> value. */
  readonly str: ReadonlyMap<string, string>;
  /** Mapped key -> host -> value. */
  readonly strmap: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export const emptyStrings: StringsState = Object.freeze({ str: new Map<string, string>(), strmap: new Map<string, ReadonlyMap<string, string>>() });

const emptyMap: ReadonlyMap<string, string> = new Map();

/** `strValues(key)` over a strings stream. */
export function strFrom(states: Observable<StringsState>, key: string): Observable<string | undefined> {
  return states.pipe(
    map((s) => s.str.get(key)),
    distinctUntilChanged(),
  );
}

/** `strMapValues(key)` over a strings stream, sorted by host. */
export function strMapFrom(states: Observable<StringsState>, key: string): Observable<ReadonlyMap<string, string>> {
  return states.pipe(
    map((s) => s.strmap.get(key) ?? emptyMap),
    distinctUntilChanged(),
    map((m) => new Map([...m].sort(([a], [b]) => cmp(a, b))) as ReadonlyMap<string, string>),
  );
}

/** `state` with global `key` set to `value` (undefined: removed). */
export function withStr(state: StringsState, key: string, value: string | undefined): StringsState {
  if (state.str.get(key) === value) return state;
  const str = new Map(state.str);
  if (value === undefined) str.delete(key);
  else str.set(key, value);
  return { str, strmap: state.strmap };
}

/** `state` with `host`'s value of mapped `key` set to `value` (undefined: removed). */
export function withStrMap(state: StringsState, key: string, host: string, value: string | undefined): StringsState {
  const old = state.strmap.get(key) ?? emptyMap;
  if (old.get(host) === value) return state;
  const inner = new Map(old);
  if (value === undefined) inner.delete(host);
  else inner.set(host, value);
  const strmap = new Map(state.strmap);
  if (inner.size === 0) strmap.delete(key);
  else strmap.set(key, inner);
  return { str: state.str, strmap };
}
