import { describe, expect, it } from 'vitest';
import { joinNegativeValues } from './argv.js';

describe('joinNegativeValues', () => {
  it('joins a numeric flag with a negative value in the next word', () => {
    expect(joinNegativeValues(['run', '-t', '-1', '-f', 'g.yaml'])).toEqual(['run', '-t=-1', '-f', 'g.yaml']);
    expect(joinNegativeValues(['run', '--converged-timeout', '-1'])).toEqual(['run', '--converged-timeout=-1']);
    expect(joinNegativeValues(['run', '--max-runtime', '-2.5'])).toEqual(['run', '--max-runtime=-2.5']);
  });

  it('leaves everything else alone: positive values, other flags, flags as values, words after --', () => {
    const same = [
      ['run', '-t', '0'],
      ['run', '-t', '-f', 'g.yaml'],
      ['run', '--hostname', '-1'],
      ['run', '-t=-1'],
      ['run', '--', '-t', '-1'],
    ];
    for (const argv of same) expect(joinNegativeValues(argv)).toEqual(argv);
  });
});
