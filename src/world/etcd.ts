// The World on a real etcd cluster (`rxmgmt run --seeds ...`), through the `etcd3` client.
//
// State: one range read of the namespace at revision R gives the full picture, then one
// prefix watch from R+1 keeps it live; events are applied a watch message (whole revisions) at
// a time, so a host's `setExports` reaches collectors whole, never in part (one transaction, one
// revision; or, for a change too big for one transaction, a new generation that collectors
// ignore until the one transaction that makes it current) and no revision is skipped while the
// watch stays attached (the client re-attaches a broken watch from its last revision, so a
// member that dies costs nothing). Collectors get a burst of changes as one list
// (`collectCoalesceMs`, on the World's scheduler; src/world/coalesce.ts).
//
// Health: every `probeIntervalMs` a linearizable read of this host's converged key (it fails
// without quorum, which a watch alone would not notice). A failure makes the World `down`:
// collected lists freeze at the last known state and writes are kept for later. While down,
// resynchronisation is attempted with a backoff; it re-grants the lease if it was lost,
// re-puts the converged state and the desired exports, re-reads everything and re-watches;
// then the World is `up` again. Engine-side timing (probe, backoff, start-up bound) runs on
// the given RxJS scheduler; the etcd client's own internals (gRPC deadlines, lease
// keepalives, watch reconnects) use real time.

