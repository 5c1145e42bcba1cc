// `rxmgmt world grant`: give a host an etcd user whose role may write only that host's keys.
import { readFile } from 'node:fs/promises';
import { Option } from 'clipanion';
import { EtcdClientCommand } from './etcd-options.js';
import { UsageError, parseSeeds } from './options.js';

export class WorldGrantCommand extends EtcdClientCommand {
  static override paths = [['world', 'grant']];

  static override usage = EtcdClientCommand.Usage({
    description: 'give a host an etcd user that may write only its own keys',
    details: `
      Run by an etcd administrator (--etcd-user root, say) once per host, with etcd's auth
      enabled. Creates the role rxmgmt-host-HOST (read the whole /rxmgmt/ namespace, write only
      /rxmgmt/exported/HOST/ and /rxmgmt/converged/HOST) and the user (default: the host's name)
      with that role, so the host cannot publish exports or a converged state in another's
      name: etcd itself refuses the write. The new user's password is read from
      --new-password-file; without one it gets a random password nobody knows (for hosts that
      log in by client certificate, whose common name is the user). Running it again is harmless.
    `,
    examples: [
      ['Give host web1 its user, password in a file', '$0 world grant --host web1 --new-password-file web1.pw --seeds https://etcd1:2379 --etcd-ca ca.crt --etcd-user root --etcd-password-file root.pw'],
    ],
  });

  seeds = Option.String('--seeds', { required: true, description: 'comma-separated etcd client URLs' });
  host = Option.String('--host', { required: true, description: 'the host name, as its rxmgmt run --hostname says' });
  user = Option.String('--user', { description: 'the etcd user to create (default: the host name)' });
  newPasswordFile = Option.String('--new-password-file', { description: 'file holding the new user\'s password (one line)' });

  async execute(): Promise<number> {
    try {
      const seeds = parseSeeds(this.seeds);
      const security = await this.etcdSecurity();
      let password: string | undefined;
      if (this.newPasswordFile !== undefined) {
        password = await readFile(this.newPasswordFile, 'utf8').then(
          (t) => t.replace(/\r?\n$/, ''),
          (e: NodeJS.ErrnoException) => {
            throw new UsageError(`--new-password-file: cannot read ${this.newPasswordFile}: ${e.code ?? e.message}`);
          },
        );
      }
      const { newEtcdClient, explainEtcdError } = await import('../world/etcd/security.js');
      const { grantHost } = await import('../world/etcd/admin.js');
      const client = newEtcdClient(seeds, security);
      try {
        const r = await grantHost(client, { host: this.host, user: this.user, password });
        this.context.stdout.write(
          `host "${this.host}": etcd user "${r.user}" (${r.created ? 'created' : 'already there'}) has role "${r.role}", ` +
            `which may write only /rxmgmt/exported/${encodeURIComponent(this.host)}/ and /rxmgmt/converged/${encodeURIComponent(this.host)}\n`,
        );
        return 0;
      } catch (e) {
        this.context.stderr.write(`rxmgmt world grant: ${explainEtcdError(e).message}\n`);
        return 1;
      } finally {
        client.close();
      }
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      this.context.stderr.write(`rxmgmt world grant: ${e.message}\n`);
      return 2;
    }
  }
}
