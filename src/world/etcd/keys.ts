// The etcd key layout (docs/world.md), under a namespace (default `/rxmgmt`):
//   <ns>/exported/<host>/<kind>/<name>   one exported resource (JSON, see codec.ts)
//   <ns>/converged/<host>                one live host's converged state, under its lease
// Every segment is percent-encoded with encodeURIComponent, so a `/` in a name (a file
// path) never splits a segment and the key parses back unambiguously.

export const DEFAULT_NAMESPACE = '/rxmgmt';

export type ParsedKey =
  | { type: 'export'; host: string; kind: string; name: string }
  | { type: 'converged'; host: string };

const enc = encodeURIComponent;

export class KeyLayout {
  /** Every key of this World starts with `root`. */
  readonly root: string;
  readonly exportedRoot: string;
  readonly convergedRoot: string;

  constructor(namespace: string = DEFAULT_NAMESPACE) {
    this.root = `${namespace.replace(/\/+$/, '')}/`;
    this.exportedRoot = `${this.root}exported/`;
    this.convergedRoot = `${this.root}converged/`;
  }

  /** The prefix holding every export of `host`. */
  hostExports(host: string): string {
    return `${this.exportedRoot}${enc(host)}/`;
  }

  exportKey(r: { host: string; kind: string; name: string }): string {
    return `${this.hostExports(r.host)}${enc(r.kind)}/${enc(r.name)}`;
  }

  convergedKey(host: string): string {
    return `${this.convergedRoot}${enc(host)}`;
  }

  /** The meaning of a key under `root`, or undefined for a key this layout does not define. */
  parse(key: string): ParsedKey | undefined {
    try {
      if (key.startsWith(this.exportedRoot)) {
        const parts = key.slice(this.exportedRoot.length).split('/');
        if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
        const [host, kind, name] = parts.map(decodeURIComponent) as [string, string, string];
        return { type: 'export', host, kind, name };
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
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = b[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
