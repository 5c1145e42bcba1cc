// Everything that watches a run, wired from the command line's flags: the recap (always), and
// only when asked the diff printer, the report, the metrics and the live page, the status line.
// With none of those flags the engine is given one cheap listener (the recap's).
import type { RunReport } from '../engine/runner.js';
import type { EngineEvent } from '../model/events.js';
import type { Graph } from '../model/graph.js';
import type { Logger } from '../util/logger.js';
import { type DiffStyle, formatRun } from './diff-printer.js';
import type { ObserveServer } from './http.js';
import type { ListenAddress } from './listen-address.js';
import type { Metrics } from './metrics.js';
import { summaryLine, verdict } from './recap.js';
import { ReportFile } from './report.js';
import { RunState } from './run-state.js';
import type { StatusLine } from './status-line.js';
import { type OutStream, colourOn } from './tty.js';

export interface ObserveOptions {
  host: string;
  noop: boolean;
  log: Logger;
  /** `--diff`: print each change on stdout. */
  diff?: boolean;
  /** `--report FILE`. */
  report?: string;
  /** `--detailed-exitcodes`. */
  detailedExitcodes?: boolean;
  /** `--prometheus` (with `--prometheus-listen`). */
  prometheus?: ListenAddress;
  /** The terminal's status line, when stderr is one. */
  statusLine?: StatusLine;
  stdout?: OutStream;
}

export class Observers {
  readonly state: RunState;
  /** The process start: the recap and the report count the time to load the graph too. */
  private readonly startedAt = new Date(Date.now() - process.uptime() * 1000);
  private readonly report?: ReportFile;
  private readonly diffStyle?: DiffStyle;
  private readonly stdout: OutStream;
  private metrics?: Metrics;
  private server?: ObserveServer;

  private constructor(private readonly opts: ObserveOptions) {
    this.state = new RunState({ history: opts.prometheus ? 20 : 0 });
    this.stdout = opts.stdout ?? process.stdout;
    if (opts.diff) this.diffStyle = { colour: colourOn(this.stdout) };
    if (opts.report) this.report = new ReportFile(opts.report, this.state, { host: opts.host, noop: opts.noop, startedAt: this.startedAt }, opts.log);
  }

  /** Starts what needs starting (the listener); rejects when it cannot (port taken, say). */
  static async start(opts: ObserveOptions): Promise<Observers> {
    const o = new Observers(opts);
    if (opts.prometheus) {
      // Loaded only with --prometheus: prom-client and the server cost nothing otherwise.
      const [{ Metrics }, { ObserveServer }, { isLoopback }] = await Promise.all([import('./metrics.js'), import('./http.js'), import('./listen-address.js')]);
      o.metrics = new Metrics(o.state);
      o.server = new ObserveServer({ state: o.state, metrics: o.metrics, host: opts.host, noop: opts.noop, log: opts.log });
      const at = await o.server.listen(opts.prometheus);
      const shown = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
      opts.log.info(`serving /metrics and the live graph page on http://${shown}/`);
      if (!isLoopback(at.host)) opts.log.warn(`--prometheus-listen ${shown} is not loopback: anyone who can reach it sees this host's state and diffs`);
    }
    return o;
  }

  /** The engine's listener. */
  readonly events = (e: EngineEvent): void => {
    const rec0 = this.state.records.get(e.key);
    const before = rec0?.state ?? 'pending';
    const firstRun = e.type === 'run' && (rec0?.runs ?? 0) === 0;
    const rec = this.state.onEvent(e);
    if (this.opts.statusLine) {
      const failedDelta = (rec.state === 'failed' ? 1 : 0) - (before === 'failed' ? 1 : 0);
      if (firstRun || failedDelta !== 0) this.opts.statusLine.update(firstRun, failedDelta);
    }
    if (this.diffStyle && e.type === 'run') {
      const text = formatRun(e, this.diffStyle);
      if (text) {
        this.opts.statusLine?.clear();
        this.stdout.write(text);
      }
    }
    this.metrics?.onEvent(e, before);
    this.server?.onEvent(e, rec);
  };

  onGraph(graph: Graph): void {
    this.state.setGraph(graph);
    this.opts.statusLine?.setTotal(graph.vertices.size);
    this.metrics?.onGraph(graph);
    this.server?.onGraph();
  }

  /** Only told when there is a converged timeout (`-t`). */
  onConvergedState(converged: boolean): void {
    this.metrics?.onConvergedState(converged);
    if (converged) this.report?.write(undefined, true);
  }

  /** Whether `onConvergedState` has a use (so the caller may leave it unset otherwise). */
  get wantsConvergedState(): boolean {
    return !!(this.metrics || this.report);
  }

  /**
   * The end of the run: the recap on stderr (through `recapLog`, which is not subject to
   * --log-level), the report written, and the exit code.
   */
  finish(report: RunReport, recapLog: Logger): number {
    this.opts.statusLine?.stop();
    const summary = this.state.summary();
    const input = { report, summary, noop: this.opts.noop, elapsedMs: Date.now() - this.startedAt.getTime() };
    const failedKeys = new Set(report.failed.map((f) => f.slice(0, f.indexOf(': '))));
    // Failed resources the engine did not list at the end (failed, then drained) still say why.
    const failures = [...report.failed];
    for (const r of this.state.current()) {
      if (r.lastResult === 'failed' && !failedKeys.has(r.key)) failures.push(`${r.key}: ${r.lastError}`);
    }
    recapLog.info(`recap: ${summaryLine(input)}`);
    for (const f of failures) recapLog.error(`failed: ${f}`);
    const said = verdict(input);
    if (said) recapLog.info(said);
    const failed = failures.length > 0;
    const code = this.opts.detailedExitcodes ? (this.state.anyChange ? 2 : 0) | (failed ? 4 : 0) : failed ? 1 : 0;
    this.report?.write({ reason: report.reason, exitCode: code });
    return code;
  }

  /** Waits for the report's writes and closes the listener. */
  async close(): Promise<void> {
    await this.report?.flushed();
    await this.server?.close();
  }
}
