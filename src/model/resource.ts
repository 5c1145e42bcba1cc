// The contract between the engine and a resource kind.
import type { Observable, SchedulerLike, Subscriber } from 'rxjs';
import type { MetaParams, ResourceSpec } from './spec.js';
import type { Logger } from '../util/logger.js';
import type { ChangeSink } from './events.js';
import type { Graph } from './graph.js';

/** What a watch with `watchAnnouncesReady` emits once it is installed (see `Resource.watch`). */
export const WATCH_READY = 'ready' as const;

/** One field of a kind's YAML schema. */
export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'string[]' | 'map';

export interface FieldSchema {
  type: FieldType;
  /** Allowed values for a string field. */
  enum?: readonly string[];
  /** Value when the field is absent (after validation the field is always set if this is). */
  default?: unknown;
  required?: boolean;
  /** One line for the docs and for "expected ..." in errors. */
  doc: string;
}

/**
 * The World's shared strings, as resources see them (the `kv` resource): global keys every
 * host reads and writes, and mapped keys where each host holds its own value.
 */
export interface WorldStrings {
  /** The key's value (undefined: absent) on subscribe, then each change. */
  strValues(key: string): Observable<string | undefined>;
  /** Sets the key (undefined deletes it). Rejects when the World cannot write now. */
  strSet(key: string, value: string | undefined): Promise<void>;
  /** Host -> value of a mapped key, on subscribe and after each change. */
  strMapValues(key: string): Observable<ReadonlyMap<string, string>>;
  /** Sets this host's value of a mapped key (undefined deletes it). */
  strMapSet(key: string, value: string | undefined): Promise<void>;
}

/** What a resource can reach from the engine. */
export interface ResourceEnv {
  hostname: string;
  log: Logger;
  /** The engine's scheduler: resources that need time (timer, poll) must use it. */
  scheduler: SchedulerLike;
  /**
   * The World this host shares with others (the memory one without `--seeds`). Optional: a
   * graph built without one (a test, a validation) still builds; a resource that needs it
   * (kv) reads it when it runs, and fails its CheckApply without one.
   */
  world?: WorldStrings;
}

/** Keys used to add automatic edges between resources of a graph. */
export interface AutoEdges {
  /** Identities this resource provides, e.g. `file:/etc/foo/`. */
  provides: string[];
  /**
   * What this resource depends on, as groups of candidate identities in order of preference
   * (nearest first). From each group, the first identity some other vertex provides becomes
   * a parent; the rest of the group is ignored.
   */
  wants: string[][];
}

