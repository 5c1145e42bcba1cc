// SyncSlices in virtual time: how many jobs one burst runs, and that the rest wait for the
// scheduler's tasks, in order.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { SyncSlices } from './sync-slices.js';

const fresh = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('SyncSlices', () => {
  it('runs a burst of `budget` jobs at once; the rest wait for a task of the scheduler each slice', () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 3, 1000, () => 0);
    const ran: number[] = [];
    for (let i = 0; i < 8; i++) slices.run(() => ran.push(i));
    expect(ran).toEqual([0, 1, 2]);
    // One task per slice: the first runs jobs 3 to 5, then schedules the next.
    scheduler.flush();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('yields between slices: a task scheduled meanwhile runs before the next slice', () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 2, 1000, () => 0);
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) slices.run(() => ran.push(name));
    scheduler.schedule(() => ran.push('other task'));
    scheduler.flush();
    expect(ran).toEqual(['a', 'b', 'c', 'd', 'other task', 'e']);
  });

  it('ends a slice when its time budget is spent, after at least one job', () => {
    const scheduler = fresh();
    let now = 0;
    const slices = new SyncSlices(scheduler, 100, 4, () => now);
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) {
      slices.run(() => {
        ran.push(i);
        now += 3; // each job takes 3 ms: two fit in 4 ms (the second starts at 3)
      });
    }
    expect(ran).toEqual([0, 1]);
    scheduler.flush();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
  });

  it('queues a job started from inside a job instead of nesting it, and keeps the order', () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 10, 1000, () => 0);
    const ran: string[] = [];
    let depth = 0;
    const job = (name: string, then?: () => void) => () => {
      depth++;
      ran.push(`${name} at depth ${depth}`);
      then?.();
      depth--;
    };
    slices.run(job('a', () => slices.run(job('a-child'))));
    slices.run(job('b'));
    expect(ran).toEqual(['a at depth 1', 'a-child at depth 1', 'b at depth 1']);
  });

  it('runs the jobs behind one that threw in the next slice', () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 10, 1000, () => 0);
    const ran: string[] = [];
    const buggy = () => {
      slices.run(() => ran.push('behind'));
      throw new Error('a bug');
    };
    expect(() => slices.run(buggy)).toThrow('a bug'); // to whoever started it
    expect(ran).toEqual([]);
    scheduler.flush();
    expect(ran).toEqual(['behind']);
  });

  it('drops a job unsubscribed before its turn', () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 1, 1000, () => 0);
    const ran: string[] = [];
    slices.run(() => ran.push('a'));
    const b = slices.run(() => ran.push('b'));
    slices.run(() => ran.push('c'));
    b.unsubscribe();
    scheduler.flush();
    expect(ran).toEqual(['a', 'c']);
  });

  it('gives a new burst its full budget once the synchronous code that spent the last one returned', async () => {
    const scheduler = fresh();
    const slices = new SyncSlices(scheduler, 2, 1000, () => 0);
    const ran: number[] = [];
    slices.run(() => ran.push(1));
    slices.run(() => ran.push(2));
    await Promise.resolve(); // the burst is over: its microtask set the count back
    slices.run(() => ran.push(3));
    slices.run(() => ran.push(4));
    expect(ran).toEqual([1, 2, 3, 4]);
  });
});
