// Account names and the text that goes into /etc/passwd and /etc/group, checked at load time.

/** mgmt's rule for user and group names: a letter or "_", then up to 30 of letters, digits, "_", "-". */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,30}$/;

/** Why `name` cannot name a user or a group, or undefined when it can. */
export function badAccountName(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  return `"${name}" is not a valid name (a letter or "_", then up to 30 letters, digits, "_" or "-")`;
}

/** Largest id useradd and groupadd take: 2^32 - 2 ((uid_t) -1 means "no change" to the kernel). */
export const MAX_ID = 2 ** 32 - 2;

/** Why `v` is not a usable uid/gid, or undefined. */
export function badId(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ID) return undefined;
  return `\`${field}\` must be an integer from 0 to ${MAX_ID}, got ${JSON.stringify(v)}`;
}

/** A passwd column must hold neither the field separator ":" nor a line break. */
export function badColumn(field: string, v: string): string | undefined {
  if (/[:\n\r]/.test(v)) return `\`${field}\` must not contain ":" or a line break, got ${JSON.stringify(v)}`;
  return undefined;
}
