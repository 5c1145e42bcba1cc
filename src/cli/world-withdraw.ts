// `rxmgmt world withdraw`: forget a host that is gone (its exports leave every collector).
import { Option } from 'clipanion';
import { EtcdClientCommand } from './etcd-options.js';
import { UsageError, parseSeeds } from './options.js';

export class WorldWithdrawCommand extends EtcdClientCommand {
  static override paths = [['world', 'withdraw']];

  static override usage = EtcdClientCommand.Usage({
    description: "withdraw every export of a host that is gone",
    details: `
      Deletes the host's exports from etcd in one transaction, as if the host had exported
      nothing: every collector stops managing them, and deletes what it collected from them
      where its collect entry says purge: true. A host that runs again re-publishes its exports.
      Needs an etcd user that may write the host's keys (an administrator).
    `,
    examples: [['Forget host web3', '$0 world withdraw --host web3 --seeds http://127.0.0.1:2379']],
  });

  seeds = Option.String('--seeds', { required: true, description: 'comma-separated etcd client URLs' });
  host = Option.String('--host', { required: true, description: 'the host whose exports to withdraw' });

  async execute(): Promise<number> {
    try {
      const seeds = parseSeeds(this.seeds);
      const security = await this.etcdSecurity();
      const { newEtcdClient, explainEtcdError } = await import('../world/etcd/security.js');
      const { withdrawHost } = await import('../world/etcd/admin.js');
      const client = newEtcdClient(seeds, security);
      try {
        const n = await withdrawHost(client, { host: this.host });
        this.context.stdout.write(n > 0 ? `host "${this.host}": exports withdrawn (${n} keys deleted)\n` : `host "${this.host}": had no exports\n`);
        return 0;
      } catch (e) {
        this.context.stderr.write(`rxmgmt world withdraw: ${explainEtcdError(e).message}\n`);
        return 1;
      } finally {
        client.close();
      }
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      this.context.stderr.write(`rxmgmt world withdraw: ${e.message}\n`);
      return 2;
    }
  }
}
