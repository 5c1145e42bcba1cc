// The snapshot's warm-up run leaves nothing behind that the saved heap would carry into every
// later start: no file, no open watch, no signal handler, no fact about this machine's directories.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalDir } from '../resources/file/local-fs.js';
import { staleTempsFor } from '../resources/file/stale-temps.js';
import { openWatchCount } from '../watch/directory-watch.js';
import { warmUp } from './snapshot-warm-up.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'rxmgmt-warm-test-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const signalListeners = () => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));

describe('warmUp', () => {
  it('runs its graph and leaves no file, watch or signal handler', async () => {
    const listeners = signalListeners();
    const recaps = (await warmUp(base)).filter((l) => l.includes('recap:'));
    // A first run that made the directory and its four files (the noop and the absent `gone` were
    // right), then a second that found them right and wrote only the file it adds.
    expect(recaps).toHaveLength(2);
    expect(recaps[0]).toMatch(/recap: ok 2, changed 5, failed 0/);
    expect(recaps[1]).toMatch(/recap: ok 7, changed 1, failed 0/);
    expect(await readdir(base)).toEqual([]);
    expect(openWatchCount()).toBe(0);
    expect(signalListeners()).toEqual(listeners);
  });

  it('forgets which directories are local and which hold stale temp files', async () => {
    // Learnt before the warm-up (as its own run learns them): answered from memory, synchronously.
    expect(await isLocalDir(base)).toBe(true);
    expect(isLocalDir(base)).toBe(true);
    await staleTempsFor(join(base, 'f'));
    expect(staleTempsFor(join(base, 'f'))).toBe(false);
    await warmUp(base);
    // Asked again, as a new process would.
    expect(isLocalDir(base)).toBeInstanceOf(Promise);
    expect(staleTempsFor(join(base, 'f'))).toBeInstanceOf(Promise);
  });
});