export interface Resource {
  readonly kind: string;
  readonly name: string;
  readonly meta: MetaParams;
  /**
   * A stable string of everything that defines the desired state; two resources with the
   * same kind, name and fingerprint are the same resource (graph swap keeps it running).
   */
  readonly fingerprint: string;
  /**
   * Emits whenever the real state may have drifted from the desired one. It does not need to
   * emit at subscription: the engine always checks once at start. An error is a watch failure
   * (retried per the meta params, then the vertex is failed); completion means the resource has
   * nothing more to watch.
   *
   * Readiness (mgmt's rule: check only once the watch is in place, so that no change can fall
   * between the check and the watch): a watch that is installed synchronously, during
   * subscription, is ready at once and needs nothing more. A watch installed asynchronously
   * (a D-Bus AddMatch, a remote subscription) sets `watchAnnouncesReady` and emits
   * `WATCH_READY` once, when it is installed; the engine runs no CheckApply for the resource
   * before that (changes it sees earlier are kept and run after it). A retried watch announces
   * readiness again; the engine then checks once, since changes while it was down were missed.
   */
  watch(): Observable<void | typeof WATCH_READY>;
  /** The watch emits `WATCH_READY` once installed; absent or false: ready at subscription. */
  readonly watchAnnouncesReady?: boolean;
  /**
   * Resolves `true` when the state was already correct, `false` when it was not (and, when
   * `apply` is true, has now been fixed). Errors on failure. With `apply` false it changes
   * nothing. `refresh` is true when a notify edge delivered a refresh since the last run.
   * `changes`, when given, is told each change made (or, with `apply` false, that would be made),
   * for diffs, reports and metrics; a resource that reports nothing is still correct.
   */
  checkApply(apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean>;
  /**
   * Optional: `checkApply(apply, refresh, changes).subscribe(run)` without the Observable. The
   * resource tells `run` the result (`next` then `complete`, or `error`), at once or later, and
   * adds what must be torn down if the run is cancelled to it (`run.add`). The engine calls it,
   * when present, for a run with no retries and no guards (semaphores, rate limit), so that a
   * check that ends at once (a small local file) costs no Observable, no subscribe machinery
   * and no wrapping subscriber. It may throw: that fails the run, as an error would.
   */
  checkApplyInto?(apply: boolean, refresh: boolean, changes: ChangeSink | undefined, run: Subscriber<boolean>): void;
  /**
   * meta `reverse`: the resource that undoes this one (a created file or user removed, a line
   * taken out), or undefined when there is nothing to undo. When a graph swap removes a resource
   * whose meta `reverse` is true, the engine applies its reversal once. Absent: the kind cannot
   * be reversed, and `reverse: true` on it is a load error.
   */
  reversed?(): Resource | undefined;
  /**
   * What this resource manages on the machine, normalised (`file:/etc/foo`, `svc:nginx.service`,
   * `pkg:nginx`, `user:alice`): two resources of one graph that manage the same thing are a load
   * error naming both, not an endless fight. Absent: it manages nothing exclusively (noop, msg).
   */
  manages?(): string[];
  /** Identities for automatic edges; absent means none. */
  autoEdges?(): AutoEdges;
  /**
   * Autogroup: resources of one kind whose groupKey() is equal (and defined), with autogroup
   * on and no path between them, are merged into ONE vertex made by their kind's `group()`.
   */
  groupKey?(): string | undefined;
}

/** A resource kind as registered with the engine: its schema and its constructor. */
export interface ResourceKind {
  kind: string;
  /** One paragraph for the docs. */
  doc: string;
  fields: Record<string, FieldSchema>;
  /**
   * Checks that span several fields (path vs dirname+basename, say). Returns a message naming
   * what is wrong, or undefined when the params are fine.
   */
  validate?(params: Record<string, unknown>): string | undefined;
  create(spec: ResourceSpec, env: ResourceEnv): Resource;
  /**
   * The resources of this kind are made from their spec alone (nothing read from the machine
   * or looked up by `prepare()` goes into what they manage or provide), so a graph swap may
   * keep the running resource for an equal spec instead of making it again.
   */
  madeFromSpec?: boolean;
  /**
   * Called with every resource spec of this kind in a graph before that graph is built, so that
   * the kind can look up asynchronously what its synchronous `autoEdges()` will need (pkg: the
   * files each package owns, from PackageKit); the kind caches the results itself. It must not
   * reject for a failed lookup (log a warning and let `autoEdges()` do without), and it must be
   * bounded in time (a deadline on `env.scheduler`): the graph is not built until it settles.
   * A newer graph may supersede the one being prepared; the engine then ignores the result.
   */
  prepare?(specs: ResourceSpec[], env: ResourceEnv): Promise<void>;
  /**
   * Emits when what `prepare()` looked up may have changed (pkg: a transaction of ours installed
   * or removed packages, so their files are known differently): every graph holding resources
   * of this kind is prepared and built again, and the engine swaps to it (edges rewired).
   */
  readonly changed$?: Observable<void>;
  /**
   * Told each graph built from a spec with resources of this kind, to explain it at debug level
   * (pkg: a svc or file of a package's name that got no edge from it). Must not throw.
   */
  built?(graph: Graph, env: ResourceEnv): void;
  /**
   * Merges `members` (two or more, same groupKey) into one resource that does their work in one
   * go (one PackageKit transaction for many packages, say). Its name should list the members;
   * its autoEdges should be the union of theirs.
   */
  group?(members: Resource[], env: ResourceEnv): Resource;
  /**
   * The params of a resource collected from another host, placed by a `collect` entry's
   * `pattern` (for `file`: the directory the file lands in). Absent: the pattern is ignored.
   */
  collect?(params: Record<string, unknown>, pattern: string): Record<string, unknown>;
}
