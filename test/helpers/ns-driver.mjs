// Runs inside the namespaces test/helpers/namespace.ts makes: drives the BUILT resources (dist/)
// one JSON request per stdin line, one JSON answer per stdout line. Nothing here runs on the host.
import { createInterface } from 'node:readline';
import { execFile } from 'node:child_process';

const dist = process.argv[2];
const { defaultRegistry } = await import(`${dist}/src/resources/registry.js`);
const { defaultMeta } = await import(`${dist}/src/model/spec.js`);
const { memoryLogger } = await import(`${dist}/src/util/logger.js`);
const { asyncScheduler, firstValueFrom } = await import('rxjs');

const registry = defaultRegistry();
const log = memoryLogger('debug');
const env = { hostname: 'ns', log, scheduler: asyncScheduler };
/** Resources kept between requests (for reverse and watch), by the test's key. */
const kept = new Map();
const watches = new Map();

function create({ kind, name, params = {}, meta = {} }) {
  const k = registry.get(kind);
  if (!k) throw new Error(`no kind ${kind}`);
  const full = { ...params };
  for (const [field, schema] of Object.entries(k.fields)) if (full[field] === undefined && schema.default !== undefined) full[field] = schema.default;
  return k.create({ kind, name, meta: { ...defaultMeta, ...meta }, params: full, pos: { file: 'ns', line: 1 } }, env);
}

async function check(r, apply) {
  const changes = [];
  const from = log.lines.length;
  const result = await firstValueFrom(r.checkApply(apply, false, (c) => changes.push(c)));
  return { result, changes, log: log.lines.slice(from) };
}

const ops = {
  async check(q) {
    const r = create(q);
    if (q.key) kept.set(q.key, r);
    return check(r, q.apply !== false);
  },
  async again(q) {
    return check(kept.get(q.key), q.apply !== false);
  },
  async reverse(q) {
    const undo = kept.get(q.key).reversed();
    if (!undo) return { result: null };
    return { undo: { kind: undo.kind, name: undo.name, fingerprint: undo.fingerprint }, ...(await check(undo, q.apply !== false)) };
  },
  async watch(q) {
    const r = create(q);
    const w = { count: 0, error: undefined };
    w.sub = r.watch().subscribe({ next: () => w.count++, error: (e) => (w.error = e.message) });
    watches.set(q.key, w);
    return {};
  },
  async events(q) {
    const w = watches.get(q.key);
    return { count: w.count, error: w.error };
  },
  async unwatch(q) {
    watches.get(q.key)?.sub.unsubscribe();
    watches.delete(q.key);
    return {};
  },
  /** Shortens the sysctl resource's poll period (its watch of /proc/sys). */
  async sysctlPoll(q) {
    const { SYSCTL_POLL } = await import(`${dist}/src/resources/sysctl.js`);
    SYSCTL_POLL.ms = q.ms;
    return {};
  },
  sh(q) {
    return new Promise((resolve) =>
      execFile('bash', ['-c', q.script], { encoding: 'utf8', timeout: q.timeoutMs ?? 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      ),
    );
  },
};

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  const q = JSON.parse(line);
  Promise.resolve()
    .then(() => ops[q.op](q))
    .then(
      (answer) => out({ id: q.id, ok: true, ...answer }),
      (err) => out({ id: q.id, ok: false, error: err.message }),
    );
}
