// A real `rxmgmt run` at snapshot build time, so that the startup snapshot holds the bytecode of
// what a run calls. V8 compiles a function when it is first called, and the snapshot keeps the
// bytecode of functions compiled before it was taken; without this run, every start compiled the
// YAML reader, the graph build, the engine and the file checks again (~10-15 ms of a 100-file run).
//
// The run is a small graph of files and a noop in a private temporary directory, read once in
// block style (the line-by-line reader) and once with flow collections and a literal block (the
// js-yaml path), so a first run and a second run (every file already right) are both compiled.
// It logs nothing, touches nothing outside its directory, and leaves nothing behind: no file, no
// open watch, no signal handler, and no fact about this machine that a later process would trust
// (which directories are on a local file system, which hold stale temp files).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetLocalDirs } from '../resources/file/local-fs.js';
import { forgetStaleTempScans } from '../resources/file/stale-temps.js';
import { memoryLogger } from '../util/logger.js';
import { openWatchCount } from '../watch/directory-watch.js';
import { runMain } from './run-main.js';

/** The warm-up graph: `flow` writes its edge and one content the way js-yaml alone reads. */
function warmUpGraph(files: string, flow: boolean): string {
  const lines = ['graph: snapshot-warm-up', 'resources:', '  file:', `    - name: dir`, `      path: ${files}/`];
  for (let i = 0; i < 4; i++) lines.push(`    - name: f${i}`, `      path: ${files}/f${i}`, `      content: "file ${i}\\n"`, '      mode: "0640"');
  lines.push('    - name: gone', `      path: ${files}/gone`, '      state: absent');
  if (flow) lines.push('    - name: block', `      path: ${files}/block`, '      content: |', '        line 1', '        line 2');
  lines.push('  noop:', '    - name: first', 'edges:', '  - name: first-then-f0');
  if (flow) lines.push('    from: {kind: noop, name: first}', '    to: {kind: file, name: f0}');
  else lines.push('    from:', '      kind: noop', '      name: first', '    to:', '      kind: file', '      name: f0');
  return lines.join('\n') + '\n';
}

/**
 * Runs the warm-up graph twice (a first run, then a second that finds those files right and adds
 * one) and cleans up; throws if anything went wrong. Resolves to what the runs logged (kept in
 * memory, never printed).
 */
export async function warmUp(base = tmpdir()): Promise<string[]> {
  const dir = mkdtempSync(join(base, 'rxmgmt-warm-up-'));
  const log = memoryLogger('info');
  try {
    const files = join(dir, 'files');
    const graph = join(dir, 'graph.yaml');
    for (const flow of [false, true]) {
      writeFileSync(graph, warmUpGraph(files, flow));
      const code = await runMain({
        file: graph,
        watch: false,
        convergedTimeout: 0,
        convergedNoExit: false,
        maxRuntime: 60,
        sema: 0,
        hostname: 'snapshot-warm-up',
        seeds: [],
        noop: false,
        log,
        exiting: false,
        observe: { recapLog: log },
      });
      if (code !== 0) throw new Error(`the warm-up run exited ${code}`);
    }
    if (openWatchCount() !== 0) throw new Error(`the warm-up run left ${openWatchCount()} watches open`);
    return log.lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    forgetLocalDirs();
    forgetStaleTempScans();
  }
}
