#!/usr/bin/env -S node --max-semi-space-size=16
// The command line as a plain bundle: what the launcher (src/cli/rxmgmt.sh, the package's bin)
// runs when the startup snapshot cannot be used, and what `node dist/src/cli/main.js` runs.
// The V8 flag caps the young generation at 16 MB per semi-space: Node 24 sizes it from the
// machine's memory (far larger here), and a graph of 10 000 resources, built in one burst of
// long-lived objects, then converged 20 % faster at 25 % less peak RSS (bench/README.md).
import { startCli } from './start.js';

await startCli(new URL('./', import.meta.url), process.argv.slice(2));
