// The msg resource: when it logs, at which level, and what it hands to the journal. The journal
// tools are stand-in scripts on a private PATH that record what they were given.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, firstValueFrom } from 'rxjs';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { parseGraph } from '../yaml/parse.js';
import { type MsgOptions, createMsgKind, msgKind } from './msg.js';
import { defaultRegistry } from './registry.js';
import type { Resource } from '../model/resource.js';
import { itWithMgmtExamples, mgmtExample } from '../../test/helpers/mgmt-examples.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-msg-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type Log = ReturnType<typeof memoryLogger>;

function msg(params: Record<string, unknown>, log: Log = memoryLogger(), opts: MsgOptions = {}): Resource {
  const kind = createMsgKind(opts);
  const problem = kind.validate!(params);
  if (problem) throw new Error(problem);
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(kind.fields)) if (field.default !== undefined) withDefaults[key] = field.default;
  const spec = { kind: 'msg', name: 'm', meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 't.yaml', line: 1 } };
  return kind.create(spec, { hostname: 'test', log, scheduler: asyncScheduler });
}

const apply = (r: Resource, refresh = false) => firstValueFrom(r.checkApply(true, refresh));
const check = (r: Resource, refresh = false) => firstValueFrom(r.checkApply(false, refresh));

/** A stand-in program that appends its arguments and its stdin to `<tmp>/<name>.log`. */
function standIn(name: string, exitCode = 0): void {
  const script = `#!/bin/sh\n{ echo "args: $*"; cat; } >> ${join(tmp, `${name}.log`)}\nexit ${exitCode}\n`;
  writeFileSync(join(tmp, name), script);
  chmodSync(join(tmp, name), 0o755);
}
const recorded = (name: string): string => (existsSync(join(tmp, `${name}.log`)) ? readFileSync(join(tmp, `${name}.log`), 'utf8') : '');

describe('msg: fields', () => {
  const v = (params: Record<string, unknown>) => msgKind.validate!(params);

  it("takes mgmt's priorities and field names", () => {
    for (const p of ['Emerg', 'Alert', 'Crit', 'Err', 'Warning', 'Notice', 'Info', 'Debug']) expect(v({ priority: p })).toBeUndefined();
    expect(v({ priority: 'Error' })).toMatch(/`priority` must be one of Emerg, .*, got "Error"/);
    expect(v({ fields: { SERVICE: 'web', request_id: '1' } })).toBeUndefined();
    expect(v({ fields: { 'a-b': 'x' } })).toMatch(/may only hold letters, digits and _/);
    expect(v({ fields: { _PID: '1' } })).toMatch(/must not start with _/);
  });

  itWithMgmtExamples("reads mgmt's msg graph", () => {
    const f = mgmtExample('latest/msg1.yaml');
    const g = parseGraph(readFileSync(f, 'utf8'), f, defaultRegistry());
    expect(g.resources.find((r) => r.kind === 'msg')!.params).toMatchObject({ body: 'mgmt logged this message', journal: true, priority: 'Info' });
  });
});

describe('msg: CheckApply', () => {
  it('logs the first time and on refresh, at the level of its priority', async () => {
    const log = memoryLogger();
    const r = msg({ body: 'disk almost full', priority: 'Warning', fields: { MOUNT: '/var' } }, log);
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(true);
    expect(await apply(r)).toBe(true);
    expect(log.lines).toEqual(['warn msg[m]: disk almost full [MOUNT=/var]']);
    expect(await apply(r, true)).toBe(false);
    expect(log.lines).toHaveLength(2);
  });

  it('maps each priority to a log level', async () => {
    const levels: string[] = [];
    for (const priority of ['Emerg', 'Crit', 'Err', 'Warning', 'Notice', 'Info', 'Debug']) {
      const log = memoryLogger();
      await apply(msg({ body: 'x', priority }, log));
      levels.push(log.lines[0]!.split(' ')[0]!);
    }
    expect(levels).toEqual(['error', 'error', 'error', 'warn', 'info', 'info', 'debug']);
  });

  it('in noop says what it would log, and keeps saying it', async () => {
    const log = memoryLogger();
    const r = msg({ body: 'hello' }, log);
    expect(await check(r)).toBe(false);
    expect(await check(r)).toBe(false);
    expect(log.lines).toEqual(['info msg[m]: noop: would send to log: hello', 'info msg[m]: noop: would send to log: hello']);
  });
});

