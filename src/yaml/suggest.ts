// "did you mean" hints for misspelt keys and kinds.

/**
 * Edit distance where swapping two neighbouring letters counts as one edit (`mdoe` -> `mode`).
 * Three rolling rows of the table (the swap looks two rows back), not the whole table.
 */
function distance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2] + 1);
      row[j] = best;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length];
}

/** Whether one edit at the start (change, drop, add or swap the first letters) makes `a` into `b`. */
function firstLetterEdit(a: string, b: string): boolean {
  const swapped = a.length > 1 && a[0] === b[1] && a[1] === b[0] && a.slice(2) === b.slice(2);
  return a.slice(1) === b.slice(1) || a.slice(1) === b || a === b.slice(1) || swapped;
}

/** ` (did you mean "mode"?)` when one candidate is close enough to be a likely typo, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)); // a third of the word may be wrong
  for (const c of candidates) {
    const other = c.toLowerCase();
    // The distance is at least the difference in length: a long word needs no table.
    if (Math.abs(other.length - lower.length) > bestDistance) continue;
    // Beyond one edit, a different first letter makes it a different word (source/force); and
    // one edit that changes the first letter leaves the rest as it was, which needs no table.
    const d = lower[0] === other[0] ? distance(lower, other) : firstLetterEdit(lower, other) ? 1 : Infinity;
    if (d === Infinity) continue;
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** `a, b, c` for "expected one of ..." */
export const oneOf = (names: Iterable<string>): string => `one of ${[...names].join(', ')}`;
