import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEVER, Subject, VirtualTimeScheduler, firstValueFrom, of, throwError } from 'rxjs';
import { memoryLogger } from '../util/logger.js';
import type { TransactionResult } from './packagekit.js';
import { parsePackageId } from './packagekit-enums.js';
import {
  FILES_LOOKUP_TIMEOUT_MS,
  type FilesClient,
  fileIdentities,
  filesLookupStats,
  forgetFilesOf,
  isOwnDirectory,
  lookupOwnedFiles,
  ownedFiles,
  parseDebContents,
  prepareOwnedFiles,
} from './packagekit-files.js';

// What PackageKit's GetFiles says for Debian's hello (dpkg -L order, directories included).
const hello = [
  '/.',
  '/usr',
  '/usr/bin',
  '/usr/bin/hello',
  '/usr/share',
  '/usr/share/doc',
  '/usr/share/doc/hello',
  '/usr/share/doc/hello/NEWS.gz',
  '/usr/share/doc/hello/copyright',
  '/usr/share/info',
  '/usr/share/info/hello.info.gz',
  '/usr/share/locale',
  '/usr/share/locale/de',
  '/usr/share/locale/de/LC_MESSAGES',
  '/usr/share/locale/de/LC_MESSAGES/hello.mo',
  '/usr/share/man',
  '/usr/share/man/man1',
  '/usr/share/man/man1/hello.1.gz',
];

describe('fileIdentities', () => {
  it('provides every file, and only the directories that are the package\'s own', () => {
    const ids = fileIdentities(hello);
    expect(ids).toContain('file:/usr/bin/hello');
    expect(ids).toContain('file:/usr/share/doc/hello/copyright');
    expect(ids).toContain('file:/usr/share/doc/hello/');
    expect(ids).toContain('file:/usr/share/locale/de/LC_MESSAGES/hello.mo');
    for (const shared of ['file:/', 'file:/usr/', 'file:/usr/bin/', 'file:/usr/share/', 'file:/usr/share/doc/', 'file:/usr/share/locale/de/', 'file:/usr/share/man/man1/']) {
      expect(ids, shared).not.toContain(shared);
    }
    // a directory is never also provided as a file
    expect(ids).not.toContain('file:/usr/share/doc/hello');
  });

  it('ties unit files and configuration directories to the package', () => {
    const ids = fileIdentities([
      '/etc',
      '/etc/drbd.conf',
      '/etc/drbd.d',
      '/etc/drbd.d/global_common.conf',
      '/lib',
      '/lib/systemd',
      '/lib/systemd/system',
      '/lib/systemd/system/drbd.service',
      '/etc/apt/sources.list.d/vendor.list',
    ]);
    expect(ids).toContain('file:/etc/drbd.conf');
    expect(ids).toContain('file:/etc/drbd.d/');
    expect(ids).toContain('file:/lib/systemd/system/drbd.service');
    expect(ids).not.toContain('file:/etc/');
    expect(ids).not.toContain('file:/lib/systemd/system/');
    expect(ids).not.toContain('file:/etc/apt/sources.list.d/');
  });
});

describe('isOwnDirectory', () => {
  it('knows widely shared directories', () => {
    for (const d of ['/etc', '/usr', '/usr/bin', '/usr/lib', '/var/lib', '/etc/default', '/usr/share/doc', '/usr/share/man', '/usr/share/man/man8', '/usr/lib/x86_64-linux-gnu', '/etc/systemd/system']) {
      expect(isOwnDirectory(d), d).toBe(false);
    }
    for (const d of ['/etc/nginx', '/etc/nginx/sites-available', '/usr/share/doc/nginx', '/var/lib/mysql', '/usr/lib/nginx', '/opt/vendor']) {
      expect(isOwnDirectory(d), d).toBe(true);
    }
  });
});

// A PackageKit stand-in: Resolve and GetFiles answer from tables, and count their calls.
const result = (rows: Array<[number, string]>, files: Record<string, string[]> = {}): TransactionResult => ({
  path: '/org/freedesktop/PackageKit/t',
  packages: rows.map(([info, id]) => ({ info, pkg: parsePackageId(id)!, summary: '' })),
  files: new Map(Object.entries(files)),
  exit: 1,
});
const INSTALLED = 1;
const AVAILABLE = 2;
function fakeClient(rows: Array<[number, string]>, files: Record<string, string[]>) {
  const calls: string[] = [];
  const client: FilesClient = {
    resolve: (filter, names) => {
      calls.push(`Resolve ${filter} ${names.join(',')}`);
      return of(result(rows.filter(([, id]) => names.includes(id.split(';')[0]!))));
    },
    getFiles: (ids) => {
      calls.push(`GetFiles ${ids.join(',')}`);
      return of(result([], Object.fromEntries(ids.map((id) => [id, files[id] ?? []]))));
    },
    download: (store, ids) => {
      calls.push(`DownloadPackages ${store} ${ids.join(',')}`);
      return of(result([], Object.fromEntries(ids.map((id) => [id, [`/var/cache/apt/archives/${id.split(';')[0]}.deb`]]))));
    },
  };
  return { client, calls };
}
const HELLO = 'hello;2.10-3;amd64;manual:debian';
const SL = 'sl;5.02-1;amd64;auto:debian';

