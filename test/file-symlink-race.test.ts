// The file resource against a real second user racing it: `nobody` owns the directory of the
// managed file and keeps planting symlinks to a root-owned file outside, at the managed path and
// at the names of the engine's temporary files. Whatever the interleaving, the root-owned file is
// never written, chmod-ed nor chown-ed (its ctime would move), and a planted link is reported.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultMeta } from '../src/model/spec.js';
import { memoryLogger } from '../src/util/logger.js';
import { fileKind } from '../src/resources/file.js';

const isRoot = process.getuid?.() === 0;
const hasSetpriv = fs.existsSync('/usr/bin/setpriv');
const canRace = isRoot && hasSetpriv;
if (!canRace && process.env.RXMGMT_REQUIRE_REAL === '1') {
  throw new Error('the symlink race test needs root and setpriv (RXMGMT_REQUIRE_REAL=1)');
}

// The attacker, run as nobody: until told to stop, in a tight loop, it puts at the managed path
// a symlink to the secret, or a regular file with the right content but a wrong mode (so the
// engine's next step is a chmod, the window it attacks), and replaces every temporary file of
// the engine it sees by a symlink to the secret.
const ATTACKER = `
const fs = require('node:fs');
const [dir, name, secret] = process.argv.slice(2);
const path = dir + '/' + name;
let n = 0;
const swapped = new Set();
const swap = (p) => { try { fs.renameSync(p, p + '.moved'); } catch {} try { fs.symlinkSync(secret, p); } catch {} };
process.stdout.write('ready\\n');
for (;;) {
  if (fs.existsSync(dir + '/stop')) break;
  n++;
  try { fs.unlinkSync(path); } catch {}
  if (n % 2) { try { fs.symlinkSync(secret, path); } catch {} }
  else { try { fs.writeFileSync(path, 'managed\\n', { mode: 0o600 }); } catch {} swap(path); }
  for (const e of fs.readdirSync(dir)) {
    if (e.endsWith('.moved')) { try { fs.unlinkSync(dir + '/' + e); } catch {} }
    else if (e.includes('.rxmgmt-') && !swapped.has(e)) { swapped.add(e); swap(dir + '/' + e); }
    else if (swapped.has(e)) { try { fs.unlinkSync(dir + '/' + e); } catch {} }
  }
}
`;

let tmp: string;
let attacker: ChildProcess | undefined;

beforeEach(() => {
  tmp = fs.mkdtempSync(join(tmpdir(), 'rxmgmt-race-'));
  fs.chmodSync(tmp, 0o755); // nobody must reach its directory
});
afterEach(async () => {
  if (attacker?.pid !== undefined && attacker.exitCode === null) {
    const gone = new Promise((r) => attacker!.once('exit', r));
    attacker.kill('SIGKILL');
    await gone;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const nobody = (): { uid: number; gid: number } => {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
};

function startAttacker(dir: string, name: string, secret: string): Promise<void> {
  const script = join(tmp, 'attacker.cjs');
  fs.writeFileSync(script, ATTACKER, { mode: 0o644 });
  const { uid, gid } = nobody();
  attacker = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', process.execPath, script, dir, name, secret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    attacker!.once('error', reject);
    attacker!.once('exit', (code) => reject(new Error(`the attacker exited early (code ${code})`)));
    attacker!.stdout!.once('data', () => resolve());
  });
}

const fingerprint = (p: string) => {
  const st = fs.lstatSync(p);
  return { content: fs.readFileSync(p, 'utf8'), mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, ctimeNs: fs.lstatSync(p, { bigint: true }).ctimeNs };
};

describe.skipIf(!canRace)('file: another user racing the engine with symlinks', () => {
  for (const force of [false, true]) {
    it(`never writes, chmods or chowns the target of a planted symlink (force: ${force})`, async () => {
      const outside = join(tmp, 'outside');
      fs.mkdirSync(outside, { mode: 0o700 });
      const secret = join(outside, 'secret');
      fs.writeFileSync(secret, 'secret\n', { mode: 0o600 });
      const before = fingerprint(secret);
      const shared = join(tmp, 'shared');
      fs.mkdirSync(shared, { mode: 0o755 });
      const { uid, gid } = nobody();
      fs.chownSync(shared, uid, gid);
      // nobody must reach the secret's name to link to it, not its content: outside is 0700.

      const log = memoryLogger();
      const params = { path: join(shared, 'f'), content: 'managed\n', mode: '0644', owner: '0', group: '0', state: 'exists', force, recurse: false };
      const spec = { kind: 'file', name: 'f', meta: { ...defaultMeta }, params, pos: { file: 'race.yaml', line: 1 } };
      const r = fileKind.create(spec, { hostname: 'test', log, scheduler: asyncScheduler });

      await startAttacker(shared, 'f', secret);
      const errors: string[] = [];
      const shown = join(shared, 'f');
      // A link swapped in between the engine's lstat and its open of the path (the window
      // the fd-based steps close): run until that happened a few times, at least 400 runs.
      const swappedIn = /: cannot (read it|change owner and mode to 0644|change mode to 0644|change owner): it is a symlink now, which is never followed; set force: true to replace it$/;
      let runs = 0;
      for (; runs < 20_000 && (runs < 400 || errors.filter((e) => swappedIn.test(e)).length < 3); runs++) {
        try {
          await firstValueFrom(r.checkApply(true, false));
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      fs.writeFileSync(join(shared, 'stop'), '');
      await new Promise((res) => (attacker!.exitCode !== null ? res(undefined) : attacker!.once('exit', res)));

      expect(fingerprint(secret)).toEqual(before);
      expect(errors.filter((e) => swappedIn.test(e)).length, `runs: ${runs}, errors: ${[...new Set(errors)].join('\n')}`).toBeGreaterThanOrEqual(3);
      if (!force) expect(errors).toContain(`file ${shown}: is a symlink, not a regular file; set force: true to replace it`);
      // Nothing else went wrong: every failure is one of the race's outcomes, said plainly.
      const outcomes = [
        swappedIn,
        /: is a symlink, not a regular file; set force: true to replace it$/,
        /: cannot read it: ENOENT: no such file or directory/,
        /: cannot write it: temporary file .* was replaced by someone else before it was renamed into place; nothing written$/,
        /: cannot write it: ENOENT: no such file or directory, (lstat|rename|open) '.*\.rxmgmt-/,
        /: cannot (change owner and mode to 0644|change mode to 0644): it was replaced by another file meanwhile$/,
        /: cannot (change owner and mode to 0644|change mode to 0644): ENOENT/,
      ];
      expect(errors.filter((e) => !outcomes.some((o) => o.test(e)))).toEqual([]);
    });
  }
});
