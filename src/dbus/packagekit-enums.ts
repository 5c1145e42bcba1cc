// PackageKit's enums and package ids, as they travel on D-Bus. Pure, so all of it is unit-tested.
//
// Two kinds of numbers: *bitfields* (filters, transaction flags: `1 << enum value`, sent as a
// uint64) and plain *enum values* (a Package signal's info, ErrorCode's code, Finished's exit,
// a transaction's role). Mixing the two up is how a client ends up never seeing a package as
// installed.

/** PkFilterEnum values; a filter bitfield is the OR of `1n << value`. */
export const Filter = {
  none: 1,
  installed: 2,
  notInstalled: 3,
  free: 8,
  notFree: 9,
  supported: 12,
  notSupported: 13,
  newest: 16,
  notNewest: 17,
  arch: 18,
  notArch: 19,
} as const;

/** PkTransactionFlagEnum values; flags are the OR of `1n << value`. */
export const TransactionFlag = {
  none: 0,
  onlyTrusted: 1,
  simulate: 2,
  onlyDownload: 3,
  allowReinstall: 4,
  justReinstall: 5,
  allowDowngrade: 6,
} as const;

/** The bitfield (uint64, as a bigint for dbus-next) of the given enum values. */
export function bitfield(values: readonly number[]): bigint {
  return values.reduce((acc, v) => acc | (1n << BigInt(v)), 0n);
}

/** The enum values set in a bitfield. */
export function bitsOf(field: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if (field & (1n << BigInt(i))) out.push(i);
  return out;
}

/** PkInfoEnum, in order (the Package signal's first argument is an index into this). */
export const INFO_NAMES = [
  'unknown', 'installed', 'available', 'low', 'enhancement', 'normal', 'bugfix', 'important', 'security', 'blocked',
  'downloading', 'updating', 'installing', 'removing', 'cleanup', 'obsoleting', 'collection-installed',
  'collection-available', 'finished', 'reinstalling', 'downgrading', 'preparing', 'decompressing', 'untrusted',
  'trusted', 'unavailable', 'critical',
] as const;

export const Info = { unknown: 0, installed: 1, available: 2, collectionInstalled: 16 } as const;

/** PkExitEnum, in order (Finished's first argument). */
export const EXIT_NAMES = [
  'unknown', 'success', 'failed', 'cancelled', 'key-required', 'eula-required', 'killed', 'media-change-required',
  'need-untrusted', 'cancelled-priority', 'skip-transaction', 'repair-required',
] as const;

export const Exit = { success: 1 } as const;

/** PkErrorEnum, in order (ErrorCode's first argument). */
export const ERROR_NAMES = [
  'unknown', 'out-of-memory', 'no-network', 'not-supported', 'internal-error', 'gpg-failure', 'package-id-invalid',
  'package-not-installed', 'package-not-found', 'package-already-installed', 'package-download-failed',
  'group-not-found', 'group-list-invalid', 'dep-resolution-failed', 'filter-invalid', 'create-thread-failed',
  'transaction-error', 'transaction-cancelled', 'no-cache', 'repo-not-found', 'cannot-remove-system-package',
  'process-kill', 'failed-initialization', 'failed-finalise', 'failed-config-parsing', 'cannot-cancel',
  'cannot-get-lock', 'no-packages-to-update', 'cannot-write-repo-config', 'local-install-failed',
  'bad-gpg-signature', 'missing-gpg-signature', 'cannot-install-source-package', 'repo-configuration-error',
  'no-license-agreement', 'file-conflicts', 'package-conflicts', 'repo-not-available', 'invalid-package-file',
  'package-install-blocked', 'package-corrupt', 'all-packages-already-installed', 'file-not-found',
  'no-more-mirrors-to-try', 'no-distro-upgrade-data', 'incompatible-architecture', 'no-space-on-device',
  'media-change-required', 'not-authorized', 'update-not-found', 'cannot-install-repo-unsigned',
  'cannot-update-repo-unsigned', 'cannot-get-filelist', 'cannot-get-requires', 'cannot-disable-repository',
  'restricted-download', 'package-failed-to-configure', 'package-failed-to-build', 'package-failed-to-install',
  'package-failed-to-remove', 'failed-due-to-running-process', 'package-database-changed',
  'provide-type-not-supported', 'install-root-invalid', 'cannot-fetch-sources', 'cancelled-priority',
  'unfinished-transaction', 'lock-required', 'repo-already-set',
] as const;

export const ErrorCode = { packageNotFound: 8, packageNotInstalled: 7, allPackagesAlreadyInstalled: 41 } as const;

/** PkRoleEnum, in order (a transaction's Role property, GetOldTransactions' role). */
export const ROLE_NAMES = [
  'unknown', 'cancel', 'depends-on', 'get-details', 'get-files', 'get-packages', 'get-repo-list', 'required-by',
  'get-update-detail', 'get-updates', 'install-files', 'install-packages', 'install-signature', 'refresh-cache',
  'remove-packages', 'repo-enable', 'repo-set-data', 'resolve', 'search-details', 'search-file', 'search-group',
  'search-name', 'update-packages', 'what-provides', 'accept-eula', 'download-packages', 'get-distro-upgrades',
  'get-categories', 'get-old-transactions', 'repair-system', 'get-details-local', 'get-files-local', 'repo-remove',
  'upgrade-system', 'import-pubkey',
] as const;

const nameIn = (names: readonly string[], v: number): string => names[v] ?? `#${v}`;
export const infoName = (v: number): string => nameIn(INFO_NAMES, v);
export const exitName = (v: number): string => nameIn(EXIT_NAMES, v);
export const errorName = (v: number): string => nameIn(ERROR_NAMES, v);
export const roleName = (v: number): string => nameIn(ROLE_NAMES, v);

/** A package id: `name;version;arch;data`. */
export interface PackageId {
  id: string;
  name: string;
  version: string;
  arch: string;
  /** Backend-specific: a repository id, or the installed state (see `dataSaysInstalled`). */
  data: string;
}

/** Splits a package id; undefined when it is not `name;version;arch;data`. */
export function parsePackageId(id: string): PackageId | undefined {
  const parts = id.split(';');
  if (parts.length !== 4 || parts[0] === '') return undefined;
  const [name, version, arch, data] = parts as [string, string, string, string];
  return { id, name, version, arch, data };
}

/**
 * Whether a package id's data field says "installed", for backends that say so there:
 * "installed" (and "installed:<repo>", dnf and older backends) or, on Debian's apt backend,
 * "auto:<repo>" / "manual:<repo>" (how it was installed). A repository id alone means
 * available. Only a fallback: the Package signal's info enum is the authority.
 */
export function dataSaysInstalled(data: string): boolean {
  return data === 'installed' || /^(installed|auto|manual):/.test(data);
}

/**
 * Is this Package row an installed package? The info enum decides (installed, or a
 * collection installed); only when the backend leaves it unknown does the data field count.
 * (mgmt issue #988: deciding from the data field alone never saw apt's packages as installed.)
 */
export function rowIsInstalled(info: number, data: string): boolean {
  if (info === Info.installed || info === Info.collectionInstalled) return true;
  if (info === Info.unknown) return dataSaysInstalled(data);
  return false;
}
