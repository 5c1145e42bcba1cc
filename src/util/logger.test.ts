// Names and paths come from graph files and other hosts: their control characters must not
// reach a terminal or a log raw (cursor moves, colours, forged lines).
import { describe, expect, it } from 'vitest';
import { createLogger, escapeControl, memoryLogger } from './logger.js';

describe('escapeControl', () => {
  it('writes control characters as escapes, leaving printable text alone', () => {
    expect(escapeControl('file[a\x1b[31mred]')).toBe('file[a\\x1b[31mred]');
    expect(escapeControl('a\rb\x00c\x7fd\x9be')).toBe('a\\x0db\\x00c\\x7fd\\x9be');
    expect(escapeControl('evil\u202egnp.exe')).toBe('evil\\u202egnp.exe');
    expect(escapeControl('tab\there')).toBe('tab\\x09here');
    expect(escapeControl('héllo wörld ✓ 日本')).toBe('héllo wörld ✓ 日本');
  });

  it('escapes newlines too, unless they are kept', () => {
    expect(escapeControl('one\ntwo')).toBe('one\\x0atwo');
    expect(escapeControl('one\ntwo\r', true)).toBe('one\ntwo\\x0d');
  });
});

describe('the logger', () => {
  it('escapes the subject fully and the message but for its newlines', () => {
    const log = memoryLogger();
    log.child('file[x\ny]').warn('changed\x1b[2J path /tmp/a\x07\nsecond line');
    expect(log.lines).toEqual(['warn file[x\\x0ay]: changed\\x1b[2J path /tmp/a\\x07\nsecond line']);
  });

  it('hands sinks escaped text', () => {
    const seen: string[] = [];
    createLogger((level, subject, msg) => seen.push(`${level}|${subject}|${msg}`)).info('name "\x00"');
    expect(seen).toEqual(['info||name "\\x00"']);
  });
});

describe('wants', () => {
  it('says whether a level is written, as its lines are, for children too', () => {
    const log = memoryLogger('info');
    const child = log.child('file[a]');
    expect(['debug', 'info', 'warn', 'error'].map((l) => `${l}:${child.wants?.(l as 'debug')}`)).toEqual(['debug:false', 'info:true', 'warn:true', 'error:true']);
    child.debug('hidden');
    child.info('shown');
    expect(log.lines).toEqual(['info file[a]: shown']);
  });
});
