// A SIGINT or SIGTERM that arrives while rxmgmt is still starting (reading and checking its
// graph file) ends it cleanly, exit 0 and nothing applied, instead of killing the process.
// The start is held from outside: the graph file is a FIFO, so reading it blocks a worker
// thread until the test writes the graph into it.
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, startCli, useSandbox } from './helpers/cli.js';
import { waitForThreadIn } from './helpers/proc.js';

const box = useSandbox();

describe('a stop during start-up', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} while the graph file is being read: exit 0, nothing applied`, async () => {
      const fifo = box.path(`graph-${sig}.yaml`);
      const out = box.path(`out-${sig}`);
      execFileSync('mkfifo', [fifo]);
      const mgmt = startCli(['run', '-f', fifo, '-t', '0']);
      await waitForThreadIn(mgmt, 'wait_for_partner', 'the start to block opening the graph FIFO');
      mgmt.signal(sig);
      const writer = await open(fifo, 'w');
      await writer.write(lines('graph: late', 'resources:', '  file:', '    - name: f', `      path: ${out}`, '      content: "x\\n"'));
      await writer.close();
      const res = await mgmt.waitForExit();
      expect(res.code, `${res.signal ?? ''}\n${res.stderr}`).toBe(0);
      expect(res.stderr).toContain('stopped during start-up: nothing was applied');
      expect(await readIfExists(out)).toBeUndefined();
    });
  }
});