describe('msg: journal', () => {
  it('warns once and only logs when there is no journal socket', async () => {
    const log = memoryLogger();
    const r = msg({ body: 'hi', journal: true }, log, { journalSocket: join(tmp, 'no-socket'), path: tmp });
    expect(await apply(r)).toBe(false);
    expect(await apply(r, true)).toBe(false);
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([`warn msg[m]: journal: ${join(tmp, 'no-socket')} does not exist (no systemd journal here); logged only`]);
  });

  it('sends one entry with priority and fields through logger --journald', async () => {
    writeFileSync(join(tmp, 'socket'), '');
    standIn('logger');
    const r = msg({ body: 'deployed\nversion 2\n', priority: 'Notice', fields: { app: 'web', VERSION: '2' }, journal: true }, memoryLogger(), {
      journalSocket: join(tmp, 'socket'),
      path: tmp,
    });
    expect(await apply(r)).toBe(false);
    expect(await apply(r)).toBe(true);
    expect(recorded('logger')).toBe(['args: --journald', 'MESSAGE=deployed version 2', 'PRIORITY=5', 'SYSLOG_IDENTIFIER=rxmgmt', 'APP=web', 'VERSION=2', ''].join('\n'));
  });

  it('falls back to systemd-cat (dropping fields, with a warning) without logger', async () => {
    writeFileSync(join(tmp, 'socket'), '');
    standIn('systemd-cat');
    const log = memoryLogger();
    const r = msg({ body: 'hello', priority: 'Err', fields: { A: '1' }, journal: true }, log, { journalSocket: join(tmp, 'socket'), path: tmp });
    expect(await apply(r)).toBe(false);
    expect(recorded('systemd-cat')).toBe('args: -t rxmgmt -p 3\nhello\n');
    expect(log.lines).toContainEqual(expect.stringContaining('drops fields'));
  });

  it('fails when the journal tool fails, and resends only the journal entry on retry', async () => {
    writeFileSync(join(tmp, 'socket'), '');
    standIn('logger', 1);
    const log = memoryLogger();
    const r = msg({ body: 'hello', journal: true }, log, { journalSocket: join(tmp, 'socket'), path: tmp });
    await expect(apply(r)).rejects.toThrow(/logger exited with code 1/);
    standIn('logger', 0);
    expect(await apply(r)).toBe(false);
    expect(log.lines.filter((l) => l.endsWith(': hello'))).toHaveLength(1); // logged once
    expect(recorded('logger').match(/MESSAGE=hello/g)).toHaveLength(2);
    expect(await apply(r)).toBe(true);
  });

  it('sends to syslog through logger with the priority', async () => {
    standIn('logger');
    const r = msg({ body: 'to syslog', priority: 'Crit', syslog: true }, memoryLogger(), { path: tmp });
    expect(await apply(r)).toBe(false);
    expect(recorded('logger')).toBe('args: -t rxmgmt -p user.crit\nto syslog\n');
  });
});

describe('msg change reports', () => {
  it('reports each place the message goes (or, in noop, would go), and nothing once sent', async () => {
    const r = msg({ body: 'deploy done' });
    const seen: unknown[] = [];
    expect(await firstValueFrom(r.checkApply(false, false, (c) => seen.push(c)))).toBe(false);
    expect(seen).toEqual([{ field: 'log', to: 'deploy done' }]);
    seen.length = 0;
    expect(await firstValueFrom(r.checkApply(true, false, (c) => seen.push(c)))).toBe(false);
    expect(seen).toEqual([{ field: 'log', to: 'deploy done' }]);
    seen.length = 0;
    expect(await firstValueFrom(r.checkApply(true, false, (c) => seen.push(c)))).toBe(true);
    expect(seen).toEqual([]);
  });
});
