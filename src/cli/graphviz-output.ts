// --graphviz: write the graph as DOT, and render it to PNG when the filter binary exists.
import { spawn } from 'node:child_process';
import type { Graph } from '../graph/graph.js';
import { toDot } from '../graph/graphviz.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';

export const graphvizFilters = ['dot', 'neato', 'twopi', 'circo', 'fdp'] as const;
export type GraphvizFilter = (typeof graphvizFilters)[number];

export function graphvizWriter(file: string, filter: GraphvizFilter | undefined, log: Logger): (g: Graph) => void {
  let missingSaid = false;
  return (graph) => {
    void writeFileAtomic(file, toDot(graph))
      .then(() => {
        if (!filter) return;
        const child = spawn(filter, ['-Tpng', file, '-o', `${file}.png`], { stdio: 'ignore' });
        child.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') return log.warn(`graphviz: ${filter}: ${e.message}`);
          if (!missingSaid) log.warn(`graphviz: "${filter}" is not installed; wrote ${file} only (install graphviz to render it)`);
          missingSaid = true;
        });
        child.on('exit', (code) => code && log.warn(`graphviz: ${filter} exited with ${code}`));
      })
      .catch((e: Error) => log.error(`graphviz: cannot write ${file}: ${e.message}`));
  };
}

