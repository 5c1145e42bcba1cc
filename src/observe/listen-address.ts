// --prometheus-listen ADDR: parsed where the flags are read (no server loaded for that).
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[V6]:PORT` or `:PORT` (every interface, as in mgmt); an error names what is wrong. */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`expected HOST:PORT (e.g. 127.0.0.1:9233, [::1]:9233 or :9233), got "${value}"`);
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`"${host}" is not an IPv6 address in "${value}"`);
  return { host: host === '' ? '::' : host, port };
}

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host) || host.endsWith('.localhost');
