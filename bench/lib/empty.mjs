// An empty ES module: `node bench/lib/empty.mjs` is Node start-up plus the ESM loader, nothing else.
