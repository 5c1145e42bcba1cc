// Debian's `puppet apply` as a subject of files-converge: the peer a user would pick instead.
// It runs as the current user with every directory puppet writes to (confdir, vardir, codedir,
// logdir, rundir, publicdir, ssldir, and HOME) in the repetition's temp dir, so the machine's own
// puppet state is never read or touched, and in a network namespace of its own (`unshare
// --net`), so it can reach no network (facter's look-ups included).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GNU_TIME, fileContent, fileName } from './common.mjs';

export const PUPPET = process.env.RXMGMT_PUPPET || '/usr/bin/puppet';

/** The first of these that works isolates puppet from the network (root, then any user). */
const ISOLATIONS = [
  ['unshare', '--net'],
  ['unshare', '--user', '--map-current-user', '--net'],
];

let probed;
/**
 * What `puppet apply` needs here: `{ wrap, version }`, or `{ missing: why }` when puppet (or a way
 * to keep it off the network) is not available, so the caller can skip it saying why.
 */
export function puppetAvailable() {
  if (probed) return probed;
  if (!existsSync(PUPPET)) return (probed = { missing: `no puppet at ${PUPPET} (apt-get install puppet, or set RXMGMT_PUPPET)` });
  const wrap = ISOLATIONS.find((w) => {
    try {
      execFileSync(w[0], [...w.slice(1), 'true'], { stdio: 'ignore', timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  });
  if (!wrap) return (probed = { missing: 'cannot give puppet a network namespace of its own (unshare --net failed)' });
  if (!existsSync(GNU_TIME)) return (probed = { missing: `no GNU time at ${GNU_TIME}, needed for puppet's peak RSS` });
  let version;
  try {
    version = execFileSync(PUPPET, ['--version'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: '/nonexistent' } }).trim();
  } catch (e) {
    return (probed = { missing: `${PUPPET} --version failed: ${e.message}` });
  }
  return (probed = { path: PUPPET, wrap, version });
}

/** A Puppet double-quoted string holding `s`. */
const quoted = (s) => `"${s.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

/** The manifest of the same N file resources as the engine's graph (same paths and content). */
export function writeManifest(manifestPath, filesDir, n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    parts.push(`file { ${quoted(join(filesDir, fileName(i)))}:\n  ensure  => file,\n  content => ${quoted(fileContent(i))},\n}\n`);
  }
  writeFileSync(manifestPath, parts.join(''));
}

/**
 * `puppet apply` of `manifest` with its state in `stateDir` (created here; the same one for the
 * cold and the second run, as on a machine where puppet is installed). --detailed-exitcodes:
 * exit 2 means it changed something, 0 nothing, anything else a failure.
 */
export function puppetArgv(stateDir, manifest) {
  const d = (name) => {
    const p = join(stateDir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const args = ['apply', '--detailed-exitcodes', '--log_level=warning', '--color=false'];
  for (const name of ['confdir', 'vardir', 'codedir', 'logdir', 'rundir', 'publicdir', 'ssldir']) args.push(`--${name}=${d(name)}`);
  // Puppet does not make the state dir itself when the vardir is given on the command line.
  mkdirSync(join(stateDir, 'vardir', 'state'), { recursive: true });
  return { cmd: PUPPET, args: [...args, manifest], env: { HOME: d('home') } };
}
