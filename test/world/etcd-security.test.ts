// The World on a secured etcd: TLS with client certificates (certificates made with openssl
// here), and users with passwords (`auth enable`). Connection failures name their real cause;
// a password never shows in an error or a log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLogger } from '../../src/util/logger.js';
import { type EtcdSecurity, connectEtcdWorld } from '../../src/world/etcd.js';
import { newEtcdClient } from '../../src/world/etcd/security.js';
import { DEFAULT_ROOTS_VARIABLE } from '../../src/world/etcd/grpc-env.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { CustomEtcd, type TestCerts, describeEtcd, makeTestCerts } from '../helpers/etcd.js';

const run = promisify(execFile);
const bin = join(repoRoot, 'dist', 'src', 'cli', 'rxmgmt');

const join$ = (seeds: string[], security: EtcdSecurity | undefined, host = 'h1', log = memoryLogger()) =>
  connectEtcdWorld({ host, seeds, log, startupTimeoutMs: 4_000, security, requestTimeoutMs: 2_000 });

/** Round trip through the secured etcd: an export comes back through collect. */
async function roundTrip(seeds: string[], security: EtcdSecurity): Promise<string[]> {
  const w = await join$(seeds, security);
  try {
    await w.setExports([{ kind: 'noop', name: 'n1', params: {} }]);
    const list = await firstValueFrom(w.collect(['noop']).pipe(filter((l) => l.length > 0)));
    return list.map((r) => `${r.host}/${r.name}`);
  } finally {
    await w.close();
  }
}

describeEtcd('the World on etcd with TLS client certificates', () => {
  let certs: TestCerts;
  let etcd: CustomEtcd;
  let client: { cert: string; key: string };
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxmgmt-certs-'));
    certs = makeTestCerts(dir);
    client = certs.client('h1');
    const tls = (): EtcdSecurity => ({ ca: readFileSync(certs.ca), cert: readFileSync(client.cert), key: readFileSync(client.key) });
    etcd = await CustomEtcd.start({
      scheme: 'https',
      extra: () => ['--client-cert-auth', `--trusted-ca-file=${certs.ca}`, `--cert-file=${certs.serverCert}`, `--key-file=${certs.serverKey}`],
      ready: async (url) => {
        try {
          await roundTripQuiet([url], tls());
          return true;
        } catch {
          return false;
        }
      },
    });
  }, 90_000);
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and a client certificate', async () => {
    const security = { ca: await readFile(certs.ca), cert: await readFile(client.cert), key: await readFile(client.key) };
    expect(await roundTrip([etcd.clientUrl], security)).toEqual(['h1/n1']);
  }, 30_000);

  it('without the CA: names the untrusted certificate, not the circuit breaker', async () => {
    const security = { cert: await readFile(client.cert), key: await readFile(client.key) };
    const err = await join$([etcd.clientUrl], security).then(
      () => new Error('connected'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/unable to verify the first certificate/);
    expect(err.message).not.toMatch(/circuit breaker/i);
  }, 30_000);

  it('without a CA given, trusts the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names, as grpc-js does', async () => {
    const security = { cert: await readFile(client.cert), key: await readFile(client.key) };
    const saved = process.env[DEFAULT_ROOTS_VARIABLE];
    try {
      process.env[DEFAULT_ROOTS_VARIABLE] = certs.ca;
      expect(await roundTrip([etcd.clientUrl], security)).toEqual(['h1/n1']);
      process.env[DEFAULT_ROOTS_VARIABLE] = join(dir, 'missing.crt');
      const err = await join$([etcd.clientUrl], security).then(
        () => new Error('connected'),
        (e: Error) => e,
      );
      expect(err.message).toContain(`${DEFAULT_ROOTS_VARIABLE}=${join(dir, 'missing.crt')}: cannot read the CA file`);
    } finally {
      if (saved === undefined) delete process.env[DEFAULT_ROOTS_VARIABLE];
      else process.env[DEFAULT_ROOTS_VARIABLE] = saved;
    }
  }, 30_000);

  it('the bin started from its etcd snapshot trusts that file too (grpc-js was loaded at build time)', async () => {
    const graph = join(dir, 'tls-host.yaml');
    writeFileSync(graph, 'graph: tls-host\nresources:\n  exec:\n    - name: whoami\n      cmd: cat /proc/$PPID/cmdline > ' + join(dir, 'cmdline') + '\n      shell: /bin/sh\n');
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, [DEFAULT_ROOTS_VARIABLE]: certs.ca };
    const args = ['run', '-f', graph, '--hostname', 'tls-bin', '--seeds', etcd.clientUrl, '--etcd-cert', client.cert, '--etcd-key', client.key, '-t', '1', '--log-level', 'info'];
    const { stderr } = await run(bin, args, { env, timeout: 60_000 });
    expect(stderr).toMatch(/world: joined etcd at https:\/\/127\.0\.0\.1:\d+ as host "tls-bin"/);
    const argv = readFileSync(join(dir, 'cmdline'), 'utf8').split('\0');
    expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(repoRoot, 'dist', 'src', 'cli', 'rxmgmt-etcd.blob'));
  }, 90_000);

  it('without a client certificate: refused, and the error says the handshake failed', async () => {
    const err = await join$([etcd.clientUrl], { ca: await readFile(certs.ca) }).then(
      () => new Error('connected'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/cannot reach etcd at https:\/\/127\.0\.0\.1:\d+/);
    expect(err.message).not.toMatch(/circuit breaker/i);
    expect(err.message).toMatch(/certificate|handshake|alert|ssl|tls/i);
  }, 30_000);
});


