#!/usr/bin/env -S node --max-semi-space-size=16
// The rxmgmt launcher (the package's bin): what must happen before the command line loads,
// then the command line itself (cli.ts, a chunk of its own in the bundle: scripts/build-cli.mjs).
// The V8 flag caps the young generation at 16 MB per semi-space: Node 24 sizes it from the
// machine's memory (far larger here), and a graph of 10 000 resources, built in one burst of
// long-lived objects, then converged 20 % faster at 25 % less peak RSS (bench/README.md).
import { readFileSync } from 'node:fs';
import { enableCompileCache } from './compile-cache.js';
import { mapStackTraces } from './stack-traces.js';

// SIGHUP's default ends the process: a `systemctl reload` right after start would stop the
// service. Until `run` installs its handler (before it reads the graph file), ignore it.
const ignoreHup = () => undefined;
process.on('SIGHUP', ignoreHup);

// This file is dist/src/cli/main.js: the package's root is three levels up.
const root = new URL('../../../', import.meta.url);
// Before anything else is compiled: what loads from here on is cached or read from the cache.
enableCompileCache(root);
// Stack traces name the src/ files the bundle was built from (its maps, read when a stack is).
mapStackTraces(new URL('./', import.meta.url));

const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const { runCli } = await import('./cli.js');
const code = await runCli(process.argv.slice(2), version);
// Exit explicitly: watches and sockets that a resource leaves open must not keep us alive.
process.exit(code);
