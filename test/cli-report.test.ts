// --report FILE on real runs: the JSON written at exit, and on each converged state while
// running under --converged-timeout-no-exit.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readIfExists, runCli, startCli, useSandbox } from './helpers/cli.js';
import { goodBadNoteGraph } from './helpers/observe.js';

const box = useSandbox();

const graph = () => goodBadNoteGraph(box, 'reported');

const readReport = async (path: string) => JSON.parse(await readFile(path, 'utf8'));

describe('run --report', () => {
  it('writes each resource with its state, outcome, runs, durations, changes and last error at exit', async () => {
    const out = box.path('report.json');
    const res = await runCli(['run', '-f', await graph(), '-t', '0', '--report', out, '--hostname', 'h1']);
    expect(res.code, res.stderr).toBe(1);
    const r = await readReport(out);
    expect(r).toMatchObject({
      version: 1,
      host: 'h1',
      graph: 'reported',
      noop: false,
      finished: { reason: 'converged', exitCode: 1 },
      summary: { ok: 0, changed: 2, failed: 1, skipped: 0, resources: 3 },
    });
    expect(new Date(r.startedAt).getTime()).toBeLessThanOrEqual(new Date(r.writtenAt).getTime());
    const byName = Object.fromEntries(r.resources.map((x: { kind: string; name: string }) => [`${x.kind}[${x.name}]`, x]));
    expect(Object.keys(byName).sort()).toEqual(['file[bad]', 'file[good]', 'msg[note]']);
    expect(byName['file[bad]']).toMatchObject({ state: 'failed', outcome: 'failed', checkApplies: 1, lastResult: 'failed', lastError: expect.stringContaining('ENOTDIR') });
    expect(byName['file[good]']).toMatchObject({ state: 'ok', outcome: 'changed', checkApplies: 1, changedRuns: 1, lastError: null, pending: [] });
    expect(byName['msg[note]']).toMatchObject({ outcome: 'changed', changes: [{ field: 'log', to: 'hello' }] });
    for (const x of r.resources) expect(x.durationMs).toEqual({ total: expect.any(Number), last: expect.any(Number), max: expect.any(Number) });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('lists pending changes under --noop', async () => {
    const out = box.path('report.json');
    const res = await runCli(['run', '-f', await graph(), '-t', '0', '--noop', '--report', out]);
    expect(res.code, res.stderr).toBe(0);
    const r = await readReport(out);
    expect(r.noop).toBe(true);
    const note = r.resources.find((x: { name: string }) => x.name === 'note');
    expect(note).toMatchObject({ outcome: 'changed', lastResult: 'would-change', pending: [{ field: 'log', to: 'hello' }], changes: [] });
  });

  it('under --converged-timeout-no-exit writes it on each converged state, and again at exit', async () => {
    const out = box.path('report.json');
    const proc = startCli(['run', '-f', await graph(), '-t', '0', '--converged-timeout-no-exit', '--report', out]);
    await proc.waitFor(async () => (await readIfExists(out)) !== undefined, 'the report written on convergence');
    const running = await readReport(out);
    expect(running).toMatchObject({ finished: null, converged: true, summary: { changed: 2, failed: 1 } });
    proc.signal('SIGTERM');
    const res = await proc.waitForExit();
    expect(res.code, res.stderr).toBe(1);
    expect(await readReport(out)).toMatchObject({ finished: { reason: 'signal', exitCode: 1 }, converged: null });
  });

  it('refuses a report in a directory that does not exist before applying anything', async () => {
    const res = await runCli(['run', '-f', await graph(), '-t', '0', '--report', box.path('no-such-dir', 'r.json')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`rxmgmt: --report: the directory ${box.path('no-such-dir')} of ${box.path('no-such-dir', 'r.json')} does not exist\nnothing was applied`);
    expect(await readIfExists(box.path('good'))).toBeUndefined();
  });

  it('names the file when a write fails during the run, and keeps the run\'s exit code', async () => {
    // The directory goes away during the run (root may write anywhere, so a read-only one would not do).
    const dir = box.path('reports');
    await mkdir(dir);
    const out = `${dir}/r.json`;
    const proc = startCli(['run', '-f', await graph(), '-t', '0', '--converged-timeout-no-exit', '--report', out]);
    await proc.waitFor(async () => (await readIfExists(out)) !== undefined, 'the first report');
    await rm(dir, { recursive: true });
    proc.signal('SIGTERM');
    const res = await proc.waitForExit();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--report: cannot write .*reports\/r\.json/);
  });
});
