// Fleet administration on etcd, done by an operator's etcd user (root, or one allowed to manage
// users and the whole namespace): a per-host user whose role may write only that host's keys,
// and the withdrawal of a host's exports. docs/distributed.md, "Integrity per host".
import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { KeyLayout, prefixEnd } from './keys.js';

/** The role name `grantHost` gives host `host`. */
export const hostRole = (host: string): string => `rxmgmt-host-${host}`;

const named = (e: unknown, name: string): boolean => e instanceof Error && (e.name === name || e.constructor?.name === name);

export interface GrantResult {
  role: string;
  user: string;
  /** Whether the user was created now (false: it existed; its password was set only if one was given). */
  created: boolean;
}

/**
 * Gives host `host` the etcd user `user` (default: the host's name) with a role that may read
 * the whole namespace but write only the host's own keys: `<ns>/exported/<host>/` (its exports)
 * and `<ns>/converged/<host>` (its converged state). A user without a password given gets a
 * random one nobody knows (for hosts that authenticate by client certificate, whose common
 * name is the user). Running it again is harmless: what exists is kept, the grants re-made.
 */
export async function grantHost(client: Etcd3, opts: { host: string; user?: string; password?: string; namespace?: string }): Promise<GrantResult> {
  const keys = new KeyLayout(opts.namespace);
  const role = client.role(hostRole(opts.host));
  try {
    await role.create();
  } catch (e) {
    if (!named(e, 'EtcdRoleExistsError')) throw e;
  }
  const own = keys.hostExports(opts.host);
  await role.grant([
    { permission: 'Read', range: client.range({ prefix: keys.root }) },
    { permission: 'Readwrite', range: client.range({ start: own, end: prefixEnd(own) }) },
    { permission: 'Readwrite', key: keys.convergedKey(opts.host) },
    // kv: its own values of mapped keys; global keys are shared by design.
    { permission: 'Readwrite', range: client.range({ prefix: keys.hostStrmap(opts.host) }) },
    { permission: 'Readwrite', range: client.range({ prefix: keys.strRoot }) },
  ]);
  const userName = opts.user ?? opts.host;
  const user = client.user(userName);
  let created = true;
  try {
    await user.create(opts.password ?? randomBytes(24).toString('base64url'));
  } catch (e) {
    if (!named(e, 'EtcdUserExistsError')) throw e;
    created = false;
    if (opts.password !== undefined) await user.setPassword(opts.password);
  }
  await user.addRole(role);
  return { role: role.name, user: userName, created };
}

/**
 * Withdraws every export of `host` in one transaction (collectors see them all go at once):
 * what `setExports([])` by the host itself would do, for a host that is gone. Returns how
 * many keys were deleted.
 */
export async function withdrawHost(client: Etcd3, opts: { host: string; namespace?: string }): Promise<number> {
  const prefix = new KeyLayout(opts.namespace).hostExports(opts.host);
  const res = await client.kv.txn({
    compare: [],
    success: [{ request_delete_range: { key: Buffer.from(prefix), range_end: prefixEnd(prefix) } }],
    failure: [],
  });
  const deleted = res.responses[0]?.response_delete_range?.deleted;
  return Number(deleted ?? 0);
}
