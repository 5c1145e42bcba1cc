// Resources collected from the World, turned into local resource specs.
import type { CollectSpec, ResourceSpec } from '../model/spec.js';
import { refKey } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import type { FieldSchema } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import type { ExportedResource } from '../world/world.js';

/**
 * The collected resources as specs for the local graph: for each resource, the first
 * `collect` entry of its kind applies (its `pattern` passed to the kind's `collect` hook:
 * for `file`, the directory the file lands in). A resource another host sent that this host
 * cannot use (unknown kind or field, wrong type, a name already taken) is skipped with a
 * warning, never fatal: one bad export must not stop every collector's graph.
 */
export function collectedSpecs(
  exported: readonly ExportedResource[],
  collect: readonly CollectSpec[],
  registry: Registry,
  taken: ReadonlySet<string>,
  log: Logger,
): ResourceSpec[] {
  const seen = new Set(taken);
  const specs: ResourceSpec[] = [];
  for (const r of exported) {
    const entry = collect.find((c) => c.kind === r.kind);
    const kind = registry.get(r.kind);
    if (!entry) continue;
    const from = `${refKey(r)} from host ${r.host}`;
    const problem = !kind ? `unknown resource kind "${r.kind}"` : paramsProblem(r.params, kind.fields) ?? kind.validate?.(r.params);
    if (problem) {
      log.warn(`collect: skipping ${from}: ${problem}`);
      continue;
    }
    if (seen.has(refKey(r))) {
      log.warn(`collect: skipping ${from}: a resource named ${refKey(r)} is already in the graph`);
      continue;
    }
    seen.add(refKey(r));
    const params = entry.pattern && kind!.collect ? kind!.collect(r.params, entry.pattern) : r.params;
    specs.push({ kind: r.kind, name: r.name, params, meta: r.meta, pos: { file: `world:${r.host}`, line: 0 } });
  }
  return specs;
}

function paramsProblem(params: Record<string, unknown>, fields: Record<string, FieldSchema>): string | undefined {
  for (const [key, value] of Object.entries(params)) {
    const schema = fields[key];
    if (!schema) return `field "${key}" is not one of its kind's fields`;
    if (!fits(schema, value)) return `field "${key}" is not ${schema.type}`;
  }
  return undefined;
}

function fits(schema: FieldSchema, v: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof v === 'string' && (!schema.enum || schema.enum.includes(v));
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'map':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
  }
}
