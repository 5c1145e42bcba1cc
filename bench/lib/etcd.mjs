// One etcd member for a benchmark: Debian's /usr/bin/etcd (or $RXMGMT_ETCD) on free loopback
// ports, its data in `dir` (a temp dir of the caller's), started through startProcess so that it
// is killed by PID on any exit, before the temp dirs are removed.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep, startProcess } from './common.mjs';

const ETCD = process.env.RXMGMT_ETCD || '/usr/bin/etcd';

/** A TCP port free on loopback now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts the member and resolves, once it answers /health, to `{ url, proc }`; exits 2 without an etcd. */
export async function startBenchEtcd(dir, script) {
  if (!existsSync(ETCD)) {
    console.error(`${script}: no etcd at ${ETCD} (apt-get install etcd-server, or set RXMGMT_ETCD)`);
    process.exit(2);
  }
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const proc = startProcess(ETCD, [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=default=http://127.0.0.1:${peer}`,
    '--log-level=error',
    '--logger=zap',
  ]);
  for (let ok = false; !ok; ) {
    if (proc.exitCode !== null) throw new Error('etcd exited at start-up');
    ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (!ok) await sleep(100);
  }
  return { url, proc };
}
