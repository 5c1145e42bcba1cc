// The files a package owns, as autoedge identities, known synchronously at graph build.
//
// Resource.autoEdges() is synchronous but PackageKit answers over D-Bus, asynchronously. So the
// pkg kind's prepare() (run by the engine before every graph build, see ResourceKind.prepare)
// asks PackageKit once for every package of the graph it does not know yet, in-process, with a
// deadline on the engine's scheduler: an installed package's files from GetFiles; a package that
// is not installed (apt lists files of installed packages only) from its archive, which
// DownloadPackages fetches into the package cache without installing it (the install later uses
// that copy) and `dpkg-deb --contents` (or `rpm -qlp`) lists. The answers are cached per bus
// address, and autoEdges() reads the cache. What cannot be known (no PackageKit, no candidate, a
// failed download) yields no file identities and a warning, never a failed graph build.
import { type Observable, type SchedulerLike, Subject, catchError, defer, firstValueFrom, forkJoin, map, of, switchMap, take, throwError, timeout } from 'rxjs';
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import type { Logger } from '../util/logger.js';
import { busAddress, useBus } from './bus.js';
import { PackageKitClient, type TransactionResult } from './packagekit.js';
import { Filter, bitfield, rowIsInstalled } from './packagekit-enums.js';

export interface OwnedFiles {
  /** The package id the files came from. */
  id: string;
  /** Absolute paths; a directory ends in "/" when the list says so (an archive, or lstat). */
  files: string[];
  /** The installed package (GetFiles) or its downloaded archive (not installed yet). */
  source: 'installed' | 'archive';
}

/**
 * Deadline for one lookup (D-Bus activation of packagekitd and the downloads of packages not
 * installed yet included); the graph build waits for it.
 */
export const FILES_LOOKUP_TIMEOUT_MS = 120_000;

/** bus address -> package name -> files (null: asked, not installed, unknown or the lookup failed). */
const cache = new Map<string, Map<string, OwnedFiles | null>>();
/** The names of each lookup in flight; forgetting a name drops it from them (their answer is older). */
const inFlight = new Set<Set<string>>();
/** Lookups that ran, for tests and the logs. */
export const filesLookupStats = { lookups: 0, lastError: '' };

const known = (): Map<string, OwnedFiles | null> => {
  const addr = busAddress('system');
  let m = cache.get(addr);
  if (!m) cache.set(addr, (m = new Map<string, OwnedFiles | null>()));
  return m;
};

/**
 * The files `name` owns, from the cache that `prepareOwnedFiles` fills: undefined when it was
 * never looked up (the graph was built without preparing), null when PackageKit does not know.
 */
export function ownedFiles(name: string): OwnedFiles | null | undefined {
  return known().get(name);
}

const forgotten$ = new Subject<string[]>();

/**
 * Emits the names whose file lists were forgotten because a transaction of ours installed or
 * removed them: the graphs holding them are prepared and built again (their edges may differ).
 */
export const filesForgotten$: Observable<string[]> = forgotten$.asObservable();

/** Forgets what is known about these packages (after a transaction installed or removed them). */
export function forgetFilesOf(names: readonly string[]): void {
  const m = known();
  for (const n of names) {
    m.delete(n);
    for (const batch of inFlight) batch.delete(n);
  }
}

/** Tells the graphs holding these packages to prepare again (see `filesForgotten$`). */
export function announceFilesChanged(names: readonly string[]): void {
  if (names.length > 0) forgotten$.next([...names]);
}

/** What a lookup needs of PackageKit (a PackageKitClient; tests pass a fake). */
export type FilesClient = Pick<PackageKitClient, 'resolve' | 'getFiles' | 'download'>;

/** The paths inside a package archive (`dpkg-deb --contents`); tests pass their own. */
export type ArchiveLister = (archive: string) => Promise<string[]>;

export interface LookupOptions {
  /** Packages not to download (meta noop: nothing, not even the package cache, may change). */
  noDownload?: ReadonlySet<string>;
  listArchive?: ArchiveLister;
  /** Told why the files of packages not installed could not be known. */
  warn?: (message: string) => void;
  /** Whether a path listed for an installed package is a directory (default: lstat here). */
  isDirectory?: (path: string) => boolean;
}

/**
 * The files of each of `names`: Resolve(installed|arch) then GetFiles for the installed ones;
 * for the others, Resolve(newest|arch) for their candidates, DownloadPackages(store in cache)
 * and a listing of each archive. Names PackageKit knows nothing of are absent. Emits once; a
 * failed download leaves out only the packages not installed (with a warning).
 */
export function lookupOwnedFiles(pk: FilesClient, names: readonly string[], opts: LookupOptions = {}): Observable<Record<string, OwnedFiles>> {
  const wanted = new Set(names);
  return pk.resolve(bitfield([Filter.installed, Filter.arch]), [...wanted]).pipe(
    switchMap((resolved) => {
      const ids = new Map<string, string>(); // id -> name
      for (const { info, pkg } of resolved.packages) {
        if (rowIsInstalled(info, pkg.data) && wanted.has(pkg.name) && !ids.has(pkg.id)) ids.set(pkg.id, pkg.name);
      }
      const absent = [...wanted].filter((n) => ![...ids.values()].includes(n));
      const installed$ = ids.size === 0 ? of({}) : pk.getFiles([...ids.keys()]).pipe(map((listed) => installedFiles(ids, listed, opts.isDirectory ?? isLocalDirectory)));
      const fetch = absent.filter((n) => !opts.noDownload?.has(n));
      const archives$ = fetch.length === 0 ? of({}) : archiveFiles(pk, fetch, opts);
      return forkJoin([installed$, archives$]).pipe(map(([a, b]) => ({ ...b, ...a })));
    }),
  );
}

