// exec leaves nothing behind when the engine lets go of it: a CheckApply unsubscribed mid-run
// (engine dispose, a drain that gave up) or a watch unsubscribed (its vertex removed by a graph
// swap) ends the command's whole process group, and no file descriptor stays open. Real
// processes; the waits poll a condition with a deadline.
import { readFileSync, readdirSync } from 'node:fs';
import { asyncScheduler, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { execKind } from './exec.js';
import type { Resource } from '../model/resource.js';

function exec(params: Record<string, unknown>): Resource {
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(execKind.fields)) if (field.default !== undefined) withDefaults[key] = field.default;
  const spec = { kind: 'exec', name: 'e', meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 't.yaml', line: 1 } };
  return execKind.create(spec, { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler });
}

/** Live (not zombie) processes of these groups, as "pid comm". */
function liveIn(groups: Set<number>): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (groups.has(Number(pgrp)) && state !== 'Z' && state !== 'X') out.push(`${name} ${comm}`);
  }
  return out;
}

/** Our own children running `sleep` (each is its own group leader: pgid = pid). */
function ourSleeps(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(sleep)') && Number(ppid) === process.pid && state !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;

async function until<T>(what: string, probe: () => T, ok: (v: T) => boolean, deadlineMs = 20_000): Promise<T> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const v = probe();
    if (ok(v) || performance.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Subscribes, waits until its `sleep` runs, unsubscribes; returns the sleep's pid (its group). */
async function startAndDrop(run: () => Observable<unknown>): Promise<number> {
  const before = new Set(ourSleeps());
  const sub = run().subscribe({ error: () => undefined });
  const started = await until('sleep started', () => ourSleeps().filter((p) => !before.has(p)), (l) => l.length > 0);
  sub.unsubscribe();
  expect(started, 'the command was started before it was dropped').toHaveLength(1);
  return started[0]!;
}

describe('exec: nothing left behind', () => {
  it('100 CheckApply runs unsubscribed mid-run and 100 watchcmds unsubscribed leave no process and no fd', async () => {
    const groups = new Set<number>();
    // One round first, so that what Node opens once (its child-process machinery) is in the baseline.
    groups.add(await startAndDrop(() => exec({ cmd: 'sleep 1000' }).checkApply(true, false)));
    await until('warm-up gone', () => liveIn(groups), (l) => l.length === 0);
    const baseline = await until('fds settle', fdCount, () => true);

    for (let i = 0; i < 100; i++) {
      const r = exec({ cmd: 'sleep 1000', watchcmd: 'sleep 1000' });
      groups.add(await startAndDrop(() => r.checkApply(true, false)));
      groups.add(await startAndDrop(() => r.watch()));
    }
    expect(groups.size).toBe(201);
    expect(await until('groups gone', () => liveIn(groups), (l) => l.length === 0)).toEqual([]);
    expect(await until('fds back to the baseline', fdCount, (n) => n <= baseline)).toBeLessThanOrEqual(baseline);
  }, 120_000);

  it('ends a group whose leader ignores SIGTERM with SIGKILL after the grace, background children too', async () => {
    const groups = new Set<number>();
    const r = exec({ cmd: "trap '' TERM; sleep 1000 & sleep 1000; wait", shell: '/bin/sh' });
    const before = new Set(ourSleeps());
    const sub = r.checkApply(true, false).subscribe({ error: () => undefined });
    // The shell is the group leader: find it through the sleeps it started.
    const shells = await until('children started', () => {
      const all: number[] = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          if (ppid === process.pid && !before.has(Number(name)) && stat.includes('(sh)')) all.push(Number(name));
        } catch {
          // gone
        }
      }
      return all;
    }, (l) => l.length === 1 && liveIn(new Set(l)).length >= 3);
    expect(shells).toHaveLength(1);
    groups.add(shells[0]!);
    sub.unsubscribe();
    expect(await until('group gone', () => liveIn(groups), (l) => l.length === 0)).toEqual([]);
  }, 60_000);
});
