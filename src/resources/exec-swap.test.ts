// exec in a running engine: 100 graph swaps that each remove an exec whose watchcmd runs, and
// the engine disposed while a cmd runs, leave no process of their groups and no descriptor.
// Real processes and the real engine; waits poll a condition with a deadline.
import { readFileSync, readdirSync } from 'node:fs';
import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import type { Graph } from '../model/graph.js';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { execKind } from './exec.js';
import type { Resource } from '../model/resource.js';

function exec(name: string, params: Record<string, unknown>): Resource {
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(execKind.fields)) if (field.default !== undefined) withDefaults[key] = field.default;
  const spec = { kind: 'exec', name, meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 't.yaml', line: 1 } };
  return execKind.create(spec, { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler });
}

const graphOf = (...rs: Resource[]): Graph => ({ name: 'g', vertices: new Map(rs.map((r) => [`exec[${r.name}]`, r])), edges: [] });

/** Our children running `sleep` that are not zombies: pid -> its command line. */
function sleeps(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(sleep)') && Number(ppid) === process.pid && state !== 'Z') {
        out.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const fdCount = (): number => readdirSync('/proc/self/fd').length;

async function until<T>(probe: () => T, ok: (v: T) => boolean, deadlineMs = 20_000): Promise<T> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const v = probe();
    if (ok(v) || performance.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('exec in the engine: nothing left behind', () => {
  it('100 swaps that remove an exec with a running watchcmd end each watchcmd; dispose ends a running cmd', async () => {
    const engine = new Engine({ scheduler: asyncScheduler, log: memoryLogger(), noop: false });
    // Warm-up: what Node opens once for child processes belongs to the baseline.
    engine.apply(graphOf(exec('warm', { cmd: 'true', watchcmd: 'sleep 1001' })));
    await until(() => [...sleeps().values()], (l) => l.includes('sleep 1001'));
    engine.apply(graphOf());
    await until(() => sleeps().size, (n) => n === 0);
    const baseline = await until(fdCount, () => true);

    for (let i = 0; i < 100; i++) {
      const arg = String(2000 + i); // each its own command line, to know which one runs
      engine.apply(graphOf(exec(`e${i}`, { cmd: 'true', watchcmd: `sleep ${arg}` })));
      const running = await until(() => [...sleeps().values()], (l) => l.includes(`sleep ${arg}`));
      expect(running, `watchcmd of e${i} started`).toContain(`sleep ${arg}`);
    }
    engine.apply(graphOf(exec('long', { cmd: 'sleep 3000' })));
    const started = await until(() => [...sleeps().values()], (l) => l.includes('sleep 3000'));
    // Only the last one's cmd still runs: every removed exec's watchcmd was ended by its swap.
    expect(started).toEqual(['sleep 3000']);
    engine.dispose();
    expect(await until(() => [...sleeps().values()], (l) => l.length === 0)).toEqual([]);
    expect(await until(fdCount, (n) => n <= baseline)).toBeLessThanOrEqual(baseline);
  }, 120_000);
});
