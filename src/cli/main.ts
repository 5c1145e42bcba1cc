#!/usr/bin/env -S node --max-semi-space-size=16 --invocation-count-for-turbofan=100000
// The command line as a plain bundle: what the launcher (src/cli/rxmgmt.sh, the package's bin)
// runs when the startup snapshot cannot be used, and what `node dist/src/cli/main.js` runs.
// The first V8 flag caps the young generation at 16 MB per semi-space: Node 24 sizes it from the
// machine's memory (far larger here), and a graph of 10 000 resources, built in one burst of
// long-lived objects, then converged 20 % faster at 25 % less peak RSS (bench/README.md).
// The second lets a function reach V8's top tier (TurboFan) after 100 000 calls instead of 3 000:
// a run's per-resource code is called once or a few times per resource, so at 10 000 resources
// TurboFan compiled it just before it was no longer needed (without that: 11-14 % less CPU, 5-7 %
// less wall time). Maglev's code serves meanwhile; what stays hot in a long engine run gets there.
import { startCli } from './start.js';

await startCli(new URL('./', import.meta.url), process.argv.slice(2));
