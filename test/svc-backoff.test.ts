// A svc that cannot be brought up must back off (issue 10, item 1), not hammer systemd: each
// failed start makes systemd report the unit's state change, which is the svc's next event.
// Without the engine's failure backoff that was thousands of StartUnit calls in seconds, and
// systemd's start limit. Runs the BUILT CLI (`npm run build` first) against a REAL systemd
// booted in the project's sandbox, and counts the runs from both sides: rxmgmt's debug
// "CheckApply:" lines and systemd's own record of the starts.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { lines, runCli, useSandbox, waitFor } from './helpers/cli.js';

// Real daemons on a possibly busy 2-core machine: generous deadlines (never asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const EXIT_MS = 60_000;
const WAIT = { timeoutMs: 30_000, intervalMs: 200 };

// `-t 3`: the backoff runs start at 0, 0.1, 0.3, 0.7, 1.5, 3.1 s (100 ms doubling) and the
// converger exits once the resource (failed, so idle) has been idle 3 s: after the run at
// ~1.5 s (whose wait, 1.6 s, is shorter than 3 s) the next is at ~3.1 s, then a 3.2 s wait
// outlasts the timeout. So ~6-7 runs; a slow machine adds a few, a spin adds hundreds.
const TIMEOUT_S = '3';
const MAX_RUNS = 12;

describeSandbox('svc backs off on a unit that cannot run (real systemd, built CLI)', {}, () => {
  let sb: Sandbox;
  const box = useSandbox();

  const writeUnit = (name: string, text: string) => writeFileSync(join(sb.root, 'etc/systemd/system', name), text);
  const systemctl = async (...args: string[]) => (await sb.exec(['systemctl', ...args])).stdout.trim();

  beforeAll(async () => {
    sb = await Sandbox.start();
    // Fails at once; no Restart=, and systemd's default start limit (5 starts in 10 s) applies.
    // A oneshot, so that every start job itself fails: a simple service that exits a moment
    // after its start may be seen active first (see docs/resources/svc.md, Notes).
    writeUnit('rx-crash.service', '[Service]\nType=oneshot\nExecStart=/bin/false\n');
    await sb.sh('systemctl daemon-reload');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  /** `rxmgmt run -f g.yaml FLAGS --log-level debug` (FLAGS: `-t 3`) of one `state: running` svc, on the sandbox's bus. */
  async function runUnit(unit: string, flags: string[] = ['-t', TIMEOUT_S]) {
    const yaml = box.path(`${unit}.yaml`);
    writeFileSync(yaml, lines('graph: svc-backoff', 'resources:', '  svc:', `    - name: ${unit}`, '      state: running'));
    const res = await runCli(['run', '-f', yaml, ...flags, '--log-level', 'debug'], {
      env: { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress },
      timeoutMs: EXIT_MS,
    });
    const runs = res.stderr.split('\n').filter((l) => l.includes(`svc[${unit}]`) && l.includes('CheckApply:'));
    return { ...res, runs };
  }

  it("a unit that crashes at once: a few starts at the backoff times, exit 1 naming it, systemd's start limit met once at most", async () => {
    const res = await runUnit('rx-crash');
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: svc\[rx-crash\]: /);
    expect(res.stderr).toMatch(/svc\[rx-crash\]: start rx-crash\.service failed: /);
    console.log(`svc rx-crash (crashes at once): ${res.runs.length} CheckApply runs in -t ${TIMEOUT_S}`);
    expect(res.runs.length, res.stderr).toBeGreaterThanOrEqual(3);
    expect(res.runs.length, `ran ${res.runs.length} times: not backing off\n${res.stderr}`).toBeLessThanOrEqual(MAX_RUNS);
    // systemd's side: every start rxmgmt asked for. systemd ran the first five and refused the
    // sixth (~3.1 s in) with its default start limit, StartLimitBurst=5 per 10 s: the backoff
    // meets that limit once, where the loop without it met it hundreds of times a second.
    // (`systemctl show -p Result` cannot show it here: a unit already failed with exit-code
    // keeps that Result, so the journal's words are the observable.)
    const asked = res.stderr.split('\n').filter((l) => l.includes('svc[rx-crash]: start rx-crash.service (was ')).length;
    expect(asked, res.stderr).toBe(res.runs.length);
    // journald may write the last lines a little after rxmgmt exits: read until every start is there.
    let journal: string[] = [];
    let started = 0;
    let refused = 0;
    await waitFor(
      async () => {
        journal = (await sb.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', 'rx-crash.service'])).stdout.split('\n');
        started = journal.filter((l) => l === 'Starting rx-crash.service...').length;
        refused = journal.filter((l) => l === 'rx-crash.service: Start request repeated too quickly.').length;
        return started + refused >= asked;
      },
      `the journal to show ${asked} start requests of rx-crash.service`,
      { ...WAIT, context: () => journal.join('\n') },
    );
    console.log(`systemd: rx-crash.service started ${started} times, ${refused} start(s) refused by its start limit`);
    expect({ started, refused }, journal.join('\n')).toEqual({ started: Math.min(asked, 5), refused: Math.max(0, asked - 5) });
    expect(refused, journal.join('\n')).toBeLessThanOrEqual(MAX_RUNS - 5);
    expect(await systemctl('show', '-P', 'StartLimitBurst', 'rx-crash')).toBe('5');
  });

  it('a unit that does not exist: a few runs at the backoff times, exit 1 naming it and the unit', async () => {
    const res = await runUnit('rx-nowhere');
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: svc\[rx-nowhere\]: /);
    expect(res.stderr).toContain('rx-nowhere.service does not exist');
    console.log(`svc rx-nowhere (no unit): ${res.runs.length} CheckApply runs in -t ${TIMEOUT_S}`);
    expect(res.runs.length, `ran ${res.runs.length} times: not backing off\n${res.stderr}`).toBeLessThanOrEqual(MAX_RUNS);
  });

  it('--backoff-max caps the wait between the runs of a crashing unit', async () => {
    // Capped at 1 s, the waits are 100, 200, 400, 800, 1000, 1000 ... ms: never idle for -t 3,
    // so it runs until --max-runtime ends it: about 8 runs, where a spin makes hundreds.
    const res = await runUnit('rx-crash', ['-t', TIMEOUT_S, '--backoff-max', '1', '--max-runtime', '5']);
    console.log(`svc rx-crash with --backoff-max 1: ${res.runs.length} CheckApply runs in --max-runtime 5`);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: svc\[rx-crash\]: .*\(next run no sooner than 1000 ms from now\)/);
    expect(res.stderr).not.toMatch(/next run no sooner than 1600 ms/);
    expect(res.runs.length, `ran ${res.runs.length} times: not backing off\n${res.stderr}`).toBeLessThanOrEqual(2 * MAX_RUNS);
  });
});
