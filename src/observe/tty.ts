// Whether an output stream gets ANSI colours and live lines: only a terminal, never a pipe or a
// file, and never with NO_COLOR set (https://no-color.org) or TERM=dumb.

export interface OutStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

export function colourOn(stream: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** A terminal that can take a status line rewritten in place (colour or not). */
export function liveOn(stream: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}
