// --graphviz-filter's values, apart from the writer (graphviz-output.ts) so that parsing the
// command line does not load what writing and rendering need (child_process, atomic writes).
import { UsageError, parseChoice } from './options.js';

export const graphvizFilters = ['dot', 'neato', 'twopi', 'circo', 'fdp'] as const;
export type GraphvizFilter = (typeof graphvizFilters)[number];

/** `--graphviz-filter`'s value, checked: a filter renders the DOT file, so it needs `--graphviz`. */
export function parseGraphvizFilter(graphviz: string | undefined, filter: string | undefined): GraphvizFilter | undefined {
  if (filter === undefined) return undefined;
  if (graphviz === undefined) throw new UsageError('--graphviz-filter renders the DOT file of --graphviz FILE: give --graphviz too');
  return parseChoice('--graphviz-filter', filter, graphvizFilters);
}
