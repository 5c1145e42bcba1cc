// The files a package owns, as autoedge identities, known synchronously at graph build.
//
// Resource.autoEdges() is synchronous but PackageKit answers over D-Bus, asynchronously. So the
// pkg kind's prepare() (run by the engine before every graph build, see ResourceKind.prepare)
// asks PackageKit once for every package of the graph it does not know yet: Resolve(installed|
// arch) then GetFiles, in-process, with a deadline on the engine's scheduler. The answers are
// cached per bus address, and autoEdges() reads the cache. What PackageKit cannot say (a package
// that is not installed: apt lists files of installed packages only; no PackageKit at all)
// yields no file identities and a warning, never a failed graph build.
import { type Observable, type SchedulerLike, firstValueFrom, map, of, switchMap, take, throwError, timeout } from 'rxjs';
import { posix } from 'node:path';
import type { Logger } from '../util/logger.js';
import { busAddress, useBus } from './bus.js';
import { PackageKitClient } from './packagekit.js';
import { Filter, bitfield, rowIsInstalled } from './packagekit-enums.js';

export interface OwnedFiles {
  /** The installed package id the files came from. */
  id: string;
  files: string[];
}

/** Deadline for one lookup (D-Bus activation of packagekitd included); the graph build waits. */
export const FILES_LOOKUP_TIMEOUT_MS = 30_000;

/** bus address -> package name -> files (null: asked, not installed, unknown or the lookup failed). */
const cache = new Map<string, Map<string, OwnedFiles | null>>();
/** The names of each lookup in flight; forgetting a name drops it from them (their answer is older). */
const inFlight = new Set<Set<string>>();
/** Lookups that ran, for tests and the logs. */
export const filesLookupStats = { lookups: 0, lastError: '' };

const known = (): Map<string, OwnedFiles | null> => {
  const addr = busAddress('system');
  let m = cache.get(addr);
  if (!m) cache.set(addr, (m = new Map()));
  return m;
};

/**
 * The files `name` owns, from the cache that `prepareOwnedFiles` fills: undefined when it was
 * never looked up (the graph was built without preparing), null when PackageKit does not know.
 */
export function ownedFiles(name: string): OwnedFiles | null | undefined {
  return known().get(name);
}

/** Forgets what is known about these packages (after a transaction installed or removed them). */
export function forgetFilesOf(names: readonly string[]): void {
  const m = known();
  for (const n of names) {
    m.delete(n);
    for (const batch of inFlight) batch.delete(n);
  }
}

/** What a lookup needs of PackageKit (a PackageKitClient; tests pass a fake). */
export type FilesClient = Pick<PackageKitClient, 'resolve' | 'getFiles'>;

/**
 * Resolve(installed|arch, names) then GetFiles(ids): the files of each of `names` that is
 * installed (the others are absent from the answer). Emits once.
 */
export function lookupOwnedFiles(pk: FilesClient, names: readonly string[]): Observable<Record<string, OwnedFiles>> {
  const wanted = new Set(names);
  return pk.resolve(bitfield([Filter.installed, Filter.arch]), [...wanted]).pipe(
    switchMap((resolved) => {
      const ids = new Map<string, string>(); // id -> name
      for (const { info, pkg } of resolved.packages) {
        if (rowIsInstalled(info, pkg.data) && wanted.has(pkg.name) && !ids.has(pkg.id)) ids.set(pkg.id, pkg.name);
      }
      if (ids.size === 0) return of({});
      return pk.getFiles([...ids.keys()]).pipe(
        map((listed) => {
          const out: Record<string, OwnedFiles> = {};
          for (const [id, name] of ids) {
            const files = listed.files.get(id) ?? [];
            const prev = out[name];
            out[name] = { id, files: prev ? [...prev.files, ...files] : files };
          }
          return out;
        }),
      );
    }),
  );
}

export interface PrepareFilesOptions {
  /** The engine's scheduler: the deadline runs on it. */
  scheduler: SchedulerLike;
  log: Logger;
  /** Where PackageKit is reached; default: a client on the shared system bus connection. */
  client$?: Observable<FilesClient>;
}

/**
 * Looks up, in one Resolve + GetFiles, the files of every one of `names` not cached yet, and
 * caches the answers (null for what PackageKit does not know). Never rejects: a failed or late
 * lookup is logged as a warning, its names cached as unknown (no file edges, no retry at each
 * graph build until a transaction of ours makes us forget them).
 */
export async function prepareOwnedFiles(names: readonly string[], opts: PrepareFilesOptions): Promise<void> {
  const m = known();
  const batch = [...new Set(names)].filter((n) => !m.has(n)).sort();
  if (batch.length === 0) return;
  filesLookupStats.lookups++;
  const current = new Set(batch);
  inFlight.add(current);
  const client$ = opts.client$ ?? useBus('system').pipe(map((conn) => new PackageKitClient(conn)));
  let answer: Record<string, OwnedFiles> = {};
  try {
    answer = await firstValueFrom(
      client$.pipe(
        switchMap((pk) => lookupOwnedFiles(pk, batch)),
        take(1),
        timeout({
          first: FILES_LOOKUP_TIMEOUT_MS,
          scheduler: opts.scheduler,
          with: () => throwError(() => new Error(`no answer within ${FILES_LOOKUP_TIMEOUT_MS / 1000} s`)),
        }),
      ),
    );
  } catch (err) {
    const msg = `cannot ask PackageKit which files ${batch.join(', ')} own (no file autoedges for them): ${(err as Error).message}`;
    filesLookupStats.lastError = msg;
    opts.log.warn(msg);
  } finally {
    inFlight.delete(current);
  }
  for (const n of current) m.set(n, answer[n] ?? null);
}

