import { describe, expect, it } from 'vitest';
import { namePlaceholders, placeholderFor } from './help-placeholders.js';

describe('help placeholders', () => {
  it('names values from the table, else from the flag\'s last word', () => {
    expect(placeholderFor('--file')).toBe('FILE');
    expect(placeholderFor('--converged-timeout')).toBe('N');
    expect(placeholderFor('--converged-status-file')).toBe('FILE');
    expect(placeholderFor('--log-level')).toBe('LEVEL');
  });

  it('rewrites #0 in the synopsis and re-aligns the option table, plain and bold', () => {
    const plain = ['$ rxmgmt run [-f,--file #0] [--noop]', '', '  -f,--file #0     the file', '  --noop           noop', '  --sema #0        bound'].join('\n');
    expect(namePlaceholders(plain).split('\n')).toEqual([
      '$ rxmgmt run [-f,--file FILE] [--noop]',
      '',
      '  -f,--file FILE    the file',
      '  --noop            noop',
      '  --sema N          bound',
    ]);
    const bold = '  \u001b[1m-f,--file #0  \u001b[22m    the file\n  \u001b[1m--noop        \u001b[22m    noop';
    expect(namePlaceholders(bold).split('\n')).toEqual(['  \u001b[1m-f,--file FILE\u001b[22m    the file', '  \u001b[1m--noop        \u001b[22m    noop']);
  });
});
