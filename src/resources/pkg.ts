// pkg: a package installed, uninstalled, at its newest or at an exact version, through
// PackageKit's D-Bus API (org.freedesktop.PackageKit), so one resource works on apt, dnf, zypper,
// pacman... Fields follow mgmt's pkg resource, so mgmt graphs run unchanged. Several pkg
// resources with autogroup on merge into one vertex that runs ONE transaction for all of them.
import { type Observable, defer, firstValueFrom, map, merge, switchMap, take, throwError, timeout } from 'rxjs';
import { existsSync } from 'node:fs';
import type { ResourceSpec } from '../model/spec.js';
import type { Logger } from '../util/logger.js';
import { watchPath } from '../watch/index.js';
import { useBus } from '../dbus/bus.js';
import { PackageKitClient, type PackageRow, type TransactionResult } from '../dbus/packagekit.js';
import { Filter, TransactionFlag, bitfield, rowIsInstalled } from '../dbus/packagekit-enums.js';
import { announceFilesChanged, fileIdentities, filesForgotten$, forgetFilesOf, ownedFiles, prepareOwnedFiles } from '../dbus/packagekit-files.js';
import type { Graph } from '../model/graph.js';
import type { ChangeSink } from '../model/events.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';
import { didYouMean } from '../yaml/suggest.js';

const fields: Record<string, FieldSchema> = {
  state: {
    type: 'string',
    default: 'installed',
    doc: 'installed, uninstalled, newest, or an exact version (as the package manager spells it, e.g. "2.10-3")',
  },
  allowuntrusted: { type: 'boolean', default: false, doc: 'allow packages that are not signed by a trusted key' },
  allownonfree: { type: 'boolean', default: false, doc: 'allow packages PackageKit does not call free (non-free, or from repositories without a free component)' },
  allowunsupported: {
    type: 'boolean',
    default: false,
    doc: "allow packages PackageKit does not call supported (on Debian's apt backend: anything outside the distribution's own archive)",
  },
};

/** Deadlines through the engine's scheduler; generous, PackageKit waits for the package manager's lock. */
export const PKG_TIMEOUTS = {
  /** A query (Resolve), including D-Bus activation of packagekitd and loading its cache. */
  queryMs: 5 * 60_000,
  /** Install, update or remove, including downloads. */
  changeMs: 60 * 60_000,
};

/** Package databases whose changes mean "something installed or removed packages" (local host). */
const PACKAGE_DATABASES = ['/var/lib/dpkg/status', '/var/lib/rpm/rpmdb.sqlite', '/var/lib/rpm/Packages'];

type StateClass = 'install' | 'remove' | 'newest';

interface PkgWant {
  name: string;
  /** installed | uninstalled | newest | an exact version. */
  state: string;
}

interface PkgFlags {
  allowUntrusted: boolean;
  allowNonFree: boolean;
  allowUnsupported: boolean;
}

/** One transaction that changed (or would have changed) the system. */
export interface PkgTransactionRecord {
  method: 'InstallPackages' | 'UpdatePackages' | 'RemovePackages';
  packageIds: string[];
}

const stateClass = (state: string): StateClass => (state === 'uninstalled' ? 'remove' : state === 'newest' ? 'newest' : 'install');

function validate(params: Record<string, unknown>, name?: string): string | undefined {
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9+._:~-]*$/.test(name)) {
    return `"${name}" is not a package name (letters, digits and "+._:~-", starting with a letter or digit)`;
  }
  const state = params.state === undefined ? 'installed' : params.state;
  if (typeof state !== 'string') return `\`state\` must be a string: installed, uninstalled, newest or a version, got ${JSON.stringify(state)}`;
  if (state === '' || /[\s;,]/.test(state)) {
    return `\`state\` must be installed, uninstalled, newest or a version, got "${state}"`;
  }
  const typo = stateTypo(state);
  if (typo) return `\`state\` "${state}" is not a state (did you mean "${typo}"?); expected installed, uninstalled, newest or a version`;
  return undefined;
}

/** Words other tools use for our states: taken as a version they would fail much later, unclearly. */
const stateSynonyms: Record<string, string> = {
  latest: 'newest',
  upgraded: 'newest',
  present: 'installed',
  absent: 'uninstalled',
  removed: 'uninstalled',
  purged: 'uninstalled',
};

