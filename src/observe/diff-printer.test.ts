// The --diff printer, fed a fake stream of the engine's run events (what file, svc and msg report).
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import type { Change, RunEvent } from '../model/events.js';
import { formatRun } from './diff-printer.js';

const run = (result: RunEvent['result'], changes: Change[], key = 'file[motd]'): RunEvent => {
  const [kind, name] = [key.slice(0, key.indexOf('[')), key.slice(key.indexOf('[') + 1, -1)];
  return { type: 'run', key, kind, name, apply: result !== 'would-change', result, startedAt: 0, durationMs: 1, changes };
};

const patch = createTwoFilesPatch('/etc/motd', '/etc/motd', 'hello\nold line\n', 'hello\nnew line\n', undefined, undefined, { context: 1 });

describe('--diff output', () => {
  it('prints a content diff as given and old -> new for the other fields, without colour', () => {
    const text = formatRun(run('changed', [{ field: 'mode', from: '0644', to: '0600' }, { field: 'content', diff: patch }]), { colour: false });
    expect(text.split('\n')).toEqual([
      'file[motd]: changed',
      '  mode: 0644 -> 0600',
      '  content:',
      ...patch.trimEnd().split('\n').map((l) => `    ${l}`),
      '',
    ]);
    expect(text).toContain('    -old line\n    +new line\n');
    expect(text).not.toContain('\u001b');
  });

  it('says "would change" in noop, and (none) for a value that did not exist', () => {
    expect(formatRun(run('would-change', [{ field: 'log', to: 'deploy done' }], 'msg[m]'), { colour: false })).toBe('msg[m]: would change\n  log: (none) -> deploy done\n');
    expect(formatRun(run('would-change', [{ field: 'state', from: 'inactive', to: 'running' }], 'svc[nginx]'), { colour: false })).toBe(
      'svc[nginx]: would change\n  state: inactive -> running\n',
    );
  });

  it('shows only the field of a sensitive change', () => {
    const text = formatRun(run('changed', [{ field: 'content' }]), { colour: false });
    expect(text).toBe('file[motd]: changed\n  content: changed (sensitive, not shown)\n');
  });

  it('prints nothing for a run that changed nothing, and says so when a change carries no details', () => {
    expect(formatRun(run('ok', []), { colour: false })).toBe('');
    expect(formatRun(run('changed', []), { colour: false })).toBe('file[motd]: changed\n  (the resource reports no details)\n');
  });

  it('colours added and removed lines on a terminal', () => {
    const text = formatRun(run('changed', [{ field: 'content', diff: patch }]), { colour: true });
    expect(text).toContain('\u001b[32m+new line\u001b[0m');
    expect(text).toContain('\u001b[31m-old line\u001b[0m');
    expect(text).toContain('\u001b[36m@@');
  });

  it('never sends control characters from content or values to the terminal', () => {
    const evil = createTwoFilesPatch('/x', '/x', 'a\n', 'a\u001b[2Jb\n');
    const text = formatRun(run('changed', [{ field: 'content', diff: evil }, { field: 'owner', from: 'root', to: 'x\u001b[31m' }]), { colour: false });
    expect(text).not.toContain('\u001b');
    expect(text).toContain('+a\\x1b[2Jb');
    expect(text).toContain('owner: root -> "x\\u001b[31m"');
  });
});
