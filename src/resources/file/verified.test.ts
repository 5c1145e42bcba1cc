// The verified cache's identity: the same for a file whatever lstat made it (numbers or BigInts),
// never trusted for what a number cannot hold exactly, and trusted only once settled.
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sameIdentity, settled, verifiedOf } from './verified.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rxmgmt-verified-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('the verified identity', () => {
  it('is the same from a number lstat and a BigInt lstat of one file, so either path trusts the other', () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x');
    const big = fs.lstatSync(p, { bigint: true });
    const num = fs.lstatSync(p);
    expect(sameIdentity(verifiedOf(num, 'x'), big)).toBe(true);
    expect(sameIdentity(verifiedOf(big, 'x'), num)).toBe(true);
    expect(verifiedOf(big, 'x')).toEqual(verifiedOf(num, 'x'));
  });

  it('changes with a write of the same size, and with a file renamed over it', () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x');
    const v = verifiedOf(fs.lstatSync(p), 'x');
    fs.writeFileSync(join(tmp, 'g'), 'y');
    fs.renameSync(join(tmp, 'g'), p);
    expect(sameIdentity(v, fs.lstatSync(p))).toBe(false);
  });

  it('never matches an inode or device number beyond 2^53, which a number cannot hold exactly', () => {
    const st = fs.lstatSync(join(tmp), { bigint: true });
    const like = (changed: object) => Object.assign(Object.create(Object.getPrototypeOf(st)), st, changed) as fs.BigIntStats;
    expect(sameIdentity(verifiedOf(like({}), 'x'), like({}))).toBe(true); // the copy itself is trusted
    const huge = like({ ino: 2n ** 60n + 1n });
    expect(sameIdentity(verifiedOf(huge, 'x'), huge)).toBe(false);
    const hugeDev = like({ dev: 2n ** 54n });
    expect(sameIdentity(verifiedOf(hugeDev, 'x'), hugeDev)).toBe(false);
  });

  it('is settled once its ctime is older than the margin: 100 ms with sub-second times, 3 s with whole seconds', () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x');
    const st = fs.lstatSync(p);
    const fine = st.ctimeMs % 1000 !== 0;
    const margin = fine ? 100 : 3000;
    expect(settled(st, Math.ceil(st.ctimeMs) + margin - 1)).toBe(false);
    expect(settled(st, Math.ceil(st.ctimeMs) + margin + 1)).toBe(true);
    // Whole seconds: the coarse margin, whichever lstat made the stats.
    const coarse = Object.assign(Object.create(Object.getPrototypeOf(st)), st, { ctimeMs: 1_700_000_000_000 }) as fs.Stats;
    expect(settled(coarse, 1_700_000_002_000)).toBe(false);
    expect(settled(coarse, 1_700_000_003_001)).toBe(true);
  });
});
