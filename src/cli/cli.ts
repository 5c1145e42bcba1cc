// The rxmgmt command line, started by start.ts (from the bundle or the startup snapshot).
// Commands import their heavy parts lazily, so --version is quick.
import { Builtins, Cli } from 'clipanion';
import { colourOn } from '../observe/tty.js';
import { joinNegativeValues } from './argv.js';
import { CheckCommand } from './check.js';
import { namePlaceholders } from './help-placeholders.js';
import { RunCommand } from './run.js';
import { WorldGrantCommand } from './world-grant.js';
import { WorldWithdrawCommand } from './world-withdraw.js';

/** Help with named values (`--file FILE`, not clipanion's `#0`). */
class RxmgmtCli extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    return namePlaceholders(super.usage(...args));
  }
}

const commands = [RunCommand, CheckCommand, WorldGrantCommand, WorldWithdrawCommand];

/** Runs the command that `argv` names; resolves to the exit code (2: a usage error). */
export async function runCli(argv: string[], version: string): Promise<number> {
  // Colours only on a terminal and without NO_COLOR: `rxmgmt --help | less` gets plain text.
  const cli = parserFor(argv[0], version, colourOn(process.stdout));
  const context = processContext();
  let command;
  try {
    command = cli.process(joinNegativeValues(argv), context);
  } catch (error) {
    // A command line that does not parse is a usage error: say so on stderr.
    process.stderr.write(namePlaceholders(cli.error(error, { colored: colourOn(process.stderr) })));
    return 2;
  }
  // Signal handlers do not keep Node alive: with nothing else to wait on (no graph, no watch,
  // no timeout), `run` must still wait for SIGINT/SIGTERM.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    return await cli.run(command, context);
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * The parser of a command line whose first word is `first`. Clipanion builds a state machine of
 * every registered command's options, and would at each process(): a command line that names its
 * command (`run ...`) gets that one alone, ~5 ms less; anything else (--help, --version, a typo)
 * gets them all, for the listing and the suggestions. Each parser is built and compiled once:
 * at its first use, or, for the startup snapshot, before (prepareParsers), so that a start from
 * the snapshot finds its machine ready.
 */
function parserFor(first: string | undefined, version: string, colours: boolean): Cli {
  const named = commands.filter((c) => c.paths?.some((path) => path[0] === first));
  const key = `${named.length > 0 ? first : ''} ${version} ${colours}`;
  let cli = parsers.get(key);
  if (!cli) {
    cli = new RxmgmtCli({ binaryName: 'rxmgmt', binaryLabel: 'rxmgmt', binaryVersion: version, enableColors: colours });
    for (const command of named.length > 0 ? named : commands) cli.register(command);
    cli.register(Builtins.HelpCommand);
    cli.register(Builtins.VersionCommand);
    // The machine depends on the commands registered alone, all registered by now.
    const builder = (cli as unknown as { builder: { compile(): unknown } }).builder;
    const machine = builder.compile();
    builder.compile = () => machine;
    parsers.set(key, cli);
  }
  return cli;
}

const parsers = new Map<string, Cli>();

/** Builds every parser that a start of `version` may ask for (the startup snapshot's build does). */
export function prepareParsers(version: string): void {
  for (const first of [undefined, ...commands.map((c) => c.paths?.[0]?.[0])]) {
    for (const colours of [false, true]) parserFor(first, version, colours);
  }
}

/**
 * This process's streams and environment, for the commands. Clipanion's default context holds the
 * ones of the process that loaded it, which, under the startup snapshot, is the build's.
 */
function processContext() {
  const { stdin, stdout, stderr, env } = process;
  return { stdin, stdout, stderr, env, colorDepth: colourOn(stdout) ? 8 : 1 };
}