describe('lookupOwnedFiles', () => {
  it('resolves installed packages (arch filter) and lists their files in one GetFiles', async () => {
    const { client, calls } = fakeClient(
      [[INSTALLED, HELLO], [INSTALLED, HELLO], [INSTALLED, SL], [AVAILABLE, 'figlet;2.2.5-3;amd64;debian']],
      { [HELLO]: ['/usr/bin/hello'], [SL]: ['/usr/games/sl'] },
    );
    const answer = await firstValueFrom(lookupOwnedFiles(client, ['hello', 'sl'], { isDirectory: () => false }));
    expect(answer).toEqual({ hello: { id: HELLO, files: ['/usr/bin/hello'], source: 'installed' }, sl: { id: SL, files: ['/usr/games/sl'], source: 'installed' } });
    // installed (1<<2) | arch (1<<18)
    expect(calls).toEqual([`Resolve ${(1n << 2n) | (1n << 18n)} hello,sl`, `GetFiles ${HELLO},${SL}`]);
  });

  it('knows a package that is not installed from its downloaded archive, and asks no GetFiles for it', async () => {
    const FIGLET = 'figlet;2.2.5-3;amd64;debian';
    const { client, calls } = fakeClient([[AVAILABLE, FIGLET]], {});
    const listed: string[] = [];
    const listArchive = async (a: string) => {
      listed.push(a);
      return ['/usr/', '/usr/bin/', '/usr/bin/figlet', '/etc/figlet/'];
    };
    const answer = await firstValueFrom(lookupOwnedFiles(client, ['figlet'], { listArchive }));
    expect(answer).toEqual({ figlet: { id: FIGLET, files: ['/usr/', '/usr/bin/', '/usr/bin/figlet', '/etc/figlet/'], source: 'archive' } });
    // newest (1<<16) | arch (1<<18); DownloadPackages(store_in_cache=true)
    expect(calls).toEqual([`Resolve ${(1n << 2n) | (1n << 18n)} figlet`, `Resolve ${(1n << 16n) | (1n << 18n)} figlet`, `DownloadPackages true ${FIGLET}`]);
    expect(listed).toEqual(['/var/cache/apt/archives/figlet.deb']);
  });

  it('downloads nothing for the packages it is told not to (meta noop)', async () => {
    const { client, calls } = fakeClient([[AVAILABLE, 'figlet;2.2.5-3;amd64;debian']], {});
    expect(await firstValueFrom(lookupOwnedFiles(client, ['figlet'], { noDownload: new Set(['figlet']) }))).toEqual({});
    expect(calls).toEqual([`Resolve ${(1n << 2n) | (1n << 18n)} figlet`]);
  });

  it('a failed download leaves out only the packages not installed, with a warning', async () => {
    const { client } = fakeClient([[INSTALLED, HELLO], [AVAILABLE, 'figlet;2.2.5-3;amd64;debian']], { [HELLO]: ['/usr/bin/hello'] });
    const warnings: string[] = [];
    const failing: FilesClient = { ...client, download: () => throwError(() => new Error('PackageKit DownloadPackages failed: no-network')) };
    const answer = await firstValueFrom(lookupOwnedFiles(failing, ['hello', 'figlet'], { warn: (w) => warnings.push(w), isDirectory: () => false }));
    expect(Object.keys(answer)).toEqual(['hello']);
    expect(warnings).toEqual(['cannot list the files of figlet before they are installed: PackageKit DownloadPackages failed: no-network']);
  });

  it('marks the directories an installed package ships empty', async () => {
    const DEMO = 'demo;1;all;manual:local';
    const { client } = fakeClient([[INSTALLED, DEMO]], { [DEMO]: ['/etc', '/etc/demo', '/usr/share/demo/x', '/usr/bin/demo'] });
    const answer = await firstValueFrom(lookupOwnedFiles(client, ['demo'], { isDirectory: (p) => p === '/etc/demo' }));
    expect(answer.demo!.files).toEqual(['/etc', '/etc/demo/', '/usr/share/demo/x', '/usr/bin/demo']);
    expect(fileIdentities(answer.demo!.files)).toContain('file:/etc/demo/');
  });
});

describe('parseDebContents', () => {
  it('reads dpkg-deb --contents: directories keep their slash, links their own name', () => {
    const listing = [
      'drwxr-xr-x root/root         0 2026-12-01 20:00 ./',
      'drwxr-xr-x root/root         0 2026-12-01 20:00 ./etc/demo/',
      '-rw-r--r-- root/root        12 2026-12-01 20:00 ./usr/share/demo app/index.html',
      'lrwxrwxrwx root/root         0 2026-12-01 20:00 ./usr/bin/demo -> ../share/demo/run',
      '',
    ].join('\n');
    expect(parseDebContents(listing)).toEqual(['/etc/demo/', '/usr/share/demo app/index.html', '/usr/bin/demo']);
  });
});

