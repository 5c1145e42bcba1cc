// How a command string becomes a program and its arguments, as mgmt does it: with no shell the
// string is split on whitespace (no quoting, no globbing, no variables); with a shell it is
// handed whole to `shell -c`.
import { escapeControl } from '../../util/paths.js';

export interface Argv {
  file: string;
  args: string[];
}

/** Splits on runs of whitespace, like Go's strings.Fields. */
export function splitFields(cmd: string): string[] {
  return cmd.split(/\s+/).filter((w) => w !== '');
}

/** The program and arguments to run `cmd` with, directly (`shell` empty) or via `shell -c`. */
export function argvFor(cmd: string, shell: string): Argv {
  if (shell.trim() !== '') return { file: shell.trim(), args: ['-c', cmd] };
  const [file, ...args] = splitFields(cmd);
  if (file === undefined) throw new Error('empty command');
  return { file, args };
}

// Characters that only mean something to a shell. Without a shell they reach the program as
// they are, which is rarely what was meant.
const shellSyntax = /[|&;<>()$`"'\\*?~]|^\s*\w+=/;

/** A note for the log when a command run without a shell looks as if it needed one. */
export function shellSyntaxHint(cmd: string, shell: string): string | undefined {
  if (shell.trim() !== '') return undefined;
  const m = shellSyntax.exec(cmd);
  if (!m) return undefined;
  return `\`${cmd}\` contains ${JSON.stringify(m[0].trim() || m[0])} but no shell is set: it is split on whitespace and run directly (set shell: /bin/sh for shell syntax)`;
}

/** `cmd` for messages, shortened when long. */
export function shown(cmd: string): string {
  const one = escapeControl(cmd.replace(/\s*\n\s*/g, ' ; ').trim());
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
}
