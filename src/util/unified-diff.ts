// The `diff` package, loaded at the first diff: only runs that report their changes (--diff,
// --report, metrics) make one, and loading its modules would cost every start-up.
import { createRequire } from 'node:module';

type DiffLib = typeof import('diff');
let lib: DiffLib | undefined;

export const diffLib = (): DiffLib => (lib ??= createRequire(import.meta.url)('diff') as DiffLib);
