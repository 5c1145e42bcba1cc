// The exec resource against real processes, in a fresh temporary directory per test. Timing is
// never asserted: a timeout test only checks that the run ended and what it killed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SchedulerLike } from 'rxjs';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { parseGraph } from '../yaml/parse.js';
import { MAX_SECONDS, execKind } from './exec.js';
import { argvFor, shellSyntaxHint, splitFields } from './exec/argv.js';
import { Tail } from './exec/tail.js';
import { defaultRegistry } from './registry.js';
import type { Resource } from '../model/resource.js';
import { itWithMgmtExamples, mgmtExample } from '../../test/helpers/mgmt-examples.js';
import { waitFor } from '../../test/helpers/cli.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-exec-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type Log = ReturnType<typeof memoryLogger>;

/** Validates, applies the schema's defaults and creates the resource, as the engine does. */
function exec(params: Record<string, unknown>, log: Log = memoryLogger(), scheduler: SchedulerLike = asyncScheduler): Resource {
  const problem = execKind.validate!(params);
  if (problem) throw new Error(problem);
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(execKind.fields)) if (field.default !== undefined) withDefaults[key] = field.default;
  const spec = { kind: 'exec', name: 'e', meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 't.yaml', line: 1 } };
  return execKind.create(spec, { hostname: 'test', log, scheduler });
}

const apply = (r: Resource, refresh = false) => firstValueFrom(r.checkApply(true, refresh));
const check = (r: Resource, refresh = false) => firstValueFrom(r.checkApply(false, refresh));
const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

