// Everything that watches a run, wired from the command line's flags: the recap (always) and
// the status line (on a terminal) read the vertices themselves; only the diff printer, the
// report, the metrics and the live page need the engine's events. With none of those flags the
// engine gets no event listener, so it makes no event objects and asks for no change reports.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunReport } from '../engine/runner.js';
import type { EngineEvent } from '../model/events.js';
import type { Engine } from '../engine/engine.js';
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
import { VertexTally } from './vertex-tally.js';

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
  private readonly tally = new VertexTally();
  /** Folded from the engine's events; only when a consumer of them is on. */
  readonly state?: RunState;
  /** The process start: the recap and the report count the time to load the graph too. */
  private readonly startedAt = new Date(Date.now() - process.uptime() * 1000);
  private readonly report?: ReportFile;
  private diffStyle?: DiffStyle;
  private readonly stdout: OutStream;
  private metrics?: Metrics;
  private server?: ObserveServer;

  private constructor(private readonly opts: ObserveOptions) {
    this.stdout = opts.stdout ?? process.stdout;
    if (opts.diff || opts.report || opts.prometheus) this.state = new RunState({ history: opts.prometheus ? 20 : 0 });
    if (opts.diff) {
      this.diffStyle = { colour: colourOn(this.stdout) };
      // `rxmgmt run --diff | head`: a closed pipe ends the diffs, not the run.
      (this.stdout as Partial<NodeJS.WriteStream>).on?.('error', (e: NodeJS.ErrnoException) => {
        if (this.diffStyle) opts.log.warn(`--diff: stdout closed (${e.code ?? e.message}); no more diffs`);
        this.diffStyle = undefined;
      });
    }
    if (opts.report) this.report = new ReportFile(opts.report, this.state!, { host: opts.host, noop: opts.noop, startedAt: this.startedAt }, opts.log);
  }

  /** Starts what needs starting (the listener); rejects when it cannot (port taken, say). */
  static async start(opts: ObserveOptions): Promise<Observers> {
    // A typo in --report's directory is said before anything is applied, not after the run.
    if (opts.report) {
      const dir = dirname(resolve(opts.report));
      if (!(await isDirectory(dir))) throw new Error(`--report: the directory ${dir} of ${opts.report} does not exist`);
    }
    const o = new Observers(opts);
    if (opts.prometheus) {
      // Loaded only with --prometheus: prom-client and the server cost nothing otherwise.
      const [{ Metrics }, { ObserveServer }, { isLoopback }] = await Promise.all([import('./metrics.js'), import('./http.js'), import('./listen-address.js')]);
      o.metrics = new Metrics(o.state!);
      o.server = new ObserveServer({ state: o.state!, metrics: o.metrics, host: opts.host, noop: opts.noop, log: opts.log });
      const at = await o.server.listen(opts.prometheus);
      const shown = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
      opts.log.info(`serving /metrics and the live graph page on http://${shown}/`);
      if (!isLoopback(at.host)) opts.log.warn(`--prometheus-listen ${shown} is not loopback: anyone who can reach it sees this host's state and diffs`);
    }
    return o;
  }

  /** The engine's listener, or undefined when no consumer needs events. */
  get events(): ((e: EngineEvent) => void) | undefined {
    return this.state ? this.onEvent : undefined;
  }

  /** A consumer that throws must not reach the engine (it calls this from its vertices). */
  private readonly onEvent = (e: EngineEvent): void => {
    try {
      this.consume(e);
    } catch (err) {
      if (!this.consumerFailed) this.opts.log.error(`observability: ${(err as Error).message} (further such errors are not logged)`);
      this.consumerFailed = true;
    }
  };

  private consumerFailed = false;

  private consume(e: EngineEvent): void {
    const state = this.state!;
    const before = state.records.get(e.key)?.state ?? 'pending';
    const rec = state.onEvent(e);
    if (this.diffStyle && e.type === 'run') {
      const text = formatRun(e, this.diffStyle);
      if (text) {
        this.opts.statusLine?.clear();
        this.stdout.write(text);
      }
    }
    this.metrics?.onEvent(e, before);
    this.server?.onEvent(e, rec);
  }

  /** Each graph, just before the engine applies it. */
  onGraph(graph: Graph, engine: Engine): void {
    this.tally.track(engine);
    this.opts.statusLine?.follow(() => this.tally.progress());
    this.state?.setGraph(graph);
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
    const summary = this.tally.summary();
    const input = { report, summary, noop: this.opts.noop, elapsedMs: Date.now() - this.startedAt.getTime() };
    recapLog.info(`recap: ${summaryLine(input)}`);
    for (const f of report.failed) recapLog.error(`failed: ${f}`);
    // The engine branch's --drain-timeout adds this to RunReport: a drain cut short is a failure.
    const timedOut = (report as { drainTimedOut?: string[] }).drainTimedOut;
    if (timedOut) recapLog.error(`the drain timed out; stopped while still running: ${timedOut.join(', ') || '(nothing: a hold was busy)'}`);
    const said = timedOut ? undefined : verdict(input);
    if (said) recapLog.info(said);
    const failed = report.failed.length > 0 || timedOut !== undefined;
    const changed = this.tally.anyChange || report.wouldChange.length > 0 || this.state?.anyChange === true;
    const code = this.opts.detailedExitcodes ? (changed ? 2 : 0) | (failed ? 4 : 0) : failed ? 1 : 0;
    this.report?.write({ reason: report.reason, exitCode: code });
    return code;
  }

  /** Waits for the report's writes and closes the listener. */
  async close(): Promise<void> {
    await this.report?.flushed();
    await this.server?.close();
  }
}

const isDirectory = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
