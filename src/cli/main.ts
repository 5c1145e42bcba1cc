#!/usr/bin/env -S node --max-semi-space-size=16
// The rxmgmt command line. Commands import their heavy parts lazily, so --version is quick.
// The V8 flag caps the young generation at 16 MB per semi-space: Node 24 sizes it from the
// machine's memory (far larger here), and a graph of 10 000 resources, built in one burst of
// long-lived objects, then converged 20 % faster at 25 % less peak RSS (bench/README.md).
import { readFileSync } from 'node:fs';

// SIGHUP's default ends the process: a `systemctl reload` right after start would stop the
// service. Until `run` installs its handler (before it reads the graph file), ignore it.
const ignoreHup = () => undefined;
process.on('SIGHUP', ignoreHup);
import { Builtins, Cli } from 'clipanion';
import { colourOn } from '../observe/tty.js';
import { joinNegativeValues } from './argv.js';
import { CheckCommand } from './check.js';
import { namePlaceholders } from './help-placeholders.js';
import { RunCommand } from './run.js';
import { WorldGrantCommand } from './world-grant.js';
import { WorldWithdrawCommand } from './world-withdraw.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Help with named values (`--file FILE`, not clipanion's `#0`). */
class RxmgmtCli extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    return namePlaceholders(super.usage(...args));
  }
}

// Colours only on a terminal and without NO_COLOR: `rxmgmt --help | less` gets plain text.
const cli = new RxmgmtCli({ binaryName: 'rxmgmt', binaryLabel: 'rxmgmt', binaryVersion: pkg.version, enableColors: colourOn(process.stdout) });
cli.register(RunCommand);
cli.register(CheckCommand);
cli.register(WorldGrantCommand);
cli.register(WorldWithdrawCommand);
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);

let command;
try {
  command = cli.process(joinNegativeValues(process.argv.slice(2)));
} catch (error) {
  // A command line that does not parse is a usage error: say so on stderr, exit 2.
  process.stderr.write(namePlaceholders(cli.error(error, { colored: colourOn(process.stderr) })));
  process.exit(2);
}

// Signal handlers do not keep Node alive: with nothing else to wait on (no graph, no watch,
// no timeout), `run` must still wait for SIGINT/SIGTERM.
const keepAlive = setInterval(() => undefined, 1 << 30);
const code = await cli.run(command);
clearInterval(keepAlive);
// Exit explicitly: watches and sockets that a resource leaves open must not keep us alive.
process.exit(code);
