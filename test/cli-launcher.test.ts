// The package's bin (dist/src/cli/rxmgmt, from src/cli/rxmgmt.sh) starts Node from the startup
// snapshot the build made, and from the plain bundle when the blob is missing or was made by
// another Node binary. Which way a run started is read from the outside: a command the graph
// runs writes its parent's command line (the rxmgmt process) to a file.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readFile, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lines, repoRoot, useSandbox } from './helpers/cli.js';

const run = promisify(execFile);
const box = useSandbox();
const cliDir = join(repoRoot, 'dist', 'src', 'cli');
/** The bin finds `node` on the PATH: this one, which built the blob. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };

/** Runs `bin run` on a graph that writes a file and records rxmgmt's own command line; returns that command line's words. */
async function startedAs(bin: string, extraEnv: Record<string, string> = {}): Promise<string[]> {
  const graph = box.path('g.yaml');
  const seen = box.path('cmdline');
  await writeFile(
    graph,
    lines(
      'graph: launcher',
      'resources:',
      '  file:',
      '    - name: f',
      `      path: ${box.path('f.txt')}`,
      '      content: "x\\n"',
      '  exec:',
      '    - name: whoami',
      `      cmd: cat /proc/$PPID/cmdline > ${seen}`,
      '      shell: /bin/sh',
    ),
  );
  await run(bin, ['run', '-f', graph, '-t', '0', '--no-watch', '--log-level', 'warn'], { env: { ...env, ...extraEnv }, timeout: 60_000 });
  expect(await readFile(box.path('f.txt'), 'utf8')).toBe('x\n');
  return (await readFile(seen, 'utf8')).split('\0').filter(Boolean);
}

/** A copy of the built command line in a package directory of its own, which a test may spoil. */
async function copyOfPackage(): Promise<string> {
  const pkg = box.path('pkg');
  await mkdir(join(pkg, 'dist', 'src'), { recursive: true });
  await cp(cliDir, join(pkg, 'dist', 'src', 'cli'), { recursive: true });
  await cp(join(repoRoot, 'package.json'), join(pkg, 'package.json'));
  return join(pkg, 'dist', 'src', 'cli');
}

