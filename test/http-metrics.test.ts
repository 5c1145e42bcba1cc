// --prometheus on a real run: a real HTTP client scrapes /metrics and a Prometheus text parser
// reads it; mgmt's metric names, process metrics, repair latency and the converged gauge.
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { readIfExists, runCli, startCli, useSandbox, waitFor } from './helpers/cli.js';
import { moduleLog } from './helpers/module-log.js';
import { goodBadNoteGraph, servedAt } from './helpers/observe.js';

const box = useSandbox();

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; count?: string; buckets?: Record<string, string> }>;
}

const graph = () => goodBadNoteGraph(box, 'metrics');

async function scrape(base: string): Promise<Map<string, Family>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusTextFormat(await res.text()) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

const value = (f: Family | undefined, labels: Record<string, string> = {}) =>
  f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;

describe('run --prometheus', () => {
  it("serves mgmt's metrics, process metrics, repair latency and the converged state", async () => {
    const proc = startCli(['run', '-f', await graph(), '--prometheus', '--prometheus-listen', '127.0.0.1:0']);
    const base = await servedAt(proc);
    let m = new Map<string, Family>();
    await waitFor(async () => {
      m = await scrape(base);
      return value(m.get('rxmgmt_converged')) === '1';
    }, 'rxmgmt_converged 1 (every resource ran)', { context: () => proc.describe() });

    expect(m.get('mgmt_checkapply_total')?.type).toBe('COUNTER');
    expect(value(m.get('mgmt_checkapply_total'), { kind: 'file', apply: 'true', eventful: 'true', errorful: 'false' })).toBe('1');
    expect(value(m.get('mgmt_checkapply_total'), { kind: 'file', apply: 'true', eventful: 'false', errorful: 'true' })).toBe('1');
    expect(value(m.get('mgmt_checkapply_total'), { kind: 'msg', apply: 'true', eventful: 'true', errorful: 'false' })).toBe('1');
    expect(value(m.get('mgmt_resources'), { kind: 'file' })).toBe('2');
    expect(value(m.get('mgmt_resources'), { kind: 'msg' })).toBe('1');
    expect(value(m.get('mgmt_failures'), { kind: 'file', failure: 'hard' })).toBe('1');
    expect(value(m.get('mgmt_failures'), { kind: 'file', failure: 'soft' })).toBe('0');
    expect(value(m.get('mgmt_failures_total'), { kind: 'file', failure: 'hard' })).toBe('1');
    const started = Number(value(m.get('mgmt_graph_start_time_seconds')));
    expect(started).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(value(m.get('rxmgmt_resource_states'), { state: 'ok' })).toBe('2');
    expect(value(m.get('rxmgmt_resource_states'), { state: 'failed' })).toBe('1');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(m.has(name), `${name} should be exported`).toBe(true);
    }
    expect(m.get('rxmgmt_repair_latency_seconds')?.metrics[0]?.count).toBe('0');

    // Drift: the file is deleted, seen, and repaired: one repair observed.
    await rm(box.path('good'));
    await waitFor(async () => (await readIfExists(box.path('good'))) === 'good\n', 'the deleted file repaired', { context: () => proc.describe() });
    await waitFor(async () => (await scrape(base)).get('rxmgmt_repair_latency_seconds')?.metrics[0]?.count === '1', 'one repair in the histogram');
    m = await scrape(base);
    expect(value(m.get('mgmt_checkapply_total'), { kind: 'file', apply: 'true', eventful: 'true', errorful: 'false' })).toBe('2');
    const h = m.get('rxmgmt_repair_latency_seconds')!.metrics[0]!;
    expect(h.buckets?.['+Inf']).toBe('1');

    proc.signal('SIGTERM');
    expect((await proc.waitForExit()).code).toBe(1);
  });

  it('answers only loopback Host names on a loopback listener (no DNS rebinding)', async () => {
    const proc = startCli(['run', '--prometheus', '--prometheus-listen', '127.0.0.1:0']);
    const base = await servedAt(proc);
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${base}/metrics`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('evil.example:9233')).toBe(403);
    expect(await status('localhost:9233')).toBe(200);
    expect(await status(new URL(base).host)).toBe(200);
    proc.signal('SIGTERM');
    await proc.waitForExit();
  });

  it('refuses a bad address as a usage error, and a taken port with a clear error', async () => {
    const bad = await runCli(['run', '--prometheus', '--prometheus-listen', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--prometheus-listen: expected HOST:PORT');
    const first = startCli(['run', '--prometheus', '--prometheus-listen', '127.0.0.1:0']);
    const port = new URL(await servedAt(first)).port;
    const second = await runCli(['run', '--prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '-t', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/EADDRINUSE.*\nnothing was applied/);
  });

  it('loads neither prom-client nor the server without the flag', async () => {
    const log = await moduleLog(box.path('loaded.txt'), box.path('hook.mjs'));
    const { env } = log;
    const without = await runCli(['run', '-f', await graph(), '-t', '0', '--diff', '--report', box.path('r.json')], { env });
    expect(without.code, without.stderr).toBe(1);
    const loaded = await log.loaded();
    // The CLI is a bundle (scripts/build-cli.mjs): what `run` loads lazily is a chunk named after its module.
    expect(loaded.some((u) => /\/src\/cli\/chunks\/run-main-\w+\.js$/.test(u)), 'the hook should see the modules loaded').toBe(true);
    expect(loaded.filter((u) => /prom-client|\/chunks\/(metrics|http)-\w+\.js$/.test(u))).toEqual([]);

    await log.reset();
    const proc = startCli(['run', '-f', await graph(), '--prometheus', '--prometheus-listen', '127.0.0.1:0'], { env });
    await servedAt(proc);
    expect((await log.loaded()).some((u) => u.includes('prom-client'))).toBe(true);
  });
});
