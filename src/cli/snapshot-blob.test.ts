import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotBlobPath } from './snapshot-blob.js';

describe('snapshotBlobPath', () => {
  it('reads --snapshot-blob in both of its spellings, among other flags', () => {
    expect(snapshotBlobPath(['--max-semi-space-size=16', '--snapshot-blob', '/opt/rxmgmt/dist/src/cli/rxmgmt.blob'])).toBe('/opt/rxmgmt/dist/src/cli/rxmgmt.blob');
    expect(snapshotBlobPath(['--snapshot-blob=rel/rxmgmt.blob', '--max-semi-space-size=16'])).toBe('rel/rxmgmt.blob');
  });

  it('says what is missing when there is none', () => {
    expect(() => snapshotBlobPath(['--max-semi-space-size=16'])).toThrow(/without --snapshot-blob/);
    expect(() => snapshotBlobPath(['--snapshot-blob'])).toThrow(/without --snapshot-blob/);
  });
});

describe('the bin (rxmgmt.sh)', () => {
  it("starts Node with main.ts's launcher flags, either way", () => {
    const flags = /^#!\/usr\/bin\/env -S node (.*)$/m.exec(readFileSync(new URL('./main.ts', import.meta.url), 'utf8'))?.[1];
    const sh = readFileSync(new URL('./rxmgmt.sh', import.meta.url), 'utf8');
    const execs = sh.split('\n').filter((l) => /^\s*exec "\$node"/.test(l));
    expect(flags).toBeDefined();
    expect(execs.length).toBe(2);
    for (const line of execs) expect(line).toContain(`exec "$node" ${flags} `);
  });
});