import { Etcd3, type IKeyValue, type IRequestOp, type Lease, type Watcher } from 'etcd3';
import {
  BehaviorSubject,
  EMPTY,
  type Observable,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  asyncScheduler,
  catchError,
  defer,
  distinctUntilChanged,
  exhaustMap,
  filter,
  firstValueFrom,
  from,
  interval,
  merge,
  retry,
  takeUntil,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import type { Logger } from '../util/logger.js';
import { decodeConverged, decodeCurrent, decodeExport, decodeStr, encodeConverged, encodeCurrent, encodeExport, encodeStr, normalizeExports } from './etcd/codec.js';
import { DEFAULT_NAMESPACE, KeyLayout, prefixEnd } from './etcd/keys.js';
import { SnapshotCoalescer } from './coalesce.js';
import { type EtcdSecurity, clientSecurity, explainEtcdError, isPermanentFailure } from './etcd/security.js';
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

export type { EtcdSecurity } from './etcd/security.js';

export interface EtcdWorldOptions {
  /** This host's name; unique in the cluster. */
  host: string;
  /** Client URLs of etcd members, e.g. `http://127.0.0.1:2379`. */
  seeds: string[];
  log: Logger;
  /** Bound on the initial connection: past it `connectEtcdWorld` rejects, naming the seeds. */
  startupTimeoutMs: number;
  /** Key prefix of everything this World reads and writes (default `/rxmgmt`). */
  namespace?: string;
  /** TTL of the lease holding this host's converged entry (default 10 s, minimum 1). */
  leaseTtlSeconds?: number;
  /** Deadline of every etcd request, the liveness probe included (default 3000 ms). */
  requestTimeoutMs?: number;
  /** Liveness probe period while up, and the base of the resync backoff while down (default 1000 ms). */
  probeIntervalMs?: number;
  /**
   * How long probes may keep failing before the World is declared down (default 3000 ms):
   * a leader election makes members answer "no leader" for a second or two, which is no outage.
   */
  outageGraceMs?: number;
  /** Longest wait between two resync attempts while down (default 5000 ms). */
  maxBackoffMs?: number;
  /**
   * etcd's `--max-txn-ops` (default 128): a larger change is written as a new generation in
   * several transactions, made current in one.
   */
  maxTxnOps?: number;
  /**
   * Bursts of changes to the collected exports are delivered as one list (default 200 ms): the
   * first change after a quiet spell reaches collectors at once, and the ones that follow
   * within this window arrive together at its end, each host's change still whole; converged
   * states written after a held change wait with it (src/world/coalesce.ts). A fleet whose
   * hosts join one after the other then swaps each collector's graph a few times instead of
   * once per host. 0: every change on its own.
   */
  collectCoalesceMs?: number;
  /** Where the World's own timing runs (default `asyncScheduler`). */
  scheduler?: SchedulerLike;
  /** TLS and user authentication (none: plain `http://` seeds, no user). */
  security?: EtcdSecurity;
}

/** The etcd World; `crash()` exists for tests. */
export interface EtcdWorld extends World {
  /**
   * For tests: stops at once as a killed process would, without revoking the lease, so this
   * host's converged entry disappears only when the lease expires.
   */
  crash(): Promise<void>;
}

/**
 * Opens host `opts.host` on the etcd cluster at `opts.seeds` without waiting for it: resolves
 * after one attempt, `up` if etcd answered, else `connecting` while it keeps trying in the
 * background (writes are kept until then, collected lists are empty). Rejects when etcd
 * answered and refused this host's user, password or permissions.
 */
export async function openEtcdWorld(opts: EtcdWorldOptions): Promise<EtcdWorld> {
  if (opts.seeds.length === 0) throw new Error('openEtcdWorld: no seeds given');
  const world = new EtcdWorldImpl(opts);
  try {
    await world.startInBackground();
  } catch (e) {
    await world.close().catch(() => undefined);
    throw e;
  }
  return world;
}

/**
 * Connects host `opts.host` to the etcd cluster at `opts.seeds` and resolves once the World is
 * `up` (state read, watch attached, converged entry published as not converged). Rejects
 * after at most `startupTimeoutMs` with an error naming the seeds when no working cluster
 * answered.
 */
export async function connectEtcdWorld(opts: EtcdWorldOptions): Promise<EtcdWorld> {
  if (opts.seeds.length === 0) throw new Error('connectEtcdWorld: no seeds given');
  const world = new EtcdWorldImpl(opts);
  try {
    await world.start();
  } catch (e) {
    await world.close().catch(() => undefined);
    throw e;
  }
  return world;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

class EtcdWorldImpl implements EtcdWorld {
  readonly host: string;
  private readonly log: Logger;
  private readonly client: Etcd3;
  private readonly keys: KeyLayout;
  private readonly scheduler: SchedulerLike;
  private readonly ttl: number;
  private readonly requestTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly outageGraceMs: number;
  private readonly maxTxnOps: number;
  private readonly collectCoalesceMs: number;

  /** The shared state as of `rev`. */
  private state: WorldSnapshot = emptySnapshot;
  /** `state` as collectors and `hostsConverged` see it: bursts of export changes coalesced. */
  private readonly view: SnapshotCoalescer;
  private readonly statusState = new BehaviorSubject<WorldStatus>('connecting');
  /** The kv strings, as of `rev` (`strState` while a revision is being applied). */
  private readonly strings = new BehaviorSubject<StringsState>(emptyStrings);
  private strState: StringsState = emptyStrings;
  private readonly closed = new ReplaySubject<void>(1);
  private readonly pokes = new Subject<string>();
  private isClosed = false;

  /** The etcd revision `state` reflects. */
  private rev = 0;
  /** Every stored exported resource, of every generation, by key, with the revision it was last written at. */
  private stored = new Map<string, { generation: string; resource: ExportedResource; modRev: string }>();
  /**
   * What changed among the exports collectors see since the last `publish`: the keys of current
   * exports written or deleted, or 'all' (a generation made current, a resync). Empty: the
   * last map is reused.
   */
  private exportsDirty: Set<string> | 'all' = 'all';
  /** During a resync's re-read: what was stored before it, whose objects unchanged keys keep. */
  private previous: Map<string, { generation: string; resource: ExportedResource; modRev: string }> | undefined;
  /** The current generation of each host's exports: the only one collectors see. */
  private readonly currentGeneration = new Map<string, string>();
  /** Live hosts -> converged. */
  private readonly liveHosts = new Map<string, boolean>();
  private watcher: Watcher | undefined;
  /** Bumped whenever a watcher is replaced: events of older watchers are ignored. */
  private watchGen = 0;
  private readonly cancelling = new Set<Promise<unknown>>();
  private watchBroken = false;
  private lease: Lease | undefined;
  private leaseLost = true;
  private staleLease: Lease | undefined;

  /** What this host wants published; written again on every resync. */
  private desiredExports: ExportedResource[] | undefined;
  private desiredConverged = false;
  /** Serialises writes, probes and resyncs. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Probe ticks to skip before the next resync attempt while down (the backoff). */
  private skipTicks = 0;
  private failedResyncs = 0;
  /** When (scheduler time) the last probe or resync succeeded. */
  private lastOk = 0;
  /** A write failed while up: the desired state must be written again. */
  private needsResync = false;

  constructor(private readonly opts: EtcdWorldOptions) {
    this.host = opts.host;
    this.log = opts.log.child('world');
    this.keys = new KeyLayout(opts.namespace ?? DEFAULT_NAMESPACE);
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.ttl = Math.max(1, Math.round(opts.leaseTtlSeconds ?? 10));
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 3000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.outageGraceMs = opts.outageGraceMs ?? 3000;
    this.maxTxnOps = opts.maxTxnOps ?? 128;
    this.collectCoalesceMs = Math.max(0, opts.collectCoalesceMs ?? 200);
    this.view = new SnapshotCoalescer(emptySnapshot, this.collectCoalesceMs, this.scheduler);
    const requestTimeoutMs = this.requestTimeoutMs;
    // A watch stream that broke re-attaches quickly (the client's default backs off to 30 s).
    interface Backoff {
      duration: number;
      next(): Backoff;
    }
    const watchBackoff = (ms: number): Backoff => ({
      duration: ms,
      next: () => watchBackoff(Math.min(ms * 2, 1000)),
    });
    this.client = new Etcd3({
      hosts: opts.seeds,
      // gRPC deadlines are absolute wall-clock times: client-side, not engine timing.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 },
      faultHandling: { watchBackoff: watchBackoff(100) },
      ...clientSecurity(opts.seeds, opts.security),
    });
  }

  private get seedList(): string {
    return this.opts.seeds.join(', ');
  }

  // ---- Life cycle ------------------------------------------------------------------------

  async start(): Promise<void> {
    let lastError: unknown;
    const ms = this.opts.startupTimeoutMs;
    await firstValueFrom(
      defer(() => this.enqueue(() => this.resync())).pipe(
        retry({
          delay: (err, n) => {
            lastError = explainEtcdError(err, lastError);
            // A refused user or password will not get better by retrying.
            if (isPermanentFailure(err)) return throwError(() => new Error(`cannot join etcd at ${this.seedList}: ${message(lastError)}`));
            this.log.debug(`etcd at ${this.seedList} not ready (attempt ${n}): ${message(err)}`);
            return timer(Math.min(100 * 2 ** (n - 1), 1000), this.scheduler);
          },
        }),
        timeout({
          first: ms,
          scheduler: this.scheduler,
          with: () =>
            throwError(
              () =>
                new Error(
                  `cannot reach etcd at ${this.seedList}: no working cluster answered within ${ms} ms` +
                    (lastError ? ` (last error: ${message(lastError)})` : ''),
                ),
            ),
        }),
      ),
    );
    this.lastOk = this.scheduler.now();
    this.statusState.next('up');
    this.log.info(`joined etcd at ${this.seedList} as host "${this.host}" (${this.summary()})`);
    this.runHealthLoop();
  }

  /**
   * One attempt now; if etcd does not answer, the World stays `connecting` and keeps trying
   * (with the resync backoff) while the caller goes on. Rejects only when etcd answered and
   * refused us (user, password, permissions): that does not get better by waiting.
   */
  async startInBackground(): Promise<void> {
    try {
      await this.enqueue(() => this.resync());
    } catch (e) {
      if (isPermanentFailure(e)) throw new Error(`cannot join etcd at ${this.seedList}: ${message(explainEtcdError(e))}`, { cause: e });
      this.log.warn(
        `etcd at ${this.seedList} is not reachable yet (${message(explainEtcdError(e))}): going on with the local graph; ` +
          'exports, collected resources and the fleet wait until it answers',
      );
      this.runHealthLoop();
      return;
    }
    this.lastOk = this.scheduler.now();
    this.statusState.next('up');
    this.log.info(`joined etcd at ${this.seedList} as host "${this.host}" (${this.summary()})`);
    this.runHealthLoop();
  }

  private runHealthLoop(): void {
    merge(interval(this.probeIntervalMs, this.scheduler), this.pokes.pipe(filter(() => this.statusState.value === 'up')))
      .pipe(
        exhaustMap(() => defer(() => this.enqueue(() => this.check())).pipe(catchError(() => EMPTY))),
        takeUntil(this.closed),
      )
      .subscribe();
  }

  close(): Promise<void> {
    return this.shutdown(true);
  }

  crash(): Promise<void> {
    return this.shutdown(false);
  }

  private async shutdown(revoke: boolean): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closed.next();
    this.closed.complete();
    this.dropWatcher();
    const lease = this.lease;
    if (lease && revoke && !this.leaseLost) {
      await this.bounded(lease.revoke(), 'revoking the lease').catch((e) =>
        this.log.debug(`could not revoke the lease: ${message(e)}`),
      );
    } else {
      lease?.release();
    }
    this.staleLease?.release();
    await Promise.all([...this.cancelling]);
    this.client.close();
    this.view.complete();
    this.strings.complete();
    this.statusState.complete();
  }

  // ---- World -----------------------------------------------------------------------------

  setExports(resources: readonly ExportInput[]): Promise<void> {
    let list: ExportedResource[];
    try {
      list = normalizeExports(this.host, resources);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.isClosed) return Promise.reject(this.closedError());
    this.desiredExports = list;
    return this.write(`the exports of host "${this.host}"`, () => this.writeExports(list));
  }

  setConverged(converged: boolean): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    this.desiredConverged = converged;
    return this.write(`the converged state of host "${this.host}"`, () => this.putConverged());
  }

  collect(kinds: readonly string[]): Observable<ExportedResource[]> {
    return collectFrom(this.view.snapshots, kinds);
  }

  hostsConverged(): Observable<ReadonlyMap<string, boolean>> {
    return convergedFrom(this.view.snapshots);
  }

  status(): Observable<WorldStatus> {
    return this.statusState.pipe(distinctUntilChanged());
  }

  strValues(key: string): Observable<string | undefined> {
    return strFrom(this.strings, key);
  }

  strMapValues(key: string): Observable<ReadonlyMap<string, string>> {
    return strMapFrom(this.strings, key);
  }

  strSet(key: string, value: string | undefined): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    return this.write(`kv key "${key}"`, () => this.putOrDelete(this.keys.strKey(key), value));
  }

  strMapSet(key: string, value: string | undefined): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    return this.write(`kv key "${key}" of host "${this.host}"`, () => this.putOrDelete(this.keys.strmapKey(this.host, key), value));
  }

  private async putOrDelete(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) await this.client.delete().key(key).exec();
    else await this.client.put(key).value(encodeStr(value)).exec();
  }

  // ---- Writes ----------------------------------------------------------------------------

  private write(what: string, op: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      if (this.isClosed) throw this.closedError();
      if (this.statusState.value !== 'up') throw new WorldDownError(what, 'etcd unreachable or without quorum');
      try {
        await op();
      } catch (e) {
        this.needsResync = true; // the next health check writes the desired state again
        this.pokes.next('write failed'); // and decides whether etcd is down
        throw new WorldDownError(what, message(e));
      }
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes the current exports of this host equal `list`, atomically for collectors: one
   * transaction on the current generation when the change fits in one, else a new generation
   * written in several transactions and made current in one (docs/world.md, "Writes").
   */
  private async writeExports(list: readonly ExportedResource[]): Promise<void> {
    const prefix = this.keys.hostExports(this.host);
    for (let attempt = 1; ; attempt++) {
      const read = await this.client.getAll().prefix(prefix).exec();
      const rev = Number(read.header.revision);
      let current: string | undefined;
      let currentModRev = '0';
      /** Stored values of each generation, by key. */
      const generations = new Map<string, Map<string, string>>();
      for (const kv of read.kvs) {
        const key = kv.key.toString();
        const parsed = this.keys.parse(key);
        if (parsed?.type === 'current') {
          current = safeDecodeCurrent(kv.value.toString());
          currentModRev = kv.mod_revision;
        } else if (parsed?.type === 'export') {
          let values = generations.get(parsed.generation);
          if (!values) generations.set(parsed.generation, (values = new Map<string, string>()));
          values.set(key, kv.value.toString());
        }
      }
      // Generations other than the current one: a big write that never finished. They go
      // with the next change.
      const stale = [...generations.keys()].filter((g) => g !== current).map((g) => this.deleteGeneration(g));
      if (current !== undefined) {
        const ops = this.changesTo(list, current, generations.get(current) ?? new Map());
        if (ops.length === 0 && stale.length === 0) return;
        if (ops.length + stale.length <= this.maxTxnOps) {
          if (await this.unchangedSince(prefix, rev, [...ops, ...stale])) return;
          if (attempt >= 3) throw this.contendedError();
          continue;
        }
      } else if (list.length === 0 && stale.length === 0) {
        return;
      }
      const generation = `g${rev}`;
      const puts = list.map((r) => putOp(this.keys.exportKey(r, generation), encodeExport(r)));
      const makeCurrent = [
        putOp(this.keys.currentKey(this.host), encodeCurrent(this.host, generation)),
        ...[...generations.keys()].map((g) => this.deleteGeneration(g)),
      ];
      if (puts.length + makeCurrent.length <= this.maxTxnOps) {
        if (await this.unchangedSince(prefix, rev, [...puts, ...makeCurrent])) return;
      } else if (await this.writeGeneration(puts, makeCurrent, currentModRev)) {
        return;
      }
      if (attempt >= 3) throw this.contendedError();
    }
  }

  /** Puts and deletes that turn generation `generation` (stored: `have`) into `list`. */
  private changesTo(list: readonly ExportedResource[], generation: string, have: ReadonlyMap<string, string>): IRequestOp[] {
    const ops: IRequestOp[] = [];
    const want = new Set<string>();
    for (const r of list) {
      const key = this.keys.exportKey(r, generation);
      const value = encodeExport(r);
      want.add(key);
      if (have.get(key) !== value) ops.push(putOp(key, value));
    }
    for (const key of have.keys()) {
      if (!want.has(key)) ops.push({ request_delete_range: { key: Buffer.from(key) } });
    }
    return ops;
  }

  /**
   * One transaction of `ops`, applied only if nothing under `prefix` changed after revision
   * `rev` (another writer with the same host name would otherwise be overwritten half-way).
   */
  private async unchangedSince(prefix: string, rev: number, ops: IRequestOp[]): Promise<boolean> {
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(prefix), range_end: prefixEnd(prefix), target: 'Mod', result: 'Less', mod_revision: String(rev + 1) }],
      success: ops,
      failure: [],
    });
    return res.succeeded;
  }

  /**
   * A change bigger than etcd's `--max-txn-ops`: `puts`, the new generation, in as many transactions
   * as it takes (collectors ignore it meanwhile), then `makeCurrent` in one, provided the
   * current generation did not change meanwhile (`currentModRev`: the current key's revision
   * when read, 0 when there was none).
   */
  private async writeGeneration(puts: IRequestOp[], makeCurrent: IRequestOp[], currentModRev: string): Promise<boolean> {
    const chunks = Math.ceil(puts.length / this.maxTxnOps);
    this.log.info(`writing ${puts.length} exports as a new generation in ${chunks} transactions, then making it current in one`);
    for (let i = 0; i < puts.length; i += this.maxTxnOps) {
      await this.client.kv.txn({ compare: [], success: puts.slice(i, i + this.maxTxnOps), failure: [] });
    }
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(this.keys.currentKey(this.host)), target: 'Mod', result: 'Equal', mod_revision: currentModRev }],
      success: makeCurrent,
      failure: [],
    });
    return res.succeeded; // when not: this generation is stale, and removed by the next attempt
  }

  private deleteGeneration(generation: string): IRequestOp {
    const p = this.keys.generationPrefix(this.host, generation);
    return { request_delete_range: { key: Buffer.from(p), range_end: prefixEnd(p) } };
  }

  private contendedError(): Error {
    return new Error(`the exports of host "${this.host}" keep changing under it: is another process using this host name?`);
  }

  private async putConverged(): Promise<void> {
    const lease = await this.ensureLease();
    await lease.put(this.keys.convergedKey(this.host)).value(encodeConverged(this.host, this.desiredConverged)).exec();
    if (this.staleLease) {
      // Only now: revoking it earlier would delete the entry others see, then re-create it.
      const stale = this.staleLease;
      this.staleLease = undefined;
      void stale.revoke().catch(() => undefined);
    }
  }

  private async ensureLease(): Promise<Lease> {
    if (this.lease && !this.leaseLost) return this.lease;
    if (this.lease) this.staleLease ??= this.lease;
    const lease = this.client.lease(this.ttl);
    this.lease = lease;
    this.leaseLost = false;
    lease.on('lost', (err: Error) => {
      if (this.lease !== lease || this.isClosed) return;
      this.leaseLost = true;
      if (this.statusState.value === 'up') {
        this.log.warn(`lease of host "${this.host}" lost (${err.message}): re-creating it`);
        this.pokes.next('lease lost');
      }
    });
    await this.bounded(lease.grant(), 'granting a lease');
    return lease;
  }

  // ---- Health and resynchronisation ------------------------------------------------------

  /** One tick of the health loop. */
  private async check(): Promise<void> {
    if (this.isClosed) return;
    if (this.statusState.value === 'up') {
      try {
        const published = await this.client.get(this.keys.convergedKey(this.host)).string();
        const lost = published === null || this.leaseLost || safeDecodeConverged(published) !== this.desiredConverged;
        if (lost || this.watchBroken || this.needsResync) await this.resync();
        this.lastOk = this.scheduler.now();
      } catch (e) {
        if (this.scheduler.now() - this.lastOk >= this.outageGraceMs) this.goDown(e);
        else this.log.debug(`etcd did not answer (${message(e)}); down if it lasts ${this.outageGraceMs} ms`);
      }
      return;
    }
    if (this.skipTicks > 0) {
      this.skipTicks--;
      return;
    }
    try {
      await this.resync();
    } catch (e) {
      this.failedResyncs++;
      const waitMs = Math.min(this.probeIntervalMs * 2 ** this.failedResyncs, this.maxBackoffMs);
      this.skipTicks = Math.max(0, Math.round(waitMs / this.probeIntervalMs) - 1);
      this.log.debug(`etcd still unavailable (${message(e)}); next attempt in about ${waitMs} ms`);
      return;
    }
    this.failedResyncs = 0;
    this.skipTicks = 0;
    this.lastOk = this.scheduler.now();
    const joining = this.statusState.value === 'connecting';
    this.statusState.next('up');
    if (joining) this.log.info(`joined etcd at ${this.seedList} as host "${this.host}" (${this.summary()})`);
    else this.log.info(`etcd is back: resynchronised (${this.summary()})`);
  }

  private goDown(e: unknown): void {
    if (this.isClosed || this.statusState.value !== 'up') return;
    this.failedResyncs = 0;
    this.skipTicks = 0;
    this.statusState.next('down');
    this.log.warn(
      `etcd at ${this.seedList} is unreachable or without quorum (${message(explainEtcdError(e))}): ` +
        `keeping the last known state (${this.summary()}) until it returns`,
    );
  }

  /** Re-publishes what this host wants, re-reads everything and re-attaches the watch. */
  private async resync(): Promise<void> {
    if (this.isClosed) throw this.closedError();
    this.dropWatcher();
    // The converged entry (lease grant, put) and the exports (read, transaction) are different
    // keys: written side by side, the join waits two round trips instead of four.
    const exports = this.desiredExports;
    await Promise.all([this.putConverged(), exports ? this.writeExports(exports) : undefined]);
    const res = await this.client.getAll().prefix(this.keys.root).exec();
    if (this.isClosed) throw this.closedError();
    this.previous = this.stored;
    this.stored = new Map();
    this.exportsDirty = 'all';
    this.currentGeneration.clear();
    this.liveHosts.clear();
    this.strState = emptyStrings;
    for (const kv of res.kvs) this.applyKv(kv.key.toString(), kv);
    this.previous = undefined;
    this.rev = Number(res.header.revision);
    this.publish(true);
    this.publishStrings();
    await this.attachWatch(this.rev + 1);
    this.needsResync = false;
  }

  private dropWatcher(): void {
    this.watchGen++;
    const old = this.watcher;
    this.watcher = undefined;
    if (!old) return;
    const done: Promise<unknown> = this.bounded(old.cancel(), 'cancelling a watch').catch(() => undefined);
    this.cancelling.add(done);
    void done.then(() => this.cancelling.delete(done));
  }

  private async attachWatch(fromRev: number): Promise<void> {
    const gen = this.watchGen;
    const w = this.client.watch().prefix(this.keys.root).startRevision(String(fromRev)).watcher();
    this.watcher = w;
    this.watchBroken = false;
    const mine = () => gen === this.watchGen && !this.isClosed;
    const connected = new Promise<void>((resolve, reject) => {
      w.once('connected', () => resolve());
      w.once('error', (err: Error) => reject(err));
    });
    w.on('data', (res) => {
      if (mine()) this.applyEvents(res.events);
    });
    w.on('disconnected', (err: Error) => {
      if (!mine()) return;
      this.log.debug(`watch disconnected (${err.message}); the client re-attaches it from revision ${this.rev + 1}`);
      this.pokes.next('watch disconnected');
    });
    w.on('error', (err: Error) => {
      if (!mine()) return;
      this.log.warn(`watch failed (${err.message}): re-reading everything`);
      this.watchBroken = true;
      this.pokes.next('watch failed');
    });
    await this.bounded(connected, 'attaching the watch');
  }

  /**
   * Applies one watch message: its events, whole revisions only (etcd never splits one), then
   * one emission if collectors may see a change. A message carries complete revisions, so a
   * host's change is never seen half-applied; none is emitted for revisions that only wrote a
   * generation that is not current yet. Revisions already applied are skipped.
   */
  private applyEvents(events: ReadonlyArray<{ type: string; kv: IKeyValue }>): void {
    let visible = false;
    let changed = false;
    for (const ev of events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev <= this.rev) continue;
      if (this.applyKv(ev.kv.key.toString(), ev.type === 'Delete' ? undefined : ev.kv)) visible = true;
      changed = true;
    }
    if (!changed) return;
    this.rev = Math.max(this.rev, Number(events[events.length - 1].kv.mod_revision));
    if (visible) this.publish();
    this.publishStrings();
  }

  /** Records one key's new value (undefined: deleted); true when collectors may see a change. */
  private applyKv(key: string, kv: IKeyValue | undefined): boolean {
    const parsed = this.keys.parse(key);
    if (!parsed) return false;
    try {
      if (parsed.type === 'export') {
        const current = this.currentGeneration.get(parsed.host) === parsed.generation;
        if (kv) {
          // The same revision is the same value: keep its object (a resync re-reads everything;
          // collectors then recognise every unchanged export by identity).
          const known = this.stored.get(key) ?? this.previous?.get(key);
          const resource = known?.modRev === kv.mod_revision ? known.resource : decodeExport(parsed, kv.value.toString());
          this.stored.set(key, { generation: parsed.generation, resource, modRev: kv.mod_revision });
        } else {
          this.stored.delete(key);
        }
        if (current && this.exportsDirty !== 'all') this.exportsDirty.add(key);
        return current;
      }
      if (parsed.type === 'str' || parsed.type === 'strmap') {
        this.applyStr(parsed, kv ? decodeStr(kv.value.toString()) : undefined);
        return false;
      }
      if (parsed.type === 'current') {
        this.exportsDirty = 'all';
        if (kv) this.currentGeneration.set(parsed.host, decodeCurrent(kv.value.toString()));
        else this.currentGeneration.delete(parsed.host);
      } else {
        if (kv) this.liveHosts.set(parsed.host, decodeConverged(kv.value.toString()));
        else this.liveHosts.delete(parsed.host);
      }
    } catch (e) {
      this.log.warn(`ignoring ${key}: ${message(e)}`);
      if (parsed.type === 'export' || parsed.type === 'current') this.exportsDirty = 'all';
      if (parsed.type === 'export') this.stored.delete(key);
      else if (parsed.type === 'current') this.currentGeneration.delete(parsed.host);
      else if (parsed.type === 'converged') this.liveHosts.delete(parsed.host);
      else this.applyStr(parsed, undefined);
    }
    return true;
  }

  private applyStr(parsed: { type: 'str'; key: string } | { type: 'strmap'; host: string; key: string }, value: string | undefined): void {
    this.strState = parsed.type === 'str' ? withStr(this.strState, parsed.key, value) : withStrMap(this.strState, parsed.key, parsed.host, value);
  }

  /** Emits the kv strings if they changed. */
  private publishStrings(): void {
    if (this.strState !== this.strings.value) this.strings.next(this.strState);
  }

  /**
   * Emits what collectors see: each host's current generation, and the live hosts. A revision
   * that changed only converged states keeps the exports map (collectors skip it by identity).
   */
  private publish(settled = false): void {
    let exports = this.state.exports;
    const dirty = this.exportsDirty;
    if (dirty === 'all') {
      const fresh = new Map<string, ExportedResource>();
      for (const [key, { generation, resource }] of this.stored) {
        if (this.currentGeneration.get(resource.host) === generation) fresh.set(key, resource);
      }
      exports = fresh;
    } else if (dirty.size > 0) {
      // Only the keys this revision wrote: the rest of the map is copied as it was.
      const fresh = new Map(exports);
      for (const key of dirty) {
        const entry = this.stored.get(key);
        if (entry && this.currentGeneration.get(entry.resource.host) === entry.generation) fresh.set(key, entry.resource);
        else fresh.delete(key);
      }
      exports = fresh;
    }
    this.exportsDirty = new Set();
    const snapshot = { exports, converged: new Map(this.liveHosts) };
    this.state = snapshot;
    this.view.push(snapshot, settled);
  }

  // ---- Helpers ---------------------------------------------------------------------------

  /** `p`, or a rejection after `requestTimeoutMs` on the World's scheduler. */
  private bounded<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = this.requestTimeoutMs;
    return firstValueFrom(
      from(p).pipe(
        timeout({ first: ms, scheduler: this.scheduler, with: () => throwError(() => new Error(`${what}: no answer within ${ms} ms`)) }),
      ),
    );
  }

  private summary(): string {
    const s = this.state;
    const hosts = new Set([...s.exports.values()].map((r) => r.host));
    return `${s.exports.size} exported resources from ${hosts.size} hosts, ${s.converged.size} live hosts`;
  }

  private closedError(): Error {
    return new Error(`World of host "${this.host}" is closed`);
  }
}

const putOp = (key: string, value: string): IRequestOp => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } });

function safeDecodeCurrent(text: string): string | undefined {
  try {
    return decodeCurrent(text);
  } catch {
    return undefined; // unreadable: as if there were none, and the next write replaces it
  }
}

function safeDecodeConverged(text: string): boolean | undefined {
  try {
    return decodeConverged(text);
  } catch {
    return undefined;
  }
}
