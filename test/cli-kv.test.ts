// mgmt's kv1-kv4 example graphs load and converge, on the in-process World and on a real etcd
// (where the values are read back from etcd itself).
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { describeEtcd, useEtcdPerTest } from './helpers/etcd.js';
import { describeWithMgmtExamples, mgmtExamplesDir } from './helpers/mgmt-examples.js';

const examples = join(mgmtExamplesDir, 'latest');
const graph = (n: number) => join(examples, `kv${n}.yaml`);

describeWithMgmtExamples('mgmt kv examples on the in-process World', () => {
  it.each([1, 2, 3, 4])('kv%i converges and exits 0', async (n) => {
    const r = await runCli(['run', '-f', graph(n), '-t', '0'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('converged: everything is in its desired state');
  }, 60_000);
});

describeWithMgmtExamples('mgmt kv examples on a real etcd', () => {
  describeEtcd('with etcd', () => {
    const etcd = useEtcdPerTest();
    const value = (key: string) => etcd().etcdctl('get', `/rxmgmt/str/${key}`, '--print-value-only').trim();
    const run = async (n: number) => {
      const r = await runCli(['run', '-f', graph(n), '--hostname', 'kvhost', '--seeds', etcd().clientUrls.join(','), '-t', '0'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    };

    it('kv1 sets hello=world; kv2 deletes iamdeleted', async () => {
      await run(1);
      expect(JSON.parse(value('hello'))).toEqual({ value: 'world', version: 1 });
      etcd().etcdctl('put', '/rxmgmt/str/iamdeleted', '{"value":"x","version":1}');
      await run(2);
      expect(value('iamdeleted')).toBe('');
    }, 120_000);

    it('kv3 leaves a greater stage alone; kv4 raises stage through 1, 2, 3', async () => {
      etcd().etcdctl('put', '/rxmgmt/str/stage', '{"value":"7","version":1}');
      await run(3);
      expect(JSON.parse(value('stage')).value).toBe('7');
      etcd().etcdctl('del', '/rxmgmt/str/stage');
      await run(4);
      expect(JSON.parse(value('stage')).value).toBe('3');
    }, 120_000);
  });
});
