// Feed and Cell: a Subject's and a BehaviorSubject's contract (every next, complete; a Cell
// also its value at subscription) without a teardown per subscriber; a subscriber that leaves
// is dropped, never told again.
import { take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Cell, Feed } from '../src/engine/cell.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('Cell', () => {
  it('gives the current value at subscription, then each next, then complete', () => {
    fresh().run(({ expectObservable, cold }) => {
      const cell = new Cell('a');
      cold('--b-c-|').subscribe({ next: (v) => cell.next(v), complete: () => cell.complete() });
      expectObservable(cell).toBe('a-b-c-|');
      expect(cell.value).toBe('a');
    });
  });

  it('tells every subscriber, in order of subscription, and a late one the latest value', () => {
    const cell = new Cell(0);
    const seen: string[] = [];
    cell.subscribe((v) => seen.push(`x${v}`));
    cell.subscribe((v) => seen.push(`y${v}`));
    cell.next(1);
    cell.subscribe((v) => seen.push(`z${v}`));
    cell.next(2);
    expect(seen).toEqual(['x0', 'y0', 'x1', 'y1', 'z1', 'x2', 'y2', 'z2']);
  });

  it('never tells a subscriber that left, whether it was alone or one of many', () => {
    const cell = new Cell(0);
    const seen: string[] = [];
    const alone = cell.subscribe((v) => seen.push(`a${v}`));
    alone.unsubscribe();
    cell.next(1);
    const b = cell.subscribe((v) => seen.push(`b${v}`));
    const c = cell.subscribe((v) => seen.push(`c${v}`));
    b.unsubscribe();
    cell.next(2);
    c.unsubscribe();
    cell.next(3);
    expect(seen).toEqual(['a0', 'b1', 'c1', 'c2']);
  });

  it('a subscriber that leaves during a value (take(1)) and one that joins during it', () => {
    const cell = new Cell(0);
    const seen: string[] = [];
    cell.pipe(take(2)).subscribe({ next: (v) => seen.push(`t${v}`), complete: () => seen.push('t|') });
    cell.subscribe((v) => {
      seen.push(`s${v}`);
      if (v === 1) cell.subscribe((w) => seen.push(`late${w}`));
    });
    cell.next(1);
    cell.next(2);
    expect(seen).toEqual(['t0', 's0', 't1', 't|', 's1', 'late1', 's2', 'late2']);
  });

  it('keeps its list within twice the live subscribers however many come and go', () => {
    const cell = new Cell(0);
    const live = cell.subscribe(() => undefined);
    for (let i = 0; i < 10_000; i++) cell.subscribe(() => undefined).unsubscribe();
    const list = (cell as unknown as { watchers: unknown }).watchers;
    expect(Array.isArray(list) ? list.length : 1).toBeLessThanOrEqual(4);
    live.unsubscribe();
  });

  it('after complete: a new subscriber gets only complete; the value still follows next', () => {
    const cell = new Cell('a');
    cell.complete();
    cell.next('b');
    const seen: string[] = [];
    cell.subscribe({ next: (v) => seen.push(v), complete: () => seen.push('|') });
    expect(seen).toEqual(['|']);
    expect(cell.value).toBe('b');
    expect(cell.isStopped).toBe(true);
  });
});

describe('Feed', () => {
  it('tells its subscribers each value from their subscription on, then complete', () => {
    fresh().run(({ expectObservable, cold }) => {
      const feed = new Feed<string>();
      feed.next('lost');
      cold('-a-b-|').subscribe({ next: (v) => feed.next(v), complete: () => feed.complete() });
      expectObservable(feed).toBe('-a-b-|');
    });
  });

  it('says whether anyone still listens', () => {
    const feed = new Feed<number>();
    expect(feed.observed).toBe(false);
    const a = feed.subscribe(() => undefined);
    const b = feed.subscribe(() => undefined);
    expect(feed.observed).toBe(true);
    a.unsubscribe();
    expect(feed.observed).toBe(true);
    b.unsubscribe();
    expect(feed.observed).toBe(false);
    feed.complete();
    expect(feed.isStopped).toBe(true);
  });
});