async function roundTripQuiet(seeds: string[], security: EtcdSecurity): Promise<void> {
  const w = await join$(seeds, security, 'probe');
  await w.close();
}

describeEtcd('the World on etcd with users and passwords (auth enable)', () => {
  let etcd: CustomEtcd;
  const rootPassword = 'r00t-Secret-1';
  const wrongPassword = 'Wr0ng-Secret-2';
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxmgmt-auth-'));
    etcd = await CustomEtcd.start({
      scheme: 'http',
      extra: () => [],
      ready: async (url) => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok).catch(() => false)),
    });
    etcd.etcdctl([], 'user', 'add', 'root', `--new-user-password=${rootPassword}`);
    etcd.etcdctl([], 'auth', 'enable');
  }, 90_000);
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the right user and password', async () => {
    expect(await roundTrip([etcd.clientUrl], { user: 'root', password: rootPassword })).toEqual(['h1/n1']);
  }, 30_000);

  it('a wrong password fails at once with "authentication failed", and neither the error nor the log holds it', async () => {
    const log = memoryLogger();
    const err = await join$([etcd.clientUrl], { user: 'root', password: wrongPassword }, 'h1', log).then(
      () => new Error('connected'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/authentication failed/);
    expect(err.message).not.toContain(wrongPassword);
    expect(log.lines.join('\n')).not.toContain(wrongPassword);
  }, 30_000);

  it('the CLI takes the password from a file or the environment, never shows it, and refuses it on argv', async () => {
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, `${wrongPassword}\n`);
    const graph = join(dir, 'g.yaml');
    writeFileSync(graph, 'graph: g\nresources:\n  noop:\n    - name: n\n');
    const base = ['run', '-f', graph, '--seeds', etcd.clientUrl, '--etcd-user', 'root', '-t', '0', '--log-level', 'debug'];
    const fromFile = await runCli([...base, '--etcd-password-file', pwFile], { timeoutMs: 60_000 });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toMatch(/authentication failed/);
    expect(fromFile.stderr + fromFile.stdout).not.toContain(wrongPassword);
    const fromEnv = await runCli(base, { timeoutMs: 60_000, env: { RXMGMT_ETCD_PASSWORD: wrongPassword } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/authentication failed/);
    expect(fromEnv.stderr + fromEnv.stdout).not.toContain(wrongPassword);
    const ok = await runCli(base, { timeoutMs: 60_000, env: { RXMGMT_ETCD_PASSWORD: rootPassword } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr + ok.stdout).not.toContain(rootPassword);
    const onArgv = await runCli([...base, '--etcd-password', rootPassword], { timeoutMs: 60_000 });
    expect(onArgv.code).toBe(2);
  }, 120_000);

  it('world grant: each host may write only its own keys; a spoofed write by another host is refused by etcd', async () => {
    const admin = { RXMGMT_ETCD_PASSWORD: rootPassword };
    for (const h of ['web1', 'web2']) {
      writeFileSync(join(dir, `${h}.pw`), `${h}-Secret-9\n`);
      const r = await runCli(['world', 'grant', '--host', h, '--new-password-file', join(dir, `${h}.pw`), '--seeds', etcd.clientUrl, '--etcd-user', 'root'], {
        env: admin,
        timeoutMs: 30_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`etcd user "${h}" (created) has role "rxmgmt-host-${h}"`);
      expect(r.stdout + r.stderr).not.toContain(`${h}-Secret-9`);
    }
    const as = (h: string): EtcdSecurity => ({ user: h, password: `${h}-Secret-9` });
    // Each host publishes under its own name, and reads everyone's.
    const web2 = await join$([etcd.clientUrl], as('web2'), 'web2');
    await web2.setExports([{ kind: 'noop', name: 'from-web2', params: {} }]);
    const web1 = await join$([etcd.clientUrl], as('web1'), 'web1');
    await web1.setExports([{ kind: 'noop', name: 'from-web1', params: {} }]);
    await web1.setConverged(true);
    const seen = await firstValueFrom(web1.collect(['noop']).pipe(filter((l) => l.some((r) => r.host === 'web2'))));
    const webs = (l: { host: string; name: string }[]) => l.filter((r) => r.host.startsWith('web')).map((r) => `${r.host}/${r.name}`);
    expect(webs(seen)).toEqual(['web1/from-web1', 'web2/from-web2']);

    // web1's user writing in web2's name: refused by etcd itself.
    const spoof = newEtcdClient([etcd.clientUrl], as('web1'));
    try {
      for (const key of ['/rxmgmt/exported/web2/current', '/rxmgmt/exported/web2/g1/noop/evil', '/rxmgmt/converged/web2']) {
        await expect(spoof.put(key).value('{"version":1,"host":"web2","generation":"g1"}').exec(), key).rejects.toThrow(/permission denied/);
      }
      await expect(spoof.delete().prefix('/rxmgmt/exported/web2/').exec()).rejects.toThrow(/permission denied/);
    } finally {
      spoof.close();
    }
    // And a whole World claiming to be web2 with web1's user cannot even join.
    const err = await join$([etcd.clientUrl], as('web1'), 'web2').then(
      () => new Error('joined'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/permission denied/);
    // web2's exports are untouched (waiting for web1's, which reach web2 after its own: collected
    // changes are coalesced, so they may still be on their way).
    const seenByWeb2 = await firstValueFrom(web2.collect(['noop']).pipe(filter((l) => l.some((r) => r.host === 'web1'))));
    expect(webs(seenByWeb2)).toEqual(['web1/from-web1', 'web2/from-web2']);
    await Promise.all([web1.close(), web2.close()]);
  }, 120_000);
});
