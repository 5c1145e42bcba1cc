// Path spelling shared by the file resource and the watcher.
import { posix } from 'node:path';

/** `path` normalized, without a trailing slash (except for "/" itself): one spelling per path. */
export function normalizePath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * `text` safe to print on a terminal or in a log line: control characters (C0, DEL, C1) and the
 * bidirectional overrides that reorder what a terminal shows are written as escapes (`\n`,
 * `\x1b`, `\u202e`), so a hostile name cannot forge log lines or hide itself.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are what it escapes
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.charCodeAt(0);
    return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}

/** `text` in double quotes, escaped as escapeControl does: for values quoted in messages. */
export const quoted = (text: string): string => `"${escapeControl(text)}"`;
