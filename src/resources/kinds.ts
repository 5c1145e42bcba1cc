// The built-in resource kinds by name, each loaded with its module on first use (the command
// line's registry: lazyBuiltinRegistry). registry.ts lists the same kinds loaded up front.
import { type KindLoader, LazyRegistry } from './lazy-registry.js';

export const builtinKindLoaders: Readonly<Record<string, KindLoader>> = {
  noop: async () => (await import('./noop.js')).noopKind,
  file: async () => (await import('./file.js')).fileKind,
  exec: async () => (await import('./exec.js')).execKind,
  timer: async () => (await import('./timer.js')).timerKind,
  msg: async () => (await import('./msg.js')).msgKind,
  svc: async () => (await import('./svc.js')).svcKind,
  pkg: async () => (await import('./pkg.js')).pkgKind,
  user: async () => (await import('./user.js')).userKind,
  group: async () => (await import('./group.js')).groupKind,
  line: async () => (await import('./line.js')).lineKind,
  sysctl: async () => (await import('./sysctl.js')).sysctlKind,
  hostname: async () => (await import('./hostname.js')).hostnameKind,
  cron: async () => (await import('./cron.js')).cronKind,
  mount: async () => (await import('./mount.js')).mountKind,
  kv: async () => (await import('./kv.js')).kvKind,
};

/** Every built-in kind, each loaded when a graph file first names it. */
export const lazyBuiltinRegistry = (): LazyRegistry => new LazyRegistry(builtinKindLoaders);
