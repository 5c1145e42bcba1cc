// The counting semaphores of the `sema` meta param (`id` or `id:N`) and of the global --sema.
import type { MonoTypeOperatorFunction } from 'rxjs';
import { semaphore } from '../../operators/semaphore.js';

export interface SemaSpec {
  id: string;
  permits: number;
}

/** `id:N` -> {id, N}; a bare `id` has one permit. The YAML loader has validated the form. */
export function parseSema(text: string): SemaSpec {
  const i = text.lastIndexOf(':');
  const n = i > 0 ? Number(text.slice(i + 1)) : NaN;
  return Number.isInteger(n) && n > 0 ? { id: text.slice(0, i), permits: n } : { id: text, permits: 1 };
}

/** The guards of a resource with no `sema` and no `--sema`: one shared empty list. */
const NONE: readonly MonoTypeOperatorFunction<boolean>[] = Object.freeze([]);

/** One semaphore per id for the life of the engine (a swap keeps runs in flight counted). */
export class SemaphoreTable {
  private readonly table = new Map<string, { permits: number; op: MonoTypeOperatorFunction<boolean> }>();
  private readonly global?: MonoTypeOperatorFunction<boolean>;

  /** `globalPermits` > 0 bounds CheckApply across the whole graph (`--sema N`). */
  constructor(globalPermits = 0) {
    if (globalPermits > 0) this.global = semaphore(globalPermits);
  }

  /**
   * The guards for a resource's `sema` list, outermost LAST, to apply with `pipe(...guards)`.
   * Ids are taken in one global (sorted) order, the global semaphore first, so that two
   * resources can never each hold what the other waits for.
   */
  guards(sema: readonly string[]): readonly MonoTypeOperatorFunction<boolean>[] {
    if (sema.length === 0) return this.global ? [this.global] : NONE;
    const specs = [...new Map(sema.map(parseSema).map((s) => [s.id, s])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const ops = specs.map((s) => this.get(s));
    if (this.global) ops.unshift(this.global);
    return ops.reverse();
  }

  private get({ id, permits }: SemaSpec): MonoTypeOperatorFunction<boolean> {
    const have = this.table.get(id);
    if (have && have.permits === permits) return have.op;
    // A new size (after a graph swap) starts a new semaphore; runs in flight finish on the old.
    const op = semaphore<boolean>(permits);
    this.table.set(id, { permits, op });
    return op;
  }
}
