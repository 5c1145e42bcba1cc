#!/usr/bin/env node
// The rxmgmt command line. Commands import their heavy parts lazily, so --version is quick.
import { readFileSync } from 'node:fs';
import { Builtins, Cli } from 'clipanion';
import { RunCommand } from './run.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const cli = new Cli({ binaryName: 'rxmgmt', binaryLabel: 'rxmgmt', binaryVersion: pkg.version });
cli.register(RunCommand);
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);

const code = await cli.run(process.argv.slice(2));
// Exit explicitly: watches and sockets that a resource leaves open must not keep us alive.
process.exit(code);
