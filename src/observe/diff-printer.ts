// --diff: each change a CheckApply made (or, in noop, would make), as a person reads it:
//
//   file[motd]: changed
//     mode: 0644 -> 0600
//     content:
//       --- /etc/motd
//       +++ /etc/motd
//       @@ -1 +1 @@
//       -hello
//       +hello world
//
// The unified diff comes from the resource (made with the `diff` library); this only lays it
// out, and colours it on a terminal. A `sensitive` resource reports the field alone, shown as
// `content: changed (sensitive, not shown)`.
import type { Change, RunEvent } from '../model/events.js';

const ESC = '\u001b[';
const paint = (code: string, s: string) => `${ESC}${code}m${s}${ESC}0m`;

export interface DiffStyle {
  colour: boolean;
}

/** The lines for one finished CheckApply; none when it changed nothing. */
export function formatRun(e: RunEvent, style: DiffStyle): string {
  if (e.result !== 'changed' && e.result !== 'would-change' && !(e.result === 'failed' && e.changes.length > 0)) return '';
  const verb = e.result === 'changed' ? 'changed' : e.result === 'would-change' ? 'would change' : 'failed after changing';
  const head = `${e.key}: ${verb}`;
  const out = [style.colour ? paint('1', head) : head];
  if (e.changes.length === 0) out.push('  (the resource reports no details)');
  for (const c of e.changes) out.push(...formatChange(c, style));
  return out.join('\n') + '\n';
}

export function formatChange(c: Change, style: DiffStyle): string[] {
  if (c.diff !== undefined) {
    return [`  ${c.field}:`, ...c.diff.replace(/\n$/, '').split('\n').map((l) => `    ${style.colour ? colourDiffLine(escaped(l)) : escaped(l)}`)];
  }
  if (c.from === undefined && c.to === undefined) return [`  ${c.field}: changed (sensitive, not shown)`];
  return [`  ${c.field}: ${shown(c.from)} -> ${shown(c.to)}`];
}

/** A value on one line: quoted (with escapes) when it holds spaces at its ends or control characters. */
function shown(v: string | undefined): string {
  if (v === undefined) return '(none)';
  // eslint-disable-next-line no-control-regex -- control characters are what makes a value need quoting
  return v === '' || /[\u0000-\u001f\u007f]|^\s|\s$/.test(v) ? JSON.stringify(v) : v;
}

/** Control characters in content (an escape sequence, say) shown as \xNN, never sent to the terminal. */
const escaped = (l: string): string =>
  // eslint-disable-next-line no-control-regex -- the control characters to escape before they reach a terminal
  l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);

function colourDiffLine(l: string): string {
  if (l.startsWith('+++') || l.startsWith('---')) return paint('1', l);
  if (l.startsWith('@@')) return paint('36', l);
  if (l.startsWith('+')) return paint('32', l);
  if (l.startsWith('-')) return paint('31', l);
  return l;
}
