// The --prometheus listener: /metrics, the live graph page (/), its state (/api/state, one
// resource at /api/resource?key=...) and its live feed (/events, server-sent events).
// Read only. Bound to loopback by default; while bound there it answers only requests whose
// Host is a loopback name, so a web page elsewhere cannot read it through DNS rebinding.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { EngineEvent } from '../model/events.js';
import type { Logger } from '../util/logger.js';
import type { Metrics } from './metrics.js';
import { type ListenAddress, isLoopback } from './listen-address.js';
import { graphPage } from './page.js';
import { type ResourceRecord, type RunState, outcome } from './run-state.js';

/** The host part of a Host header (`[::1]:9233` -> `::1`). */
function hostOf(header: string | undefined): string {
  if (!header) return '';
  const m = /^\[([^\]]+)\]|^([^:]+)/.exec(header);
  return (m?.[1] ?? m?.[2] ?? '').toLowerCase();
}

const FLUSH_MS = 50;

export interface ObserveServerOptions {
  state: RunState;
  metrics: Metrics;
  host: string;
  noop: boolean;
  log: Logger;
}

export class ObserveServer {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private readonly pending = new Map<string, unknown>();
  private flushTimer?: NodeJS.Timeout;
  private loopbackOnly = true;

  constructor(private readonly opts: ObserveServerOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
    // A client that resets its connection is its own problem, never the run's.
    this.server.on('clientError', (_e, socket) => socket.destroy());
  }

  listen(addr: ListenAddress): Promise<ListenAddress> {
    this.loopbackOnly = isLoopback(addr.host);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(addr.port, addr.host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve({ host: addr.host, port: typeof a === 'object' && a ? a.port : addr.port });
      });
    });
  }

  /**
   * A state change or a finished run, to every page that listens: the latest of each resource,
   * sent in one `resources` message at most every 50 ms, so a big first convergence does not
   * flood the browser with one message per event.
   */
  onEvent(e: EngineEvent, rec: ResourceRecord): void {
    if (this.clients.size === 0) return;
    this.pending.set(e.key, { key: e.key, state: rec.state, outcome: outcome(rec), lastError: rec.lastError ?? null });
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.send('resources', batch);
  }

  onGraph(): void {
    this.flush();
    this.send('graph', {});
  }

  private send(event: string, data: unknown): void {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(chunk);
  }

  close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const c of this.clients) c.end();
    this.clients.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (this.loopbackOnly && !isLoopback(hostOf(req.headers.host))) return text(res, 403, 'only loopback Host names are answered on a loopback listener\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'read only\n');
    const url = new URL(req.url ?? '/', 'http://localhost');
    switch (url.pathname) {
      case '/metrics':
        return void this.metrics(res);
      case '/':
        res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
        return body(res, 200, 'text/html; charset=utf-8', graphPage());
      case '/api/state':
        return json(res, 200, this.snapshot());
      case '/api/resource': {
        const rec = this.opts.state.records.get(url.searchParams.get('key') ?? '');
        return rec ? json(res, 200, detail(rec)) : json(res, 404, { error: `no resource ${url.searchParams.get('key')}` });
      }
      case '/events':
        return this.subscribe(req, res);
      default:
        return text(res, 404, 'not found: try /, /metrics, /api/state or /events\n');
    }
  }

  private async metrics(res: ServerResponse): Promise<void> {
    try {
      const out = await this.opts.metrics.registry.metrics();
      body(res, 200, this.opts.metrics.registry.contentType, out);
    } catch (e) {
      text(res, 500, `metrics: ${(e as Error).message}\n`);
    }
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': rxmgmt\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    res.on('error', () => this.clients.delete(res)); // a page gone mid-write: just stop sending
  }

  private snapshot() {
    const { state } = this.opts;
    const g = state.graph;
    return {
      host: this.opts.host,
      graph: g?.name ?? null,
      noop: this.opts.noop,
      summary: state.summary(),
      resources: state.current().map((r) => ({
        key: r.key,
        kind: r.kind,
        name: r.name,
        state: r.state,
        outcome: outcome(r),
        checkApplies: r.runs,
        lastResult: r.lastResult ?? null,
        lastError: r.lastError ?? null,
      })),
      edges: g ? g.edges.map((e) => ({ from: e.from, to: e.to, notify: e.notify, auto: e.auto })) : [],
    };
  }
}

function detail(r: ResourceRecord) {
  return {
    key: r.key,
    kind: r.kind,
    name: r.name,
    state: r.state,
    outcome: outcome(r),
    checkApplies: r.runs,
    durationMs: { total: r.totalMs, last: r.lastMs, max: r.maxMs },
    lastResult: r.lastResult ?? null,
    lastError: r.lastError ?? null,
    changes: r.changes,
    pending: r.pending,
    recent: r.recent ?? [],
  };
}

function body(res: ServerResponse, status: number, type: string, payload: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}
const text = (res: ServerResponse, status: number, s: string) => body(res, status, 'text/plain; charset=utf-8', s);
const json = (res: ServerResponse, status: number, v: unknown) => body(res, status, 'application/json', JSON.stringify(v));
