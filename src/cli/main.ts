#!/usr/bin/env node
// The rxmgmt command line. Commands import their heavy parts lazily, so --version is quick.
import { readFileSync } from 'node:fs';
import { Builtins, Cli } from 'clipanion';
import { joinNegativeValues } from './argv.js';
import { RunCommand } from './run.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const cli = new Cli({ binaryName: 'rxmgmt', binaryLabel: 'rxmgmt', binaryVersion: pkg.version });
cli.register(RunCommand);
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);

let command;
try {
  command = cli.process(joinNegativeValues(process.argv.slice(2)));
} catch (error) {
  // A command line that does not parse is a usage error: say so on stderr, exit 2.
  process.stderr.write(cli.error(error));
  process.exit(2);
}

// Signal handlers do not keep Node alive: with nothing else to wait on (no graph, no watch,
// no timeout), `run` must still wait for SIGINT/SIGTERM.
const keepAlive = setInterval(() => undefined, 1 << 30);
const code = await cli.run(command);
clearInterval(keepAlive);
// Exit explicitly: watches and sockets that a resource leaves open must not keep us alive.
process.exit(code);
