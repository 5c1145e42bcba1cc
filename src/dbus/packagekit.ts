// A client of PackageKit (org.freedesktop.PackageKit) on one bus connection: each method runs in
// its own transaction object, whose signals (Package, Packages, Files, ErrorCode, Finished) are
// collected into one result. packagekitd is D-Bus activated by CreateTransaction and exits when
// idle, so nothing here assumes it is running; a daemon that vanishes mid-transaction is an error.
import { Observable, defer, from, switchMap, filter, merge, map } from 'rxjs';
import type { Message } from 'dbus-next';
import type { BusConnection } from './bus.js';
import { Exit, errorName, exitName, parsePackageId, type PackageId } from './packagekit-enums.js';

export const PK = {
  name: 'org.freedesktop.PackageKit',
  path: '/org/freedesktop/PackageKit',
  iface: 'org.freedesktop.PackageKit',
  tx: 'org.freedesktop.PackageKit.Transaction',
} as const;

export interface PackageRow {
  /** PkInfoEnum value (installed = 1, available = 2, ...). */
  info: number;
  pkg: PackageId;
  summary: string;
}

export interface TransactionResult {
  /** The transaction's object path. */
  path: string;
  /** Package rows, duplicates (same info and id) removed: Resolve can repeat rows. */
  packages: PackageRow[];
  /** Files signal: package id -> paths. */
  files: Map<string, string[]>;
  /** PkExitEnum value of Finished. */
  exit: number;
}

/** A transaction that ended in ErrorCode, or without success. */
export class PackageKitError extends Error {
  constructor(
    readonly method: string,
    /** PkErrorEnum value, or -1 when the transaction failed without an ErrorCode. */
    readonly code: number,
    readonly details: string,
  ) {
    super(`PackageKit ${method} failed: ${code >= 0 ? errorName(code) : 'no error code'}${details ? `: ${details}` : ''}`);
    this.name = 'PackageKitError';
  }
  get codeName(): string {
    return this.code >= 0 ? errorName(this.code) : '';
  }
}

/** Hints for every transaction: never wait for a user to answer anything. */
const HINTS = ['interactive=false', 'background=false', 'locale=C.UTF-8'];

export class PackageKitClient {
  constructor(readonly conn: BusConnection) {}

  /**
   * Runs one method in a fresh transaction and emits its collected result once Finished
   * arrives (then completes). ErrorCode or an unsuccessful exit becomes a PackageKitError.
   * The signal match is in place before the method is called.
   */
  transaction(method: string, signature: string, args: unknown[]): Observable<TransactionResult> {
    return defer(() => from(this.conn.call(PK.name, PK.path, PK.iface, 'CreateTransaction'))).pipe(
      switchMap(([path]) => this.run(String(path), method, signature, args)),
    );
  }

  private run(path: string, method: string, signature: string, args: unknown[]): Observable<TransactionResult> {
    return new Observable<TransactionResult>((sub) => {
      const seen = new Set<string>();
      const packages: PackageRow[] = [];
      const files = new Map<string, string[]>();
      let error: { code: number; details: string } | undefined;
      const addPackage = (info: number, id: string, summary: string) => {
        const key = `${info};${id}`;
        const pkg = parsePackageId(id);
        if (seen.has(key) || !pkg) return;
        seen.add(key);
        packages.push({ info, pkg, summary });
      };
      const onSignal = (msg: Message) => {
        const body = msg.body as unknown[];
        switch (msg.member) {
          case 'Package':
            addPackage(Number(body[0]), String(body[1]), typeof body[2] === 'string' ? body[2] : '');
            break;
          case 'Packages':
            for (const [info, id, summary] of body[0] as [number, string, string][]) addPackage(Number(info), String(id), String(summary));
            break;
          case 'Files':
            files.set(String(body[0]), [...(files.get(String(body[0])) ?? []), ...(body[1] as string[])]);
            break;
          case 'ErrorCode':
            error ??= { code: Number(body[0]), details: typeof body[1] === 'string' ? body[1] : '' };
            break;
          case 'Finished': {
            const exit = Number(body[0]);
            if (error) sub.error(new PackageKitError(method, error.code, error.details));
            else if (exit !== Exit.success) sub.error(new PackageKitError(method, -1, `the transaction finished with exit "${exitName(exit)}"`));
            else {
              sub.next({ path, packages, files, exit });
              sub.complete();
            }
            break;
          }
          case 'Destroy':
            sub.error(new PackageKitError(method, -1, 'the transaction was destroyed before it finished'));
            break;
        }
      };
      const tx$ = this.conn.signalsReady({ sender: PK.name, path, interface: PK.tx });
      const gone$ = this.conn
        .signals({ sender: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameOwnerChanged', arg0: PK.name })
        .pipe(
          filter((m) => m.body[2] === ''),
          map(() => 'gone' as const),
        );
      const inner = merge(tx$, gone$).subscribe({
        next: (x) => {
          if (x === 'gone') {
            sub.error(new PackageKitError(method, -1, 'packagekitd exited during the transaction'));
          } else if (x === 'ready') {
            this.conn
              .call(PK.name, path, PK.tx, 'SetHints', 'as', [HINTS])
              .then(() => this.conn.call(PK.name, path, PK.tx, method, signature, args))
              .catch((err: unknown) => sub.error(err));
          } else {
            onSignal(x);
          }
        },
        error: (err) => sub.error(err),
      });
      return () => inner.unsubscribe();
    });
  }

  /** Resolve(filter, names): the Package rows for those names. */
  resolve(filterBits: bigint, names: string[]): Observable<TransactionResult> {
    return this.transaction('Resolve', 'tas', [filterBits, names]);
  }

  install(flags: bigint, ids: string[]): Observable<TransactionResult> {
    return this.transaction('InstallPackages', 'tas', [flags, ids]);
  }

  remove(flags: bigint, ids: string[], allowDeps: boolean, autoremove: boolean): Observable<TransactionResult> {
    return this.transaction('RemovePackages', 'tasbb', [flags, ids, allowDeps, autoremove]);
  }

  update(flags: bigint, ids: string[]): Observable<TransactionResult> {
    return this.transaction('UpdatePackages', 'tas', [flags, ids]);
  }

  /**
   * DownloadPackages(store_in_cache, ids): fetches the archives without installing them; the
   * Files signal names each downloaded archive (package id -> paths of its .deb/.rpm).
   */
  download(storeInCache: boolean, ids: string[]): Observable<TransactionResult> {
    return this.transaction('DownloadPackages', 'bas', [storeInCache, ids]);
  }

  /** GetFiles(ids): the files of each package (on apt: installed packages only). */
  getFiles(ids: string[]): Observable<TransactionResult> {
    return this.transaction('GetFiles', 'as', [ids]);
  }

  /**
   * Emits when the packages on the system may have changed: UpdatesChanged (sent after a
   * PackageKit transaction changed something, and after apt or dpkg runs through the hook
   * apt.conf.d/20packagekit, which calls StateHasChanged) and RepoListChanged.
   */
  changes(): Observable<string> {
    const sig = (member: string) => this.conn.signals({ sender: PK.name, path: PK.path, interface: PK.iface, member }).pipe(map(() => member));
    return merge(sig('UpdatesChanged'), sig('RepoListChanged'));
  }
}
