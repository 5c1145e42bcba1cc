// The validated, engine-independent form of a graph file: what the YAML says, nothing more.

/** mgmt's meta params, present on every resource (`meta:` in YAML). */
export interface MetaParams {
  /** Add edges implied by the resources themselves (a file after its parent directory). */
  autoedge: boolean;
  /** Allow merging compatible resources into one vertex (pkg). */
  autogroup: boolean;
  /** Check only: never change anything, report what would change. */
  noop: boolean;
  /** Retries after a failed Watch or CheckApply; -1 retries forever. */
  retry: number;
  /** Milliseconds between retries. */
  delay: number;
  /** Seconds between polls; 0 uses the resource's own watch. */
  poll: number;
  /** CheckApply rate limit in runs per second; 0 means unlimited. */
  limit: number;
  /** Token-bucket burst for `limit`. */
  burst: number;
  /** Counting semaphores shared across the graph, as `id` or `id:N`. */
  sema: readonly string[];
  /** Restart a watch that completed. */
  rewatch: boolean;
  /** Undo the resource when a graph swap removes it (see `Resource.reversed`). */
  reverse: boolean;
  /** Keep the resource in the graph, but never watch or apply it; its children see it as OK. */
  hidden: boolean;
}

/**
 * The meta params of a resource that sets none. One frozen object (its list too), which the
 * YAML reader gives every such resource: 100 000 resources, one meta. So a resource's meta is
 * never changed in place; derive another (`{ ...meta, reverse: false }`).
 */
export const defaultMeta: Readonly<MetaParams> = Object.freeze({
  autoedge: true,
  autogroup: true,
  noop: false,
  retry: 0,
  delay: 0,
  poll: 0,
  limit: 0,
  burst: 0,
  sema: Object.freeze([]),
  rewatch: false,
  reverse: false,
  hidden: false,
});

/** Where something came from, for error messages. */
export interface SourcePos {
  file: string;
  line: number; // 1-based
}

export interface ResourceRef {
  kind: string;
  name: string;
}

export interface ResourceSpec extends ResourceRef {
  meta: MetaParams;
  /** Kind-specific fields, validated against the kind's schema, defaults applied. */
  params: Record<string, unknown>;
  pos: SourcePos;
}

export interface EdgeSpec {
  name: string;
  from: ResourceRef;
  to: ResourceRef;
  /** Deliver a refresh to `to` when `from` changed something. */
  notify: boolean;
  pos: SourcePos;
}

/** What a `collect` entry lets another host's export set (docs/distributed.md, "Trust"). */
export type CollectAllow = 'source' | 'owner' | 'group' | 'setuid';

export interface CollectSpec {
  kind: string;
  pattern: string;
  /** Fields an export may set only when listed here (absent: none of them). */
  allow?: readonly CollectAllow[];
  /** Delete what was collected when its export is withdrawn (absent: false, it is left alone). */
  purge?: boolean;
  pos: SourcePos;
}

export interface GraphSpec {
  graph: string;
  comment: string;
  resources: ResourceSpec[];
  edges: EdgeSpec[];
  collect: CollectSpec[];
  /** The file the graph was read from ("<inline>" for strings). */
  source: string;
}

export const refKey = (r: ResourceRef): string => `${r.kind}[${r.name}]`;
