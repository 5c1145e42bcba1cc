// The value format shared by every World backend (the memory one round-trips through it too,
// so both accept and return exactly the same things). Version 1, documented in docs/world.md.

import { defaultMeta, type MetaParams } from '../../model/spec.js';
import { canonicalJson, compareExports, type ExportInput, type ExportedResource } from '../world.js';

/** The `version` field of every value this code writes; readers skip other versions. */
export const FORMAT_VERSION = 1;

/**
 * Validates a `setExports` list for `host` and returns it as collectors will see it: meta
 * completed from the defaults, params passed through JSON (so what is written is exactly
 * what is read back), sorted. Throws on a duplicate kind+name, another host's name, an
 * empty kind or name, or params that are not JSON.
 */
export function normalizeExports(host: string, inputs: readonly ExportInput[]): ExportedResource[] {
  const seen = new Set<string>();
  const out: ExportedResource[] = [];
  for (const r of inputs) {
    const label = `${r.kind}[${r.name}]`;
    if (typeof r.kind !== 'string' || r.kind === '') throw new TypeError(`exported resource ${label}: empty kind`);
    if (typeof r.name !== 'string' || r.name === '') throw new TypeError(`exported resource ${label}: empty name`);
    if (r.host !== undefined && r.host !== host) {
      throw new Error(`exported resource ${label} names host "${r.host}" but this World is host "${host}"`);
    }
    if (seen.has(label)) throw new Error(`exported resource ${label} is listed twice`);
    seen.add(label);
    if (r.params === null || typeof r.params !== 'object' || Array.isArray(r.params)) {
      throw new TypeError(`exported resource ${label}: params must be an object`);
    }
    let params: Record<string, unknown>;
    let meta: MetaParams;
    try {
      params = JSON.parse(canonicalJson(r.params)) as Record<string, unknown>;
      meta = completeMeta(JSON.parse(canonicalJson(r.meta ?? {})) as Partial<MetaParams>);
    } catch (e) {
      throw new TypeError(`exported resource ${label}: ${(e as Error).message}`, { cause: e });
    }
    out.push({ host, kind: r.kind, name: r.name, params, meta });
  }
  return out.sort(compareExports);
}

function completeMeta(m: Partial<MetaParams>): MetaParams {
  return { ...defaultMeta, sema: [...defaultMeta.sema], ...m };
}

/** The JSON text stored for one exported resource (canonical: equal resources, equal text). */
export function encodeExport(r: ExportedResource): string {
  return canonicalJson({ version: FORMAT_VERSION, host: r.host, kind: r.kind, name: r.name, params: r.params, meta: r.meta });
}

/**
 * Reads a stored exported resource. Identity (host, kind, name) comes from the key, which is
 * authoritative; the value supplies params and meta. Throws on a value that is not JSON, not
 * an object, or of another version.
 */
export function decodeExport(id: { host: string; kind: string; name: string }, text: string): ExportedResource {
  const v = parseVersioned(text);
  const params = v.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new TypeError('params is not an object');
  const meta = v.meta ?? {};
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new TypeError('meta is not an object');
  return {
    host: id.host,
    kind: id.kind,
    name: id.name,
    params: params as Record<string, unknown>,
    meta: completeMeta(meta),
  };
}

/** The JSON text stored for one host's converged state. */
export function encodeConverged(host: string, converged: boolean): string {
  return canonicalJson({ version: FORMAT_VERSION, host, converged });
}

export function decodeConverged(text: string): boolean {
  const v = parseVersioned(text);
  if (typeof v.converged !== 'boolean') throw new TypeError('converged is not a boolean');
  return v.converged;
}

/** The JSON text naming the current generation of a host's exports. */
export function encodeCurrent(host: string, generation: string): string {
  return canonicalJson({ version: FORMAT_VERSION, host, generation });
}

export function decodeCurrent(text: string): string {
  const v = parseVersioned(text);
  if (typeof v.generation !== 'string' || !/^g\d+$/.test(v.generation)) throw new TypeError('generation is not "g" and digits');
  return v.generation;
}

function parseVersioned(text: string): Record<string, unknown> {
  const v = JSON.parse(text) as unknown;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('not a JSON object');
  const version = (v as Record<string, unknown>).version;
  if (version !== FORMAT_VERSION) throw new TypeError(`unsupported version ${JSON.stringify(version)} (this reads ${FORMAT_VERSION})`);
  return v as Record<string, unknown>;
}

/** The JSON text stored for one kv string. */
export function encodeStr(value: string): string {
  return canonicalJson({ version: FORMAT_VERSION, value });
}

export function decodeStr(text: string): string {
  const v = parseVersioned(text);
  if (typeof v.value !== 'string') throw new TypeError('value is not a string');
  return v.value;
}
