// follow: the engine's own observers of a Cell or Feed are told what a subscriber would be (the
// value at once, each next, complete), in order with subscribers, and nothing once they say they
// are closed; any other stream is subscribed as usual, errors included.
import { Subject, from, of } from 'rxjs';
import { allTrue } from '../operators/all-true.js';
import { coalesceWhen } from '../operators/coalesce-when.js';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { follow } from '../operators/follow.js';
import { Cell, Feed } from '../src/engine/cell.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A follower that writes what it is told into `seen`, prefixed with `tag`; it leaves by `closed = true`. */
const recorder = (seen: string[], tag: string) => ({
  closed: false,
  next: (v: unknown) => seen.push(`${tag}${String(v)}`),
  error: (e: Error) => seen.push(`${tag}!${e.message}`),
  complete: () => seen.push(`${tag}|`),
});

describe('follow', () => {
  it('a Cell: the current value at once, then each next, then complete, like a subscriber', () => {
    fresh().run(({ cold, expectObservable }) => {
      const cell = new Cell('a');
      cold('--b-c-|').subscribe({ next: (v) => cell.next(v), complete: () => cell.complete() });
      const seen: string[] = [];
      follow(cell, recorder(seen, ''));
      expectObservable(cell).toBe('a-b-c-|');
      cold('-------|').subscribe({ complete: () => expect(seen).toEqual(['a', 'b', 'c', '|']) });
    });
  });

  it('is told in order with subscribers, and never again once it has left', () => {
    const cell = new Cell(0);
    const seen: string[] = [];
    cell.subscribe((v) => seen.push(`s${v}`));
    const follower = recorder(seen, 'f');
    expect(follow(cell, follower)).toBeUndefined();
    cell.next(1);
    follower.closed = true;
    cell.next(2);
    expect(seen).toEqual(['s0', 'f0', 's1', 'f1', 's2']);
    expect(cell.observed).toBe(true);
  });

  it('a Feed no one else follows no longer counts as observed once its follower left', () => {
    const feed = new Feed<number>();
    const seen: string[] = [];
    const follower = recorder(seen, '');
    follow(feed, follower);
    expect(feed.observed).toBe(true);
    feed.next(1);
    follower.closed = true;
    expect(feed.observed).toBe(false);
    feed.next(2);
    feed.complete();
    expect(seen).toEqual(['1']);
  });

  it('a completed Feed tells a new follower only complete', () => {
    const cell = new Cell(5);
    cell.complete();
    const seen: string[] = [];
    follow(cell, recorder(seen, ''));
    expect(seen).toEqual(['|']);
  });

  it('any other stream is subscribed: its errors reach the observer', () => {
    const subject = new Subject<number>();
    const seen: string[] = [];
    const followed = follow(subject, recorder(seen, ''));
    subject.next(1);
    subject.error(new Error('boom'));
    expect(seen).toEqual(['1', '!boom']);
    expect(followed?.unsubscribe).toBeTypeOf('function');
  });

  it('allTrue over Cells follows them, and lets go of every one when unsubscribed', () => {
    const a = new Cell(true);
    const b = new Cell(false);
    const seen: boolean[] = [];
    const sub = from([a, b]).pipe(allTrue()).subscribe((v) => seen.push(v));
    b.next(true);
    a.next(false);
    sub.unsubscribe();
    expect([a.observed, b.observed]).toEqual([false, false]);
    a.next(true);
    expect(seen).toEqual([false, true, false]);
  });

  it('coalesceWhen on a Feed and a Cell gate: runs when open, and lets go of both when unsubscribed', () => {
    const triggers = new Feed<string>();
    const open = new Cell(false);
    const ran: string[] = [];
    const sub = triggers.pipe(coalesceWhen(open, (t) => of(t), (x, y) => x + y)).subscribe((t) => ran.push(t));
    triggers.next('a');
    triggers.next('b');
    open.next(true);
    triggers.next('c');
    sub.unsubscribe();
    expect([triggers.observed, open.observed]).toEqual([false, false]);
    triggers.next('d');
    expect(ran).toEqual(['ab', 'c']);
  });
});
