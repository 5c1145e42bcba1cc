// The graph as Graphviz DOT text: vertices labelled kind[name], auto edges dashed, notify bold.
import type { Graph } from '../model/graph.js';

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(graph: Graph): string {
  const lines = [`digraph ${quote(graph.name)} {`, '  label=' + quote(graph.name) + ';'];
  for (const key of graph.vertices.keys()) lines.push(`  ${quote(key)};`);
  for (const e of graph.edges) {
    const attrs = [e.auto ? 'style=dashed' : '', e.notify ? 'style=bold, label="notify"' : ''].filter(Boolean);
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
