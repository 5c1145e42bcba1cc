// A built graph as the engine runs it: resources by key, in topological order, and edges.
import type { Resource } from './resource.js';

export interface GraphEdge {
  from: string; // vertex key, kind[name]
  to: string;
  notify: boolean;
  /** Added by autoedges rather than written in the graph file. */
  auto: boolean;
}

export interface Graph {
  name: string;
  /** Vertices by key (`kind[name]`), in a topological order. */
  vertices: Map<string, Resource>;
  edges: GraphEdge[];
}
