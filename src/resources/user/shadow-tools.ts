// Runs the shadow-utils commands (useradd, usermod, userdel, groupadd, groupmod, groupdel): argv
// only, never a shell, in the C locale so that their messages read the same everywhere. A
// command that does not exit 0 fails with its own words.
import { type Observable, catchError, concatMap, defer, map, of } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { Change, ChangeSink } from '../../model/events.js';
import type { Logger } from '../../util/logger.js';
import { runProcess } from '../exec/process.js';

/** shadow-utils hold a lock on the tables; one that waits this long is stuck. */
export const SHADOW_TOOL_TIMEOUT_MS = 2 * 60_000;

export type ShadowTool = 'useradd' | 'usermod' | 'userdel' | 'groupadd' | 'groupmod' | 'groupdel';

/** Runs `tool args...`; emits once when it exited 0, errors (prefixed with `who`) otherwise. */
export function runShadowTool(who: string, tool: ShadowTool, args: string[], scheduler: SchedulerLike): Observable<void> {
  const shown = [tool, ...args].join(' ');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  return runProcess({ file: tool, args, env }, { scheduler, timeoutMs: SHADOW_TOOL_TIMEOUT_MS }).pipe(
    map((r) => {
      const said = r.stderr.lastLines(3).filter((l) => l.trim() !== '').join(' | ');
      const tail = said ? `: ${said}` : '';
      if (r.timedOut) throw new Error(`${who}: \`${shown}\` did not finish within ${SHADOW_TOOL_TIMEOUT_MS / 1000} s and was killed${tail}`);
      if (r.code !== 0) {
        const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited ${r.code}`;
        throw new Error(`${who}: \`${shown}\` ${how}${tail}`);
      }
    }),
    catchError((err: Error) => {
      if (err.message.startsWith(who)) throw err;
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ` (is the passwd package installed?)` : '';
      throw new Error(`${who}: cannot run ${tool}: ${err.message}${hint}`, { cause: err });
    }),
  );
}

/** What a user or group check found to do: the command, its arguments, and the changes it makes. */
export interface ShadowPlan<T extends ShadowTool = ShadowTool> {
  tool: T;
  args: string[];
  changes: Change[];
  action: string;
}

/**
 * One CheckApply of a user or group: `plan()` says what is wrong (nothing: true); the changes
 * are reported, and unless noop the tool runs on `name`. `ran` is told the tool that succeeded.
 */
export function applyShadowPlan<T extends ShadowTool>(
  target: { who: string; name: string; log: Logger; scheduler: SchedulerLike },
  plan: () => Promise<ShadowPlan<T> | undefined>,
  apply: boolean,
  changes: ChangeSink | undefined,
  ran: (tool: T) => void,
): Observable<boolean> {
  return defer(plan).pipe(
    concatMap((p) => {
      if (!p) return of(true);
      for (const c of p.changes) changes?.(c);
      target.log.info(`${apply ? '' : 'noop, would '}${p.action}`);
      if (!apply) return of(false);
      return runShadowTool(target.who, p.tool, [...p.args, target.name], target.scheduler).pipe(
        map(() => {
          ran(p.tool);
          return false;
        }),
      );
    }),
  );
}
