// README starts rxmgmt through `npx rxmgmt ...`: a SIGTERM or SIGINT sent to that npx process
// must reach the engine, which drains and exits, instead of leaving it orphaned. (npm runs the
// bin through its script shell; the project's .npmrc makes that bash, which execs the single
// command, so the engine is npm's direct child and gets the signal npm forwards.)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EXIT_MS, lines, readIfExists, repoRoot, useSandbox, waitFor } from './helpers/cli.js';

const box = useSandbox();

/** Pids of live processes whose command line mentions `marker`. */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc').flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

describe('npx rxmgmt', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} to npx reaches the engine: it drains and exits, nothing is left running`, { timeout: 60_000 }, async () => {
      const yaml = box.path(`npx-${sig}.yaml`);
      const out = box.path(`npx-${sig}.txt`);
      await writeFile(yaml, lines('graph: npx', 'resources:', '  file:', '    - name: f', `      path: ${out}`, '      content: "hi\\n"'));
      const npx = spawn('npx', ['--no-install', 'rxmgmt', 'run', '-f', yaml], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      npx.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      // 'exit', not 'close': an orphaned engine would hold stderr open, and the test must get to
      // its cleanup (killing the orphan) with a message instead of timing out.
      const exited = new Promise<number | null>((resolve) => npx.once('exit', (code) => resolve(code)));
      try {
        await waitFor(async () => (await readIfExists(out)) === 'hi\n', 'the engine to write the file', { timeoutMs: EXIT_MS, context: () => stderr });
        process.kill(npx.pid!, sig);
        // npx's own command line names the graph too: this waits for it and for the engine.
        await waitFor(() => processesMentioning(yaml).length === 0, 'no process left running the graph', { context: () => `left: ${processesMentioning(yaml).join(', ')}\n${stderr}` });
        const code = await exited;
        expect(stderr).toContain('signal: draining');
        expect(code).toBe(0);
      } finally {
        for (const pid of processesMentioning(yaml)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});
