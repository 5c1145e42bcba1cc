// The library entry point: build graphs, run them, and plug in resource kinds.
export { Engine, type EngineOptions } from './engine/engine.js';
export { runGraphs, type GraphEvent, type RunOptions, type RunReport, type StopReason } from './engine/runner.js';
export { Vertex, type VertexState } from './engine/vertex.js';
export { buildGraph, GraphBuildError, type Graph, type GraphEdge } from './graph/graph.js';
export { toDot } from './graph/graphviz.js';
export * from './graph/spec.js';
export { Registry, builtinKinds, defaultRegistry } from './resources/registry.js';
export type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from './resources/resource.js';
export { createLogger, memoryLogger, stderrSink, type Logger } from './util/logger.js';
