// Resources collected from the World, turned into local resource specs. What another host
// exports is untrusted input to this one (rxmgmt runs as root): an export is taken only as far
// as its `collect` entry allows (docs/distributed.md, "Trust"), and one that is not is refused
// on its own, reported with its host and name, while the rest of the graph runs on.
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import type { CollectSpec, ResourceSpec } from '../model/spec.js';
import { refKey } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import type { ResourceEnv, ResourceKind } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import { normalizePath } from '../util/paths.js';
import type { ExportedResource } from '../world/world.js';
import { readParams } from '../yaml/fields.js';
import { readMeta } from '../yaml/meta.js';
import type { YEntry, YMap, YNode } from '../yaml/tree.js';

/** What the local graph already holds: collected resources may not clash with it. */
export interface LocalClaims {
  /** `kind[name]` of every local resource. */
  keys: ReadonlySet<string>;
  /** What the local resources manage (`Resource.manages()`), and which one manages it (`file[x] of the graph file (site.yaml:4)`). */
  manages: ReadonlyMap<string, string>;
}

/**
 * The collected resources as specs for the local graph: for each resource, the first
 * `collect` entry of its kind applies. An export is refused (a warning naming its host and
 * name; nothing of it is applied) when this host cannot use it (unknown kind or field, wrong
 * type), when its entry does not allow it (`confine`), or when it clashes with a resource
 * already in the graph, by name or by what it manages: never fatal, one bad export must not
 * stop every collector's graph.
 */
export function collectedSpecs(
  exported: readonly ExportedResource[],
  collect: readonly CollectSpec[],
  registry: Registry,
  local: LocalClaims,
  log: Logger,
  env?: ResourceEnv,
): ResourceSpec[] {
  return new Collector(collect, registry, local, log, env).specs(exported);
}

/** One export, read and placed (with what it would manage), or why it is refused. */
type Taken = { spec: ResourceSpec; key: string; claims: string[]; entry: CollectSpec } | { refused: string };

/**
 * `collectedSpecs` for one graph spec over every version of the collected list. The World
 * keeps the object of an unchanged export from one version to the next, so each export is
 * read, checked and placed once (cached by identity); a new version costs that only for what
 * changed, plus a pass of set lookups for the clashes. A refusal is logged once, when it
 * first appears, not at every version.
 */
export class Collector {
  private readonly cache = new WeakMap<ExportedResource, Taken>();
  private reported = new Set<string>();

  constructor(
    private readonly collect: readonly CollectSpec[],
    private readonly registry: Registry,
    private readonly local: LocalClaims,
    private readonly log: Logger,
    private readonly env?: ResourceEnv,
  ) {}

  specs(exported: readonly ExportedResource[]): ResourceSpec[] {
    const redirected = redirectedPatterns(this.collect);
    const keys = new Set(this.local.keys);
    // Who manages what: a local resource's description, or the collected export (described
    // only when it clashes, so that a version costs no string per export).
    const manages = new Map<string, string | ExportedResource>(this.local.manages);
    const specs: ResourceSpec[] = [];
    const refusals = new Set<string>();
    const refuse = (r: ExportedResource, why: string): void => {
      const line = `collect: refusing ${refKey(r)} from host ${r.host}: ${why}`;
      refusals.add(line);
      if (!this.reported.has(line)) this.log.warn(line);
    };
    for (const r of exported) {
      let taken = this.cache.get(r);
      if (!taken) {
        const entry = this.collect.find((c) => c.kind === r.kind);
        if (!entry) continue;
        taken = this.take(r, entry);
        this.cache.set(r, taken);
      }
      if ('refused' in taken) {
        refuse(r, taken.refused);
        continue;
      }
      const detour = r.kind === 'file' ? redirected.get(taken.entry.pattern) : undefined;
      if (detour) {
        refuse(r, detour);
        continue;
      }
      const { key } = taken;
      if (keys.has(key)) {
        refuse(r, `a resource named ${key} is already in the graph`);
        continue;
      }
      const clash = taken.claims.find((m) => manages.has(m));
      if (clash !== undefined) {
        const who = manages.get(clash)!;
        refuse(r, `it manages ${clash}, as does ${typeof who === 'string' ? who : `${refKey(who)} from host ${who.host}`}`);
        continue;
      }
      keys.add(key);
      for (const m of taken.claims) manages.set(m, r);
      specs.push(taken.spec);
    }
    this.reported = refusals;
    return specs;
  }

  private take(r: ExportedResource, entry: CollectSpec): Taken {
    const kind = this.registry.get(r.kind);
    if (!kind) return { refused: `unknown resource kind "${r.kind}"` };
    const read = readExport(kind, r);
    if (typeof read === 'string') return { refused: read };
    const placed = confine(kind, read.params, entry);
    if (typeof placed === 'string') return { refused: placed };
    const spec: ResourceSpec = { kind: r.kind, name: r.name, params: placed, meta: read.meta, pos: { file: `world:${r.host}`, line: 0 } };
    const claims = this.env ? managedBy(kind, spec, this.env) : [];
    return typeof claims === 'string' ? { refused: claims } : { spec, key: refKey(r), claims, entry };
  }
}

