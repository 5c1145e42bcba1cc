// The flags every command that talks to etcd shares: where it is, and how to prove who we are.
// The password comes from a file or the environment, never from argv (other users can read a
// process's argv), and is dropped from the environment once read, so that no command a
// resource runs inherits it.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import type { EtcdSecurity } from '../world/etcd/security.js';
import { UsageError } from './options.js';

export const PASSWORD_ENV = 'RXMGMT_ETCD_PASSWORD';

export abstract class EtcdClientCommand extends Command {
  etcdCa = Option.String('--etcd-ca', { description: 'PEM file of the CA that signed the etcd members\' certificates (TLS)' });
  etcdCert = Option.String('--etcd-cert', { description: 'PEM client certificate for etcd (with --etcd-key)' });
  etcdKey = Option.String('--etcd-key', { description: 'PEM key of --etcd-cert' });
  etcdUser = Option.String('--etcd-user', { description: `etcd user name; its password from --etcd-password-file or $${PASSWORD_ENV}` });
  etcdPasswordFile = Option.String('--etcd-password-file', { description: 'file holding the password of --etcd-user (one line)' });

  /** What the flags say, files read; undefined without any of them. Throws a UsageError naming the flag. */
  protected async etcdSecurity(): Promise<EtcdSecurity | undefined> {
    const fromEnv = process.env[PASSWORD_ENV];
    delete process.env[PASSWORD_ENV];
    const read = async (flag: string, path: string | undefined): Promise<Buffer | undefined> => {
      if (path === undefined) return undefined;
      try {
        return await readFile(path);
      } catch (e) {
        throw new UsageError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    };
    const [ca, cert, key, passwordFile] = await Promise.all([
      read('--etcd-ca', this.etcdCa),
      read('--etcd-cert', this.etcdCert),
      read('--etcd-key', this.etcdKey),
      read('--etcd-password-file', this.etcdPasswordFile),
    ]);
    if (!cert !== !key) throw new UsageError('--etcd-cert and --etcd-key go together: give both');
    if (passwordFile !== undefined && this.etcdUser === undefined) throw new UsageError('--etcd-password-file needs --etcd-user');
    let password: string | undefined;
    if (this.etcdUser !== undefined) {
      password = passwordFile !== undefined ? passwordFile.toString('utf8').replace(/\r?\n$/, '') : fromEnv;
      if (password === undefined) throw new UsageError(`--etcd-user ${this.etcdUser}: give its password in --etcd-password-file or $${PASSWORD_ENV}`);
    }
    if (!ca && !cert && this.etcdUser === undefined) return undefined;
    return { ca, cert, key, user: this.etcdUser, password };
  }
}
