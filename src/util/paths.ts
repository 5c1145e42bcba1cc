// Path spelling shared by the file resource and the watcher.
import { posix } from 'node:path';

/**
 * What posix.normalize would change: an empty, "." or ".." segment, or a trailing "/". Most
 * paths of a graph have none, and a test is cheaper than building the same string again.
 */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|^\.\.?(?:\/|$)|.\/$/;

/** `path` normalized, without a trailing slash (except for "/" itself): one spelling per path. */
export function normalizePath(path: string): string {
  if (path !== '' && !NOT_NORMAL.test(path)) return path;
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

// eslint-disable-next-line no-control-regex -- the control characters are what escapeControl escapes
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * `text` safe to print on a terminal or in a log line: control characters (C0, DEL, C1) and the
 * bidirectional overrides that reorder what a terminal shows are written as escapes (`\n`,
 * `\x1b`, `\u202e`), so a hostile name cannot forge log lines or hide itself.
 */
export function escapeControl(text: string): string {
  if (!CONTROL.test(text)) return text; // the common case: a test makes no closure and no string
  return text.replace(CONTROLS, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.charCodeAt(0);
    return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}

/** `text` in double quotes, escaped as escapeControl does: for values quoted in messages. */
export const quoted = (text: string): string => `"${escapeControl(text)}"`;
