// `rxmgmt run --etcd-start`: a local etcd member that rxmgmt starts, supervises and stops, so
// a first fleet needs no hand-run etcd. Debian's `etcd` binary ($RXMGMT_ETCD, /usr/bin/etcd
// or etcd on PATH), its data under the state directory, listening on loopback by default.
// A member that dies is started again (with a backoff); at exit it is stopped (SIGTERM, then
// SIGKILL if it lingers).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type SchedulerLike, type Subscription, asyncScheduler, timer } from 'rxjs';
import type { Logger } from '../../util/logger.js';

export interface MemberOptions {
  /** The member's name (the host name). */
  name: string;
  /** Where its data and log go: `<stateDir>/etcd/`. */
  stateDir: string;
  clientUrl: string;
  peerUrl: string;
  /** `name=peerUrl,...` of every member, for a cluster; absent: this member alone. */
  initialCluster?: string;
  log: Logger;
  scheduler?: SchedulerLike;
}

/** The etcd binary, or undefined. */
export function findEtcdBinary(): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (process.env.RXMGMT_ETCD) return ok(process.env.RXMGMT_ETCD) ? process.env.RXMGMT_ETCD : undefined;
  if (ok('/usr/bin/etcd')) return '/usr/bin/etcd';
  return (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'etcd')).find((p) => p !== 'etcd' && ok(p));
}

export class EtcdMemberSupervisor {
  private proc: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private restartTimer: Subscription | undefined;
  private readonly binary: string;
  private readonly dir: string;

  constructor(private readonly opts: MemberOptions) {
    const binary = findEtcdBinary();
    if (!binary) throw new Error('--etcd-start: no etcd binary (looked for $RXMGMT_ETCD, /usr/bin/etcd and etcd on PATH); install etcd-server');
    this.binary = binary;
    this.dir = join(opts.stateDir, 'etcd');
  }

  /** Starts the member and resolves once it answers /health (or rejects after `timeoutMs`). */
  async start(timeoutMs = 20_000): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.spawn();
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ok = await fetch(`${this.opts.clientUrl}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > until) throw new Error(`--etcd-start: etcd did not answer at ${this.opts.clientUrl} within ${timeoutMs} ms (see ${join(this.dir, 'etcd.log')})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private spawn(): void {
    const { name, clientUrl, peerUrl, log } = this.opts;
    const out = openSync(join(this.dir, 'etcd.log'), 'a', 0o600);
    const proc = spawn(
      this.binary,
      [
        `--name=${name}`,
        `--data-dir=${join(this.dir, 'data')}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${this.opts.initialCluster ?? `${name}=${peerUrl}`}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.proc = proc;
    log.info(`started etcd member "${name}" (pid ${proc.pid}) at ${clientUrl}, data in ${join(this.dir, 'data')}`);
    proc.once('exit', (code, signal) => {
      if (this.proc === proc) this.proc = undefined;
      if (this.stopping) return;
      const waitMs = Math.min(100 * 2 ** this.restarts++, 5_000);
      log.warn(`etcd member (pid ${proc.pid}) exited (${signal ?? `code ${code}`}): restarting it in ${waitMs} ms (log: ${join(this.dir, 'etcd.log')})`);
      this.restartTimer = timer(waitMs, this.opts.scheduler ?? asyncScheduler).subscribe(() => {
        if (!this.stopping) this.spawn();
      });
    });
  }

  /** Stops the member: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    this.restartTimer?.unsubscribe();
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(kill);
    this.opts.log.info(`stopped etcd member (pid ${proc.pid})`);
  }
}
