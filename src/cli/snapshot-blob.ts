// Where a start from the startup snapshot (snapshot.ts) was loaded from: Node's own arguments say.

/** The value of `--snapshot-blob` in Node's own arguments (`--snapshot-blob F` or `--snapshot-blob=F`). */
export function snapshotBlobPath(execArgv: string[]): string {
  for (const [i, arg] of execArgv.entries()) {
    if (arg === '--snapshot-blob' && i + 1 < execArgv.length) return execArgv[i + 1];
    if (arg.startsWith('--snapshot-blob=')) return arg.slice('--snapshot-blob='.length);
  }
  throw new Error('rxmgmt: started from a startup snapshot without --snapshot-blob on the command line');
}