/**
 * Directories too widely shared to say anything about one package: making a package a parent
 * of every file resource under /etc or /usr/share/doc would order unrelated things, and create
 * cycles such as "repository file -> pkg" plus "pkg -> /etc/apt/sources.list.d/...".
 */
const SHARED_DIRS = new Set([
  '/etc/alternatives', '/etc/apt', '/etc/apt/apt.conf.d', '/etc/apt/keyrings', '/etc/apt/preferences.d',
  '/etc/apt/sources.list.d', '/etc/apt/trusted.gpg.d', '/etc/cron.d', '/etc/cron.daily', '/etc/cron.hourly',
  '/etc/cron.monthly', '/etc/cron.weekly', '/etc/default', '/etc/init.d', '/etc/logrotate.d', '/etc/pam.d',
  '/etc/profile.d', '/etc/security', '/etc/sudoers.d', '/etc/sysctl.d', '/etc/systemd', '/etc/systemd/system',
  '/etc/tmpfiles.d', '/etc/udev', '/etc/udev/rules.d', '/etc/X11', '/etc/xdg', '/etc/modprobe.d', '/etc/ld.so.conf.d',
  '/lib/systemd', '/lib/systemd/system', '/lib/udev', '/lib/udev/rules.d', '/usr/lib/systemd', '/usr/lib/systemd/system',
  '/usr/lib/systemd/user', '/usr/lib/tmpfiles.d', '/usr/lib/sysusers.d', '/usr/lib/udev', '/usr/lib/udev/rules.d',
  '/usr/local/bin', '/usr/local/lib', '/usr/local/share', '/usr/share/applications', '/usr/share/bash-completion',
  '/usr/share/bash-completion/completions', '/usr/share/dbus-1', '/usr/share/dbus-1/system-services',
  '/usr/share/dbus-1/services', '/usr/share/dbus-1/system.d', '/usr/share/doc', '/usr/share/doc-base', '/usr/share/info',
  '/usr/share/keyrings', '/usr/share/lintian', '/usr/share/lintian/overrides', '/usr/share/man', '/usr/share/locale', '/usr/share/icons', '/usr/share/menu', '/usr/share/metainfo',
  '/usr/share/mime', '/usr/share/perl5', '/usr/share/pixmaps', '/usr/share/polkit-1', '/usr/share/polkit-1/actions',
  '/usr/share/zsh', '/usr/share/zsh/vendor-completions', '/usr/share/fish', '/usr/lib/python3', '/usr/lib/python3/dist-packages',
  '/usr/share/python3', '/var/cache', '/var/lib', '/var/log', '/var/spool', '/var/lib/dpkg', '/var/lib/systemd',
]);
/** Prefixes whose every directory is shared (man sections, locales, icon themes, multiarch dirs). */
const SHARED_TREES = ['/usr/share/man/', '/usr/share/locale/', '/usr/share/icons/', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/i386-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib/i386-linux-gnu'];

/** Is `dir` (no trailing slash) specific enough to tie to one package? */
export function isOwnDirectory(dir: string): boolean {
  const depth = dir.split('/').filter(Boolean).length;
  if (depth <= 2 && !dir.startsWith('/etc/') && !dir.startsWith('/opt/') && !dir.startsWith('/srv/')) return false; // /usr/bin, /var/lib, ...
  if (depth <= 1) return false; // /etc, /opt, /srv themselves
  if (SHARED_DIRS.has(dir)) return false;
  return !SHARED_TREES.some((t) => dir.startsWith(t) && (t.endsWith('/') || dir === t || dir.startsWith(t + '/')));
}

/**
 * The autoedge identities of a package's file list: `file:<path>` for every file, and
 * `file:<dir>/` for every directory it lists that is its own (not one of the widely shared
 * directories). dpkg lists directories without a trailing slash and "/." for the root: a path
 * is a directory when another path in the list lies under it.
 */
export function fileIdentities(files: readonly string[]): string[] {
  const paths = [...new Set(files.map((f) => posix.normalize(f)).filter((f) => posix.isAbsolute(f) && f !== '/'))].map((f) =>
    f.length > 1 && f.endsWith('/') ? f.slice(0, -1) : f,
  );
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) {
      if (dirs.has(d)) break;
      dirs.add(d);
    }
  }
  const out = new Set<string>();
  for (const p of paths) {
    if (dirs.has(p)) {
      if (isOwnDirectory(p)) out.add(`file:${p}/`);
    } else {
      out.add(`file:${p}`);
    }
  }
  return [...out];
}
