// The body of `rxmgmt run`, loaded only when it runs so that `--version` and `--help` stay fast.
import { resolve } from 'node:path';
import { asyncScheduler, concat, EMPTY, lastValueFrom, of } from 'rxjs';
import { graphFileChanges, loadGraph } from '../engine/graph-file.js';
import { type GraphEvent, type RunReport, runGraphs } from '../engine/runner.js';
import { defaultRegistry } from '../resources/registry.js';
import type { ResourceEnv } from '../resources/resource.js';
import type { Logger } from '../util/logger.js';
import { type GraphvizFilter, graphvizWriter } from './graphviz-output.js';
import { stopSignals } from './signals.js';

export interface MainOptions {
  file?: string;
  watch: boolean;
  convergedTimeout: number;
  maxRuntime: number;
  sema: number;
  hostname: string;
  noop: boolean;
  graphviz?: string;
  graphvizFilter?: GraphvizFilter;
  log: Logger;
}

/** Runs until converged, max runtime or a signal; returns the exit code. */
export async function runMain(opts: MainOptions): Promise<number> {
  const { log } = opts;
  const registry = defaultRegistry();
  const env: ResourceEnv = { hostname: opts.hostname, log, scheduler: asyncScheduler };

  let graphs$ = EMPTY as ReturnType<typeof graphFileChanges>;
  if (opts.file) {
    let first;
    try {
      first = await loadGraph(opts.file, registry, env);
    } catch (e) {
      process.stderr.write(`rxmgmt: ${(e as Error).message}\nnothing was applied\n`);
      return 1;
    }
    log.info(`graph "${first.name}": ${first.vertices.size} resources, ${first.edges.length} edges`);
    const changes$ = opts.watch ? graphFileChanges(resolve(opts.file), registry, env) : EMPTY;
    graphs$ = concat(of<GraphEvent>({ kind: 'graph', graph: first }), changes$);
  }

  const stop$ = stopSignals(() => {
    process.stderr.write('rxmgmt: second SIGINT, aborting now\n');
    process.exit(130);
  });
  const onGraph = opts.graphviz ? graphvizWriter(opts.graphviz, opts.graphvizFilter, log) : undefined;
  const report = await lastValueFrom(
    runGraphs(graphs$, stop$, {
      scheduler: asyncScheduler,
      log,
      noop: opts.noop,
      convergedTimeout: opts.convergedTimeout,
      maxRuntime: opts.maxRuntime,
      sema: opts.sema,
      onGraph,
    }),
  );
  return exitCode(report, log);
}

function exitCode(report: RunReport, log: Logger): number {
  if (report.wouldChange.length > 0) log.info(`noop: would change ${report.wouldChange.join(', ')}`);
  else if (report.reason === 'converged') log.info('converged: everything is in its desired state');
  for (const f of report.failed) log.error(`failed: ${f}`);
  return report.failed.length > 0 ? 1 : 0;
}
