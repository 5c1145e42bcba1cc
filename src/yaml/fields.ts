// A resource's kind-specific fields -> params, checked against the kind's schema.
import type { FieldSchema, FieldType, ResourceKind } from '../model/resource.js';
import type { Report } from './errors.js';
import type { YEntry, YMap, YNode } from './tree.js';
import { didYouMean, oneOf } from './suggest.js';
import { isAbsent, readBoolean, readNumber, readString, readStringList, readStringMap } from './values.js';
import type { Read } from './values.js';

/** Keys every resource has besides its kind's fields. */
export const commonKeys = ['name', 'meta'];

const expectedType: Record<FieldType, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  'string[]': 'a list of strings',
  map: 'a mapping of names to strings',
};

function readField(type: FieldType, node: YNode): Read<unknown> {
  switch (type) {
    case 'string':
      return readString(node);
    case 'integer':
      return readNumber(node, { integer: true });
    case 'number':
      return readNumber(node);
    case 'boolean':
      return readBoolean(node);
    case 'string[]':
      return readStringList(node);
    case 'map':
      return readStringMap(node);
  }
}

const expected = (schema: FieldSchema): string =>
  `${schema.enum ? oneOf(schema.enum) : expectedType[schema.type]} (${schema.doc})`;

/**
 * Reads the kind's fields from a resource mapping and applies the schema's defaults.
 * `clean` is false when anything was reported, so cross-field checks can be skipped.
 * It runs once per resource (10 000 times for a big graph): the kind's tables are made once,
 * and a string field given a string, the common case, is taken as it is.
 */
export function readParams(kind: ResourceKind, map: YMap, report: Report): { params: Record<string, unknown>; clean: boolean } {
  const params: Record<string, unknown> = {};
  let clean = true;
  const { names: fieldNames, defaulted, schemas } = fieldsOf(kind);
  const entries = map.entries;

  for (let i = 0; i < entries.length; i++) {
    const { key, line, value } = entries[i];
    if (key === 'name' || key === 'meta') continue; // commonKeys
    const schema = schemas.get(key);
    if (schema === undefined) {
      const hint = didYouMean(key, [...fieldNames, ...commonKeys]);
      clean = false;
      report(line, `field "${key}" is not a ${kind.kind} field${hint}; expected ${fieldNames.length ? oneOf(fieldNames) : 'no fields besides name and meta'}`);
      continue;
    }
    let read: unknown;
    if (schema.type === 'string' && value.kind === 'scalar' && typeof value.value === 'string') read = value.value;
    else if (isAbsent(value)) continue; // `key:` with no value means "not set", as in mgmt
    else {
      const r = readField(schema.type, value);
      if (!r.ok) {
        clean = false;
        report(r.line ?? line, `field "${key}" ${r.problem} (${schema.doc})`);
        continue;
      }
      read = r.value;
    }
    if (schema.enum && !schema.enum.includes(read as string)) {
      clean = false;
      report(line, `field "${key}" is ${JSON.stringify(read)}; expected ${oneOf(schema.enum)}`);
    } else params[key] = read;
  }

  for (const name of defaulted) {
    if (Object.hasOwn(params, name)) continue; // given, and read
    const schema = schemas.get(name)!;
    // Nothing reported so far: a field that is not in params was not given, or given no value.
    if (clean && schema.default !== undefined) {
      params[name] = copy(schema.default);
      continue;
    }
    let given: YEntry | undefined;
    for (const e of entries) {
      if (e.key === name) {
        given = e;
        break;
      }
    }
    if (given && !isAbsent(given.value)) continue;
    if (schema.default !== undefined) params[name] = copy(schema.default);
    else if (schema.required) {
      clean = false;
      report(given?.line ?? map.line, `field "${name}" is missing; expected ${expected(schema)}`);
    }
  }
  return { params, clean };
}

interface KindFields {
  /** Every field, sorted: for messages. */
  names: string[];
  /** The fields with a default or required, sorted: the only ones a missing key matters for. */
  defaulted: string[];
  /** Field name -> its schema (a Map: no key of Object.prototype is ever a field). */
  schemas: Map<string, FieldSchema>;
}

// Read for every resource: made once per kind (its fields object, which does not change).
const fieldsOfKind = new WeakMap<Record<string, FieldSchema>, KindFields>();

/** The last kind asked about: a graph's resources come kind by kind. */
let last: { fields: Record<string, FieldSchema>; f: KindFields } | undefined;

function fieldsOf(kind: ResourceKind): KindFields {
  if (last?.fields === kind.fields) return last.f;
  let f = fieldsOfKind.get(kind.fields);
  if (!f) {
    const names = Object.keys(kind.fields).sort();
    const defaulted = names.filter((n) => kind.fields[n].default !== undefined || kind.fields[n].required);
    const schemas = new Map(names.map((n) => [n, kind.fields[n]]));
    fieldsOfKind.set(kind.fields, (f = { names, defaulted, schemas }));
  }
  last = { fields: kind.fields, f };
  return f;
}

/** Defaults may be arrays or objects: never share one between resources. */
const copy = (v: unknown): unknown => (typeof v === 'object' && v !== null ? structuredClone(v) : v);
