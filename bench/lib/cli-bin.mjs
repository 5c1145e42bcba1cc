// The package's bin beside the bundle under test (dist/src/cli/rxmgmt: a shell launcher that
// starts Node from the startup snapshot, src/cli/rxmgmt.sh), and the environment that makes it
// find the harness's own Node first, as `npx rxmgmt` finds the project's.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI, NODE } from './common.mjs';

export const CLI_BIN = join(dirname(CLI), 'rxmgmt');
export const binEnv = { PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };

/** The engine runs through its bin unless BENCH_ENGINE_BUNDLE=1 asks for the plain bundle. */
export const useBin = () => process.env.BENCH_ENGINE_BUNDLE !== '1' && existsSync(CLI_BIN);

/**
 * Node's arguments that start the engine from the bin's snapshot `blob` (rxmgmt.blob or
 * rxmgmt-etcd.blob), as the bin does, for a run that needs Node flags of its own (--cpu-prof);
 * undefined when the bin would not use it either (no blob, or one made by another Node).
 */
export function snapshotArgs(blob) {
  const path = join(dirname(CLI), blob);
  try {
    if (readFileSync(`${path}.node`, 'utf8').trim() !== NODE) return undefined;
  } catch {
    return undefined;
  }
  return ['--snapshot-blob', path, '--'];
}
