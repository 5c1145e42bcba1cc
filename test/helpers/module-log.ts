// Which modules a child Node process loads: a resolve hook (NODE_OPTIONS=--import) appends each
// module's URL to a log file, for tests that a start loads only what it needs.
import { readFile, writeFile } from 'node:fs/promises';

export interface ModuleLog {
  /** The environment that makes a child process log what it loads. */
  env: Record<string, string>;
  /** The URLs logged so far. */
  loaded(): Promise<string[]>;
  /** Forgets what was logged. */
  reset(): Promise<void>;
}

/** A module log at `logPath`, with its hook written to `hookPath`. */
export async function moduleLog(logPath: string, hookPath: string): Promise<ModuleLog> {
  await writeFile(logPath, '');
  await writeFile(
    hookPath,
    [
      "import { registerHooks } from 'node:module';",
      "import { appendFileSync } from 'node:fs';",
      `registerHooks({ resolve(s, c, next) { const r = next(s, c); appendFileSync(${JSON.stringify(logPath)}, r.url + '\\n'); return r; } });`,
    ].join('\n'),
  );
  return {
    env: { NODE_OPTIONS: `--import=${hookPath}` },
    loaded: async () => (await readFile(logPath, 'utf8')).split('\n').filter(Boolean),
    reset: () => writeFile(logPath, ''),
  };
}
