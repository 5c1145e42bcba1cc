// mgmt-compatible YAML graph files -> GraphSpec. Every problem in a file is collected and
// thrown together as one GraphFileError; nothing from a bad file gets through.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { GraphSpec } from '../model/spec.js';
import { readCollect } from './collect.js';
import { readEdges } from './edges.js';
import { GraphFileError, ProblemLog } from './errors.js';
import { ResourceReader } from './resources.js';
import type { KindLookup } from './resources.js';
import { didYouMean, oneOf } from './suggest.js';
import { blockTree, kindsListed } from './block-tree.js';
import { type TreeResult, type YNode, parseTreeByEvents } from './tree.js';
import { firstInvalidUtf8, linePosition } from './utf8.js';
import { describe, entryOf, isAbsent, readNonEmptyString, readString } from './values.js';

export { kindsListed } from './block-tree.js';
export { GraphFileError } from './errors.js';
export type { Problem } from './errors.js';
export type { KindLookup } from './resources.js';

const topLevelKeys = ['graph', 'comment', 'resources', 'edges', 'collect'];

/** Top-level keys of mgmt's format that rxmgmt refuses, with what they do in mgmt. */
const mgmtOnlyTopLevel: Record<string, string> = {
  remote: 'runs the graph on another host over SSH',
};

/**
 * Parses and validates a graph file's text. `source` names the file in messages and in
 * the result. Throws GraphFileError listing every problem found.
 */
export function parseGraph(text: string, source: string, registry: KindLookup): GraphSpec {
  const { tree, log, resources } = readTree(text, source, registry);
  return graphFromTree(tree, log, resources);
}

/**
 * The tree of a graph file's text, with the log and the reader of its resources. A plain block
 * file is read line by line, its resources of loaded kinds as they come (block-tree.ts); any
 * other by js-yaml, with a fresh log and reader (what the line walk read is forgotten).
 */
function readTree(text: string, source: string, registry: KindLookup): { tree: TreeResult; log: ProblemLog; resources: ResourceReader } {
  const log = new ProblemLog(source);
  const resources = new ResourceReader(registry, log);
  const root = blockTree(text, (kind) => resources.list(kind));
  if (root !== undefined) return { tree: { ok: true, root }, log, resources };
  const fresh = new ProblemLog(source);
  return { tree: parseTreeByEvents(text, source), log: fresh, resources: new ResourceReader(registry, fresh) };
}

function graphFromTree(tree: TreeResult, log: ProblemLog, reader: ResourceReader): GraphSpec {
  const source = log.file;
  if (!tree.ok) log.fatal(tree.line, tree.message);
  const expectedRoot = `a mapping with top-level keys ${topLevelKeys.join(', ')}`;
  const top = tree.root;
  if (top === undefined) log.fatal(1, `the file has no graph in it; expected ${expectedRoot}`);
  if (top.kind !== 'map') log.fatal(top.line, `the document is ${describe(top)}; expected ${expectedRoot}`);

  for (const { key, line } of top.entries) {
    if (topLevelKeys.includes(key)) continue;
    const refused = Object.hasOwn(mgmtOnlyTopLevel, key) ? mgmtOnlyTopLevel[key] : undefined;
    if (refused) log.add(line, `top-level key "${key}" is not supported by rxmgmt (in mgmt it ${refused}); expected ${oneOf(topLevelKeys)}`);
    else log.add(line, `top-level key "${key}" is unknown${didYouMean(key, topLevelKeys)}; expected ${oneOf(topLevelKeys)}`);
  }

  let graph = '';
  const graphEntry = entryOf(top, 'graph');
  if (!graphEntry || isAbsent(graphEntry.value)) log.add(graphEntry?.line ?? top.line, 'top-level key "graph" is missing; expected the graph\'s name, a non-empty string');
  else {
    const r = readNonEmptyString(graphEntry.value);
    if (r.ok) graph = r.value;
    else log.add(graphEntry.line, `"graph" ${r.problem}`);
  }

  let comment = '';
  const commentEntry = entryOf(top, 'comment');
  if (commentEntry && !isAbsent(commentEntry.value)) {
    const r = readString(commentEntry.value);
    if (r.ok) comment = r.value;
    else log.add(commentEntry.line, `"comment" ${r.problem}`);
  }

  const resources = reader.section(entryOf(top, 'resources'));
  const edges = readEdges(entryOf(top, 'edges'), reader.defined, log);
  const collect = readCollect(entryOf(top, 'collect'), reader.registry, log);
  log.throwIfAny();
  return { graph, comment, resources, edges, collect, source };
}

/** Reads and parses a graph file; an unreadable file is a GraphFileError too. */
export async function loadGraphFile(path: string, registry: KindLookup): Promise<GraphSpec> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  const text = decodeUtf8(bytes, path);
  // Kinds loaded before the tree is read have their resources read with it (readTree); the
  // look at the lines only guesses them, and the kinds the tree names are loaded after it.
  if (registry.load) await registry.load(kindsListed(text));
  const { tree, log, resources } = readTree(text, path, registry);
  if (registry.load && tree.ok) await registry.load(kindsNamed(tree.root));
  return graphFromTree(tree, log, resources);
}

/** The kinds a graph names: its `resources:` keys and its `collect:` kinds (matched case-insensitively). */
function kindsNamed(top: YNode | undefined): string[] {
  if (top?.kind !== 'map') return [];
  const resources = entryOf(top, 'resources')?.value;
  const collect = entryOf(top, 'collect')?.value;
  const kinds = resources?.kind === 'map' ? resources.entries.map((e) => e.key) : [];
  for (const item of collect?.kind === 'seq' ? collect.items : []) {
    const kind = item.kind === 'map' ? entryOf(item, 'kind')?.value : undefined;
    if (kind?.kind === 'scalar' && typeof kind.value === 'string') kinds.push(kind.value.toLowerCase());
  }
  return kinds;
}

/** loadGraphFile, synchronously (for `rxmgmt/testing`, whose marble tests cannot wait). */
export function loadGraphFileSync(path: string, registry: KindLookup): GraphSpec {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  return parseGraph(decodeUtf8(bytes, path), path, registry);
}

function unreadable(path: string, err: unknown): GraphFileError {
  const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
  return new GraphFileError([{ file: path, line: 0, message: `cannot read the graph file: ${reason}; expected a readable YAML file` }]);
}

/** The text of a graph file; bytes that are not UTF-8 are a GraphFileError at their line and byte offset. */
export function decodeUtf8(bytes: Buffer, source: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const { line, column } = linePosition(bytes, bad);
    const hex = bytes.subarray(bad, bad + 4).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    throw new GraphFileError([
      { file: source, line, message: `the file is not valid UTF-8: byte offset ${bad} (column ${column}) starts "${hex}"; expected UTF-8 text (convert it with iconv -t UTF-8)` },
    ]);
  }
  return bytes.toString('utf8');
}
