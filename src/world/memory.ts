// The in-process World: the default when no `--seeds` are given. One MemoryStore is the shared
// state; every World opened on the same store is one "host", so a test can run several hosts
// in one process. Writes go through the same codec as etcd's (same validation, same JSON
// round trip), and `MemoryStore.setOnline(false)` simulates an outage so code above the World
// can be tested against `down`/resync without etcd.

import { BehaviorSubject, type Observable, ReplaySubject, distinctUntilChanged, takeUntil } from 'rxjs';
import { normalizeExports } from './etcd/codec.js';
import {
  type ExportInput,
  type ExportedResource,
  type World,
  type WorldSnapshot,
  type WorldStatus,
  WorldDownError,
  type StringsState,
  collectFrom,
  convergedFrom,
  emptySnapshot,
  emptyStrings,
  strFrom,
  strMapFrom,
  withStr,
  withStrMap,
} from './world.js';

/** The shared state of the hosts of one process (what etcd is for the etcd backend). */
export class MemoryStore {
  private readonly state = new BehaviorSubject<WorldSnapshot>(emptySnapshot);
  private readonly onlineState = new BehaviorSubject<boolean>(true);
  /** @internal The kv strings. */
  readonly strings = new BehaviorSubject<StringsState>(emptyStrings);
  private readonly open = new Set<string>();

  /** Every state change (one per atomic write); the current state on subscribe. */
  snapshots(): Observable<WorldSnapshot> {
    return this.state.asObservable();
  }

  /** The current state. */
  get snapshot(): WorldSnapshot {
    return this.state.value;
  }

  get online(): boolean {
    return this.onlineState.value;
  }

  /** `true` now, then every change of `setOnline`. */
  onlineChanges(): Observable<boolean> {
    return this.onlineState.pipe(distinctUntilChanged());
  }

  /**
   * Simulates an outage (`false`: every World on this store goes `down`, writes are refused
   * and kept, collected lists freeze) and the recovery (`true`: every World re-writes what it
   * wants and goes `up`).
   */
  setOnline(online: boolean): void {
    this.onlineState.next(online);
  }

  /** @internal Registers an open World's host; a host can be open only once per store. */
  attach(host: string): void {
    if (this.open.has(host)) throw new Error(`host "${host}" already has an open World on this MemoryStore`);
    this.open.add(host);
  }

  /** @internal */
  detach(host: string): void {
    this.open.delete(host);
    this.deleteConverged(host);
  }

  /** @internal Replaces `host`'s exports in one step. */
  replaceExports(host: string, resources: readonly ExportedResource[]): void {
    const prev = this.state.value;
    const exports = new Map([...prev.exports].filter(([, r]) => r.host !== host));
    for (const r of resources) exports.set(idOf(r), r);
    this.state.next({ exports, converged: prev.converged });
  }

  /** @internal */
  putConverged(host: string, converged: boolean): void {
    const prev = this.state.value;
    if (prev.converged.get(host) === converged) return;
    this.state.next({ exports: prev.exports, converged: new Map(prev.converged).set(host, converged) });
  }

  /** @internal */
  deleteConverged(host: string): void {
    const prev = this.state.value;
    if (!prev.converged.has(host)) return;
    const converged = new Map(prev.converged);
    converged.delete(host);
    this.state.next({ exports: prev.exports, converged });
  }
}

const idOf = (r: ExportedResource): string => JSON.stringify([r.host, r.kind, r.name]);

class MemoryWorld implements World {
  private readonly statusState = new BehaviorSubject<WorldStatus>('connecting');
  private readonly closed = new ReplaySubject<void>(1);
  private isClosed = false;
  /** What this host wants published; re-written on recovery. */
  private desiredExports: ExportedResource[] | undefined;
  private desiredConverged = false;

  constructor(
    readonly host: string,
    private readonly store: MemoryStore,
  ) {
    store.attach(host);
    store
      .onlineChanges()
      .pipe(takeUntil(this.closed))
      .subscribe((online) => {
        if (online) this.resync();
        else if (this.statusState.value === 'up') this.statusState.next('down');
      });
  }

  private resync(): void {
    this.store.putConverged(this.host, this.desiredConverged);
    if (this.desiredExports) this.store.replaceExports(this.host, this.desiredExports);
    this.statusState.next('up');
  }

  private refuse(what: string): Promise<void> | undefined {
    if (this.isClosed) return Promise.reject(new Error(`World of host "${this.host}" is closed`));
    if (!this.store.online) return Promise.reject(new WorldDownError(what, 'memory store offline'));
    return undefined;
  }

  setExports(resources: readonly ExportInput[]): Promise<void> {
    let list: ExportedResource[];
    try {
      list = normalizeExports(this.host, resources);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.isClosed) return Promise.reject(new Error(`World of host "${this.host}" is closed`));
    this.desiredExports = list;
    const refused = this.refuse(`the exports of host "${this.host}"`);
    if (refused) return refused;
    this.store.replaceExports(this.host, list);
    return Promise.resolve();
  }

  collect(kinds: readonly string[]): Observable<ExportedResource[]> {
    return collectFrom(this.store.snapshots(), kinds).pipe(takeUntil(this.closed));
  }

  setConverged(converged: boolean): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error(`World of host "${this.host}" is closed`));
    this.desiredConverged = converged;
    const refused = this.refuse(`the converged state of host "${this.host}"`);
    if (refused) return refused;
    this.store.putConverged(this.host, converged);
    return Promise.resolve();
  }

  hostsConverged(): Observable<ReadonlyMap<string, boolean>> {
    return convergedFrom(this.store.snapshots()).pipe(takeUntil(this.closed));
  }

  strValues(key: string): Observable<string | undefined> {
    return strFrom(this.store.strings, key).pipe(takeUntil(this.closed));
  }

  strMapValues(key: string): Observable<ReadonlyMap<string, string>> {
    return strMapFrom(this.store.strings, key).pipe(takeUntil(this.closed));
  }

  strSet(key: string, value: string | undefined): Promise<void> {
    const refused = this.refuse(`kv key "${key}"`);
    if (refused) return refused;
    this.store.strings.next(withStr(this.store.strings.value, key, value));
    return Promise.resolve();
  }

  strMapSet(key: string, value: string | undefined): Promise<void> {
    const refused = this.refuse(`kv key "${key}" of host "${this.host}"`);
    if (refused) return refused;
    this.store.strings.next(withStrMap(this.store.strings.value, key, this.host, value));
    return Promise.resolve();
  }

  status(): Observable<WorldStatus> {
    return this.statusState.pipe(distinctUntilChanged());
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.closed.next();
    this.closed.complete();
    this.store.detach(this.host);
    this.statusState.complete();
    return Promise.resolve();
  }
}

/**
 * Opens host `host` on `store` (a fresh private store by default: a single host needs nothing
 * else). The World is `up` at once (or `connecting` until an offline store comes back); the
 * host is listed as not converged until `setConverged(true)`.
 */
export function memoryWorld(host: string, store: MemoryStore = new MemoryStore()): World {
  return new MemoryWorld(host, store);
}
