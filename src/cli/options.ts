// Parsing of numeric command-line values, with errors that name the flag.

export class UsageError extends Error {}

/** Seconds as given to a flag: an integer >= min. */
export function parseSeconds(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag}: expected a whole number of seconds >= ${min}, got "${value}"`);
  }
  return n;
}

export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag}: expected one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** A count: an integer >= 0. */
export function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`${flag}: expected a whole number >= 0, got "${value}"`);
  }
  return n;
}
