// Parsing of numeric command-line values, with errors that name the flag.

import { MAX_DURATION_SECONDS, maxDurationText } from '../model/durations.js';

export class UsageError extends Error {}

/** Seconds as given to a flag: an integer >= min, and at most 10 years (waits that long work). */
export function parseSeconds(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag}: expected a whole number of seconds >= ${min}, got "${value}"`);
  }
  if (n > MAX_DURATION_SECONDS) throw new UsageError(`${flag}: ${n} s is longer than the longest duration rxmgmt waits, ${maxDurationText}`);
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

/** `--seeds a,b`: etcd client URLs (http or https, with a port). */
export function parseSeeds(value: string | undefined): string[] {
  if (value === undefined) return [];
  const seeds = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of seeds) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new UsageError(`--seeds: "${s}" is not a URL; expected e.g. http://127.0.0.1:2379`);
    }
    if (!['http:', 'https:'].includes(url.protocol)) throw new UsageError(`--seeds: "${s}" must be an http:// or https:// URL`);
  }
  if (seeds.length === 0) throw new UsageError('--seeds: expected at least one URL, e.g. http://127.0.0.1:2379');
  return seeds;
}
