// A real systemd (and, through D-Bus activation, PackageKit) for tests, booted ONLY through the
// project's script test/helpers/systemd-sandbox.sh, which keeps the host safe: its own cgroup,
// private namespaces, an overlay of / with a tmpfs upper layer, private /tmp, /run and /dev
// (its head says why each rule is there). Never boot systemd any other way.
//
// Each Sandbox has its own state dir (SYSD_STATE, so its own cgroup name too) and its own bind
// dir (SYSD_BIND), both fresh temp dirs removed by stop(), which also powers the sandbox off.
// From the host, its system bus is at `busAddress` and its file system at `root`.
//
// When something it needs is missing (root, unshare, systemd, dbus, packagekit, the script), describeSandbox
// suites are skipped with a message saying what, unless RXMGMT_REQUIRE_REAL=1 (CI), where the
// missing piece fails the suite instead.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The repository root (this file is test/helpers/sandbox.ts). */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const requireReal = process.env.RXMGMT_REQUIRE_REAL === '1';

/**
 * The project's own script (test/helpers/systemd-sandbox.sh), or $RXMGMT_SANDBOX_SCRIPT (another
 * one that keeps all its safety rules).
 */
export const sandboxScript = process.env.RXMGMT_SANDBOX_SCRIPT || join(repoRoot, 'test', 'helpers', 'systemd-sandbox.sh');

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return d !== '';
    } catch {
      return false;
    }
  });
}

export interface SandboxNeeds {
  /** PackageKit (packagekitd, its unit and D-Bus activation file) and the tools to build a local apt repository. */
  packagekit?: boolean;
}

/** Why a sandbox cannot run here, or undefined when it can. */
export function sandboxProblem(needs: SandboxNeeds = {}): string | undefined {
  if (process.platform !== 'linux') return 'the systemd sandbox needs Linux';
  if (process.getuid?.() !== 0) return 'the systemd sandbox needs root (private namespaces, overlay and cgroup mounts)';
  if (!existsSync(sandboxScript)) return `${sandboxScript} is missing`;
  for (const cmd of ['unshare', 'nsenter', 'setpriv', 'busctl', 'bash']) {
    if (!onPath(cmd)) return `\`${cmd}\` is not installed (util-linux / systemd)`;
  }
  if (!existsSync('/lib/systemd/systemd')) return 'systemd is not installed (/lib/systemd/systemd)';
  if (!onPath('dbus-daemon') && !existsSync('/usr/bin/dbus-daemon')) return 'dbus is not installed (dbus-daemon)';
  if (!existsSync('/sys/fs/cgroup')) return 'no cgroup file system at /sys/fs/cgroup';
  if (needs.packagekit) {
    if (!existsSync('/usr/share/dbus-1/system-services/org.freedesktop.PackageKit.service')) {
      return 'PackageKit is not installed (no D-Bus activation file for org.freedesktop.PackageKit; apt-get install packagekit)';
    }
    if (!existsSync('/usr/lib/systemd/system/packagekit.service') && !existsSync('/lib/systemd/system/packagekit.service')) {
      return 'PackageKit is not installed (no packagekit.service)';
    }
    for (const cmd of ['apt-get', 'dpkg-scanpackages']) {
      if (!onPath(cmd)) return `\`${cmd}\` is not installed (apt / dpkg-dev), needed for the local apt repository`;
    }
  }
  return undefined;
}

const warned = new Set<string>();