/** A process is gone when /proc has no entry for it, or only a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}


const isRoot = process.getuid?.() === 0;

describe('exec: fields', () => {
  const v = (params: Record<string, unknown>) => execKind.validate!(params);

  itWithMgmtExamples("accepts every exec graph of mgmt's examples", () => {
    const files = ['latest/exec1.yaml', 'latest/exec1b.yaml', 'latest/exec1c.yaml', 'latest/exec2.yaml', 'latest/exec3-sema.yaml', 'latest/retry1.yaml', 'seed-2016/exec1d.yaml', 'shell-tests-0.0.10/t5.yaml'];
    for (const f of files) {
      const g = parseGraph(readFileSync(mgmtExample(f), 'utf8'), f, defaultRegistry());
      expect(g.resources.map((r) => r.kind), f).toContain('exec');
    }
  });

  it('refuses what cannot work, naming the field', () => {
    expect(v({ cmd: '  ' })).toMatch(/`cmd` must not be empty/);
    expect(v({ cmd: 'true', timeout: -1 })).toMatch(/`timeout` must be an integer >= 0/);
    expect(v({ cmd: 'true', pollint: 5 })).toMatch(/`pollint` .* needs `ifcmd`/);
    expect(v({ cmd: 'true', pollint: 5, ifcmd: 'true' })).toBeUndefined();
    expect(v({ cmd: 'true', state: 'absent' })).toMatch(/`state` must be "present"/);
    expect(v({ cmd: 'true', cwd: 'rel/dir' })).toMatch(/`cwd` must be an absolute path/);
    expect(v({ cmd: 'true', creates: 'x' })).toMatch(/`creates` must be an absolute path/);
    expect(v({ cmd: 'true', env: { 'A-B': '1' } })).toMatch(/not a valid variable name/);
    expect(v({ cmd: 'true', user: '' })).toMatch(/`user` must not be empty/);
  });

  it('has a fingerprint that ignores the order of the fields', () => {
    const a = exec({ cmd: 'true', shell: '/bin/sh', timeout: 3 });
    const b = exec({ timeout: 3, shell: '/bin/sh', cmd: 'true' });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(exec({ cmd: 'false' }).fingerprint).not.toBe(a.fingerprint);
  });

  it('provides exec:<cmd> and wants the files of absolute programs and the cwd directory', () => {
    const r = exec({ cmd: '/usr/local/bin/deploy --now', ifcmd: 'test -e /x', cwd: '/srv/app', watchcmd: 'x', watchshell: '/bin/bash', watchcwd: '/var/log/' });
    expect(r.autoEdges!()).toEqual({
      provides: ['exec:/usr/local/bin/deploy --now'],
      wants: [['file:/usr/local/bin/deploy'], ['file:/srv/app/'], ['file:/bin/bash'], ['file:/var/log/']],
    });
  });
});

describe('exec: argv and output helpers', () => {
  it('splits on whitespace without a shell, or hands the string to shell -c', () => {
    expect(splitFields('  sleep \t 10s \n')).toEqual(['sleep', '10s']);
    expect(argvFor('echo "a b"', '')).toEqual({ file: 'echo', args: ['"a', 'b"'] });
    expect(argvFor('echo "a b" | wc', '/bin/sh')).toEqual({ file: '/bin/sh', args: ['-c', 'echo "a b" | wc'] });
  });

  it('hints when a command without a shell uses shell syntax', () => {
    expect(shellSyntaxHint('echo a | wc', '')).toMatch(/contains "\|" but no shell is set/);
    expect(shellSyntaxHint('echo a | wc', 'sh')).toBeUndefined();
    expect(shellSyntaxHint('sleep 10s', '')).toBeUndefined();
  });

  it('keeps only the last bytes, counts the rest, never cuts a character in half', () => {
    const t = new Tail(8);
    t.push(Buffer.from('0123456789'));
    t.push(Buffer.from('ab'));
    expect(t.text()).toBe('456789ab');
    expect(t.dropped).toBe(4);
    const u = new Tail(4);
    u.push(Buffer.from('aé€')); // 1 + 2 + 3 bytes; the last 4 start inside "é"
    expect(u.text()).toBe('€');
  });
});

describe('exec: running commands', () => {
  it('runs argv directly without a shell (no expansion)', async () => {
    const log = memoryLogger();
    expect(await apply(exec({ cmd: 'echo $HOME *' }, log))).toBe(false);
    expect(log.lines).toContain('info exec[e]: stdout| $HOME *');
    expect(log.lines).toContainEqual(expect.stringMatching(/warn exec\[e\]: cmd .* contains "\$" but no shell is set/));
  });

  it('runs through the shell with pipes and redirections', async () => {
    const out = join(tmp, 'out');
    await apply(exec({ cmd: `echo hello world | tr a-z A-Z > ${out}`, shell: '/bin/sh' }));
    expect(readFileSync(out, 'utf8')).toBe('HELLO WORLD\n');
  });

  it('fails on a non-zero exit, with the code and the end of stderr', async () => {
    const r = exec({ cmd: 'echo first >&2; echo last words >&2; exit 3', shell: '/bin/sh' });
    await expect(apply(r)).rejects.toThrow(/cmd `echo first.*` exited with code 3; stderr: first \| last words/);
  });

  it('fails clearly when the program does not exist', async () => {
    await expect(apply(exec({ cmd: '/nonexistent/program arg' }))).rejects.toThrow(/cannot start \/nonexistent\/program: no such program/);
  });

  it('on timeout kills the whole process group, grandchildren included, and fails', async () => {
    const pidFile = join(tmp, 'grandchild');
    const r = exec({ cmd: `sleep 100 & echo $! > ${pidFile}; sleep 100`, shell: '/bin/sh', timeout: 1 });
    await expect(apply(r)).rejects.toThrow(/timed out after 1 s; its process group was killed/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(1);
    await waitFor(() => !alive(grandchild), `the grandchild ${grandchild} to be killed`);
  });

  it('kills with SIGKILL what ignores SIGTERM after the timeout', async () => {
    const pidFile = join(tmp, 'stubborn');
    const r = exec({ cmd: `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 1; done`, shell: '/bin/sh', timeout: 1 });
    await expect(apply(r)).rejects.toThrow(/timed out/);
    await waitFor(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 'the process that ignores SIGTERM to be killed');
  });

  it('kills the process group when the engine unsubscribes mid-run', async () => {
    const pidFile = join(tmp, 'pid');
    const r = exec({ cmd: `sleep 100 & echo $! > ${pidFile}; sleep 100`, shell: '/bin/sh' });
    const sub = r.checkApply(true, false).subscribe({ error: () => undefined });
    await waitFor(() => lines(pidFile).length > 0, 'cmd to have started (its pid file)');
    sub.unsubscribe();
    await waitFor(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 'the process group to be killed');
  });

  it('uses cwd and env (added to the inherited environment)', async () => {
    const out = join(tmp, 'out');
    await apply(exec({ cmd: 'pwd > out; echo "$GREETING $NAME" >> out; test -n "$PATH" && echo path >> out', shell: '/bin/sh', cwd: tmp, env: { GREETING: 'hi', NAME: 'there' } }));
    expect(lines(out)).toEqual([tmp, 'hi there', 'path']);
  });

  it('fails clearly when cwd does not exist', async () => {
    await expect(apply(exec({ cmd: 'true', cwd: join(tmp, 'nope') }))).rejects.toThrow(/cmd cannot start: its working directory .*nope is not an existing directory/);
  });

  it('keeps a bounded tail of the output and says how much it dropped', async () => {
    const log = memoryLogger();
    await apply(exec({ cmd: 'head -c 100000 /dev/zero | tr "\\0" x; echo; echo END', shell: '/bin/sh' }, log));
    expect(log.lines).toContainEqual(expect.stringMatching(/stdout: first 93\.7 KiB dropped, last 4\.0 KiB follow/));
    expect(log.lines).toContain('info exec[e]: stdout| END');
    const kept = log.lines.filter((l) => l.includes('stdout| ')).join('').length;
    expect(kept).toBeLessThan(4096 + 200);
    expect(log.lines).toContainEqual(expect.stringMatching(/exited 0 after .* \(stdout 97\.7 KiB, stderr 0 B\)/));
  });

  it.skipIf(!isRoot)('runs as another user when root', async () => {
    const log = memoryLogger();
    await apply(exec({ cmd: 'id -u', user: 'nobody' }, log));
    expect(log.lines).toContain('info exec[e]: stdout| 65534');
    const log2 = memoryLogger();
    await apply(exec({ cmd: 'sh -c "echo $HOME $USER; id -g"', shell: '/bin/sh', user: 'nobody', group: 'root' }, log2));
    expect(log2.lines.filter((l) => l.includes('stdout| '))).toEqual(['info exec[e]: stdout| /nonexistent nobody', 'info exec[e]: stdout| 0']);
  });

  it('fails clearly for an unknown user or group', async () => {
    await expect(apply(exec({ cmd: 'true', user: 'no-such-user-xyz' }))).rejects.toThrow(/unknown user "no-such-user-xyz"/);
    await expect(apply(exec({ cmd: 'true', group: 'no-such-group-xyz' }))).rejects.toThrow(/unknown group "no-such-group-xyz"/);
  });
});

describe('exec: when cmd runs', () => {
  it('runs once per start, and again only on refresh', async () => {
    const count = join(tmp, 'count');
    const r = exec({ cmd: `echo run >> ${count}`, shell: '/bin/sh' });
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(true); // a poke: nothing to do
    expect(await apply(r)).toBe(true);
    expect(lines(count)).toHaveLength(1);
    expect(await apply(r, true)).toBe(false); // refresh
    expect(lines(count)).toHaveLength(2);
    expect(await apply(r)).toBe(true);
  });

  it('runs again after a failure (the engine retries it)', async () => {
    const flag = join(tmp, 'flag');
    const r = exec({ cmd: `test -e ${flag}` });
    await expect(apply(r)).rejects.toThrow(/exited with code 1/);
    writeFileSync(flag, '');
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(true);
  });

  it('ifcmd decides every time: exit 0 runs cmd, non-zero means OK', async () => {
    const gate = join(tmp, 'gate');
    const count = join(tmp, 'count');
    const r = exec({ cmd: `echo run >> ${count}`, shell: '/bin/sh', ifcmd: `test -e ${gate}` });
    expect(await apply(r)).toBe(true);
    expect(lines(count)).toHaveLength(0);
    writeFileSync(gate, '');
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(false);
    expect(lines(count)).toHaveLength(2);
    await rm(gate);
    expect(await apply(r, true)).toBe(true); // a refresh does not override the guard
    expect(lines(count)).toHaveLength(2);
  });

  it('creates: an existing path means OK, even on refresh; a missing one runs cmd', async () => {
    const made = join(tmp, 'made');
    const count = join(tmp, 'count');
    const r = exec({ cmd: `echo run >> ${count}; touch ${made}`, shell: '/bin/sh', creates: made });
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(true);
    expect(await apply(r, true)).toBe(true);
    expect(lines(count)).toHaveLength(1);
    await rm(made);
    expect(await apply(r)).toBe(false);
    expect(lines(count)).toHaveLength(2);
  });

  it('noop runs ifcmd (and says so) but never cmd', async () => {
    const ifRan = join(tmp, 'if-ran');
    const cmdRan = join(tmp, 'cmd-ran');
    const log = memoryLogger();
    const r = exec({ cmd: `touch ${cmdRan}`, ifcmd: `echo yes >> ${ifRan}`, ifshell: '/bin/sh' }, log);
    expect(await check(r)).toBe(false);
    expect(lines(ifRan)).toEqual(['yes']);
    expect(existsSync(cmdRan)).toBe(false);
    expect(log.lines).toContainEqual(expect.stringMatching(/info exec\[e\]: noop: would run `touch .*` \(ifcmd `echo yes .*` exited 0\)/));

    const log2 = memoryLogger();
    const ok = exec({ cmd: `touch ${cmdRan}`, ifcmd: 'false' }, log2);
    expect(await check(ok)).toBe(true);
    expect(log2.lines).toContainEqual(expect.stringMatching(/info exec\[e\]: noop: ran ifcmd \(read-only\): ifcmd `false` exited 1: state OK/));
    expect(existsSync(cmdRan)).toBe(false);
  });

  it('noop without ifcmd reports that cmd would run, and runs nothing', async () => {
    const cmdRan = join(tmp, 'cmd-ran');
    const r = exec({ cmd: `touch ${cmdRan}` });
    expect(await check(r)).toBe(false);
    expect(await check(r)).toBe(false); // still not run
    expect(existsSync(cmdRan)).toBe(false);
  });
});

describe('exec: watchcmd', () => {
  it('emits once per line printed', async () => {
    const r = exec({ cmd: 'true', watchcmd: 'printf "a\\nb\\n\\nc\\n"; sleep 100', watchshell: '/bin/sh' });
    await expect(lastValueFrom(r.watch().pipe(take(4), toArray()))).resolves.toHaveLength(4);
  });

  it('errors, naming the command and its exit code, when the watch command exits', async () => {
    const r = exec({ cmd: 'true', watchcmd: 'echo one; echo bad >&2; exit 4', watchshell: '/bin/sh' });
    let events = 0;
    await expect(
      new Promise((resolve, reject) => r.watch().subscribe({ next: () => events++, error: reject, complete: () => resolve('completed') })),
    ).rejects.toThrow(/watchcmd `echo one; echo bad >&2; exit 4` exited with code 4; stderr: bad/);
    expect(events).toBe(1);
  });

  it('a watch line makes the next check run cmd; pokes without one do not', async () => {
    const count = join(tmp, 'count');
    const r = exec({ cmd: `echo run >> ${count}`, shell: '/bin/sh', watchcmd: 'echo go; exec sleep 100', watchshell: '/bin/sh' });
    expect(await apply(r)).toBe(false); // first run since start
    expect(await apply(r)).toBe(true);
    const events: number[] = [];
    const sub = r.watch().subscribe(() => events.push(1));
    try {
      await waitFor(() => events.length === 1, 'the watch line');
      expect(await apply(r)).toBe(false);
      expect(lines(count)).toHaveLength(2);
      expect(await apply(r)).toBe(true);
      expect(await apply(r)).toBe(true);
      expect(lines(count)).toHaveLength(2);
    } finally {
      sub.unsubscribe();
    }
  });

  it('a watch line that comes during a run makes one more run', async () => {
    const count = join(tmp, 'count');
    const started = join(tmp, 'started');
    const go = join(tmp, 'go');
    // cmd waits for "go"; the watch prints its line once cmd has started.
    const r = exec({
      cmd: `touch ${started}; while [ ! -e ${go} ]; do sleep 0.02; done; echo run >> ${count}`,
      shell: '/bin/sh',
      watchcmd: `while [ ! -e ${started} ]; do sleep 0.02; done; echo event; exec sleep 100`,
      watchshell: '/bin/sh',
    });
    const events: number[] = [];
    const sub = r.watch().subscribe(() => events.push(1));
    try {
      const first = apply(r);
      await waitFor(() => events.length === 1, 'the watch line');
      writeFileSync(go, '');
      expect(await first).toBe(false);
      expect(await apply(r)).toBe(false); // the event came after the first run had started
      expect(await apply(r)).toBe(true);
      expect(lines(count)).toHaveLength(2);
    } finally {
      sub.unsubscribe();
    }
  });

  it('kills the watch command when unsubscribed', async () => {
    const pidFile = join(tmp, 'pid');
    const r = exec({ cmd: 'true', watchcmd: `echo $$ > ${pidFile}; echo ready; sleep 100`, watchshell: '/bin/sh' });
    await firstValueFrom(r.watch()); // subscribes, takes the first line, unsubscribes
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), `the watch command ${pid} to be killed`);
  });
});

describe('exec: pollint in virtual time', () => {
  it('re-checks every pollint seconds (ifcmd decides), and never watches without a reason', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      const polled = exec({ cmd: 'true', ifcmd: 'true', pollint: 2 }, memoryLogger(), ts);
      expectObservable(polled.watch(), '^ 7s !').toBe('2s a 1999ms a 1999ms a', { a: undefined });
      const quiet = exec({ cmd: 'true' }, memoryLogger(), ts);
      expectObservable(quiet.watch(), '^ 7s !').toBe('');
    });
  });

  it('honours a pollint past 2^31-1 ms (30 days): no tick before, one at each 30 days', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const days30 = 30 * 24 * 3600;
    ts.run(({ expectObservable }) => {
      const polled = exec({ cmd: 'true', ifcmd: 'true', pollint: days30 }, memoryLogger(), ts);
      const ms = days30 * 1000;
      expectObservable(polled.watch(), `^ ${2 * ms + 1}ms !`).toBe(`${ms}ms a ${ms - 1}ms a`, { a: undefined });
    });
  });
});

describe('exec: validation at load', () => {
  const v = (params: Record<string, unknown>) => execKind.validate!({ cmd: 'true', ...params });
  it('refuses NUL bytes in commands, paths, names and env values', () => {
    expect(v({ cmd: 'echo a\0b' })).toBe('`cmd` contains a NUL byte, which no command, path or name can hold: "echo a\\x00b"');
    expect(v({ cwd: '/tmp/\0' })).toMatch(/^`cwd` contains a NUL byte/);
    expect(v({ env: { A: 'x\0' } })).toBe('`env` A contains a NUL byte, which no environment variable can hold');
  });
  it('refuses impossible users and groups', () => {
    expect(v({ user: '-5' })).toBe('`user`: "-5" is not a possible user id: an id is a whole number from 0 to 4294967294');
    expect(v({ group: '99999999999' })).toBe('`group`: "99999999999" is not a possible group id: ids go from 0 to 4294967294');
    expect(v({ user: 'no body' })).toMatch(/^`user`: "no body" is neither a numeric id nor a possible user name/);
    expect(v({ user: 'nobody', group: '65534' })).toBeUndefined();
  });
  it('escapes control characters in the command it logs', async () => {
    const log = memoryLogger();
    await check(exec({ cmd: 'true \x1b[2Jhidden' }, log));
    expect(log.lines.join('\n')).toContain('noop: would run `true \\x1b[2Jhidden`');
  });
});

describe('exec: changes told to the sink', () => {
  it('reports that it ran cmd (or would), and nothing when it did not run', async () => {
    const told: unknown[] = [];
    const r = exec({ cmd: 'true' });
    await firstValueFrom(r.checkApply(false, false, (c) => told.push(c)));
    await firstValueFrom(r.checkApply(true, false, (c) => told.push(c)));
    await firstValueFrom(r.checkApply(true, false, (c) => told.push(c))); // ran once already: nothing to do
    expect(told).toEqual([{ field: 'cmd', to: 'true' }, { field: 'cmd', to: 'true' }]);
  });

  it('sensitive: the field only, and neither the command nor its output is logged', async () => {
    const told: unknown[] = [];
    const log = memoryLogger();
    const r = exec({ cmd: 'echo s3cret-token', sensitive: true }, log);
    await firstValueFrom(r.checkApply(true, false, (c) => told.push(c)));
    expect(told).toEqual([{ field: 'cmd' }]);
    expect(log.lines.join('\n')).not.toContain('s3cret');
    expect(log.lines.join('\n')).toContain('running (sensitive)');
  });
});

describe('exec: durations', () => {
  it('refuses a timeout or pollint of more than 10 years at load, naming the field', () => {
    const v = (params: Record<string, unknown>) => execKind.validate!({ cmd: 'true', ...params });
    expect(v({ timeout: MAX_SECONDS })).toBeUndefined();
    expect(v({ timeout: MAX_SECONDS + 1 })).toBe(`\`timeout\` must be at most ${MAX_SECONDS} seconds (10 years), got ${MAX_SECONDS + 1}`);
    expect(v({ pollint: MAX_SECONDS + 1, ifcmd: 'true' })).toBe(`\`pollint\` must be at most ${MAX_SECONDS} seconds (10 years), got ${MAX_SECONDS + 1}`);
  });

  it('a timeout past 2^31-1 ms does not fire at once (a plain timer would, after 1 ms)', async () => {
    const r = exec({ cmd: 'sleep 0.3', timeout: 30 * 24 * 3600 });
    await expect(apply(r)).resolves.toBe(false); // ran, and was not killed
  });
});
