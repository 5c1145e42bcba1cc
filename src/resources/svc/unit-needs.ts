// What a service's unit file says it runs as and needs mounted, for svc's autoedges: read once,
// synchronously, at graph build (autoEdges() is synchronous), and bounded: one small read.
//
//   unitNeeds(readUnitFile(['/etc/systemd/system', '/lib/systemd/system'], 'app.service') ?? '')
//   // { users: ['app'], groups: ['app', 'log'], paths: ['/srv/data'], workingDirectory: '/srv/app' }
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';

/** A unit file is a few hundred bytes; past this the rest is not read (edges only, never state). */
const MAX_UNIT_BYTES = 64 * 1024;

export interface UnitNeeds {
  /** `User=`, unless `DynamicUser=` makes it an account systemd invents: names or digits. */
  users: string[];
  /** `Group=` (same rule) and `SupplementaryGroups=`. */
  groups: string[];
  /** `RequiresMountsFor=` and `WorkingDirectory=` (systemd mounts for both), normalised. */
  paths: string[];
  /** `WorkingDirectory=`, when it is an absolute path (not `~`). */
  workingDirectory?: string;
}

/**
 * The text of the unit file systemd would load for `unit`: the first of `dirs` that has it, as
 * systemd's precedence goes (a template's file for an instance without its own). Undefined when
 * there is none, it is not a regular file (a masked unit's /dev/null, a FIFO: opened without
 * blocking), or it cannot be read: autoedges do without, nothing fails.
 */
export function readUnitFile(dirs: readonly string[], unit: string): string | undefined {
  const template = unit.replace(/@[^@]+(\.[a-z]+)$/, '@$1');
  const names = template !== unit ? [unit, template] : [unit];
  for (const name of names) {
    for (const dir of dirs) {
      const text = readSmallRegular(posix.join(dir, name));
      if (text !== MISSING) return text;
    }
  }
  return undefined;
}

/** No such file: look in the next directory. */
const MISSING = Symbol('missing');

function readSmallRegular(path: string): string | undefined | typeof MISSING {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? MISSING : undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_UNIT_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Settings by section, in file order; a line ending in "\" goes on with the next one. */
function* settings(text: string): Generator<{ section: string; key: string; value: string }> {
  let section = '';
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (t.startsWith('[') && t.endsWith(']')) {
      section = t.slice(1, -1);
      continue;
    }
    const eq = t.indexOf('=');
    if (eq > 0) yield { section, key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim() };
  }
}

/** Space-separated words, quotes taken off; a word with a specifier (%i, %h) is left out: its value is systemd's. */
const words = (value: string): string[] =>
  (value.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2')).filter((w) => w !== '' && !w.includes('%'));

/** Normalised, without a trailing slash (but "/"). */
const normal = (p: string) => posix.normalize(p).replace(/(.)\/$/, '$1');

const isTrue = (v: string) => ['1', 'yes', 'true', 'on'].includes(v.toLowerCase());

/** The sections that carry User=, Group= and WorkingDirectory= (systemd.exec). */
const EXEC_SECTIONS = new Set(['Service', 'Socket', 'Mount', 'Swap']);

/**
 * The accounts and paths a unit file names. Later settings override earlier ones and an empty
 * list setting resets it, as systemd reads them. Drop-ins (`NAME.d/*.conf`) are not read.
 */
export function unitNeeds(text: string): UnitNeeds {
  let user: string | undefined;
  let group: string | undefined;
  let dynamic = false;
  let supplementary: string[] = [];
  let mounts: string[] = [];
  let workingDirectory: string | undefined;
  for (const { section, key, value } of settings(text)) {
    if (section === 'Unit' && key === 'RequiresMountsFor') mounts = value === '' ? [] : [...mounts, ...words(value)];
    if (!EXEC_SECTIONS.has(section)) continue;
    if (key === 'User') user = words(value)[0];
    else if (key === 'Group') group = words(value)[0];
    else if (key === 'DynamicUser') dynamic = isTrue(value);
    else if (key === 'SupplementaryGroups') supplementary = value === '' ? [] : [...supplementary, ...words(value)];
    else if (key === 'WorkingDirectory') {
      const dir = value.replace(/^-/, '');
      workingDirectory = posix.isAbsolute(dir) && !dir.includes('%') ? normal(dir) : undefined;
    }
  }
  const paths = [...mounts, ...(workingDirectory ? [workingDirectory] : [])].filter((p) => posix.isAbsolute(p)).map(normal);
  return {
    users: !dynamic && user ? [user] : [],
    groups: [...new Set([...(!dynamic && group ? [group] : []), ...supplementary])],
    paths: [...new Set(paths)],
    ...(workingDirectory ? { workingDirectory } : {}),
  };
}