describe('fileIdentities of an archive listing', () => {
  it('provides an empty directory the package ships as its own, and its files', () => {
    const ids = fileIdentities(['/etc/', '/etc/demo/', '/usr/', '/usr/share/', '/usr/share/demo-app/', '/usr/share/demo-app/index.html', '/usr/lib/systemd/system/demo.service']);
    expect(ids).toContain('file:/etc/demo/');
    expect(ids).toContain('file:/usr/share/demo-app/');
    expect(ids).toContain('file:/usr/share/demo-app/index.html');
    expect(ids).toContain('file:/usr/lib/systemd/system/demo.service');
    expect(ids).not.toContain('file:/etc/');
    expect(ids).not.toContain('file:/usr/share/');
  });
});

describe('prepareOwnedFiles', () => {
  let saved: string | undefined;
  let n = 0;
  beforeEach(() => {
    // A bus address of its own per test: the cache is kept per address.
    saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=/nonexistent/rxmgmt-files-test-${++n}`;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  });

  it('fills the cache autoEdges reads, asking only for names it does not know yet', async () => {
    const { client, calls } = fakeClient([[INSTALLED, HELLO]], { [HELLO]: ['/usr/bin/hello'] });
    const log = memoryLogger();
    const opts = { scheduler: new VirtualTimeScheduler(), log, client$: of(client) };
    expect(ownedFiles('hello')).toBeUndefined();
    await prepareOwnedFiles(['hello', 'figlet'], opts);
    expect(ownedFiles('hello')).toEqual({ id: HELLO, files: ['/usr/bin/hello'], source: 'installed' });
    expect(ownedFiles('figlet')).toBeNull(); // asked: PackageKit knows no such package
    await prepareOwnedFiles(['figlet', 'hello'], opts);
    expect(calls).toHaveLength(3); // Resolve + GetFiles, and Resolve(newest) for figlet: the first call only

    forgetFilesOf(['hello']); // a transaction of ours installed or removed it
    expect(ownedFiles('hello')).toBeUndefined();
    await prepareOwnedFiles(['figlet', 'hello'], opts);
    expect(calls.slice(3)).toEqual([`Resolve ${(1n << 2n) | (1n << 18n)} hello`, `GetFiles ${HELLO}`]);
    expect(log.lines.filter((l) => l.includes('warn'))).toEqual([]);
  });

  it('never rejects: a failed lookup is a warning, and its names are not asked again', async () => {
    const log = memoryLogger();
    const client$ = throwError(() => new Error('cannot connect to the system bus at unix:path=/nowhere: ENOENT'));
    const before = filesLookupStats.lookups;
    await prepareOwnedFiles(['hello'], { scheduler: new VirtualTimeScheduler(), log, client$ });
    expect(ownedFiles('hello')).toBeNull();
    expect(log.lines).toContainEqual(expect.stringContaining('cannot ask PackageKit which files hello own (no file autoedges for them): cannot connect'));
    await prepareOwnedFiles(['hello'], { scheduler: new VirtualTimeScheduler(), log, client$ });
    expect(filesLookupStats.lookups).toBe(before + 1);
  });

  it('gives up at the deadline, on the scheduler it is given (virtual time here)', async () => {
    const log = memoryLogger();
    const scheduler = new VirtualTimeScheduler();
    const silent: FilesClient = { resolve: () => NEVER, getFiles: () => NEVER, download: () => NEVER };
    let settled = false;
    const done = prepareOwnedFiles(['hello'], { scheduler, log, client$: of(silent) }).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    scheduler.maxFrames = FILES_LOOKUP_TIMEOUT_MS - 1;
    scheduler.flush();
    await Promise.resolve();
    expect(settled).toBe(false);
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    await done;
    expect(scheduler.frame).toBe(FILES_LOOKUP_TIMEOUT_MS);
    expect(ownedFiles('hello')).toBeNull();
    expect(log.lines).toContainEqual(expect.stringContaining(`no answer within ${FILES_LOOKUP_TIMEOUT_MS / 1000} s`));
  });

  it('drops an answer older than a forget that happened meanwhile', async () => {
    const answer$ = new Subject<TransactionResult>();
    let resolves = 0;
    const client: FilesClient = { resolve: () => (resolves++ === 0 ? answer$ : of(result([]))), getFiles: () => of(result([], {})), download: () => of(result([], {})) };
    const done = prepareOwnedFiles(['hello', 'sl'], { scheduler: new VirtualTimeScheduler(), log: memoryLogger(), client$: of(client) });
    forgetFilesOf(['hello']); // our install finished while the lookup was on its way
    answer$.next(result([])); // the (older) answer: nothing installed
    await done;
    expect(ownedFiles('hello')).toBeUndefined(); // asked again at the next graph build
    expect(ownedFiles('sl')).toBeNull();
  });
});
