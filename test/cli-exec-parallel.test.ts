// mgmt's parallelism scenarios with real processes (sleeps shortened to 1 s): graph-fanin-1,
// t5, t5b and sema-1. Each exec logs when it starts and ends; the tests assert the ORDER and
// OVERLAP of those intervals (what ran in parallel, what waited), never a wall-clock limit.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

interface Exec {
  name: string;
  seconds?: number;
  sema?: string[];
}

/** A graph of execs that each append "start NAME t" and "end NAME t" to `log`. */
function execGraph(log: string, execs: Exec[], edges: Array<[string, string]>): string {
  return lines(
    'graph: parallel',
    'resources:',
    '  exec:',
    ...execs.flatMap((e) => [
      `    - name: ${e.name}`,
      `      cmd: echo start ${e.name} $(date +%s.%N) >> ${log}; sleep ${e.seconds ?? 1}; echo end ${e.name} $(date +%s.%N) >> ${log}`,
      '      shell: /bin/sh',
      ...(e.sema ? [`      meta: {sema: [${e.sema.map((s) => `"${s}"`).join(', ')}]}`] : []),
    ]),
    'edges:',
    ...edges.map(([from, to]) => `  - {name: ${from}-${to}, from: {kind: exec, name: ${from}}, to: {kind: exec, name: ${to}}}`),
  );
}

type Intervals = Map<string, { start: number; end: number }>;

async function intervals(log: string): Promise<Intervals> {
  const out: Intervals = new Map();
  for (const line of (await readFile(log, 'utf8')).trim().split('\n')) {
    const [what, name, t] = line.split(' ') as ['start' | 'end', string, string];
    const iv = out.get(name) ?? { start: NaN, end: NaN };
    iv[what] = Number(t);
    out.set(name, iv);
  }
  return out;
}

const overlap = (iv: Intervals, a: string, b: string) => iv.get(a)!.start < iv.get(b)!.end && iv.get(b)!.start < iv.get(a)!.end;
const after = (iv: Intervals, child: string, ...parents: string[]) => parents.every((p) => iv.get(child)!.start >= iv.get(p)!.end);
/** The most execs running at one instant. */
function maxConcurrent(iv: Intervals): number {
  const events = [...iv.values()].flatMap((i) => [[i.start, 1] as const, [i.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d));
  return max;
}

async function run(execs: Exec[], edges: Array<[string, string]>, ...flags: string[]) {
  const log = box.path('runs.log');
  const yaml = box.path('graph.yaml');
  await writeFile(yaml, execGraph(log, execs, edges));
  const result = await runCli(['run', '-f', yaml, '--converged-timeout=1', '--no-watch', ...flags], { timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  return intervals(log);
}

describe('exec parallelism', () => {
  it('graph-fanin-1: exec1..3 and exec4 run together; exec5 waits only for exec1..3', async () => {
    const execs = ['exec1', 'exec2', 'exec3', 'exec4', 'exec5'].map((name) => ({ name }));
    const iv = await run(execs, [['exec1', 'exec5'], ['exec2', 'exec5'], ['exec3', 'exec5']]);
    expect(overlap(iv, 'exec1', 'exec2') && overlap(iv, 'exec2', 'exec3') && overlap(iv, 'exec1', 'exec4')).toBe(true);
    expect(after(iv, 'exec5', 'exec1', 'exec2', 'exec3')).toBe(true);
    // The critical path is two sleeps, not five: exec5 overlaps nothing but starts right after.
    expect(maxConcurrent(iv)).toBe(4);
    expect(iv.size).toBe(5);
  });

  it('t5: fan-in to exec4 then fan-out, with a longer independent exec8', async () => {
    const execs = [...['exec1', 'exec2', 'exec3', 'exec4', 'exec5', 'exec6', 'exec7'].map((name) => ({ name })), { name: 'exec8', seconds: 1.5 }];
    const edges: Array<[string, string]> = [['exec1', 'exec4'], ['exec2', 'exec4'], ['exec3', 'exec4'], ['exec4', 'exec5'], ['exec4', 'exec6'], ['exec4', 'exec7']];
    const iv = await run(execs, edges);
    expect(after(iv, 'exec4', 'exec1', 'exec2', 'exec3')).toBe(true);
    expect(after(iv, 'exec5', 'exec4') && after(iv, 'exec6', 'exec4') && after(iv, 'exec7', 'exec4')).toBe(true);
    expect(overlap(iv, 'exec5', 'exec6') && overlap(iv, 'exec6', 'exec7')).toBe(true);
    expect(overlap(iv, 'exec8', 'exec1')).toBe(true);
  });

  it('t5b: two roots into exec3, then exec4 and exec5 together', async () => {
    const execs = ['exec1', 'exec2', 'exec3', 'exec4', 'exec5'].map((name) => ({ name }));
    const iv = await run(execs, [['exec1', 'exec3'], ['exec2', 'exec3'], ['exec3', 'exec4'], ['exec3', 'exec5']]);
    expect(overlap(iv, 'exec1', 'exec2')).toBe(true);
    expect(after(iv, 'exec3', 'exec1', 'exec2') && after(iv, 'exec4', 'exec3') && after(iv, 'exec5', 'exec3')).toBe(true);
    expect(overlap(iv, 'exec4', 'exec5')).toBe(true);
  });

  it('sema-1: --sema 2 never runs more than two at once, and does run two', async () => {
    const execs = ['exec1', 'exec2', 'exec3', 'exec4'].map((name) => ({ name, seconds: 0.5 }));
    const iv = await run(execs, [], '--sema', '2');
    expect(maxConcurrent(iv)).toBe(2);
  });

  it('sema-1: meta sema lock:1 serialises exactly the execs that name it', async () => {
    const execs = [
      { name: 'a', seconds: 0.5, sema: ['lock:1'] },
      { name: 'b', seconds: 0.5, sema: ['lock:1'] },
      { name: 'c', seconds: 0.5, sema: ['lock:1'] },
      { name: 'free', seconds: 1.2 },
    ];
    const iv = await run(execs, []);
    expect(overlap(iv, 'a', 'b') || overlap(iv, 'b', 'c') || overlap(iv, 'a', 'c')).toBe(false);
    // free is not held back by the lock: it runs alongside the first two holders, whichever they are.
    expect(['a', 'b', 'c'].filter((x) => overlap(iv, 'free', x)).length).toBeGreaterThanOrEqual(2);
  });
});

describe('a failing exec', () => {
  it('retry 2, delay 100: runs 3 times, is reported failed, and the process still exits (non-zero)', async () => {
    const count = box.path('count');
    const yaml = box.path('fail.yaml');
    await writeFile(
      yaml,
      lines(
        'graph: failing',
        'resources:',
        '  exec:',
        '    - name: doomed',
        `      cmd: echo attempt >> ${count}; echo broken >&2; exit 3`,
        '      shell: /bin/sh',
        '      meta: {retry: 2, delay: 100}',
        '  file:',
        '    - name: fine',
        `      path: ${box.path('fine')}`,
        '      content: "unaffected\\n"',
      ),
    );
    const result = await runCli(['run', '-f', yaml, '--converged-timeout=1'], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect((await readFile(count, 'utf8')).trim().split('\n')).toHaveLength(3);
    expect(result.stderr).toMatch(/failed: exec\[doomed\]: .*3/);
    expect(await readFile(box.path('fine'), 'utf8')).toBe('unaffected\n');
  });
});