/** What `spec` manages, or why it cannot be made. */
function managedBy(kind: ResourceKind, spec: ResourceSpec, env: ResourceEnv): string[] | string {
  try {
    return kind.create(spec, env).manages?.() ?? [];
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * The export's params and meta read exactly as a graph file's would be (the YAML reader's own
 * field and meta checks, defaults applied), then the kind's cross-field check; or the problems.
 */
function readExport(kind: ResourceKind, r: ExportedResource): { params: Record<string, unknown>; meta: ResourceSpec['meta'] } | string {
  const problems: string[] = [];
  const report = (_line: number, message: string): void => void problems.push(message);
  const fields = jsonNode(r.params);
  if (fields.kind !== 'map') return 'its params are not a mapping';
  const { params } = readParams(kind, fields, report);
  const meta = readMeta({ key: 'meta', line: 0, value: jsonNode(r.meta) }, report);
  if (problems.length === 0) {
    const problem = kind.validate?.(params);
    if (problem) problems.push(problem);
  }
  return problems.length ? problems.join('; ') : { params, meta };
}

/** A JSON value as the YAML reader's tree: strings stay strings, whatever they spell. */
function jsonNode(v: unknown): YNode {
  if (Array.isArray(v)) return { kind: 'seq', line: 0, items: v.map(jsonNode) };
  if (v !== null && typeof v === 'object') {
    const entries: YEntry[] = Object.entries(v).map(([key, value]) => ({ key, line: 0, value: jsonNode(value) }));
    return { kind: 'map', line: 0, entries } satisfies YMap;
  }
  return { kind: 'scalar', line: 0, value: v ?? null, text: typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v), plain: typeof v !== 'string' };
}

// ---- Confinement -------------------------------------------------------------------------

const present = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * The params an export lands with under `entry`, or why it may not land at all. For `file`
 * (the kind a collector is most exposed by) the file lands directly inside `pattern` under its
 * own base name, which must be one plain path component (not empty, `.`, `..`, and no `/`:
 * with one component its parent is the pattern directory itself, so no symlink inside the
 * pattern can redirect it); `source` (it would copy the collector's own files), owner and
 * group, and the setuid, setgid and sticky bits are refused unless `allow` lists them. Other
 * kinds are collected only by an entry that names them, and get the kind's own `collect` hook.
 */
export function confine(kind: ResourceKind, params: Record<string, unknown>, entry: CollectSpec): Record<string, unknown> | string {
  if (kind.kind !== 'file') return entry.pattern && kind.collect ? kind.collect(params, entry.pattern) : params;
  const allow = new Set(entry.allow ?? []);
  if (!entry.pattern) return 'its collect entry has no pattern: a collected file needs a directory to land in';
  for (const field of ['source', 'owner', 'group'] as const) {
    if (present(params[field]) && !allow.has(field)) return `it sets ${field}, which its collect entry does not allow (allow: [${field}])`;
  }
  const mode = present(params.mode) ? parseInt(String(params.mode), 8) : 0;
  if ((mode & 0o7000) !== 0 && !allow.has('setuid')) {
    return `its mode ${String(params.mode)} sets the setuid, setgid or sticky bit, which its collect entry does not allow (allow: [setuid])`;
  }
  const base = baseName(params);
  if (base === '' || base === '.' || base === '..' || base.includes('/') || base.includes('\0')) {
    return `its base name ${JSON.stringify(base)} is not one plain file name, so it cannot land inside ${entry.pattern}`;
  }
  const placed = kind.collect ? kind.collect(params, entry.pattern) : params;
  const dir = normalizePath(entry.pattern);
  const path = normalizePath(String(placed.path));
  if (posix.dirname(path) !== dir || posix.basename(path) !== base) return `it would land at ${path}, outside ${entry.pattern}`;
  return kind.validate?.(placed) ?? placed;
}

/** The last component of a file export's path as written (a directory's trailing `/` aside). */
function baseName(params: Record<string, unknown>): string {
  if (present(params.basename)) return String(params.basename).replace(/\/$/, '');
  const raw = (typeof params.path === 'string' ? params.path : '').replace(/\/$/, '');
  return raw.slice(raw.lastIndexOf('/') + 1);
}

/**
 * File patterns that a symlink leads elsewhere, each with why: checked at every version of the
 * collected list, because a pattern under a directory others can write (/tmp) could be made a
 * symlink to /etc by a local user, and the exporter chooses the file names. The part of the
 * pattern that does not exist yet is created by the file resource as a real directory.
 */
function redirectedPatterns(collect: readonly CollectSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of collect) {
    if (c.kind !== 'file' || !c.pattern || out.has(c.pattern)) continue;
    const want = normalizePath(c.pattern);
    let existing = want;
    let rest = '';
    for (;;) {
      try {
        const real = realpathSync(existing);
        const resolved = rest ? posix.join(real, rest) : real;
        if (resolved !== want) out.set(c.pattern, `its pattern ${c.pattern} leads through a symlink to ${resolved}; give the real path`);
        break;
      } catch {
        if (existing === '/') break;
        rest = rest ? posix.join(posix.basename(existing), rest) : posix.basename(existing);
        existing = posix.dirname(existing);
      }
    }
  }
  return out;
}
