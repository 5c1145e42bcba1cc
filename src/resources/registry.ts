// The resource kinds the engine knows. Plugins contribute kinds as plain objects.
import type { ResourceKind } from './resource.js';
import { fileKind } from './file.js';
import { noopKind } from './noop.js';
import { pkgKind } from './pkg.js';
import { svcKind } from './svc.js';
import { execKind } from './exec.js';
import { msgKind } from './msg.js';
import { timerKind } from './timer.js';

export class Registry {
  private readonly kinds = new Map<string, ResourceKind>();

  constructor(kinds: readonly ResourceKind[] = []) {
    for (const k of kinds) this.add(k);
  }

  add(kind: ResourceKind): this {
    if (this.kinds.has(kind.kind)) throw new Error(`resource kind "${kind.kind}" is registered twice`);
    this.kinds.set(kind.kind, kind);
    return this;
  }

  get(kind: string): ResourceKind | undefined {
    return this.kinds.get(kind);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }
}

/** The registry with every built-in kind. */
export const builtinKinds = (): ResourceKind[] => [noopKind, fileKind, execKind, timerKind, msgKind, svcKind, pkgKind];
export const defaultRegistry = (): Registry => new Registry(builtinKinds());
