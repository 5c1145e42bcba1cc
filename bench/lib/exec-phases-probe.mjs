// Phase probe for bench/exec-chain.mjs, preloaded into the measured rxmgmt with
// `node --import <this file> ...`: records when each child process is spawned, how long the
// spawn() call blocked the event loop (fork + exec of the child) and when it exited, and when
// the process itself exits, in ms since the process started (performance.now()). At exit it writes
// them as JSON to the file named by $BENCH_EXEC_PHASES_OUT.
import childProcess from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const out = process.env.BENCH_EXEC_PHASES_OUT;
if (out) {
  delete process.env.BENCH_EXEC_PHASES_OUT; // not inherited by the commands it runs
  const spawns = [];
  const spawn = childProcess.spawn;
  childProcess.spawn = function (...args) {
    const at = performance.now();
    const child = spawn.apply(this, args);
    const s = { at, callMs: performance.now() - at, exitAt: undefined };
    spawns.push(s);
    child.once('exit', () => (s.exitAt = performance.now()));
    return child;
  };
  syncBuiltinESMExports(); // `import { spawn } from 'node:child_process'` sees the wrapper too
  process.on('exit', () => {
    try {
      writeFileSync(out, JSON.stringify({ spawns, exitAt: performance.now() }));
    } catch {
      // the harness reports the missing phases
    }
  });
}