/** The state a word that is no version (versions start with a digit) was probably meant to be. */
function stateTypo(state: string): string | undefined {
  if (/^[0-9]/.test(state) || stateClass(state) !== 'install' || state === 'installed') return undefined;
  const synonym = stateSynonyms[state.toLowerCase()];
  if (synonym) return synonym;
  return /"(.*)"/.exec(didYouMean(state, ['installed', 'uninstalled', 'newest']))?.[1];
}

export class PkgResource implements Resource {
  readonly kind = 'pkg';
  readonly fingerprint: string;
  /** Every transaction this resource ran that changes packages, in order (one per kind per run). */
  readonly transactions: PkgTransactionRecord[] = [];
  private readonly log: Logger;
  private edges?: AutoEdges;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly wants: readonly PkgWant[],
    readonly flags: PkgFlags,
    private readonly env: ResourceEnv,
    /** For a group: its members, whose autoedges it unites. */
    private readonly members: readonly PkgResource[] = [],
  ) {
    this.fingerprint = JSON.stringify({ wants: [...wants].sort((a, b) => a.name.localeCompare(b.name)), flags });
    this.log = env.log.child(`pkg[${name}]`);
  }

  /**
   * Emits when installed packages may have changed: PackageKit's UpdatesChanged (after any
   * transaction, and after apt or dpkg runs: apt's hook calls StateHasChanged) and
   * RepoListChanged, and changes of this host's package database file (dpkg, rpm), which catch
   * a bare `dpkg -i` too.
   */
  watch(): Observable<void> {
    const pk$ = useBus('system').pipe(switchMap((conn) => new PackageKitClient(conn).changes()));
    const db$ = PACKAGE_DATABASES.filter((f) => existsSync(f)).map((f) => watchPath(f));
    return merge(pk$, ...db$).pipe(map(() => undefined));
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return useBus('system').pipe(
      switchMap((conn) => defer(() => this.run(new PackageKitClient(conn), apply, changes))),
      take(1),
    );
  }

  /** Each package by name (a group: all of its members'). */
  manages(): string[] {
    return this.wants.map((w) => `pkg:${w.name}`);
  }

  /**
   * Autogroup: same kind of transaction (install, remove, newest), same allow* flags and the
   * same meta params (a noop package must never be applied with the others).
   */
  groupKey(): string | undefined {
    const classes = new Set(this.wants.map((w) => stateClass(w.state)));
    if (classes.size !== 1) return undefined;
    return JSON.stringify({ class: [...classes][0], flags: this.flags, meta: this.meta });
  }

  /**
   * A package provides the files it owns (`file:<path>`, and `file:<dir>/` for its own
   * directories, empty ones included), so file resources in its directories and a svc whose
   * unit file it ships come after it; the kind's prepare() has looked them up before the graph
   * build: from PackageKit for an installed package, from its downloaded archive for one that
   * is not installed yet. Only when neither could be had, it provides what a package of that
   * name almost always owns: /lib/systemd/system/NAME.service (and under /usr/lib), /etc/NAME/
   * and /usr/share/doc/NAME/.
   */
  autoEdges(): AutoEdges {
    if (this.edges) return this.edges;
    const provides = new Set<string>();
    if (this.members.length > 0) {
      for (const m of this.members) for (const id of m.autoEdges().provides) provides.add(id);
    } else {
      for (const w of this.wants) {
        provides.add(`pkg:${w.name}`);
        if (w.state === 'uninstalled') continue;
        const owned = ownedFiles(w.name);
        if (owned && owned.files.length > 0) {
          for (const id of fileIdentities(owned.files)) provides.add(id);
        } else {
          // Its files could not be known (no PackageKit, no candidate, a failed download): what
          // a package of that name almost always owns. Every Debian package has /usr/share/doc/NAME/; most daemons ship
          // NAME.service and keep their configuration in /etc/NAME/.
          for (const dir of ['/lib/systemd/system', '/usr/lib/systemd/system']) provides.add(`file:${dir}/${w.name}.service`);
          provides.add(`file:/etc/${w.name}/`);
          provides.add(`file:/usr/share/doc/${w.name}/`);
        }
      }
    }
    this.edges = { provides: [...provides], wants: [] };
    return this.edges;
  }

  private query(o: Observable<TransactionResult>, what: string): Promise<TransactionResult> {
    return this.within(o, PKG_TIMEOUTS.queryMs, what);
  }

  private within(o: Observable<TransactionResult>, ms: number, what: string): Promise<TransactionResult> {
    return firstValueFrom(
      o.pipe(
        timeout({
          first: ms,
          scheduler: this.env.scheduler,
          with: () => throwError(() => new Error(`pkg[${this.name}]: ${what}: no answer from PackageKit within ${ms / 1000} s`)),
        }),
      ),
    ).catch((err: Error) => {
      throw err.message.startsWith('pkg[') ? err : new Error(`pkg[${this.name}]: ${err.message}`, { cause: err });
    });
  }

  /** Resolve with the filters that decide what may be installed: arch, free and supported unless allowed. */
  private candidateFilter(extra: number[]): bigint {
    const f: number[] = [Filter.arch, ...extra];
    if (!this.flags.allowNonFree) f.push(Filter.free);
    if (!this.flags.allowUnsupported) f.push(Filter.supported);
    return bitfield(f);
  }

  private async run(pk: PackageKitClient, apply: boolean, changes?: ChangeSink): Promise<boolean> {
    const names = [...new Set(this.wants.map((w) => w.name))];
    // 1. What is installed: arch filter only, so that no free/supported filter hides an
    //    installed package (which would then be "installed" forever, mgmt issue #988's cousin).
    const current = byName((await this.query(pk.resolve(bitfield([Filter.arch]), names), 'Resolve')).packages);
    const installedOf = (n: string) => (current.get(n) ?? []).filter((r) => rowIsInstalled(r.info, r.pkg.data));

    const problems: string[] = [];
    const missing = this.wants.filter((w) => !current.has(w.name)).map((w) => w.name);
    if (missing.length > 0) {
      problems.push(
        `${missing.length === 1 ? 'package' : 'packages'} ${missing.map((n) => `"${n}"`).join(', ')} not found (PackageKit resolved nothing for ${missing.length === 1 ? 'it' : 'them'} on this architecture)`,
      );
    }
    const found = this.wants.filter((w) => current.has(w.name));

    // 2. Candidates, only for what may need installing: newest rows for installed/newest,
    //    every row for exact versions; restricted by the free/supported filters.
    const needNewest = found.filter((w) => w.state === 'newest' || (w.state === 'installed' && installedOf(w.name).length === 0));
    const needVersion = found.filter(
      (w) => stateClass(w.state) === 'install' && w.state !== 'installed' && !installedOf(w.name).some((r) => r.pkg.version === w.state),
    );
    const newest = needNewest.length
      ? byName((await this.query(pk.resolve(this.candidateFilter([Filter.newest]), needNewest.map((w) => w.name)), 'Resolve (newest)')).packages)
      : new Map<string, PackageRow[]>();
    const versions = needVersion.length
      ? byName((await this.query(pk.resolve(this.candidateFilter([]), needVersion.map((w) => w.name)), 'Resolve (versions)')).packages)
      : new Map<string, PackageRow[]>();

    const install: PackageRow[] = [];
    const update: PackageRow[] = [];
    const remove: PackageRow[] = [];
    let downgrade = false;
    const blocked = (n: string) =>
      `"${n}" exists but no installable candidate passes the filters${this.flags.allowUnsupported ? '' : ' (set allowunsupported: true for packages from outside the distribution)'}${this.flags.allowNonFree ? '' : ' (set allownonfree: true for non-free packages)'}`;

    for (const w of found) {
      const inst = installedOf(w.name);
      if (w.state === 'installed') {
        if (inst.length > 0) continue;
        const cand = (newest.get(w.name) ?? []).find((r) => !rowIsInstalled(r.info, r.pkg.data));
        if (cand) install.push(cand);
        else problems.push(blocked(w.name));
      } else if (w.state === 'uninstalled') {
        remove.push(...inst);
      } else if (w.state === 'newest') {
        // Resolve(newest) lists the installed version beside the candidate when they differ
        // (apt): the candidate is the row that is not installed, if there is one.
        const rows = newest.get(w.name) ?? [];
        const cand = rows.find((r) => !rowIsInstalled(r.info, r.pkg.data)) ?? rows[0];
        if (!cand) {
          problems.push(blocked(w.name));
          continue;
        }
        if (inst.some((r) => r.pkg.version === cand.pkg.version)) continue;
        (inst.length > 0 ? update : install).push(cand);
      } else {
        if (inst.some((r) => r.pkg.version === w.state)) continue;
        const rows = versions.get(w.name) ?? [];
        const cand = rows.find((r) => r.pkg.version === w.state && !rowIsInstalled(r.info, r.pkg.data));
        if (!cand) {
          const offered = [...new Set([...(current.get(w.name) ?? []), ...rows].map((r) => r.pkg.version))].join(', ');
          problems.push(`version "${w.state}" of "${w.name}" is not available (PackageKit offers: ${offered || 'nothing'})`);
          continue;
        }
        if (inst.length > 0) downgrade = true; // allow moving to an older version too
        install.push(cand);
      }
    }

    const todo = install.length + update.length + remove.length;
    if (todo === 0) {
      if (problems.length > 0) throw new Error(`pkg[${this.name}]: ${problems.join('; ')}`);
      return true;
    }

    const would = apply ? '' : 'noop, would ';
    const show = (rows: PackageRow[]) => rows.map((r) => `${r.pkg.name} ${r.pkg.version}`).join(', ');
    // One change per package, its version moving: `hello: absent` -> `hello: 2.10-3`.
    const versionOf = (n: string) => installedOf(n).map((r) => r.pkg.version).join(', ') || 'absent';
    for (const r of [...install, ...update]) changes?.({ field: 'state', from: `${r.pkg.name}: ${versionOf(r.pkg.name)}`, to: `${r.pkg.name}: ${r.pkg.version}` });
    for (const r of remove) changes?.({ field: 'state', from: `${r.pkg.name}: ${r.pkg.version}`, to: `${r.pkg.name}: absent` });
    if (install.length) this.log.info(`${would}install ${show(install)}`);
    if (update.length) this.log.info(`${would}update to ${show(update)}`);
    if (remove.length) this.log.info(`${would}remove ${show(remove)}`);

    if (apply) {
      const trusted = this.flags.allowUntrusted ? [] : [TransactionFlag.onlyTrusted];
      if (install.length) {
        await this.change('InstallPackages', install, (ids) => pk.install(bitfield([...trusted, ...(downgrade ? [TransactionFlag.allowDowngrade] : [])]), ids));
      }
      if (update.length) await this.change('UpdatePackages', update, (ids) => pk.update(bitfield(trusted), ids));
      // Dependents are not removed with it (allow_deps false): that fails, naming them, instead.
      if (remove.length) await this.change('RemovePackages', remove, (ids) => pk.remove(bitfield(trusted), ids, false, false));
      const touched = [...install, ...update, ...remove].map((r) => r.pkg.name);
      forgetFilesOf(touched);
      try {
        await this.verify(pk, install, update, remove);
      } finally {
        announceFilesChanged(touched); // the graphs holding them are prepared and built again
      }
    }
    if (problems.length > 0) throw new Error(`pkg[${this.name}]: ${problems.join('; ')}`);
    return false;
  }

  /** One change transaction for all the given packages; recorded and logged. */
  private async change(
    method: PkgTransactionRecord['method'],
    rows: PackageRow[],
    run: (ids: string[]) => Observable<TransactionResult>,
  ): Promise<void> {
    const packageIds = [...new Set(rows.map((r) => r.pkg.id))];
    this.transactions.push({ method, packageIds });
    this.log.info(`transaction ${method} (${packageIds.length} package${packageIds.length === 1 ? '' : 's'}): ${packageIds.join(' ')}`);
    await this.within(run(packageIds), PKG_TIMEOUTS.changeMs, method);
  }

  /**
   * Resolves again and checks that the transactions did what they said: a transaction that
   * "succeeds" without changing anything must fail loudly, not loop forever (mgmt issue #988).
   */
  private async verify(pk: PackageKitClient, install: PackageRow[], update: PackageRow[], remove: PackageRow[]): Promise<void> {
    const names = [...new Set([...install, ...update, ...remove].map((r) => r.pkg.name))];
    const now = byName((await this.query(pk.resolve(bitfield([Filter.arch]), names), 'Resolve (verify)')).packages);
    const installedVersions = (n: string) => (now.get(n) ?? []).filter((r) => rowIsInstalled(r.info, r.pkg.data)).map((r) => r.pkg.version);
    const wrong: string[] = [];
    for (const r of [...install, ...update]) {
      if (!installedVersions(r.pkg.name).includes(r.pkg.version)) wrong.push(`${r.pkg.name} ${r.pkg.version} is not installed`);
    }
    for (const r of remove) if (installedVersions(r.pkg.name).length > 0) wrong.push(`${r.pkg.name} is still installed`);
    if (wrong.length > 0) throw new Error(`pkg[${this.name}]: PackageKit reported success, yet ${wrong.join('; ')}`);
  }
}

