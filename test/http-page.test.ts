// The live graph page in a real headless chromium (Debian's, driven by playwright-core): each
// resource coloured by its state, live over server-sent events, details on click; /api/state.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, repoRoot, startCli, useSandbox } from './helpers/cli.js';
import { servedAt } from './helpers/observe.js';
import { requireReal } from './helpers/sandbox.js';

const CHROMIUM = '/usr/bin/chromium';
const box = useSandbox();

async function graph(): Promise<string> {
  const yaml = box.path('site.yaml');
  await writeFile(box.path('blocker'), 'a file where a directory should be\n');
  await writeFile(
    yaml,
    lines(
      'graph: site',
      'resources:',
      '  noop:',
      '    - name: start',
      '  file:',
      '    - name: conf',
      `      path: ${box.dir}/app.conf`,
      '      content: "port = 8080\\n"',
      '    - name: data',
      `      path: ${box.dir}/blocker/data`,
      '      content: "x\\n"',
      '      meta: {autoedge: false}',
      '  msg:',
      '    - name: conf-changed',
      '      body: app.conf changed',
      '    - name: data-ready',
      '      body: data is in place',
      'edges:',
      '  - {name: e1, from: {kind: noop, name: start}, to: {kind: file, name: conf}}',
      '  - {name: e2, from: {kind: file, name: conf}, to: {kind: msg, name: conf-changed}, notify: true}',
      '  - {name: e3, from: {kind: noop, name: start}, to: {kind: file, name: data}}',
      '  - {name: e4, from: {kind: file, name: data}, to: {kind: msg, name: data-ready}}',
    ),
  );
  return yaml;
}

const describeBrowser = existsSync(CHROMIUM) || requireReal ? describe : describe.skip;

describeBrowser('the live graph page (headless chromium)', () => {
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'rxmgmt-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 520 },
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('shows a failed resource with its error, and sees it turn ok live once fixed', async () => {
    const proc = startCli(['run', '-f', await graph(), '--prometheus', '--prometheus-listen', '127.0.0.1:0']);
    const base = await servedAt(proc);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${base}/`);

    const node = (key: string) => page.locator(`g.node[data-key="${key}"]`);
    await node('file[data]').and(page.locator('[data-state="failed"]')).waitFor({ timeout: 20_000 });
    await node('msg[conf-changed]').and(page.locator('[data-state="ok"]')).waitFor({ timeout: 20_000 });
    expect(await page.locator('g.node').count()).toBe(5);
    expect(await node('msg[data-ready]').getAttribute('data-state')).toBe('pending'); // waits behind the failed parent
    expect(await page.locator('path.edge').count()).toBe(4);
    expect(await page.locator('path.edge.notify').count()).toBe(1);
    expect(await page.locator('#title').textContent()).toContain('site');

    // A failed resource is red; its details say why.
    expect(await node('file[data]').locator('rect').evaluate((r) => getComputedStyle(r).fill)).toBe('rgb(239, 154, 154)');
    await node('file[data]').click();
    await page.locator('#detail-error').waitFor();
    expect(await page.locator('#detail-key').textContent()).toBe('file[data]');
    expect(await page.locator('#detail-error').textContent()).toContain('ENOTDIR');
    expect(await page.locator('#detail-events li').allTextContents()).toContainEqual(expect.stringMatching(/run failed in \d+ ms: .*ENOTDIR/));
    const failedShot = await page.screenshot({ path: box.path('failed.png') });
    expect(failedShot.subarray(1, 4).toString()).toBe('PNG');

    // The fix: a directory where the file was. The page follows over SSE (no reload).
    const loads = requests.filter((u) => u.endsWith('/api/state')).length;
    await rm(box.path('blocker'));
    // The engine may already have made the directory itself, as soon as the blocker was gone.
    await mkdir(box.path('blocker'), { recursive: true });
    await node('file[data]').and(page.locator('[data-state="ok"]')).waitFor({ timeout: 20_000 });
    await node('msg[data-ready]').and(page.locator('[data-state="ok"]')).waitFor({ timeout: 20_000 });
    expect(await readFile(box.path('blocker', 'data'), 'utf8')).toBe('x\n');
    expect(requests.filter((u) => u.endsWith('/api/state')).length, 'no reload of the state: SSE updates').toBe(loads);
    await page.locator('#detail-state').filter({ hasText: 'state ok' }).waitFor();
    expect(await page.locator('#detail-error').count()).toBe(0);
    expect(await node('file[data]').locator('rect').evaluate((r) => getComputedStyle(r).fill)).toBe('rgb(165, 214, 167)');
    await node('file[conf]').click();
    await page.locator('#detail-key').filter({ hasText: 'file[conf]' }).waitFor();
    const okShot = box.path('ok.png');
    await page.screenshot({ path: okShot });
    // Everything came from the listener itself (no CDN, nothing from the internet).
    expect(requests.filter((u) => !u.startsWith(base))).toEqual([]);
    if (process.env.RXMGMT_UPDATE_SCREENSHOTS === '1') {
      await copyFile(box.path('failed.png'), join(repoRoot, 'docs', 'img', 'live-graph-failed.png'));
      await copyFile(okShot, join(repoRoot, 'docs', 'img', 'live-graph-ok.png'));
    }

    // /api/state as JSON.
    const state = await (await fetch(`${base}/api/state`)).json();
    expect(state).toMatchObject({ graph: 'site', noop: false, summary: { resources: 5, failed: 0, skipped: 0 } });
    expect(state.resources.map((r: { key: string; state: string }) => [r.key, r.state]).sort()).toEqual([
      ['file[conf]', 'ok'],
      ['file[data]', 'ok'],
      ['msg[conf-changed]', 'ok'],
      ['msg[data-ready]', 'ok'],
      ['noop[start]', 'ok'],
    ]);
    expect(state.edges).toContainEqual({ from: 'file[conf]', to: 'msg[conf-changed]', notify: true, auto: false });

    // A graph swap (a resource added to the file) shows up on the open page.
    const yaml = box.path('site.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('  msg:\n', '  msg:\n    - name: added-later\n      body: hi\n'));
    await node('msg[added-later]').and(page.locator('[data-state="ok"]')).waitFor({ timeout: 20_000 });
    expect(await page.locator('g.node').count()).toBe(6);
    await page.close();
    proc.signal('SIGTERM');
    expect((await proc.waitForExit()).code).toBe(0);
  });
});
