// timer: a clock in the graph. Its watch ticks every `interval` seconds on the engine's
// scheduler; the CheckApply after a tick reports a change, so its children run (with a refresh
// along notify edges). A refresh delivered to the timer restarts its period, as in mgmt.
import { type Observable, Subject, defer, map, of, repeat, startWith, switchMap, tap } from 'rxjs';
import { longTimer } from '../../operators/long-timer.js';
import { MAX_DURATION_SECONDS, maxDurationText } from '../model/durations.js';
import type { ResourceSpec } from '../model/spec.js';
import type { Logger } from '../util/logger.js';
import type { FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  interval: { type: 'integer', required: true, doc: 'seconds between ticks, an integer >= 1 and at most 10 years' },
};

function validate(params: Record<string, unknown>): string | undefined {
  const v = params.interval;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
    return `\`interval\` must be an integer >= 1 (seconds), got ${JSON.stringify(v)}`;
  }
  if (v > MAX_DURATION_SECONDS) return `\`interval\` is ${v} s, longer than the longest duration rxmgmt waits, ${maxDurationText}`;
  return undefined;
}

class TimerResource implements Resource {
  readonly kind = 'timer';
  readonly fingerprint: string;
  /** Ticks seen, and how many a CheckApply has reported. */
  private ticks = 0;
  private reported = 0;
  private readonly restart$ = new Subject<void>();

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    private readonly seconds: number,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify({ interval: seconds });
  }

  /** A tick every interval after subscription; a restart (a refresh) begins a new period. */
  watch(): Observable<void> {
    return this.restart$.pipe(
      startWith(undefined),
      // An interval made of long timers: a period past 2^31-1 ms (~24.8 days) is waited in full.
      switchMap(() => longTimer(this.seconds * 1000, this.env.scheduler).pipe(repeat())),
      tap(() => {
        this.ticks++;
        this.log.debug(`tick ${this.ticks}`);
      }),
      map(() => undefined),
    );
  }

  /**
   * `false` (changed) when a tick or a refresh came since the last run, `true` otherwise, so
   * the first run at start is `true`: the first tick is one interval after start.
   */
  checkApply(apply: boolean, refresh: boolean): Observable<boolean> {
    return defer(() => {
      const ticked = this.ticks > this.reported;
      this.reported = this.ticks;
      if (refresh) {
        if (apply) {
          this.log.info(`refreshed: restarting the ${this.seconds} s period`);
          this.restart$.next();
        } else {
          this.log.info(`noop: would restart the ${this.seconds} s period (refresh)`);
        }
        return of(false);
      }
      return of(!ticked);
    });
  }
}

export const timerKind: ResourceKind = {
  kind: 'timer',
  doc:
    'Ticks every `interval` seconds. Each tick counts as a change, so the resources after it run ' +
    'again (with a refresh along notify edges): a timer is how a graph does something periodically.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`timer[${spec.name}]: ${problem}`);
    return new TimerResource(spec.name, spec.meta, spec.params.interval as number, env, env.log.child(`timer[${spec.name}]`));
  },
};
