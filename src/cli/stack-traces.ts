// Stack traces that name the src/ files the bundle was built from. Node's own source-map support
// (--enable-source-maps) reads and indexes the map of every module as it loads, 10-15 ms of each
// start here; this reads a file's map only when a stack that passes through it is formatted, and
// decodes it only for a frame on a line the map covers (the build keeps no mappings for library
// code: scripts/library-maps.mjs).
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Frames in files under `dir` (a file: URL ending in /) are shown at their place in the sources. */
export function mapStackTraces(dir: URL): void {
  const maps = new Map<string, LazyMap | undefined>();
  const mapOf = (file: string): LazyMap | undefined => {
    if (!maps.has(file)) maps.set(file, readMap(file));
    return maps.get(file);
  };
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): string => {
    const lines = frames.map((frame) => `\n    at ${original(frame, dir.href, mapOf)}`);
    return `${header(error)}${lines.join('')}`;
  };
}

/** `Name: message`, as V8 writes it. */
function header(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

function original(frame: NodeJS.CallSite, dir: string, mapOf: (file: string) => LazyMap | undefined): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- V8's CallSite writes the frame as V8 would
  const text = frame.toString();
  const name = frame.getFileName() ?? undefined; // an ES module's is a file: URL
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (name === undefined || line === null || column === null) return text;
  const file = name.startsWith('/') ? pathToFileURL(name).href : name;
  if (!file.startsWith(dir)) return text;
  const entry = mapOf(file)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry)) return text;
  const source = fileURLToPath(new URL(entry.originalSource, file));
  return text.replace(`${name}:${line}:${column}`, `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

type Payload = ConstructorParameters<typeof SourceMap>[0];

/** A file's map, decoded at the first frame on a line that has mappings. */
class LazyMap {
  private readonly lines: string[];
  private decoded: SourceMap | undefined;
  constructor(private readonly payload: Payload) {
    this.lines = payload.mappings.split(';');
  }

  /** Zero-based, as SourceMap's; nothing for a line without mappings (not the previous line's). */
  findEntry(line: number, column: number): ReturnType<SourceMap['findEntry']> | undefined {
    if (!this.lines[line]) return undefined;
    this.decoded ??= new SourceMap(this.payload);
    return this.decoded.findEntry(line, column);
  }
}

function readMap(file: string): LazyMap | undefined {
  try {
    return new LazyMap(JSON.parse(readFileSync(fileURLToPath(`${file}.map`), 'utf8')) as Payload);
  } catch {
    return undefined; // no map: the frame stays as it is
  }
}
