// The etcd key layout, version 2 (docs/world.md), under a namespace (default `/rxmgmt`):
//   <ns>/exported/<host>/current                  which generation of the host's exports holds
//   <ns>/exported/<host>/<gen>/<kind>/<name>      one exported resource of generation <gen>
//   <ns>/converged/<host>                         one live host's converged state, under its lease
// A generation is `g` and digits. Only the current generation counts: a change too big for one
// etcd transaction is written as a new generation first and made current in one transaction,
// so collectors see the old exports or the new ones, never a mix. Every segment is
// percent-encoded with encodeURIComponent, so a `/` in a name (a file path) never splits a
// segment and the key parses back unambiguously.

export const DEFAULT_NAMESPACE = '/rxmgmt';

export type ParsedKey =
  | { type: 'export'; host: string; generation: string; kind: string; name: string }
  | { type: 'current'; host: string }
  | { type: 'converged'; host: string }
  | { type: 'str'; key: string }
  | { type: 'strmap'; host: string; key: string };

const enc = encodeURIComponent;
const CURRENT = 'current';
const isGeneration = (s: string): boolean => /^g\d+$/.test(s);

export class KeyLayout {
  /** Every key of this World starts with `root`. */
  readonly root: string;
  readonly exportedRoot: string;
  readonly convergedRoot: string;

  readonly strRoot: string;
  readonly strmapRoot: string;

  constructor(namespace: string = DEFAULT_NAMESPACE) {
    this.root = `${namespace.replace(/\/+$/, '')}/`;
    this.exportedRoot = `${this.root}exported/`;
    this.convergedRoot = `${this.root}converged/`;
    this.strRoot = `${this.root}str/`;
    this.strmapRoot = `${this.root}strmap/`;
  }

  /** A global kv string: any host may write it. */
  strKey(key: string): string {
    return `${this.strRoot}${enc(key)}`;
  }

  /** The prefix of `host`'s values of mapped kv keys: only that host writes there. */
  hostStrmap(host: string): string {
    return `${this.strmapRoot}${enc(host)}/`;
  }

  strmapKey(host: string, key: string): string {
    return `${this.hostStrmap(host)}${enc(key)}`;
  }

  /** The prefix holding everything `host` exports: its generations and which one is current. */
  hostExports(host: string): string {
    return `${this.exportedRoot}${enc(host)}/`;
  }

  /** The key naming the current generation of `host`'s exports. */
  currentKey(host: string): string {
    return `${this.hostExports(host)}${CURRENT}`;
  }

  /** The prefix of one generation of `host`'s exports. */
  generationPrefix(host: string, generation: string): string {
    return `${this.hostExports(host)}${generation}/`;
  }

  exportKey(r: { host: string; kind: string; name: string }, generation: string): string {
    return `${this.generationPrefix(r.host, generation)}${enc(r.kind)}/${enc(r.name)}`;
  }

  convergedKey(host: string): string {
    return `${this.convergedRoot}${enc(host)}`;
  }

  /** The meaning of a key under `root`, or undefined for a key this layout does not define. */
  parse(key: string): ParsedKey | undefined {
    try {
      if (key.startsWith(this.exportedRoot)) {
        const parts = key.slice(this.exportedRoot.length).split('/');
        if (parts.some((p) => p === '')) return undefined;
        if (parts.length === 2 && parts[1] === CURRENT) return { type: 'current', host: decodeURIComponent(parts[0]) };
        if (parts.length !== 4 || !isGeneration(parts[1])) return undefined;
        const [host, generation, kind, name] = [parts[0], parts[1], parts[2], parts[3]].map(decodeURIComponent) as [string, string, string, string];
        return { type: 'export', host, generation, kind, name };
      }
      if (key.startsWith(this.strRoot)) {
        const rest = key.slice(this.strRoot.length);
        if (rest === '' || rest.includes('/')) return undefined;
        return { type: 'str', key: decodeURIComponent(rest) };
      }
      if (key.startsWith(this.strmapRoot)) {
        const parts = key.slice(this.strmapRoot.length).split('/');
        if (parts.length !== 2 || parts.some((p) => p === '')) return undefined;
        return { type: 'strmap', host: decodeURIComponent(parts[0]), key: decodeURIComponent(parts[1]) };
      }
      if (key.startsWith(this.convergedRoot)) {
        const rest = key.slice(this.convergedRoot.length);
        if (rest === '' || rest.includes('/')) return undefined;
        return { type: 'converged', host: decodeURIComponent(rest) };
      }
    } catch {
      return undefined; // malformed percent-encoding
    }
    return undefined;
  }
}

/** The smallest key greater than every key starting with `prefix` (etcd's range_end). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = b[i] + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
