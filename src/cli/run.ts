// `rxmgmt run`: apply a graph file and keep the machine in that state.
import { hostname } from 'node:os';
import { Command, Option } from 'clipanion';
import { EtcdClientCommand } from './etcd-options.js';
import { type Level, createLogger } from '../util/logger.js';
import { type ListenAddress, parseListen } from '../observe/listen-address.js';
import { stderrLogSink } from '../observe/log-sink.js';
import { StatusLine } from '../observe/status-line.js';
import { liveOn } from '../observe/tty.js';
import { graphvizFilters, parseGraphvizFilter } from './graphviz-filter.js';
import { UsageError, parseChoice, parseCount, parseSeconds, parseSeeds } from './options.js';

export class RunCommand extends EtcdClientCommand {
  static override paths = [['run']];

  static override usage = Command.Usage({
    description: 'apply a graph and keep the machine in that state',
    details: `
      Reads an mgmt-compatible YAML graph, applies every resource (in parallel where no edge
      orders them), watches each one and repairs drift the moment it happens. The graph file
      itself is watched: saving a new version swaps the running graph, keeping unchanged
      resources untouched. Logs go to stderr.

      Exits 0 after \`--converged-timeout\` seconds of everything being idle, after
      \`--max-runtime\`, or on SIGINT/SIGTERM (after in-flight work finishes; a second SIGINT
      aborts at once). Exits 1 if the graph file is bad at start-up or a resource ended failed;
      with \`--detailed-exitcodes\`, 0 nothing changed, 2 changes, 4 failures, 6 both. Every run
      ends with a recap: ok, changed, failed and skipped resources, each failure with its error.
      SIGHUP re-reads the graph file.
    `,
    examples: [
      ['Apply a graph, exit one second after convergence', '$0 run --file examples/hello.yaml --converged-timeout=1'],
      ['Keep a graph applied until interrupted', '$0 run -f examples/chain.yaml'],
      ['Report what would change, change nothing', '$0 run -f site.yaml --noop -t 0'],
      ['Join an etcd cluster as host web1', '$0 run -f site.yaml --seeds http://127.0.0.1:2379 --hostname web1'],
      ['Write the graph as Graphviz DOT (and PNG if graphviz is installed)', '$0 run -f site.yaml --graphviz graph.dot -t 0'],
      ['In CI: show what would change as diffs, exit 2 if anything would', '$0 run -f site.yaml --noop --diff --detailed-exitcodes -t 0'],
      ['Serve metrics and the live graph page on http://127.0.0.1:9233/', '$0 run -f site.yaml --prometheus'],
    ],
  });

  file = Option.String('-f,--file', { description: 'the YAML graph file to apply (none: run an empty graph)' });
  noWatch = Option.Boolean('--no-watch', false, { description: 'do not reload the graph file when it changes' });
  convergedTimeout = Option.String('-t,--converged-timeout', '-1', {
    description: 'exit after this many seconds of everything idle (-1: never; 0 allowed)',
  });
  convergedNoExit = Option.Boolean('--converged-timeout-no-exit', false, {
    description: 'do not exit when converged; with --converged-status-file, just record the state',
  });
  convergedStatusFile = Option.String('--converged-status-file', {
    description: 'write "true" or "false" to this file whenever the converged state changes',
  });
  seeds = Option.String('--seeds', {
    description: 'comma-separated etcd client URLs to join (default: the embedded single-host World)',
  });
  exportTtl = Option.String('--export-ttl', '0', {
    description: 'stop collecting the exports of a host not seen for this many seconds (0: never)',
  });
  etcdStart = Option.Boolean('--etcd-start', false, {
    description: 'start and supervise a local etcd member (and join it unless --seeds says otherwise)',
  });
  etcdClientUrl = Option.String('--etcd-client-url', 'http://127.0.0.1:2379', { description: 'with --etcd-start: the member\'s client URL' });
  etcdPeerUrl = Option.String('--etcd-peer-url', 'http://127.0.0.1:2380', { description: 'with --etcd-start: the member\'s peer URL' });
  etcdInitialCluster = Option.String('--etcd-initial-cluster', {
    description: 'with --etcd-start: name=peer-url,... of every member of a new cluster (default: this one alone)',
  });
  stateDir = Option.String('--state-dir', '/var/lib/rxmgmt', { description: 'where --etcd-start keeps the member\'s data (STATE_DIR/etcd/)' });
  maxRuntime = Option.String('--max-runtime', '0', { description: 'exit after this many seconds (0: no limit)' });
  hostname = Option.String('--hostname', { description: 'the name of this host (default: the OS hostname)' });
  noop = Option.Boolean('--noop', false, { description: 'check everything, change nothing, report what would change' });
  graphviz = Option.String('--graphviz', { description: 'write the graph to this file as Graphviz DOT' });
  graphvizFilter = Option.String('--graphviz-filter', {
    description: `render the DOT file to FILE.png with this graphviz program (${graphvizFilters.join('|')})`,
  });
  sema = Option.String('--sema', '0', { description: 'at most N CheckApply at once across the graph (0: no bound; 1: serial)' });
  backoffMax = Option.String('--backoff-max', '30', { description: 'longest wait, in seconds, before a failed resource runs again on its next event' });
  drainTimeout = Option.String('--drain-timeout', '30', { description: 'seconds the exit may wait for runs in flight; then they are stopped and rxmgmt exits 1' });
  logLevel = Option.String('--log-level', 'info', { description: 'debug|info|warn|error' });

