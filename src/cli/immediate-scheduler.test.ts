// The CLI's scheduler on real time: the order of its tasks, that zero-delay work yields to I/O,
// that rescheduling and cancelling behave as on asyncScheduler, and that the RxJS operators the
// engine uses work on it. Barriers (a later task of the same scheduler, an I/O callback) instead
// of sleeps; no test asserts how long anything took.
import { stat } from 'node:fs';
import {
  type SchedulerAction,
  Subject,
  debounceTime,
  delay,
  firstValueFrom,
  interval,
  lastValueFrom,
  observeOn,
  of,
  take,
  tap,
  throttleTime,
  timeout,
  timer,
  toArray,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';
import { SyncSlices } from '../resources/file/sync-slices.js';
import { immediateScheduler as s, runScheduler } from './immediate-scheduler.js';

/** Resolves once `work` has run on `scheduler` after `ms` (a barrier behind everything due earlier). */
const after = (ms: number, scheduler = s) => new Promise<void>((done) => scheduler.schedule(() => done(), ms));

describe('immediateScheduler', () => {
  it('tells the time as Date.now() does', () => {
    const before = Date.now();
    const now = s.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('runs zero-delay work later, never synchronously, in the order it was scheduled, with its state', async () => {
    const ran: string[] = [];
    s.schedule((x) => ran.push(`a ${x}`), 0, 1);
    s.schedule((x) => ran.push(`b ${x}`), undefined, 2);
    s.schedule((x) => ran.push(`c ${x}`), -5, 3); // a negative delay is no delay
    expect(ran).toEqual([]);
    await after(0);
    expect(ran).toEqual(['a 1', 'b 2', 'c 3']);
  });

  it('runs delayed work by its due time, after zero-delay work', async () => {
    const ran: string[] = [];
    s.schedule(() => ran.push('30 ms'), 30);
    s.schedule(() => ran.push('10 ms'), 10);
    s.schedule(() => ran.push('now'));
    await after(40);
    expect(ran).toEqual(['now', '10 ms', '30 ms']);
  });

  it('does not run work before its delay has passed on its own clock', async () => {
    const start = s.now();
    const ranAt = await new Promise<number>((done) => s.schedule(() => done(s.now()), 25));
    expect(ranAt - start).toBeGreaterThanOrEqual(24); // Date.now() rounds to whole ms
  });

  it('handles I/O between two zero-delay tasks: work that reschedules itself does not starve it', async () => {
    let ioDone = false;
    stat('.', () => (ioDone = true));
    let turns = 0;
    // Microtasks (asapScheduler) would run this until the cap without ever polling for I/O.
    await new Promise<void>((done) =>
      s.schedule(function (this: SchedulerAction<void>) {
        turns++;
        if (ioDone || turns >= 10_000_000) done();
        else this.schedule();
      }),
    );
    expect(ioDone).toBe(true);
    expect(turns).toBeLessThan(10_000_000);
  });

  it('a timer comes due while zero-delay work keeps rescheduling itself', async () => {
    let timerDone = false;
    setTimeout(() => (timerDone = true), 5);
    let turns = 0;
    await new Promise<void>((done) =>
      s.schedule(function (this: SchedulerAction<void>) {
        turns++;
        if (timerDone || turns >= 10_000_000) done();
        else this.schedule();
      }),
    );
    expect(timerDone).toBe(true);
  });

  it('reschedules from its own work with the same delay (periodic), another delay, or none', async () => {
    const ran: string[] = [];
    s.schedule(function (this: SchedulerAction<number>, n = 0) {
      ran.push(`tick ${n}`);
      // 5 ms three times (the interval kept), then none, then 2 ms, then done.
      const next = n < 2 ? 5 : n === 2 ? 0 : n === 3 ? 2 : undefined;
      if (next !== undefined) this.schedule(n + 1, next);
    }, 5);
    await after(60);
    expect(ran).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
  });

  it('a periodic action that stops rescheduling runs no more', async () => {
    let runs = 0;
    s.schedule(function (this: SchedulerAction<void>) {
      if (++runs < 2) this.schedule(undefined, 3);
    }, 3);
    await after(30); // a dozen periods: a kept interval would have fired again meanwhile
    expect(runs).toBe(2);
  });

  it('can be scheduled again from outside after it ran, and then runs again', async () => {
    const ran: number[] = [];
    const action = s.schedule((x?: number) => ran.push(x ?? -1), 0, 1) as unknown as SchedulerAction<number>;
    await after(0);
    action.schedule(2, 3);
    await after(10);
    expect(ran).toEqual([1, 2]);
  });

  it('scheduling again from outside restarts the wait, with the new state', async () => {
    const ran: string[] = [];
    const action = s.schedule((x?: string) => ran.push(x ?? ''), 50, 'first') as unknown as SchedulerAction<string>;
    action.schedule('second', 5);
    await after(70);
    expect(ran).toEqual(['second']);
  });

  it('never runs work unsubscribed before its time, zero-delay or delayed, nor an action closed in its period', async () => {
    const ran: string[] = [];
    s.schedule(() => ran.push('now')).unsubscribe();
    s.schedule(() => ran.push('later'), 5).unsubscribe();
    const periodic = s.schedule(function (this: SchedulerAction<void>) {
      ran.push('tick');
      this.schedule(undefined, 4);
    }, 4);
    await after(6);
    periodic.unsubscribe();
    const closed = periodic as unknown as SchedulerAction<void>;
    expect(closed.schedule(undefined, 0)).toBe(closed); // a closed action takes no more work
    await after(30);
    expect(ran).toEqual(['tick']);
  });

  it('a work that throws closes its action, and the error goes up as asyncScheduler\'s does', async () => {
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    try {
      const caught = new Promise<unknown>((done) => process.once('uncaughtException', done));
      let runs = 0;
      const action = s.schedule(function (this: SchedulerAction<void>) {
        runs++;
        this.schedule(undefined, 2); // would run again, but the throw closes it
        throw new Error('a bug in scheduled work');
      });
      expect(((await caught) as Error).message).toBe('a bug in scheduled work');
      expect(action.closed).toBe(true);
      await after(20);
      expect(runs).toBe(1);
    } finally {
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });
});

describe('the RxJS operators the engine uses, on immediateScheduler', () => {
  it('timer: once, and periodic (first immediate, then by the period)', async () => {
    expect(await lastValueFrom(timer(5, s).pipe(toArray()))).toEqual([0]);
    expect(await lastValueFrom(timer(0, 3, s).pipe(take(4), toArray()))).toEqual([0, 1, 2, 3]);
    expect(await lastValueFrom(interval(2, s).pipe(take(3), toArray()))).toEqual([0, 1, 2]);
  });

  it('delay, observeOn and timeout', async () => {
    expect(await lastValueFrom(of(1, 2, 3).pipe(delay(5, s), toArray()))).toEqual([1, 2, 3]);
    const seen: string[] = [];
    const done = lastValueFrom(of('a', 'b').pipe(observeOn(s), tap((v) => seen.push(v))));
    seen.push('subscribed');
    await done;
    expect(seen).toEqual(['subscribed', 'a', 'b']);
    await expect(firstValueFrom(new Subject<never>().pipe(timeout({ first: 5, scheduler: s })))).rejects.toThrow('Timeout has occurred');
    expect(await firstValueFrom(timer(1, s).pipe(timeout({ first: 1000, scheduler: s })))).toBe(0);
  });

  it('debounceTime reschedules its task until the values pause', async () => {
    const values = new Subject<number>();
    const out = lastValueFrom(values.pipe(debounceTime(300, s), toArray()));
    // A burst (each value a task after the last, all within the debounce: its task is
    // rescheduled from itself), then a pause longer than the debounce.
    for (let i = 0; i < 5; i++) {
      values.next(i);
      await after(1);
    }
    await after(400);
    values.next(9);
    values.complete();
    expect(await out).toEqual([4, 9]);
  });

  it('throttleTime lets the first value of a window through', async () => {
    const values = new Subject<number>();
    const out = lastValueFrom(values.pipe(throttleTime(50, s), toArray()));
    values.next(1);
    values.next(2); // within the window
    await after(70);
    values.next(3);
    values.complete();
    expect(await out).toEqual([1, 3]);
  });
});

describe('runScheduler (what `rxmgmt run` gives the engine)', () => {
  it('waits a delay beyond setTimeout\'s limit in full: it has not fired after a later barrier', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      let fired = false;
      // Node fires a single timer past 2^31-1 ms after 1 ms (TimeoutOverflowWarning).
      const long = runScheduler.schedule(() => (fired = true), MAX_TIMER_MS + 10);
      await after(20, runScheduler);
      expect(fired).toBe(false);
      long.unsubscribe();
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('runs zero-delay and short work as immediateScheduler does', async () => {
    const ran: string[] = [];
    runScheduler.schedule(() => ran.push('5 ms'), 5);
    runScheduler.schedule(() => ran.push('now'));
    await after(10, runScheduler);
    expect(ran).toEqual(['now', '5 ms']);
  });
});

describe('the file checks\' slices (sync-slices.ts) on runScheduler', () => {
  it('handle I/O between two slices: jobs that keep coming do not starve a file system callback', async () => {
    // A job budget only (no clock): slices of 10 jobs, each job queueing the next one.
    const slices = new SyncSlices(runScheduler, 10, Infinity);
    let ioDone = false;
    stat('.', () => (ioDone = true));
    let jobs = 0;
    await new Promise<void>((done) => {
      const job = (): void => {
        jobs++;
        if (ioDone || jobs >= 10_000_000) done();
        else slices.run(job);
      };
      slices.run(job);
    });
    expect(ioDone).toBe(true);
    expect(jobs).toBeGreaterThan(10); // it did have to wait for a slice of its own
  });
});
