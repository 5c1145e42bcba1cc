#!/usr/bin/env node
// Bundles the command line into dist/src/cli/ (after tsc has built the library into dist/):
// one file for what every start needs, and chunks for what commands load lazily. A start then
// reads ~30 files instead of ~380 (rxjs alone is 223 modules), which is most of its cost.
//
// Not bundled, and loaded from node_modules at their first use: the packages only some runs
// need (dbus-next, prom-client, diff, and etcd3's gRPC stack). etcd3 itself is bundled, in a
// chunk of its own, with its .proto answered from a descriptor made here (scripts/etcd-proto.mjs).
// rxjs IS bundled into
// the CLI, which is a process of its own; the library (rxmgmt, rxmgmt/operators,
// rxmgmt/testing) stays tsc's output and imports the user's rxjs, so their TestScheduler drives it.
//
// Then the same command line once more as one CommonJS script, for the startup snapshot that the
// package's bin (src/cli/rxmgmt.sh) starts from: docs/cli.md, "The startup snapshot".
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { etcdProto, etcdProtoBundled } from './etcd-proto.mjs';
import { dropLibraryMappings } from './library-maps.mjs';
import { snapshotLazyBuiltins } from './snapshot-lazy-builtins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/src/cli');
const require = createRequire(import.meta.url);

/**
 * rxjs's export map sends `node` to its CommonJS build, which a bundle must wrap and copy
 * export by export at start; its ES2015 module build is the same code, and tree-shakes.
 */
const rxjsAsModules = {
  name: 'rxjs-esm',
  setup(b) {
    const esm = join(dirname(require.resolve('rxjs/package.json')), 'dist/esm/index.js');
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: esm }));
  },
};

// tsc type-checked src/cli/ and wrote it here, module by module: the bundle replaces that.
rmSync(out, { recursive: true, force: true });
// The launcher's compile cache (src/cli/compile-cache.ts) holds the old bundle's bytecode: Node
// would never use it again, nor remove it.
rmSync(join(root, '.compile-cache'), { recursive: true, force: true });

/** What both bundles share: Node's platform, what stays in node_modules, the plugins, the maps. */
const shared = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  external: ['etcd3', 'dbus-next', 'prom-client', 'diff'],
  plugins: [rxjsAsModules, etcdProto],
  // Stack traces name the src/ files (the launcher turns source maps on); the maps hold no source text.
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...shared,
  entryPoints: { main: join(root, 'src/cli/main.ts') },
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // CommonJS dependencies (clipanion) call require() for Node's own modules.
  banner: { js: "import { createRequire as __rxmgmtRequire } from 'node:module'; const require = __rxmgmtRequire(import.meta.url);" },
});
chmodSync(join(out, 'main.js'), 0o755); // `node dist/src/cli/main.js`, or executed itself
copyFileSync(join(root, 'src/cli/rxmgmt.sh'), join(out, 'rxmgmt'));
chmodSync(join(out, 'rxmgmt'), 0o755); // the package's bin

// Two startup snapshots, the same command line in each: one for local runs, and one with the etcd
// World's client loaded too, which the bin picks for a command line that names etcd
// (src/cli/rxmgmt.sh). Either runs anything; the other's is the faster start for its runs.
await buildSnapshot('rxmgmt', { etcd: false });
await buildSnapshot('rxmgmt-etcd', { etcd: true });

// Stack traces map the project's own frames only (scripts/library-maps.mjs).
for (const file of readdirSync(out, { recursive: true })) if (file.endsWith('.map')) dropLibraryMappings(join(out, file));

/**
 * A startup snapshot (src/cli/snapshot.ts): the command line bundled once more, as the one
 * CommonJS script (`NAME.cjs`) that `node --build-snapshot` takes, then run by this very Node to
 * make the blob (`NAME.blob`) that the bin (src/cli/rxmgmt.sh) starts from, with the identity of
 * this Node beside it. A Node that cannot make one leaves no blob, and the bin runs the plain bundle.
 * `etcd`: etcd3 with its gRPC stack bundled and loaded while building (snapshot-lazy-builtins.mjs).
 */
async function buildSnapshot(name, { etcd }) {
  const entry = join(out, etcd ? `snapshot-etcd.cjs` : 'snapshot.cjs');
  await build({
    ...shared,
    plugins: etcd ? [rxjsAsModules, etcdProtoBundled, snapshotLazyBuiltins] : shared.plugins,
    entryPoints: [join(root, 'src/cli/snapshot.ts')],
    outfile: entry,
    format: 'cjs',
    // Without its spaces and comments (names kept: stack traces still name functions and, through
    // the map, src/ files): a smaller heap to deserialise, ~2 ms of a 100-file start.
    minifyWhitespace: true,
    // Short lines all the same: a library's code then lies on lines of its own, which a stack
    // trace never needs the map for (src/cli/stack-traces.ts).
    lineLimit: 1000,
    // etcd3's bundled code asks require.resolve where etcd3 is at run time, as it should.
    logOverride: { 'require-resolve-not-external': 'silent' },
    // A script has no import.meta: the snapshot's main function sets this to its URL at run time.
    define: { 'import.meta.url': 'globalThis.__rxmgmtModuleUrl', __RXMGMT_SNAPSHOT_ETCD__: String(etcd) },
    // The builder's require() knows only Node's own modules; the packages left out of the bundle
    // are required at run time (never while building: that fails), from node_modules beside us.
    banner: {
      js: [
        'const __rxmgmtBuiltin = require;',
        "require = (id) => __rxmgmtBuiltin('node:module').isBuiltin(id) || __rxmgmtBuiltin('node:v8').startupSnapshot.isBuildingSnapshot()",
        "  ? __rxmgmtBuiltin(id) : __rxmgmtBuiltin('node:module').createRequire(globalThis.__rxmgmtModuleUrl)(id);",
        // etcd3's bundled code finds its own dependencies from its directory (scripts/etcd-proto.mjs).
        "require.resolve = (id, o) => __rxmgmtBuiltin('node:module').createRequire(globalThis.__rxmgmtModuleUrl).resolve(id, o);",
      ].join('\n'),
    },
  });
  const blob = join(out, `${name}.blob`);
  try {
    // Node warns that it has not verified some of its modules in snapshots (child_process, tty,
    // module): src/cli/snapshot.ts says what the snapshot may hold; the warnings go, errors stay.
    // grpc-js reads its GRPC_* variables as it loads: the blob holds their defaults, never the
    // builder's (a start with any of them set runs the bundle, src/cli/snapshot.ts).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRPC_')));
    execFileSync(process.execPath, ['--disable-warning=Warning', '--snapshot-blob', `${blob}.tmp`, '--build-snapshot', entry], { stdio: ['ignore', 'ignore', 'inherit'], env });
    renameSync(`${blob}.tmp`, blob);
    // The Node that made it, which the bin compares with the node it finds (`-ef`: the same file).
    writeFileSync(`${blob}.node`, `${realpathSync(process.execPath)}\n`);
  } catch (e) {
    rmSync(`${blob}.tmp`, { force: true });
    console.warn(`rxmgmt build: no startup snapshot ${name}.blob (the command line starts from the plain bundle): ${e.message}`);
  }
}