function byName(rows: PackageRow[]): Map<string, PackageRow[]> {
  const out = new Map<string, PackageRow[]>();
  for (const r of rows) out.set(r.pkg.name, [...(out.get(r.pkg.name) ?? []), r]);
  return out;
}

export const pkgKind: ResourceKind = {
  kind: 'pkg',
  doc:
    'A package: installed, uninstalled, at its newest or at an exact version, through PackageKit ' +
    '(any backend: apt, dnf, zypper, ...). Packages with autogroup on are installed together in ' +
    'one PackageKit transaction; installs and removals made outside rxmgmt are noticed at once.',
  fields,
  validate: (params) => validate(params),
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params, spec.name);
    if (problem) throw new Error(`pkg[${spec.name}]: ${problem}`);
    const p = spec.params;
    const state = typeof p.state === 'string' ? p.state : 'installed';
    return new PkgResource(spec.name, spec.meta, [{ name: spec.name, state }], {
      allowUntrusted: p.allowuntrusted === true,
      allowNonFree: p.allownonfree === true,
      allowUnsupported: p.allowunsupported === true,
    }, env);
  },
  /** Looks up the files of the graph's packages (see autoEdges), in one PackageKit round. */
  prepare(specs: ResourceSpec[], env: ResourceEnv): Promise<void> {
    const names = specs
      .filter((s) => s.meta.autoedge && s.params.state !== 'uninstalled' && validate(s.params, s.name) === undefined)
      .map((s) => s.name);
    // A noop package is never downloaded (not even into the package cache); it gets the guesses.
    const noDownload = new Set(specs.filter((s) => s.meta.noop).map((s) => s.name));
    return prepareOwnedFiles(names, { scheduler: env.scheduler, log: env.log.child('pkg'), noDownload });
  },
  /** After each of our transactions, the graphs with packages look up their files again. */
  changed$: filesForgotten$.pipe(map(() => undefined)),
  built: (graph, env) => explainMissingEdges(graph, env),
  group(members: Resource[], env: ResourceEnv): Resource {
    const pkgs = members as PkgResource[];
    return new PkgResource(
      pkgs.map((m) => m.name).join(','),
      pkgs[0].meta,
      pkgs.flatMap((m) => m.wants),
      pkgs[0].flags,
      env,
      pkgs,
    );
  },
};

