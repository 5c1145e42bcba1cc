// Problems found in a graph file, and the one error that carries all of them.
import { escapeControl } from '../util/logger.js';

/** One thing wrong with a graph file. */
export interface Problem {
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (it could not be read). */
  line: number;
  /** The resource, edge or collect entry concerned, like `file[f1]`, `edge[e1]`, `collect[#2]`. */
  resource?: string;
  /** What is wrong, then what was expected: `field "mdoe" is not a file field; expected one of ...`. */
  message: string;
}

/**
 * `FILE:LINE: kind[name]: message`, leaving out the parts that do not apply; one line, with the
 * control characters of names and values (a newline in a name, a terminal escape) escaped.
 */
export const formatProblem = (p: Problem): string =>
  escapeControl(`${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.resource ? `${p.resource}: ` : ''}${p.message}`);

/** Thrown for any problem in a graph file; nothing from such a file may be applied. */
export class GraphFileError extends Error {
  override readonly name = 'GraphFileError';
  /** Every problem found, sorted by line. */
  readonly problems: Problem[];

  constructor(problems: readonly Problem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line); // stable: same-line order kept
    super(sorted.map(formatProblem).join('\n'));
    this.problems = sorted;
  }
}

/** Reports a problem of the resource (or section) being read, at a line. */
export type Report = (line: number, message: string) => void;

/** Collects the problems of one file as the sections of the parser find them. */
export class ProblemLog {
  private readonly found: Problem[] = [];

  constructor(readonly file: string) {}

  add(line: number, message: string, resource?: string): void {
    this.found.push(resource === undefined ? { file: this.file, line, message } : { file: this.file, line, resource, message });
  }

  get count(): number {
    return this.found.length;
  }

  /** Reports a problem that stops the reading here, and throws. */
  fatal(line: number, message: string): never {
    this.add(line, message);
    throw new GraphFileError(this.found);
  }

  /** Throws a GraphFileError when anything was reported. */
  throwIfAny(): void {
    if (this.found.length > 0) throw new GraphFileError(this.found);
  }
}
