// What every start of the command line does around its command, whichever way it was loaded:
// from the bundle (main.ts) or from the startup snapshot (snapshot.ts, scripts/build-cli.mjs).
import { readFileSync } from 'node:fs';
import { enableCompileCache } from './compile-cache.js';
import { mapStackTraces } from './stack-traces.js';

/**
 * Runs the command `argv` names and exits with its code. `cliDir` is the bundle's directory,
 * dist/src/cli/ (a file: URL ending in /): the package's root is three levels up.
 */
export async function startCli(cliDir: URL, argv: string[]): Promise<never> {
  // SIGHUP's default ends the process: a `systemctl reload` right after start would stop the
  // service. Until `run` installs its handler (before it reads the graph file), ignore it.
  process.on('SIGHUP', ignoreHup);
  const root = new URL('../../../', cliDir);
  // Before anything else is compiled: what loads from here on is cached or read from the cache.
  enableCompileCache(root);
  // Stack traces name the src/ files the bundle was built from (its maps, read when a stack is).
  mapStackTraces(cliDir);
  const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  const { runCli } = await import('./cli.js');
  const code = await runCli(argv, version);
  // Exit explicitly: watches and sockets that a resource leaves open must not keep us alive.
  process.exit(code);
}

function ignoreHup(): void {}
