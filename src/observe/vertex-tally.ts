// The recap's counts and the status line's progress, read from the engine's vertices rather
// than from its events: with no other consumer the engine gets no event listener at all, so it
// makes no event objects and asks no resource for change reports (a file would compute diffs).
// Cost: nothing per vertex; the counters (`Vertex.changes`, `runs`, `state`) are read when
// asked. Only a vertex a swap removed is followed, until its last run has ended.
import type { Engine } from '../engine/engine.js';
import type { Vertex } from '../engine/vertex.js';
import type { Summary } from './run-state.js';

export class VertexTally {
  private vertices: readonly Vertex[] = [];
  /** Keys of vertices that changed something and have since been replaced or removed. */
  private readonly changedGone = new Set<string>();

  /** Some CheckApply of this run changed something (also one of a vertex removed since). */
  get anyChange(): boolean {
    return this.changedGone.size > 0 || this.vertices.some((v) => v.changes > 0);
  }

  /**
   * Called with each graph just before the engine applies it: the vertices are read once that
   * synchronous `apply` is done (a microtask later), and kept, since the engine forgets them
   * when it is disposed, before the recap is made.
   */
  track(engine: Engine): void {
    queueMicrotask(() => {
      const previous = this.vertices;
      this.vertices = engine.list();
      const kept = new Set(this.vertices);
      for (const v of previous) if (!kept.has(v)) this.forget(v);
    });
  }

  /** failed: ended failed; skipped: never ran; changed: changed (noop: would change) at least once. */
  summary(): Summary {
    const s: Summary = { ok: 0, changed: 0, failed: 0, skipped: 0, resources: this.vertices.length };
    for (const v of this.vertices) {
      if (v.state === 'failed') s.failed++;
      else if (v.runs === 0) s.skipped++;
      else if (v.changes > 0 || this.changedGone.has(v.key) || v.wouldChange) s.changed++;
      else s.ok++;
    }
    return s;
  }

  /** For the status line: resources that finished a first run, failed now, and running or retrying now. */
  progress(): { done: number; failed: number; busy: number; total: number } {
    let done = 0;
    let failed = 0;
    let busy = 0;
    for (const v of this.vertices) {
      const running = v.state === 'running' || v.state === 'retrying';
      if (v.runs > 1 || (v.runs === 1 && !running)) done++;
      if (v.state === 'failed') failed++;
      if (running) busy++;
    }
    return { done, failed, busy, total: this.vertices.length };
  }

  /** A vertex out of the graph: its changes still count, also one its run in flight makes. */
  private forget(v: Vertex): void {
    if (v.changes > 0) this.changedGone.add(v.key);
    else v.changed$.subscribe(() => this.changedGone.add(v.key));
  }
}
