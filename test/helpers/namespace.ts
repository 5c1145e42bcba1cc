// Private namespaces for tests that change users, groups or sysctls: a child process in its own
// mount namespace, with copy-on-write overlays (tmpfs-backed temp dirs) over /etc, /home and
// /var, so that useradd and friends rewrite only the overlays' copies of /etc/passwd, /etc/shadow,
// /etc/group, /etc/gshadow, lastlog and mail spools; and, with `net`, its own network namespace,
// whose net.* sysctls are its own. The host's files and sysctls never change.
//
// (Plain bind mounts over /etc/passwd and friends do not do here: shadow-utils replace the
// tables by rename(2), which a file mount point refuses with EBUSY.)
//
// Inside runs test/helpers/ns-driver.mjs against the BUILT code (dist/: `npm run build` first).
// When something is missing (Linux, root, unshare, overlayfs, the build), describeNamespace skips
// with a message, unless RXMGMT_REQUIRE_REAL=1 (CI), where the suite fails instead.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { requireReal } from './sandbox.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(repoRoot, 'dist');
const driver = fileURLToPath(new URL('./ns-driver.mjs', import.meta.url));
export const builtCli = join(dist, 'src', 'cli', 'main.js');

/** The directories overlaid (writes land in temp dirs, removed by stop()). */
const OVERLAID = ['/etc', '/home', '/var'];

export function namespaceProblem(): string | undefined {
  if (process.platform !== 'linux') return 'private namespaces need Linux';
  if (process.getuid?.() !== 0) return 'private mount and network namespaces need root';
  if (spawnSync('unshare', ['--version']).status !== 0) return '`unshare` is not installed (util-linux)';
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlay file system';
  if (!existsSync(join(dist, 'src', 'resources', 'registry.js'))) return `${dist} is not built: run \`npm run build\` first`;
  return undefined;
}

const warned = new Set<string>();

/** `describe`, or a skip that says why (a failure when RXMGMT_REQUIRE_REAL=1). */
export function describeNamespace(name: string, body: () => void): void {
  const problem = namespaceProblem();
  if (!problem) {
    describe(name, body);
    return;
  }
  if (requireReal) {
    describe(name, () => {
      it('needs private namespaces (RXMGMT_REQUIRE_REAL=1)', () => {
        throw new Error(`RXMGMT_REQUIRE_REAL=1 but ${problem}`);
      });
    });
    return;
  }
  if (!warned.has(problem)) {
    warned.add(problem);
    console.warn(`SKIPPING namespace tests (${name}): ${problem}`);
  }
  // A deliberate skip, only where namespaces cannot be made AND RXMGMT_REQUIRE_REAL is unset
  // (CI sets it, and then the suite fails instead).
  describe.skip(`${name} (skipped: ${problem})`, body);
}

export interface Change {
  field: string;
  from?: string;
  to?: string;
  diff?: string;
}

/** The answer to a check: CheckApply's result, the changes told to its sink, its log lines. */
export interface Checked {
  result: boolean;
  changes: Change[];
  log: string[];
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ResourceRequest {
  kind: string;
  name: string;
  params?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  /** Keep the resource under this key (for `again`, `reverse`). */
  key?: string;
}

/** One child process in private namespaces, driving resources on request. */
export class Isolated {
  private next = 0;
  private readonly waiting = new Map<number, { resolve(v: Record<string, unknown>): void }>();
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly temp: string,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const a = JSON.parse(line) as { id: number } & Record<string, unknown>;
      this.waiting.get(a.id)?.resolve(a);
      this.waiting.delete(a.id);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    child.once('close', () => {
      for (const w of this.waiting.values()) w.resolve({ ok: false, error: `the namespace driver exited; stderr:\n${this.stderr}` });
      this.waiting.clear();
    });
  }

  /** Starts the driver in a new mount namespace with the overlays (and a new network namespace with `net`). */
  static async start(opts: { net?: boolean } = {}): Promise<Isolated> {
    const temp = mkdtempSync(join(tmpdir(), 'rxmgmt-ns-'));
    const mounts = OVERLAID.map((d, i) => {
      const [u, w] = [join(temp, `${i}u`), join(temp, `${i}w`)];
      return `mkdir ${u} ${w} && mount -t overlay overlay -o lowerdir=${d},upperdir=${u},workdir=${w} ${d}`;
    });
    const script = ['set -e', ...mounts, `exec "${process.execPath}" "${driver}" "${dist}"`].join('\n');
    const args = ['--mount', '--propagation', 'private', ...(opts.net ? ['--net'] : []), '--', 'bash', '-c', script];
    const child = spawn('unshare', args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const ns = new Isolated(child, temp);
    const probe = await ns.sh('grep -c "" /etc/passwd');
    if (probe.code !== 0) {
      await ns.stop();
      throw new Error(`the namespace did not start: ${probe.stderr}`);
    }
    return ns;
  }

  private request(q: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve });
      this.child.stdin!.write(JSON.stringify({ id, ...q }) + '\n');
    });
  }

  private async ok(q: Record<string, unknown>): Promise<Record<string, unknown>> {
    const a = await this.request(q);
    if (!a.ok) throw new Error(String(a.error));
    const { id: _id, ok: _ok, ...answer } = a;
    return answer;
  }

  /** Creates the resource and runs one CheckApply (apply false: noop). Rejects with its error. */
  async check(r: ResourceRequest, apply = true): Promise<Checked> {
    return (await this.ok({ op: 'check', ...r, apply })) as unknown as Checked;
  }

  /** One more CheckApply of the resource kept under `key`. */
  async again(key: string, apply = true): Promise<Checked> {
    return (await this.ok({ op: 'again', key, apply })) as unknown as Checked;
  }

  /** Runs the reversal of the resource kept under `key`; `result: null` when it has none. */
  async reverse(key: string, apply = true): Promise<(Checked & { undo?: { kind: string; name: string } }) | { result: null }> {
    return (await this.ok({ op: 'reverse', key, apply })) as never;
  }

  async watch(key: string, r: ResourceRequest): Promise<void> {
    await this.ok({ op: 'watch', key, ...r });
  }

  /** How many times the watch under `key` emitted, and its error if it failed. */
  async events(key: string): Promise<{ count: number; error?: string }> {
    return (await this.ok({ op: 'events', key })) as never;
  }

  async unwatch(key: string): Promise<void> {
    await this.ok({ op: 'unwatch', key });
  }

  /** Sets how often sysctl resources created from now on poll /proc/sys. */
  async sysctlPoll(ms: number): Promise<void> {
    await this.ok({ op: 'sysctlPoll', ms });
  }

  /** Runs a bash script inside the namespaces. */
  async sh(script: string, timeoutMs?: number): Promise<ShResult> {
    return (await this.request({ op: 'sh', script, timeoutMs })) as unknown as ShResult;
  }

  /** Like sh, but rejects with the output unless the script exits 0; resolves to its stdout. */
  async run(script: string, timeoutMs?: number): Promise<string> {
    const r = await this.sh(script, timeoutMs);
    if (r.code !== 0) throw new Error(`in the namespace, \`${script}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Ends the driver (and with it the namespaces and their mounts), then removes the temp dirs. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const closed = new Promise((r) => this.child.once('close', r));
      this.child.kill('SIGKILL');
      await closed;
    }
    // The overlays lived in the child's own mount namespace, gone with it: plain files remain.
    rmSync(this.temp, { recursive: true, force: true });
  }
}
