// A Registry that knows every kind by name but loads a kind's module only when a graph names
// it: a start pays for the kinds its graph uses, not for all of them (the command line's; the
// library's defaultRegistry() keeps every kind loaded, for callers that cannot wait).
import type { ResourceKind } from '../model/resource.js';
import { Registry } from '../model/registry.js';

/** Loads one kind's module and returns the kind. */
export type KindLoader = () => Promise<ResourceKind>;

export class LazyRegistry extends Registry {
  private readonly loaders: ReadonlyMap<string, KindLoader>;
  /** One load per kind, however many graph files name it at once. */
  private readonly loading = new Map<string, Promise<void>>();

  constructor(loaders: Readonly<Record<string, KindLoader>>) {
    super();
    this.loaders = new Map(Object.entries(loaders));
  }

  /** Every kind this registry can give, loaded or not: what "expected one of ..." lists. */
  override names(): string[] {
    return [...new Set([...this.loaders.keys(), ...super.names()])].sort();
  }

  /**
   * Loads the named kinds that are not loaded yet; `get()` then returns them. A name it does
   * not know is skipped: the validator reports it, with its line.
   */
  async load(names: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(names)].map((name) => this.loadOne(name)));
  }

  private loadOne(name: string): Promise<void> {
    const loader = this.loaders.get(name);
    if (loader === undefined || this.get(name) !== undefined) return Promise.resolve();
    let done = this.loading.get(name);
    if (done === undefined) {
      done = loader().then((kind) => {
        if (kind.kind !== name) throw new Error(`the module of resource kind "${name}" gave kind "${kind.kind}"`);
        this.add(kind);
      });
      // A failed load (a broken install) is tried again by the next graph file that names the kind.
      done.catch(() => this.loading.delete(name));
      this.loading.set(name, done);
    }
    return done;
  }
}
