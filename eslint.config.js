// ESLint for rxmgmt: `npx eslint .` (the `lint` script). typescript-eslint's recommended rules
// everywhere, and its type-aware ones (floating promises, misused promises, unsafe any...) on
// the code tsconfig.json compiles, where the type information is already there for free;
// tests, which tsconfig.json leaves out, get the rules that need no types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const typed = ['src/**/*.ts', 'operators/**/*.ts', 'examples/**/*.ts'];
const tests = ['**/*.test.ts', 'marble-tests/**/*.ts', 'test/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.js'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // `_name` marks a parameter or binding that is there for its position only.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: typed,
    ignores: tests,
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A promise nobody awaits loses its rejection: the engine must never crash on one.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Rejecting with a caught value (typed unknown) passes it on, as `throw e` in a catch does,
      // which only-throw-error allows too; values made here must still be Errors.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
