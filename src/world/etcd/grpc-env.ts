// grpc-js's environment variables, as far as rxmgmt reads them itself. grpc-js reads its GRPC_*
// variables once, when it loads; the startup snapshot with the etcd client (rxmgmt-etcd.blob)
// loads it at build time, where none is set. The CA file variable is read here, for each client
// (security.ts), so it works from the snapshot too; a start that sets any other GRPC_* variable
// runs the plain bundle instead (src/cli/snapshot.ts), where grpc-js loads and reads them.
import { readFileSync } from 'node:fs';

/** The CA file grpc-js trusts instead of Node's own list when a TLS client names none. */
export const DEFAULT_ROOTS_VARIABLE = 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH';

/** That file's content, as grpc-js would read it (unset or empty: none, so Node's list). */
export function defaultRoots(): Buffer | null {
  const file = process.env[DEFAULT_ROOTS_VARIABLE];
  if (!file) return null;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${DEFAULT_ROOTS_VARIABLE}=${file}: cannot read the CA file: ${(e as Error).message}`, { cause: e });
  }
}

/** The GRPC_* variables set in `env` that only grpc-js itself reads (when it loads). */
export function grpcLoadTimeVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((k) => k.startsWith('GRPC_') && k !== DEFAULT_ROOTS_VARIABLE);
}