/**
 * Says at debug level when a svc or file resource shares a package's name yet gets no edge from
 * it: usually the package ships its service under another name (`demo-app` ships `demo.service`),
 * and the order must be written as an explicit edge.
 */
function explainMissingEdges(graph: Graph, env: ResourceEnv): void {
  const log = env.log.child('pkg');
  const from = new Map<string, Set<string>>();
  for (const e of graph.edges) from.set(e.from, (from.get(e.from) ?? new Set()).add(e.to));
  for (const [key, r] of graph.vertices) {
    if (!(r instanceof PkgResource) || !r.meta.autoedge) continue;
    for (const w of r.wants) {
      if (w.state === 'uninstalled') continue;
      for (const other of [`svc[${w.name}]`, `svc[${w.name}.service]`, `file[${w.name}]`]) {
        if (!graph.vertices.has(other) || from.get(key)?.has(other)) continue;
        const units = (ownedFiles(w.name)?.files ?? []).filter((f) => /\/systemd\/system\/[^/]+\.service$/.test(f)).map((f) => f.slice(f.lastIndexOf('/') + 1));
        const ships = other.startsWith('svc') ? ` (it ships ${units.length ? units.join(', ') : 'no service unit'})` : '';
        log.debug(`${key} and ${other} share a name, but no automatic edge joins them${ships}; write an edge if one must come first`);
      }
    }
  }
}
