// The library entry point: build graphs, run them, and plug in resource kinds.
export { Engine, type EngineOptions } from './engine/engine.js';
export { runGraphs, type GraphEvent, type RunOptions, type RunReport, type StopReason } from './engine/runner.js';
export { Vertex } from './engine/vertex.js';
export { buildGraph, GraphBuildError } from './graph/graph.js';
export type { Graph, GraphEdge } from './model/graph.js';
export { toDot } from './graph/graphviz.js';
export * from './model/spec.js';
export type * from './model/events.js';
export { Registry } from './model/registry.js';
export { builtinKinds, defaultRegistry } from './resources/registry.js';
export type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from './model/resource.js';
export { createLogger, memoryLogger, stderrSink, type Logger } from './util/logger.js';
