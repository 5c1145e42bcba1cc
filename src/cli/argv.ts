// Command-line words before clipanion sees them.

/** The flags whose value is a number that may be negative (`-t -1`). */
const NUMERIC_FLAGS = new Set(['-t', '--converged-timeout', '--max-runtime', '--sema']);

/**
 * Joins a numeric flag with a negative value given as the next word: `-t -1` becomes
 * `-t=-1`. clipanion would otherwise read `-1` as an unknown option and refuse the line,
 * while mgmt users write `-t -1` as naturally as `--converged-timeout=-1`. Words after `--`
 * are left alone.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (NUMERIC_FLAGS.has(word) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${word}=${next}`);
      i++;
    } else {
      out.push(word);
    }
  }
  return out;
}