  // Observability (src/observe, docs/observability.md).
  diff = Option.Boolean('--diff', false, { description: 'print each change made (or, with --noop, that would be made) on stdout, content as a unified diff' });
  report = Option.String('--report', { description: 'write a JSON report of the run to this file at exit (and on each converged state)' });
  detailedExitcodes = Option.Boolean('--detailed-exitcodes', false, {
    description: "Puppet's exit codes: 0 nothing changed, 2 changes (or would-change in noop), 4 failures, 6 both",
  });
  logTimestamps = Option.Boolean('--log-timestamps', false, { description: 'prefix each log line with its time (ISO 8601, UTC)' });
  prometheus = Option.Boolean('--prometheus', false, { description: 'serve /metrics, the live graph page and /api/state' });
  prometheusListen = Option.String('--prometheus-listen', '127.0.0.1:9233', { description: 'the address --prometheus listens on (HOST:PORT)' });

  async execute(): Promise<number> {
    try {
      const observe = this.observeOptions();
      const { runMain } = await import('./run-main.js');
      return await runMain({
        file: this.file,
        watch: !this.noWatch,
        convergedTimeout: parseSeconds('--converged-timeout', this.convergedTimeout, -1),
        convergedNoExit: this.convergedNoExit,
        convergedStatusFile: this.convergedStatusFile,
        seeds: parseSeeds(this.seeds),
        etcdSecurity: await this.etcdSecurity(),
        etcdStart: this.etcdStart
          ? { clientUrl: parseSeeds(this.etcdClientUrl)[0], peerUrl: parseSeeds(this.etcdPeerUrl)[0], initialCluster: this.etcdInitialCluster, stateDir: this.stateDir }
          : undefined,
        maxRuntime: parseSeconds('--max-runtime', this.maxRuntime, 0),
        exportTtl: parseSeconds('--export-ttl', this.exportTtl, 0),
        sema: parseCount('--sema', this.sema),
        backoffMax: parseSeconds('--backoff-max', this.backoffMax, 0),
        drainTimeout: parseSeconds('--drain-timeout', this.drainTimeout, 0),
        hostname: this.hostname === undefined ? hostname() : parseHostname(this.hostname),
        noop: this.noop,
        graphviz: this.graphviz,
        graphvizFilter: parseGraphvizFilter(this.graphviz, this.graphvizFilter),
        log: createLogger(observe.sink, parseChoice<Level>('--log-level', this.logLevel, ['debug', 'info', 'warn', 'error'])),
        observe: {
          recapLog: createLogger(observe.sink, 'info'),
          diff: this.diff,
          report: this.report,
          detailedExitcodes: this.detailedExitcodes,
          prometheus: observe.prometheus,
          statusLine: observe.statusLine,
        },
      });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      this.context.stderr.write(`rxmgmt run: ${e.message}\n`);
      return 2;
    }
  }

  /** The log sink (timestamps, the status line kept clear of log lines) and the --prometheus address. */
  private observeOptions() {
    const stderr = process.stderr;
    const statusLine = liveOn(stderr) ? new StatusLine(stderr) : undefined;
    const sink = stderrLogSink({ timestamps: this.logTimestamps, before: statusLine && (() => statusLine.clear()) });
    let prometheus: ListenAddress | undefined;
    if (this.prometheus) {
      try {
        prometheus = parseListen(this.prometheusListen);
      } catch (e) {
        throw new UsageError(`--prometheus-listen: ${(e as Error).message}`);
      }
    }
    return { sink, statusLine, prometheus };
  }
}

/** `--hostname`: this host's name in the World (its etcd keys, its exports), so never empty or a path. */
function parseHostname(value: string): string {
  if (value.trim() === '' || /[\s/]/.test(value)) {
    throw new UsageError(`--hostname: expected a host name (no spaces or "/"), got "${value}"`);
  }
  return value;
}
