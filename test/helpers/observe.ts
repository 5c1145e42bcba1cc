// Helpers for the observability tests (--prometheus listener, the report).
import { writeFile } from 'node:fs/promises';
import { type CliProcess, lines } from './cli.js';

/**
 * A graph of one good file, one that fails (its directory is a plain file) and a msg, written
 * to DIR/g.yaml as the graph `name`: what the report and metrics tests observe.
 */
export async function goodBadNoteGraph(box: { dir: string; path: (...parts: string[]) => string }, name: string): Promise<string> {
  const yaml = box.path('g.yaml');
  await writeFile(box.path('blocker'), 'not a directory\n');
  await writeFile(
    yaml,
    lines(
      `graph: ${name}`,
      'resources:',
      '  file:',
      '    - name: good',
      `      path: ${box.dir}/good`,
      '      content: "good\\n"',
      '    - name: bad',
      `      path: ${box.dir}/blocker/x`,
      '      content: "x\\n"',
      '      meta: {autoedge: false}',
      '  msg:',
      '    - name: note',
      '      body: hello',
    ),
  );
  return yaml;
}

/** The URL a run with --prometheus says it serves on (asked for port 0: any free one). */
export async function servedAt(proc: CliProcess): Promise<string> {
  const line = await proc.waitForLog(/serving \/metrics and the live graph page on http:\/\/\S+/, { allowExit: false });
  return /(http:\/\/\S+?)\/?$/.exec(line)![1]!;
}
