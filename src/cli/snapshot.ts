// The entry of rxmgmt's startup snapshot. scripts/build-cli.mjs bundles it into one CommonJS
// script (dist/src/cli/snapshot.cjs) and runs `node --build-snapshot` on it: the modules below are
// loaded and evaluated then, and the heap they leave is saved as dist/src/cli/rxmgmt.blob. The
// launcher (src/cli/rxmgmt.sh) starts `node --snapshot-blob rxmgmt.blob -- ARGS`, which
// deserialises that heap instead of reading, compiling and evaluating the modules again, and
// calls the function given to setDeserializeMainFunction.
//
// Only code whose evaluation captures nothing of the process that built it may be evaluated
// here: no environment, no working directory, no clock, no stdio streams, no handles. What a run
// of files, commands and noops qualifies (docs/cli.md, "The startup snapshot"), and so does the
// etcd World's client (etcd3 and grpc-js, bundled here), whose network modules load at their
// first use (scripts/snapshot-lazy-builtins.mjs) and whose GRPC_* variables are never the
// builder's (below); the other kinds, dbus-next and prom-client still load when a graph first
// needs them (the other kinds from this script's own code, the packages from node_modules,
// through a require made at run time). Then one real run of a small graph (snapshot-warm-up.ts), so that the functions a run calls
// are compiled too; it must leave nothing open and forget what it learnt of this machine.
import { readFileSync } from 'node:fs';
// The global `performance` loads it at its first use (the file kind's slices): loaded here, and
// Node sets its time origin again for each start from the snapshot.
import 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { snapshotBlobPath } from './snapshot-blob.js';
import { startCli } from './start.js';
import { prepareParsers } from './cli.js';
import './run-main.js';
import '../resources/file.js';
import '../resources/exec.js';
import '../resources/noop.js';
import { warmUp } from './snapshot-warm-up.js';
import { grpcLoadTimeVariables } from '../world/etcd/grpc-env.js';

/** Where the bundle's `import.meta.url` points (the build defines it so): this script's URL at run time. */
declare global {
  var __rxmgmtModuleUrl: string;
}
/** The build's: whether this is the snapshot with the etcd World's client loaded (rxmgmt-etcd.blob). */
declare const __RXMGMT_SNAPSHOT_ETCD__: boolean;
const SCRIPT = __RXMGMT_SNAPSHOT_ETCD__ ? 'snapshot-etcd.cjs' : 'snapshot.cjs';

// The etcd World with etcd3 and its gRPC stack, bundled into this script (scripts/build-cli.mjs).
if (__RXMGMT_SNAPSHOT_ETCD__) {
  import('../world/etcd.js').catch((e: unknown) => {
    process.stderr.write(`rxmgmt snapshot: cannot load the etcd World: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}

// Clipanion's parsers, compiled now for every start (cli.ts), for the version beside this script
// (dist/src/cli/snapshot.cjs, which the build runs): a start of another version makes its own.
const built = dirname(resolve(process.argv[1] ?? '.'));
prepareParsers((JSON.parse(readFileSync(join(built, '../../../package.json'), 'utf8')) as { version: string }).version);

// One real run of a small graph, so the blob also holds the bytecode of what a run calls
// (snapshot-warm-up.ts). A failure fails the build of the blob (the bin then runs the bundle).
warmUp().catch((e: unknown) => {
  process.stderr.write(`rxmgmt snapshot: the warm-up run failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});

startupSnapshot.setDeserializeMainFunction(() => {
  // The snapshot does not know where it was loaded from: the blob's path on Node's command line says.
  const cliDir = dirname(snapshotBlobPath(process.execArgv));
  globalThis.__rxmgmtModuleUrl = pathToFileURL(`${cliDir}/${SCRIPT}`).href;
  // grpc-js read its GRPC_* variables (trace, verbosity, ciphers ...) when it was loaded, at
  // build time, where none was set: a start that sets one runs the plain bundle, which reads them
  // (src/world/etcd/grpc-env.ts).
  const grpcVariables = __RXMGMT_SNAPSHOT_ETCD__ ? grpcLoadTimeVariables(process.env) : [];
  if (grpcVariables.length > 0) return runBundle(cliDir, grpcVariables);
  void startCli(pathToFileURL(`${cliDir}/`), process.argv.slice(1));
});

/**
 * Replaces this process with the plain bundle beside the blob (the same process id, as a service
 * manager expects), or says what to run instead on a Node without process.execve (before 23.11).
 */
function runBundle(cliDir: string, why: string[]): void {
  const argv = [process.execPath, '--max-semi-space-size=16', join(cliDir, 'main.js'), ...process.argv.slice(1)];
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (execve) execve(process.execPath, argv, process.env);
  process.stderr.write(`rxmgmt: ${why.join(', ')} set, which the startup snapshot's etcd client cannot honour: run ${argv.join(' ')}\n`);
  process.exit(2);
}
