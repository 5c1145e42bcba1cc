// --graphviz: write the graph as DOT, and render it to PNG when the filter binary exists.
import { spawn } from 'node:child_process';
import type { Graph } from '../model/graph.js';
import { toDot } from '../graph/graphviz.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { Serial } from '../util/serial.js';
import { checkOutputDir } from './output-dir.js';
import type { GraphvizFilter } from './graphviz-filter.js';

export interface GraphvizWriter {
  /** Queues the graph to be written (and rendered) after the ones before it. */
  write(graph: Graph): void;
  /** Resolves when everything queued is written and rendered: await it before exiting. */
  flushed(): Promise<void>;
}

/** Rejects, naming the flag, when the DOT file (and its PNG beside it) could not be written. */
export function checkGraphvizTarget(file: string): Promise<void> {
  return checkOutputDir('--graphviz', file);
}

export function graphvizWriter(file: string, filter: GraphvizFilter | undefined, log: Logger): GraphvizWriter {
  let missingSaid = false;
  const writes = new Serial();

  const render = (): Promise<void> =>
    new Promise((done) => {
      const child = spawn(filter!, ['-Tpng', file, '-o', `${file}.png`], { stdio: 'ignore' });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') log.warn(`graphviz: ${filter}: ${e.message}`);
        else if (!missingSaid) log.warn(`graphviz: "${filter}" is not installed; wrote ${file} only (install graphviz to render it)`);
        missingSaid = true;
        done();
      });
      child.on('exit', (code) => {
        if (code) log.warn(`graphviz: ${filter} exited with ${code}`);
        done();
      });
    });

  return {
    write(graph) {
      const dot = toDot(graph);
      writes.run(
        async () => {
          await writeFileAtomic(file, dot);
          if (filter) await render();
        },
        (e) => log.error(`graphviz: cannot write ${file}: ${e.message}`),
      );
    },
    flushed: () => writes.flushed(),
  };
}
