// A svc that cannot be brought up, or that dies a moment after each start, must back off
// (issue 10, item 1), not hammer systemd: each failed start or crash makes systemd report the
// unit's state change, which is the svc's next event.
// Without the engine's failure backoff that was thousands of StartUnit calls in seconds, and
// systemd's start limit. Runs the BUILT CLI (`npm run build` first) against a REAL systemd
// booted in the project's sandbox, and counts the runs from both sides: rxmgmt's debug
// "CheckApply:" lines and systemd's own record of the starts.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { lines, runCli, startCli, useSandbox, waitFor } from './helpers/cli.js';

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


  beforeAll(async () => {
    sb = await Sandbox.start();
    // Fails at once; no Restart=, and systemd's default start limit (5 starts in 10 s) applies.
    // A oneshot, so that every start job itself fails: a simple service that exits a moment
    // after its start may be seen active first (see docs/resources/svc.md, Notes).
    sb.writeUnit('rx-crash.service', '[Service]\nType=oneshot\nExecStart=/bin/false\n');
    // Each start succeeds, and the service dies 0.2 s later; no start limit of systemd's bounds it.
    sb.writeUnit('rx-die.service', '[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=simple\nExecStart=/bin/sh -c "sleep 0.2; exit 3"\n');
    // Dies 0.2 s after each of its first two starts (counted in /run), then stays up.
    const twice = 'n=$(cat /run/rx-twice.n 2>/dev/null || echo 0); echo $((n+1)) >/run/rx-twice.n; [ "$n" -ge 2 ] && exec sleep infinity; sleep 0.2; exit 3';
    sb.writeUnit('rx-twice.service', `[Service]\nType=simple\nExecStart=/bin/sh -c '${twice}'\n`);
    // Runs to its end with success at each start: never running, whatever starts it.
    sb.writeUnit('rx-oneshot.service', '[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n');
    // Ends with success by itself 0.2 s after each start.
    sb.writeUnit('rx-exit0.service', '[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=simple\nExecStart=/bin/sh -c "sleep 0.2; exit 0"\n');
    // A daemon that exits 0 on SIGTERM, as many do: a stop leaves it inactive with success too.
    sb.writeUnit('rx-steady.service', `[Service]\nType=simple\nExecStart=/bin/sh -c 'trap "exit 0" TERM; sleep infinity & wait'\n`);
    await sb.sh('systemctl daemon-reload');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  /** A graph file of one `state: running` svc. */
  function graph(unit: string): string {
    const yaml = box.path(`${unit}.yaml`);
    writeFileSync(yaml, lines('graph: svc-backoff', 'resources:', '  svc:', `    - name: ${unit}`, '      state: running'));
    return yaml;
  }

  /** `rxmgmt run -f g.yaml FLAGS --log-level debug` (FLAGS: `-t 3`) of one `state: running` svc, on the sandbox's bus. */
  async function runUnit(unit: string, flags: string[] = ['-t', TIMEOUT_S]) {
    const res = await runCli(['run', '-f', graph(unit), ...flags, '--log-level', 'debug'], {
      env: { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress },
      timeoutMs: EXIT_MS,
    });
    const log = res.stderr.split('\n');
    const runs = log.filter((l) => l.includes(`svc[${unit}]`) && l.includes('CheckApply:'));
    // Every start rxmgmt asked of systemd, and every wait of the failure backoff.
    const starts = log.filter((l) => l.includes(`svc[${unit}]: start ${unit}.service (was `));
    const waits = log.flatMap((l) => (l.includes(`svc[${unit}]`) ? (/next run no sooner than (\d+) ms/.exec(l)?.[1] ?? []) : [])).map(Number);
    return { ...res, runs, starts, waits };
  }

  /** systemd's own count of the unit's starts ("Started X."), once the journal has `atLeast`. */
  async function journalStarts(unit: string, atLeast: number): Promise<number> {
    let journal: string[] = [];
    let started = 0;
    await waitFor(
      async () => {
        journal = (await sb.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', `${unit}.service`])).stdout.split('\n');
        started = journal.filter((l) => l === `Started ${unit}.service.` || l === `Started ${unit}.service - ${unit}.service.`).length;
        return started >= atLeast;
      },
      `the journal to show ${atLeast} starts of ${unit}.service`,
      { ...WAIT, context: () => journal.join('\n') },
    );
    return started;
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
    expect(await sb.systemctl('show', '-P', 'StartLimitBurst', 'rx-crash')).toBe('5');
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

  it('a service that dies 0.2 s after each successful start: restarted at the doubling backoff, exit 1 naming it', async () => {
    // Each start succeeds, so only the crash after it says it failed: every crash of the unit
    // rxmgmt started fails the next check, and a pass between two crashes does not reset the
    // backoff. Starts at about 0, 0.2, 0.4, 0.6, 1.0, 1.8, 3.4 s; the 3.2 s wait then outlasts
    // -t 3, so it exits at ~6.6 s. Before, each crash was repaired as a success, at once: a
    // start every 0.2 s and no exit (--max-runtime ends such a run).
    const res = await runUnit('rx-die', ['-t', TIMEOUT_S, '--max-runtime', '20']);
    console.log(`svc rx-die (dies 0.2 s after each start): ${res.starts.length} starts, waits ${res.waits.join(', ')} ms`);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(
      /failed: svc\[rx-die\]: rx-die\.service died after rxmgmt started it; started it again; ActiveState "failed", unit result "exit-code", exit status 3; see journalctl -u rx-die\.service/,
    );
    // The waits double from the start, each failure one more in a row: no reset in between.
    expect(res.waits.length, res.stderr).toBeGreaterThanOrEqual(4);
    expect(res.waits, res.stderr).toEqual(res.waits.map((_, i) => 100 * 2 ** i));
    // One start per failure, plus the first: the starts follow the backoff.
    expect(res.starts.length, res.stderr).toBe(res.waits.length + 1);
    expect(res.starts.length, `started ${res.starts.length} times: not backing off\n${res.stderr}`).toBeLessThanOrEqual(MAX_RUNS);
    // systemd's side: it started the unit exactly as often as rxmgmt asked.
    expect(await journalStarts('rx-die', res.starts.length)).toBe(res.starts.length);
  });

  it('a service that dies after its first two starts and then stays up ends ok: exit 0', async () => {
    const res = await runUnit('rx-twice', ['-t', '2', '--max-runtime', '20']);
    console.log(`svc rx-twice: ${res.starts.length} starts, waits ${res.waits.join(', ')} ms`);
    expect(res.code, res.stderr).toBe(0);
    const died = res.stderr.split('\n').filter((l) => l.includes('failed: svc[rx-twice]: rx-twice.service died after rxmgmt started it; started it again'));
    expect(died, res.stderr).toHaveLength(2);
    expect(res.waits, res.stderr).toEqual([100, 200]);
    expect(res.starts, res.stderr).toEqual([
      expect.stringContaining('(was inactive)'),
      expect.stringContaining('(was failed, result exit-code)'),
      expect.stringContaining('(was failed, result exit-code)'),
    ]);
    expect(await sb.systemctl('is-active', 'rx-twice')).toBe('active');
    await sb.systemctl('stop', 'rx-twice');
  });

  it('a oneshot service without RemainAfterExit asked to be running: each start fails, backed off, exit 1 saying why', async () => {
    const res = await runUnit('rx-oneshot', ['-t', TIMEOUT_S, '--max-runtime', '20']);
    console.log(`svc rx-oneshot: ${res.starts.length} starts, waits ${res.waits.join(', ')} ms`);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(
      'failed: svc[rx-oneshot]: start rx-oneshot.service: it is inactive right after starting (its main process exits by itself with success; a Type=oneshot service without RemainAfterExit=yes, say, never stays running)',
    );
    expect(res.waits.length, res.stderr).toBeGreaterThanOrEqual(4);
    expect(res.waits, res.stderr).toEqual(res.waits.map((_, i) => 100 * 2 ** i));
    expect(res.starts.length, res.stderr).toBe(res.waits.length);
  });

  it('a service that exits 0 by itself 0.2 s after each start: restarted at the doubling backoff, exit 1 naming it', async () => {
    const res = await runUnit('rx-exit0', ['-t', TIMEOUT_S, '--max-runtime', '20']);
    console.log(`svc rx-exit0: ${res.starts.length} starts, waits ${res.waits.join(', ')} ms`);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain('failed: svc[rx-exit0]: rx-exit0.service died after rxmgmt started it; started it again (its main process exits by itself');
    expect(res.waits.length, res.stderr).toBeGreaterThanOrEqual(4);
    expect(res.waits, res.stderr).toEqual(res.waits.map((_, i) => 100 * 2 ** i));
    expect(res.starts.length, res.stderr).toBe(res.waits.length + 1);
  });

  it('a service stopped from outside (a daemon that exits 0 on SIGTERM) is started again at once, as a success', async () => {
    const status = box.path('converged');
    const flags = ['-t', '0', '--converged-timeout-no-exit', '--converged-status-file', status, '--log-level', 'debug'];
    const mgmt = startCli(['run', '-f', graph('rx-steady'), ...flags], { env: { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress } });
    const converged = () => readFileSync(status, 'utf8') === 'true\n';
    const mainPid = async () => Number(await sb.systemctl('show', '-P', 'MainPID', 'rx-steady'));
    await mgmt.waitFor(async () => converged() && (await mainPid()) > 0, 'rx-steady to be started and the graph to converge', WAIT);
    const pid = await mainPid();
    await sb.systemctl('stop', 'rx-steady');
    await mgmt.waitFor(
      async () => converged() && (await sb.systemctl('is-active', 'rx-steady')) === 'active' && (await mainPid()) !== pid,
      'rx-steady to be started again and the graph to converge',
      WAIT,
    );
    const starts = mgmt.stderr.split('\n').filter((l) => l.includes('svc[rx-steady]: start rx-steady.service (was '));
    expect(starts, mgmt.stderr).toEqual([expect.stringContaining('(was inactive)'), expect.stringContaining('(was inactive)')]);
    expect(mgmt.stderr).not.toContain('failed: svc[rx-steady]');
    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit(EXIT_MS)).code, mgmt.stderr).toBe(0);
    await sb.systemctl('stop', 'rx-steady');
  });
});
