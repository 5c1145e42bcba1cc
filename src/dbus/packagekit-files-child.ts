// A tiny PackageKit client run as a child process, so that a caller that must answer
// synchronously (Resource.autoEdges, at graph build) can still ask PackageKit over D-Bus which
// files installed packages own: Resolve(installed|arch, names), then GetFiles(ids).
//
//   node packagekit-files-child.js NAME...   ->  stdout: {"NAME": {"id": "...", "files": [...]}, ...}
//
// Packages that are not installed are absent from the answer (on apt, PackageKit cannot list
// the files of a package that is not installed). Errors go to stderr with exit status 1.
//
// Self-contained on purpose (only dbus-next, erasable TypeScript only): it runs as the compiled
// .js next to its caller in dist/, and as this .ts file with Node's type stripping in tests.
import dbus from 'dbus-next';

const PK = 'org.freedesktop.PackageKit';
const PK_PATH = '/org/freedesktop/PackageKit';
const PK_TX = 'org.freedesktop.PackageKit.Transaction';
/** Filter bitfield: installed (2) | arch (18). */
const INSTALLED_ARCH = (1n << 2n) | (1n << 18n);
const INFO_INSTALLED = 1;
const EXIT_SUCCESS = 1;

interface Collected {
  packages: Array<{ info: number; id: string }>;
  files: Map<string, string[]>;
}

type Bus = ReturnType<typeof dbus.systemBus>;

function call(bus: Bus, destination: string, path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
  const msg = new dbus.Message({ destination, path, interface: iface, member, signature, body });
  return bus.call(msg).then((reply) => reply?.body ?? []);
}

async function transaction(bus: Bus, method: string, signature: string, args: unknown[]): Promise<Collected> {
  const [path] = (await call(bus, PK, PK_PATH, PK, 'CreateTransaction')) as [string];
  await call(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
    `type='signal',sender='${PK}',path='${path}',interface='${PK_TX}'`,
  ]);
  const out: Collected = { packages: [], files: new Map() };
  return new Promise<Collected>((resolve, reject) => {
    let error = '';
    bus.on('message', (msg) => {
      if (msg.path !== path || msg.interface !== PK_TX) return;
      const body = msg.body as unknown[];
      if (msg.member === 'Package') out.packages.push({ info: Number(body[0]), id: String(body[1]) });
      else if (msg.member === 'Packages') for (const row of body[0] as unknown[][]) out.packages.push({ info: Number(row[0]), id: String(row[1]) });
      else if (msg.member === 'Files') out.files.set(String(body[0]), [...(out.files.get(String(body[0])) ?? []), ...(body[1] as string[])]);
      else if (msg.member === 'ErrorCode') error ||= `error code ${String(body[0])}: ${String(body[1])}`;
      else if (msg.member === 'Finished') {
        if (error || Number(body[0]) !== EXIT_SUCCESS) reject(new Error(`${method}: ${error || `exit ${String(body[0])}`}`));
        else resolve(out);
      }
    });
    call(bus, PK, path, PK_TX, 'SetHints', 'as', [['interactive=false', 'background=true']])
      .then(() => call(bus, PK, path, PK_TX, method, signature, args))
      .catch(reject);
  });
}

async function main(names: string[]): Promise<void> {
  const bus = dbus.systemBus();
  const address = process.env.DBUS_SYSTEM_BUS_ADDRESS || 'the system bus';
  // dbus-next reports connection failures as 'error' events: make them this run's failure.
  const failed = new Promise<never>((_, reject) => {
    bus.on('error', (err: Error) => reject(new Error(`cannot use ${address}: ${err.message}`)));
  });
  try {
    await Promise.race([work(bus, names), failed]);
  } finally {
    try {
      bus.disconnect();
    } catch {
      // already closed
    }
  }
}

async function work(bus: Bus, names: string[]): Promise<void> {
  const result: Record<string, { id: string; files: string[] }> = {};
  if (names.length > 0) {
    const resolved = await transaction(bus, 'Resolve', 'tas', [INSTALLED_ARCH, names]);
    const ids = new Map<string, string>(); // id -> name
    for (const p of resolved.packages) {
      const name = p.id.split(';')[0] ?? '';
      if (p.info === INFO_INSTALLED && names.includes(name) && !ids.has(p.id)) ids.set(p.id, name);
    }
    if (ids.size > 0) {
      const listed = await transaction(bus, 'GetFiles', 'as', [[...ids.keys()]]);
      for (const [id, name] of ids) {
        const prev = result[name];
        const files = listed.files.get(id) ?? [];
        result[name] = { id, files: prev ? [...prev.files, ...files] : files };
      }
    }
  }
  process.stdout.write(JSON.stringify(result));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
