import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { connectRpc, repoRoot, startKilnServe, type ServeProcess } from '../support/kilnServe.js';

const artefacts = join(repoRoot, 'test-results', 'e2e');

let serve: ServeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(artefacts, { recursive: true });
  serve = await startKilnServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.on('pageerror', (err) => console.error('page error:', err));
  await page.goto(serve.url);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

const chart = () => page.getByTestId('loss-chart');
const status = () => page.getByTestId('engine-status');

async function pointCount(): Promise<number> {
  return Number((await chart().getAttribute('data-points')) ?? '0');
}

describe('the studio in Chromium', () => {
  it('shows the model on the canvas with live shapes', async () => {
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');
    await expect.poll(() => page.getByText('(None, 16)').count()).toBeGreaterThan(0);
    await page.getByTestId('units-input-dense_1').fill('24');
    await expect.poll(() => page.getByText('(None, 24)').count()).toBeGreaterThan(0);
  });

  it('trains when Train is clicked and the chart shows the loss falling', async () => {
    await page.getByTestId('epochs-input').fill('200');
    await page.getByTestId('train-button').click();
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
    const points = await pointCount();
    expect(points).toBeGreaterThanOrEqual(20);
    const first = Number(await chart().getAttribute('data-first-loss'));
    const last = Number(await chart().getAttribute('data-last-loss'));
    expect(last).toBeLessThan(first);
    await expect.poll(() => page.locator('[data-testid="loss-chart"] .recharts-line path').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(artefacts, 'studio-trained.png') });
  });

  it('shows that the engine stopped when its process is killed, and Train starts a new one', async () => {
    const rpc = await connectRpc(serve.port, serve.token);
    const { pid } = await rpc.engine.ping();
    await page.getByTestId('epochs-input').fill('1000000');
    await page.getByTestId('train-button').click();
    await expect.poll(pointCount, { timeout: 15_000 }).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('engine-stopped');
    await expect.poll(() => page.getByTestId('run-message').textContent()).toMatch(/engine stopped/i);
    await page.screenshot({ path: join(artefacts, 'studio-engine-stopped.png') });

    await page.getByTestId('epochs-input').fill('50');
    await page.getByTestId('train-button').click();
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
    expect(await pointCount()).toBeGreaterThanOrEqual(20);
    const { pid: newPid } = await rpc.engine.ping();
    expect(newPid).not.toBe(pid);
    rpc.client.close();
  });
});
