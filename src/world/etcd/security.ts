// How the World reaches a secured etcd: TLS (a CA to trust, a client certificate) and a user
// with a password. The password lives only in memory: it is never put in an error or a log.
import { Etcd3, type IOptions } from 'etcd3';
import { defaultRoots } from './grpc-env.js';

export interface EtcdSecurity {
  /** PEM of the CA that signed the members' certificates (absent, for `https://` seeds: Node's CAs, or the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names). */
  ca?: Buffer;
  /** PEM client certificate and its key, for members started with `--client-cert-auth`. */
  cert?: Buffer;
  key?: Buffer;
  /** An etcd user (auth enabled) and its password. */
  user?: string;
  password?: string;
}

/** The etcd3 client options for reaching `seeds` with `s`. */
export function clientSecurity(seeds: string[], s: EtcdSecurity | undefined): Pick<IOptions, 'credentials' | 'auth'> {
  const out: Pick<IOptions, 'credentials' | 'auth'> = {};
  if (s?.ca || s?.cert || s?.key || seeds.some((u) => /^https:/i.test(u))) {
    if (!s?.cert !== !s?.key) throw new Error('a client certificate needs its key, and a key its certificate');
    // grpc takes null as "Node's CAs"; etcd3's type says Buffer.
    out.credentials = { rootCertificate: s?.ca ?? (defaultRoots() as unknown as Buffer), certChain: s?.cert, privateKey: s?.key };
  }
  if (s?.user !== undefined) out.auth = { username: s.user, password: s.password ?? '' };
  return out;
}

const named = (e: unknown, name: string): boolean => e instanceof Error && (e.name === name || e.constructor?.name === name);

/** etcd refused the user or password (retrying will not help). */
export const isAuthFailure = (e: unknown): boolean => named(e, 'EtcdAuthenticationFailedError');

/** etcd answered and refused us (user, password, permissions): waiting will not help. */
export const isPermanentFailure = (e: unknown): boolean => isAuthFailure(e) || named(e, 'EtcdPermissionDeniedError');

/**
 * The cause worth telling of an etcd client error. The client's circuit breaker answers
 * "circuit breaker is open" for a while after a member failed; that hides what failed (an
 * untrusted certificate, a refused password), so the previous real cause is kept instead.
 */
export function explainEtcdError(e: unknown, previous?: unknown): Error {
  if (named(e, 'BrokenCircuitError') || named(e, 'IsolatedCircuitError')) {
    return previous instanceof Error ? previous : new Error('no member answered (every one failed recently)');
  }
  if (isAuthFailure(e)) return new Error(`authentication failed (${(e as Error).message})`);
  if (named(e, 'EtcdPermissionDeniedError')) return new Error(`permission denied: this etcd user may not do that (${(e as Error).message})`);
  return e instanceof Error ? e : new Error(String(e));
}

/** A client for `seeds` with `security`, each request bounded by `requestTimeoutMs` (wall clock: client-side). */
export function newEtcdClient(seeds: string[], security: EtcdSecurity | undefined, requestTimeoutMs = 5_000): Etcd3 {
  return new Etcd3({
    hosts: seeds,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    ...clientSecurity(seeds, security),
  });
}
