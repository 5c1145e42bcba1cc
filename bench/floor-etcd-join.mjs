#!/usr/bin/env node
// The floor for distributed-start (issue 15): the cheapest honest program for the same work, in
// plain Node with the etcd client the engine depends on (etcd3, from node_modules), no engine.
// Two roles:
//   node bench/floor-etcd-join.mjs watch URL PREFIX DIR READY
//     the collector A' (long-running, until SIGTERM): watches every key under PREFIX and, on
//     each put, writes its value to DIR/NAME (NAME: the key after PREFIX) as the file resource
//     writes (a hidden temp file, then a rename, so a reader never sees half a file); writes
//     READY once the watch is established.
//   node bench/floor-etcd-join.mjs put URL PREFIX HOST E
//     the joining host B': connects, puts its E exports PREFIX+HOST-eI (content: `exportContent`)
//     in one transaction, and exits.
// So B's start to its exports collected on A costs Node's start-up, loading etcd3, one connection,
// one transaction, one watch event and E file writes: what any Node host must pay for it.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

/** Export `e` of host `host`: distributed-start.mjs gives the engine's hosts the same (and checks it). */
const exportContent = (host, e) => `export ${e} of host ${host}\n`;

const [role, url, prefix, ...rest] = process.argv.slice(2);
const client = new Etcd3({ hosts: url });

if (role === 'watch') {
  const [dir, ready] = rest;
  const watcher = await client.watch().prefix(prefix).create();
  watcher.on('put', (kv) => {
    const name = kv.key.toString().slice(prefix.length);
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, kv.value);
    renameSync(tmp, join(dir, name));
  });
  writeFileSync(ready, 'ready\n');
  process.on('SIGTERM', () => {
    watcher.cancel().finally(() => client.close()).finally(() => process.exit(0));
  });
} else if (role === 'put') {
  const [host, n] = rest;
  const keys = Array.from({ length: Number(n) }, (_, e) => `${prefix}${host}-e${e}`);
  // One transaction: "if the first key is new, put them all" (the names are fresh each run).
  const puts = keys.map((key, e) => client.put(key).value(exportContent(host, e)));
  const res = await client.if(keys[0], 'Create', '==', 0).then(...puts).commit();
  if (!res.succeeded) {
    process.stderr.write(`floor-etcd-join: ${keys[0]} already exists\n`);
    process.exit(1);
  }
  client.close();
  process.exit(0);
} else {
  process.stderr.write('usage: floor-etcd-join.mjs watch URL PREFIX DIR READY | put URL PREFIX HOST E\n');
  process.exit(2);
}
