// follow: the engine's own observers of a Cell or Feed are told what a subscriber would be (the
// value at once, each next, complete), in order with subscribers, and nothing once they leave;
// any other stream is subscribed as usual, errors included.
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { follow } from '../operators/follow.js';
import { Cell, Feed } from '../src/engine/cell.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** An observer that writes what it is told into `seen`, prefixed with `tag`. */
const recorder = (seen: string[], tag: string) => ({
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
    const followed = follow(cell, recorder(seen, 'f'));
    cell.next(1);
    followed.unsubscribe();
    cell.next(2);
    expect(seen).toEqual(['s0', 'f0', 's1', 'f1', 's2']);
    expect(cell.observed).toBe(true);
  });

  it('a Feed no one else follows no longer counts as observed once its follower left', () => {
    const feed = new Feed<number>();
    const seen: string[] = [];
    const followed = follow(feed, recorder(seen, ''));
    expect(feed.observed).toBe(true);
    feed.next(1);
    followed.unsubscribe();
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
    followed.unsubscribe();
  });
});
