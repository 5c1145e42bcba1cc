// The resource kinds an engine knows, by name. Plugins contribute kinds as plain objects.
import type { ResourceKind } from './resource.js';

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