/** `describe`, or a skip that says why (a failure when RXMGMT_REQUIRE_REAL=1). */
export function describeSandbox(name: string, needs: SandboxNeeds, body: () => void): void {
  const problem = sandboxProblem(needs);
  if (!problem) {
    describe(name, body);
    return;
  }
  if (requireReal) {
    describe(name, () => {
      it('needs the real daemons (RXMGMT_REQUIRE_REAL=1)', () => {
        throw new Error(`RXMGMT_REQUIRE_REAL=1 but ${problem}`);
      });
    });
    return;
  }
  if (!warned.has(problem)) {
    warned.add(problem);
    console.warn(`SKIPPING real systemd/PackageKit tests (${name}): ${problem}`);
  }
  // A deliberate skip, only where root, unshare, systemd, dbus or PackageKit is missing AND
  // RXMGMT_REQUIRE_REAL is unset (CI sets it, and then the suite fails above instead).
  describe.skip(`${name} (skipped: ${problem})`, body);
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Is anything mounted at or below `dir` in this mount namespace? */
function mountedUnder(dir: string): boolean {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return mounts.some((l) => {
    const point = l.split(' ')[4];
    return point !== undefined && (point === dir || point.startsWith(dir + '/'));
  });
}

export class Sandbox {
  /** Host-side path of the sandbox's / (through its PID 1). */
  readonly root: string;
  readonly busAddress: string;
  private stopped = false;
  private readonly exitHook = () => this.stopSync();

  private constructor(
    /** SYSD_STATE: launcher pid, pid1, logs, the bus socket dir. */
    readonly state: string,
    /** SYSD_BIND: shared with the sandbox at the same path; exec runs here. */
    readonly bind: string,
    readonly pid1: number,
  ) {
    this.root = `/proc/${pid1}/root`;
    this.busAddress = `unix:path=${state}/run-dbus/system_bus_socket`;
    process.on('exit', this.exitHook);
  }

  private static env(state: string, bind: string): NodeJS.ProcessEnv {
    return { ...process.env, SYSD_STATE: state, SYSD_BIND: bind };
  }

  /** Boots systemd (basic.target) and waits until it says running or degraded. */
  static async start(): Promise<Sandbox> {
    const state = mkdtempSync('/var/tmp/rxmgmt-sandbox-');
    const bind = mkdtempSync(join(tmpdir(), 'rxmgmt-sandbox-bind-'));
    chmodSync(bind, 0o755); // readable by the sandbox's unprivileged users (apt's _apt, say)
    const r = await run('bash', [sandboxScript, 'start'], { cwd: bind, env: Sandbox.env(state, bind), timeoutMs: 90_000 });
    let pid1 = NaN;
    try {
      pid1 = Number(readFileSync(join(state, 'pid1'), 'utf8').trim().split('\n')[0]);
    } catch {
      // reported below
    }
    if (r.code !== 0 || !Number.isInteger(pid1) || pid1 <= 0) {
      const half = new Sandbox(state, bind, Number.isInteger(pid1) && pid1 > 0 ? pid1 : 0);
      await half.stop();
      throw new Error(`the systemd sandbox did not start (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return new Sandbox(state, bind, pid1);
  }

  /** Points this process's system bus (DBUS_SYSTEM_BUS_ADDRESS) at the sandbox; returns the undo. */
  useAsSystemBus(): () => void {
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = this.busAddress;
    return () => {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    };
  }

  /** Runs a command inside the sandbox (cwd: the bind dir). */
  exec(cmd: string[], timeoutMs = 120_000): Promise<ExecResult> {
    return run('bash', [sandboxScript, 'exec', ...cmd], { cwd: this.bind, env: Sandbox.env(this.state, this.bind), timeoutMs });
  }

  /** Like exec, but rejects (with the output) unless the command exits 0. */
  async sh(script: string, timeoutMs = 120_000): Promise<string> {
    const r = await this.exec(['bash', '-c', script], timeoutMs);
    if (r.code !== 0) throw new Error(`in the sandbox, \`${script}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** `systemctl ARGS` inside the sandbox, its stdout trimmed (whatever its exit code). */
  async systemctl(...args: string[]): Promise<string> {
    return (await this.exec(['systemctl', ...args])).stdout.trim();
  }

  /** Writes a unit file into the sandbox's /etc/systemd/system (a `daemon-reload` makes it seen). */
  writeUnit(name: string, text: string): void {
    writeFileSync(join(this.root, 'etc/systemd/system', name), text);
  }

  /** Powers the sandbox off (the script SIGKILLs its init if needed) and removes both temp dirs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.exitHook);
    await run('bash', [sandboxScript, 'stop'], { cwd: '/', env: Sandbox.env(this.state, this.bind), timeoutMs: 60_000 });
    this.removeDirs();
  }

  private stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    spawnSync('bash', [sandboxScript, 'stop'], { cwd: '/', env: Sandbox.env(this.state, this.bind), timeout: 30_000, stdio: 'ignore' });
    this.removeDirs();
  }

  private removeDirs(): void {
    for (const dir of [this.state, this.bind]) {
      // The overlay and binds live in the sandbox's own mount namespace; should one ever show
      // up here, leave the dir alone rather than recurse into a mount.
      if (mountedUnder(dir)) {
        console.warn(`not removing ${dir}: something is still mounted under it`);
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Spawns without blocking the event loop (D-Bus signals keep flowing meanwhile). */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
