// No cost when no observability flag is given: the engine then gets no event listener at all
// (so no event objects and no change reports); each consumer flag turns it on.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../util/logger.js';
import { Observers } from './observers.js';
import { StatusLine } from './status-line.js';

const base = { host: 'h', noop: false, log: memoryLogger() };

describe('Observers', () => {
  it('gives the engine no listener for the recap, the exit codes or the status line', async () => {
    const o = await Observers.start({ ...base, detailedExitcodes: true, statusLine: new StatusLine({ write: () => true }) });
    expect(o.events).toBeUndefined();
    expect(o.wantsConvergedState).toBe(false);
  });

  it('listens for --diff and --report', async () => {
    expect((await Observers.start({ ...base, diff: true })).events).toBeTypeOf('function');
    const withReport = await Observers.start({ ...base, report: join(tmpdir(), 'r.json') });
    expect(withReport.events).toBeTypeOf('function');
    expect(withReport.wantsConvergedState).toBe(true);
  });
});