describe('the rxmgmt bin', () => {
  it('starts Node from the startup snapshot beside it, and applies the graph', { timeout: 90_000 }, async () => {
    const argv = await startedAs(join(cliDir, 'rxmgmt'));
    expect(argv).toContain('--snapshot-blob');
    expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(cliDir, 'rxmgmt.blob'));
    expect(argv.slice(argv.indexOf('--') + 1, argv.indexOf('--') + 2)).toEqual(['run']);
  });

  it('a local run keeps its snapshot when a GRPC_* variable is set (only the etcd snapshot loaded grpc-js)', { timeout: 90_000 }, async () => {
    const argv = await startedAs(join(cliDir, 'rxmgmt'), { GRPC_TRACE: 'all' });
    expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(cliDir, 'rxmgmt.blob'));
  });

  it('prints --version and --help on stdout, and a usage error on stderr with exit code 2', { timeout: 60_000 }, async () => {
    const bin = join(cliDir, 'rxmgmt');
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect((await run(bin, ['--version'], { env })).stdout.trim()).toBe(version);
    expect((await run(bin, ['--help'], { env })).stdout).toContain('rxmgmt run');
    const bad = await run(bin, ['run', '--no-such-flag'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--no-such-flag');
  });

  it("from the snapshot, sees this process's working directory, environment and clock, not the build's", { timeout: 90_000 }, async () => {
    await writeFile(
      box.path('rel.yaml'),
      lines('graph: runtime', 'resources:', '  exec:', '    - name: probe', '      cmd: printf "%s %s" "$(pwd -P)" "$RXMGMT_PROBE" > seen.txt', '      shell: /bin/sh'),
    );
    const before = Date.now();
    const res = await run(join(cliDir, 'rxmgmt'), ['run', '-f', 'rel.yaml', '-t', '0', '--no-watch', '--log-timestamps'], {
      cwd: box.dir,
      env: { ...env, RXMGMT_PROBE: 'set-at-run-time' },
      timeout: 60_000,
    });
    expect(await readFile(box.path('seen.txt'), 'utf8')).toBe(`${await realpath(box.dir)} set-at-run-time`);
    const stamps = [...res.stderr.matchAll(/^(\d{4}-\d\d-\d\dT[\d:.]+Z) /gm)].map((m) => Date.parse(m[1]!));
    expect(stamps.length, res.stderr).toBeGreaterThan(0);
    for (const t of stamps) expect(t).toBeGreaterThanOrEqual(before - 1000);
  });

  it('through a symbolic link (as npm links a bin), finds the snapshot beside its real file', { timeout: 90_000 }, async () => {
    const link = box.path('rxmgmt-link');
    await symlink(join(cliDir, 'rxmgmt'), link);
    const argv = await startedAs(link);
    expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(cliDir, 'rxmgmt.blob'));
  });

  it('runs the plain bundle when the blob was made by another Node binary', { timeout: 90_000 }, async () => {
    const dir = await copyOfPackage();
    await writeFile(join(dir, 'rxmgmt.blob.node'), '/bin/sh\n');
    const argv = await startedAs(join(dir, 'rxmgmt'));
    expect(argv).not.toContain('--snapshot-blob');
    expect(argv).toContain(join(dir, 'main.js'));
  });

  it('runs the plain bundle when its node changed after the blob was made', { timeout: 90_000 }, async () => {
    const dir = await copyOfPackage();
    // Not the node binary (shared): the blob, made older than it.
    await utimes(join(dir, 'rxmgmt.blob'), new Date(1000), new Date(1000));
    const argv = await startedAs(join(dir, 'rxmgmt'));
    expect(argv).not.toContain('--snapshot-blob');
    expect(argv).toContain(join(dir, 'main.js'));
  });

  it('runs the plain bundle when there is no blob', { timeout: 90_000 }, async () => {
    const dir = await copyOfPackage();
    await rm(join(dir, 'rxmgmt.blob'));
    const argv = await startedAs(join(dir, 'rxmgmt'));
    expect(argv).not.toContain('--snapshot-blob');
    expect(argv).toContain(join(dir, 'main.js'));
  });

  it('takes the first executable node on PATH, passing over a directory and a file that is not executable', { timeout: 60_000 }, async () => {
    const bin = join(cliDir, 'rxmgmt');
    const [dirNode, plainNode, fake] = ['a', 'b', 'c'].map((d) => box.path(d));
    await mkdir(join(dirNode, 'node'), { recursive: true });
    await mkdir(plainNode);
    await writeFile(join(plainNode, 'node'), '#!/bin/sh\necho not executable\n');
    await mkdir(fake);
    await writeFile(join(fake, 'node'), '#!/bin/sh\necho "fake node: $*"\n');
    await chmod(join(fake, 'node'), 0o755);
    const PATH = `${dirNode}::${plainNode}:${fake}:${dirname(process.execPath)}`;
    const { stdout } = await run(bin, ['--version'], { env: { ...env, PATH }, cwd: box.path('.') });
    // The fake is not the binary that made the blob: the plain bundle, through it.
    expect(stdout).toBe(`fake node: --max-semi-space-size=16 ${join(cliDir, 'main.js')} --version\n`);
  });

  it('says so and exits 127 when no node is on PATH', { timeout: 60_000 }, async () => {
    const err = await run(join(cliDir, 'rxmgmt'), ['--version'], { env: { ...env, PATH: box.path('.') } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 127, stderr: 'rxmgmt: node is not on the PATH\n' });
  });

  it('a copy of the package elsewhere starts from its own snapshot and finds its own package.json', { timeout: 90_000 }, async () => {
    const dir = await copyOfPackage();
    const argv = await startedAs(join(dir, 'rxmgmt'));
    expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(dir, 'rxmgmt.blob'));
  });
});
