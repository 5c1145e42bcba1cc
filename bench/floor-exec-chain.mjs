#!/usr/bin/env node
// The floor for exec-chain (issue 15): the cheapest honest program for the same work, no engine.
// One plain Node process runs `sleep 1` three times in a row, each spawned on the previous one's
// 'exit' (the chain exec1 -> exec2 -> exec3), and one more beside them (exec4), spawned the way
// the exec resource spawns (src/resources/exec/process.ts: no shell, a session of its own, output
// piped and read); once the last of them has exited it waits the converged timeout (1 s, as
// `-t 1`) and exits. What it takes beyond 4 s is Node's start-up, four fork+execs and the
// timers: the least any Node program can pay for this graph.
//   node bench/floor-exec-chain.mjs
import { spawn } from 'node:child_process';

const CONVERGED_MS = 1000;

/** Runs `sleep 1` and calls `then` on its 'exit'. */
function sleep1(then) {
  const child = spawn('sleep', ['1'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // The engine reads both streams (the command's output is logged); so does the floor.
  child.stdout.resume();
  child.stderr.resume();
  child.on('exit', (code) => {
    if (code !== 0) {
      process.stderr.write(`floor-exec-chain: sleep exited with ${code}\n`);
      process.exit(1);
    }
    then();
  });
}

let running = 2; // the chain and exec4
const oneDone = () => {
  if (--running === 0) setTimeout(() => process.exit(0), CONVERGED_MS);
};
sleep1(() => sleep1(() => sleep1(oneDone)));
sleep1(oneDone);