function installedFiles(ids: Map<string, string>, listed: TransactionResult, isDirectory: (p: string) => boolean): Record<string, OwnedFiles> {
  const out: Record<string, OwnedFiles> = {};
  for (const [id, name] of ids) {
    const files = markEmptyDirectories(listed.files.get(id) ?? [], isDirectory);
    const prev = out[name];
    out[name] = { id, files: prev ? [...prev.files, ...files] : files, source: 'installed' };
  }
  return out;
}

/**
 * dpkg lists directories without a trailing slash; one with nothing listed under it (shipped
 * empty, `/etc/demo`) is told from a file by looking at it: the package is installed here.
 */
function markEmptyDirectories(files: readonly string[], isDirectory: (p: string) => boolean): string[] {
  const parents = new Set<string>();
  for (const f of files) parents.add(posix.dirname(f));
  return files.map((f) => (!f.endsWith('/') && !parents.has(f) && f !== '/.' && isOwnDirectory(f) && isDirectory(f) ? `${f}/` : f));
}

const isLocalDirectory = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;

/** The candidates of `names`, downloaded into the package cache, and the files each archive holds. */
function archiveFiles(pk: FilesClient, names: string[], opts: LookupOptions): Observable<Record<string, OwnedFiles>> {
  const listArchive = opts.listArchive ?? listArchiveFiles;
  return pk.resolve(bitfield([Filter.newest, Filter.arch]), names).pipe(
    switchMap((resolved) => {
      const ids = new Map<string, string>(); // candidate id -> name
      for (const { info, pkg } of resolved.packages) {
        if (!rowIsInstalled(info, pkg.data) && names.includes(pkg.name) && ![...ids.values()].includes(pkg.name)) ids.set(pkg.id, pkg.name);
      }
      if (ids.size === 0) return of({});
      return pk.download(true, [...ids.keys()]).pipe(
        switchMap((downloaded) =>
          defer(async () => {
            const out: Record<string, OwnedFiles> = {};
            for (const [id, name] of ids) {
              const archives = downloaded.files.get(id) ?? [];
              if (archives.length === 0) {
                opts.warn?.(`PackageKit downloaded no archive for ${id}: its files are not known before it is installed`);
                continue;
              }
              const files: string[] = [];
              for (const a of archives) files.push(...(await listArchive(a)));
              out[name] = { id, files, source: 'archive' };
            }
            return out;
          }),
        ),
      );
    }),
    catchError((err: Error) => {
      opts.warn?.(`cannot list the files of ${names.join(', ')} before they are installed: ${err.message}`);
      return of({});
    }),
  );
}

/**
 * The paths in a .deb (`dpkg-deb --contents`: directories end in "/") or an .rpm (`rpm -qlp`),
 * absolute, symlinks by their own name.
 */
export function listArchiveFiles(archive: string): Promise<string[]> {
  const rpm = archive.endsWith('.rpm');
  const [cmd, args] = rpm ? ['rpm', ['-qlp', archive]] : ['dpkg-deb', ['--contents', archive]];
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(rpm ? stdout.split('\n').filter((l) => l.startsWith('/')) : parseDebContents(stdout));
    });
  });
}

/** `drwxr-xr-x root/root 0 2026-01-01 00:00 ./usr/share/demo/` lines -> `/usr/share/demo/`. */
export function parseDebContents(listing: string): string[] {
  const out: string[] = [];
  for (const line of listing.split('\n')) {
    const m = /^(\S)\S*\s+\S+\s+\d+\s+\S+\s+\S+\s+\.?(\/.*)$/.exec(line);
    if (!m) continue;
    let path = m[2];
    if (m[1] === 'l') path = path.replace(/ -> .*$/, '');
    else if (m[1] === 'h') path = path.replace(/ link to .*$/, '');
    if (path !== '/') out.push(path);
  }
  return out;
}

export interface PrepareFilesOptions {
  /** Packages whose archives must not be downloaded (see LookupOptions). */
  noDownload?: ReadonlySet<string>;
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
        switchMap((pk) => lookupOwnedFiles(pk, batch, { warn: (w) => opts.log.warn(w), noDownload: opts.noDownload })),
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
  for (const n of current) {
    const got = answer[n];
    if (got) opts.log.debug(`files of ${n} known from its ${got.source === 'archive' ? `downloaded archive (not installed yet)` : 'installed package'}: ${got.files.length} paths`);
    m.set(n, got ?? null);
  }
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
 * directories). A path is a directory when it ends in "/" (archives list them so, and the
 * lookup marks the empty ones of installed packages) or another path in the list lies under it;
 * dpkg lists "/." for the root.
 */
export function fileIdentities(files: readonly string[]): string[] {
  const listedDirs: string[] = [];
  const paths = [...new Set(files.map((f) => posix.normalize(f)).filter((f) => posix.isAbsolute(f) && f !== '/'))].map((f) => {
    if (f.length > 1 && f.endsWith('/')) {
      listedDirs.push(f.slice(0, -1)); // listed as a directory, maybe an empty one
      return f.slice(0, -1);
    }
    return f;
  });
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) {
      if (dirs.has(d)) break;
      dirs.add(d);
    }
  }
  for (const d of listedDirs) dirs.add(d);
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
