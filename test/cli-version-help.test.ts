// --version, --help, run --help, and bad flag values.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot, runCli } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

/** Help text without terminal colours, whatever clipanion decides about them. */
// eslint-disable-next-line no-control-regex -- ESC starts the colour codes removed here
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('rxmgmt --version / --help', () => {
  it('--version prints the package.json version', async () => {
    const res = await runCli(['--version']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
  });

  it('runs as an executable through its launcher line, with its V8 flag', () => {
    expect(readFileSync(cliPath, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env -S node --max-semi-space-size=16');
    // The launcher finds `node` on PATH, as npx and a shell do.
    const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const res = spawnSync(cliPath, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH } });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
  });

  it('--help exits 0 and lists the run command', async () => {
    const res = await runCli(['--help']);
    expect(res.code, res.stderr).toBe(0);
    expect(plain(res.stdout)).toMatch(/rxmgmt run\b/);
  });

  it('run --help exits 0 and mentions every flag', async () => {
    const res = await runCli(['run', '--help']);
    expect(res.code, res.stderr).toBe(0);
    const text = plain(res.stdout);
    for (const flag of [
      '--file',
      '--no-watch',
      '--converged-timeout',
      '--max-runtime',
      '--hostname',
      '--noop',
      '--graphviz',
      '--graphviz-filter',
      '--log-level',
    ]) {
      expect(text, `run --help should mention ${flag}`).toContain(flag);
    }
    expect(text).toContain('-f,');
    expect(text).toContain('-t,');
  });

  it.each([
    { args: ['run', '--converged-timeout', 'soon'], flag: '--converged-timeout' },
    { args: ['run', '--converged-timeout=-2'], flag: '--converged-timeout' },
    { args: ['run', '--max-runtime', '1.5'], flag: '--max-runtime' },
    { args: ['run', '--log-level', 'loud', '-t', '0'], flag: '--log-level' },
    { args: ['run', '--graphviz', '/dev/null', '--graphviz-filter', 'paint', '-t', '0'], flag: '--graphviz-filter' },
  ])('a bad flag value exits 2 and names the flag: $args', async ({ args, flag }) => {
    const res = await runCli(args);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(flag);
  });

  it('takes a negative value as the next word: -t -1 (never exit) with --max-runtime 1', async () => {
    const res = await runCli(['run', '-t', '-1', '--max-runtime', '1']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('max-runtime');
  });

  it('an unknown flag exits 2 (exit 1 means a bad graph file or a failed resource)', async () => {
    const res = await runCli(['run', '--no-such-flag', '-t', '0']);
    expect(res.stdout + res.stderr).toContain('--no-such-flag');
    expect(res.code, res.stdout + res.stderr).toBe(2);
  });
});
