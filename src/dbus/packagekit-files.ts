// The files a package owns, as autoedge identities, known synchronously at graph build.
//
// Resource.autoEdges() is synchronous but PackageKit answers over D-Bus, asynchronously. So the
// first autoEdges() of a graph build asks PackageKit once, for EVERY package registered so far
// (one child process running packagekit-files-child: Resolve + GetFiles, with a deadline), and
// caches the answers per bus address; later calls are served from the cache. What PackageKit
// cannot say (a package that is not installed: apt lists files of installed packages only; no
// PackageKit at all) yields no file identities and a warning, never a failed graph build.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busAddress } from './bus.js';

export interface OwnedFiles {
  /** The installed package id the files came from. */
  id: string;
  files: string[];
}

/** Deadline for one lookup: it blocks the graph build (and so the event loop) meanwhile. */
export const FILES_LOOKUP_TIMEOUT_MS = 30_000;

/** bus address -> package name -> files (null: asked, not installed or unknown). */
const cache = new Map<string, Map<string, OwnedFiles | null>>();
/** Names registered (by pkg resources with autoedge on) but not asked yet, per bus address. */
const pending = new Map<string, Set<string>>();
/** Lookups that ran, for tests and the logs. */
export const filesLookupStats = { lookups: 0, lastError: '' };

const addressNow = (): string => busAddress('system');

/** Registers `name` for the next batch lookup (cheap; call it from create()). */
export function wantFilesOf(name: string): void {
  const addr = addressNow();
  if (cache.get(addr)?.has(name)) return;
  let set = pending.get(addr);
  if (!set) pending.set(addr, (set = new Set()));
  set.add(name);
}

/** Forgets what is known about these packages (after a transaction installed or removed them). */
export function forgetFilesOf(names: readonly string[]): void {
  const addr = addressNow();
  for (const n of names) cache.get(addr)?.delete(n);
}

/**
 * The files `name` owns, or null when PackageKit does not know (not installed, or the lookup
 * failed: then `onError` hears why, once per failed batch). Synchronous: a name not cached yet
 * is looked up together with every pending name, in one child process.
 */
export function ownedFilesSync(name: string, onError: (msg: string) => void): OwnedFiles | null {
  const addr = addressNow();
  let known = cache.get(addr);
  if (!known) cache.set(addr, (known = new Map()));
  if (known.has(name)) return known.get(name) ?? null;
  const batch = new Set(pending.get(addr) ?? []);
  batch.add(name);
  pending.delete(addr);
  const names = [...batch].sort();
  let answer: Record<string, OwnedFiles> = {};
  try {
    answer = runChild(names);
  } catch (err) {
    const msg = `cannot ask PackageKit which files ${names.join(', ')} own (no file autoedges for them): ${(err as Error).message}`;
    filesLookupStats.lastError = msg;
    onError(msg);
  }
  for (const n of names) known.set(n, answer[n] ?? null);
  return known.get(name) ?? null;
}

function childScript(): { script: string; nodeArgs: string[] } {
  // dist/: the compiled .js beside this module; running from sources (tests): the .ts, with
  // Node's type stripping.
  const js = fileURLToPath(new URL('./packagekit-files-child.js', import.meta.url));
  if (existsSync(js)) return { script: js, nodeArgs: [] };
  const ts = fileURLToPath(new URL('./packagekit-files-child.ts', import.meta.url));
  return { script: ts, nodeArgs: ['--experimental-strip-types', '--no-warnings'] };
}

function runChild(names: string[]): Record<string, OwnedFiles> {
  const { script, nodeArgs } = childScript();
  filesLookupStats.lookups++;
  let out: string;
  try {
    out = execFileSync(process.execPath, [...nodeArgs, script, ...names], {
      encoding: 'utf8',
      timeout: FILES_LOOKUP_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; signal?: string; message: string };
    if (e.signal === 'SIGTERM') throw new Error(`no answer within ${FILES_LOOKUP_TIMEOUT_MS / 1000} s`);
    throw new Error((e.stderr ?? '').trim() || e.message);
  }
  return JSON.parse(out) as Record<string, OwnedFiles>;
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
