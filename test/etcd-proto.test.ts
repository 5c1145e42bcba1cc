// The CLI bundles etcd3 with its gRPC definitions precompiled (scripts/etcd-proto.mjs): the same
// program, bundled that way, bundled as the etcd snapshot does (with its dependencies) and run as
// the plain package, must talk to a real etcd identically (unary calls, an int64 lease id, a
// watch stream), and the bundled ones without ever loading protobufjs's .proto parser.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Plugin, build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { etcdProto, etcdProtoBundled } from '../scripts/etcd-proto.mjs';
import { snapshotLazyBuiltins } from '../scripts/snapshot-lazy-builtins.mjs';
import { type EtcdCluster, describeEtcd, startEtcd } from './helpers/etcd.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

// Talks to etcd through every kind of call the World makes, and says what it saw.
const PROGRAM = `
import { createRequire } from 'node:module';
import { Etcd3 } from 'etcd3';
const [url, ns] = process.argv.slice(2);
const client = new Etcd3({ hosts: url });
const watcher = await client.watch().prefix(ns + 'w').create();
const watched = new Promise((resolve) => watcher.on('put', (kv) => resolve(kv.value.toString())));
await client.put(ns + 'k').value('v');
const lease = client.lease(30);
const id = await lease.grant();
await lease.put(ns + 'l').value('leased');
await client.put(ns + 'w').value('seen');
const range = await client.kv.range({ key: Buffer.from(ns), range_end: Buffer.from(ns + '\\xff') });
const out = {
  get: await client.get(ns + 'k').string(),
  kvs: range.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), version: kv.version, leased: kv.lease !== '0' })),
  leaseIdRoundTrips: range.kvs.find((kv) => kv.key.toString() === ns + 'l').lease === id,
  leaseIdIsInt64Text: /^[0-9]+$/.test(id),
  ttl: (await client.leaseClient.leaseTimeToLive({ ID: id })).grantedTTL,
  watched: await watched,
  count: range.count,
  more: range.more,
  protoParserLoaded: Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('protobufjs/src/parse')),
  grpcFromNodeModules: Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@grpc/grpc-js')),
};
await lease.revoke();
await watcher.cancel();
client.close();
console.log(JSON.stringify(out));
`;

describeEtcd('etcd3 bundled with precompiled gRPC definitions', () => {
  let etcd: EtcdCluster;
  // Inside the repository, so that etcd3 and its dependencies resolve from node_modules.
  const dir = mkdtempSync(join(ROOT, '.etcd-proto-test-'));
  beforeAll(async () => {
    etcd = await startEtcd(1);
  });
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers exactly as the plain package does, without parsing .proto text', async () => {
    const entry = join(dir, 'program.mjs');
    writeFileSync(entry, PROGRAM);
    const bundled = join(dir, 'bundled.mjs');
    const withDeps = join(dir, 'with-deps.mjs');
    // The CLI's own settings for a bundle (scripts/build-cli.mjs), and the etcd snapshot's
    // (its dependencies bundled too, Node's network modules loaded at their first use).
    const bundle = (outfile: string, plugins: Plugin[]) =>
      build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        external: ['etcd3'],
        plugins,
        banner: { js: "import { createRequire as __rxmgmtRequire } from 'node:module'; const require = __rxmgmtRequire(import.meta.url);" },
        logLevel: 'warning',
      });
    await bundle(bundled, [etcdProto]);
    await bundle(withDeps, [etcdProtoBundled, snapshotLazyBuiltins]);
    const url = etcd.clientUrls[0]!;
    const said = async (file: string, ns: string) => {
      const { stdout } = await run(process.execPath, [file, url, ns]);
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const plain = await said(entry, '/proto-plain/');
    const fast = await said(bundled, '/proto-fast/');
    const all = await said(withDeps, '/proto-deps/');
    const neutral = (o: Record<string, unknown>, ns: string) =>
      JSON.parse(JSON.stringify({ ...o, protoParserLoaded: undefined, grpcFromNodeModules: undefined }).replaceAll(ns, '/NS/')) as unknown;
    expect(plain.protoParserLoaded).toBe(true); // the comparison means something: the plain package parses
    expect(fast.protoParserLoaded).toBe(false);
    expect(neutral(fast, '/proto-fast/')).toEqual(neutral(plain, '/proto-plain/'));
    expect(fast).toMatchObject({ get: 'v', leaseIdRoundTrips: true, leaseIdIsInt64Text: true, watched: 'seen', ttl: '30', grpcFromNodeModules: true });
    // Bundled with its dependencies: grpc-js is the bundle's own, and 64-bit ids keep every digit.
    expect(neutral(all, '/proto-deps/')).toEqual(neutral(plain, '/proto-plain/'));
    expect(all).toMatchObject({ leaseIdRoundTrips: true, leaseIdIsInt64Text: true, protoParserLoaded: false, grpcFromNodeModules: false });
  }, 60_000);
});
