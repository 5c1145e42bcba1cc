// The mount tables a mount resource reads and writes: /etc/fstab lines (kept as they are, one
// replaced or removed per mount point), /proc/self/mountinfo, and systemd's name for the mount
// unit of a path. Pure, so all of it is unit-tested.

/** One fstab entry: `device point type options freq passno`. */
export interface FstabEntry {
  device: string;
  point: string;
  type: string;
  /** `defaults`, `size=16m,mode=0755`: mgmt's map, written in the order given. */
  options: string;
  freq: number;
  passno: number;
}

/** fstab and mountinfo write spaces, tabs, newlines and backslashes in fields as octal escapes. */
export const escapeField = (s: string): string => s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
export const unescapeField = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** mgmt's `options` map as fstab writes it: `key` for "", `key=value` otherwise. */
export function optionsText(options: Record<string, string>): string {
  const parts = Object.entries(options).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  return parts.length > 0 ? parts.join(',') : 'defaults';
}

export function fstabLine(e: FstabEntry): string {
  return [escapeField(e.device), escapeField(e.point), e.type, e.options, String(e.freq), String(e.passno)].join(' ');
}

/** The entry of a line, or undefined for comments, blank and malformed lines. */
export function parseFstabLine(line: string): FstabEntry | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const f = t.split(/\s+/);
  if (f.length < 4) return undefined;
  return { device: unescapeField(f[0]), point: unescapeField(f[1]), type: f[2], options: f[3], freq: Number(f[4] ?? 0) || 0, passno: Number(f[5] ?? 0) || 0 };
}

const normalPoint = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** The entry for `point` in an fstab text (the last one counts, as for mount(8)). */
export function fstabEntryFor(text: string, point: string): FstabEntry | undefined {
  let found: FstabEntry | undefined;
  for (const line of text.split('\n')) {
    const e = parseFstabLine(line);
    if (e && normalPoint(e.point) === point) found = e;
  }
  return found;
}

/**
 * `text` with `point`'s entry set to `entry` (every other line kept as it is: comments, order,
 * spacing), or removed when `entry` is undefined. The first entry for the point is replaced in
 * place, later duplicates dropped; a new entry goes at the end.
 */
export function fstabWith(text: string, point: string, entry: FstabEntry | undefined): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    const e = parseFstabLine(line);
    if (!e || normalPoint(e.point) !== point) {
      out.push(line);
      continue;
    }
    if (entry && !placed) out.push(fstabLine(entry));
    placed = true;
  }
  if (entry && !placed) out.push(fstabLine(entry));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** What /proc/self/mountinfo says of one mount. */
export interface MountInfo {
  point: string;
  type: string;
  source: string;
  /** Per-mount and per-superblock options together. */
  options: string[];
}

/** The mounts of a mountinfo text; the last one at a point is the one that is visible. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      point: unescapeField(f[4]),
      type: f[sep + 1],
      source: unescapeField(f[sep + 2]),
      options: [...f[5].split(','), ...(f[sep + 3] ?? '').split(',')].filter(Boolean),
    });
  }
  return out;
}

export const mountAt = (mounts: MountInfo[], point: string): MountInfo | undefined => mounts.filter((m) => m.point === point).pop();

/**
 * systemd's mount unit name for a path, as `systemd-escape --path --suffix=mount` gives it:
 * slashes trimmed and turned into "-", every byte outside [A-Za-z0-9:_.] (and a leading ".")
 * written as \xNN; "/" is "-.mount".
 */
export function mountUnitName(point: string): string {
  const trimmed = point.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (trimmed === '') return '-.mount';
  let out = '';
  const bytes = Buffer.from(trimmed, 'utf8');
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (b < 128 && /[A-Za-z0-9:_]/.test(c)) out += c;
    else if (c === '.' && i > 0) out += c;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  });
  return `${out}.mount`;
}
