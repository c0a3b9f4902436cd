import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ARTEFACTS, openStudio, type Studio } from '../support/browser.js';
import { connectRpc } from '../support/kilnServe.js';

const artefacts = E2E_ARTEFACTS;

let studio: Studio;
let page: Page;

beforeAll(async () => {
  studio = await openStudio();
  page = studio.page;
});

afterAll(async () => {
  await studio?.close();
});

const chart = () => page.getByTestId('loss-chart');
const status = () => page.getByTestId('engine-status');

/** The Training tab's epochs field. */
async function setEpochs(epochs: number): Promise<void> {
  await page.getByTestId('tab-training').click();
  await page.getByTestId('epochs-input').fill(String(epochs));
}

async function pointCount(): Promise<number> {
  return Number((await chart().getAttribute('data-points')) ?? '0');
}

describe('the studio in Chromium', () => {
  it('shows the model on the canvas with live shapes', async () => {
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');
    await expect.poll(() => page.getByText('(None, 16)').count()).toBeGreaterThan(0);
    // Select dense_1; the inspector edits its units.
    await page.getByTestId('layer-node-dense_1').click();
    await page.getByTestId('param-units').fill('24');
    await page.getByTestId('param-units').press('Enter');
    await expect.poll(() => page.getByText('(None, 24)').count()).toBeGreaterThan(0);
  });

  it('trains when Train is clicked and the chart shows the loss falling', async () => {
    await setEpochs(200);
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
    const rpc = await connectRpc(studio.serve.port, studio.serve.token);
    const { pid } = await rpc.engine.ping();
    await setEpochs(1_000_000);
    await page.getByTestId('train-button').click();
    await expect.poll(pointCount, { timeout: 15_000 }).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('engine-stopped');
    await expect.poll(() => page.getByTestId('run-message').textContent()).toMatch(/engine stopped/i);
    await page.screenshot({ path: join(artefacts, 'studio-engine-stopped.png') });

    await setEpochs(50);
    await page.getByTestId('train-button').click();
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
    expect(await pointCount()).toBeGreaterThanOrEqual(20);
    const { pid: newPid } = await rpc.engine.ping();
    expect(newPid).not.toBe(pid);
    rpc.client.close();
  });

  it('the Data panel shows what Kiln understood of a sample or a file, and the model takes its shape', async () => {
    await page.getByTestId('tab-data').click();
    await expect.poll(() => page.getByTestId('data-panel').getAttribute('data-status')).toBe('ready');
    await page.getByTestId('data-source').selectOption('sample:mnist');
    await expect.poll(() => page.locator('[data-testid="image-grid"] img').count(), { timeout: 15_000 }).toBe(24);
    expect(await page.getByTestId('class-counts').locator('.class-row').count()).toBe(10);
    expect(await page.getByTestId('data-splits').textContent()).toMatch(/8,000 training.*2,000 test/);
    // The Input layer took the digits' shape; the canvas shows it.
    await expect.poll(() => page.getByText('(None, 28, 28)').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(artefacts, 'studio-data-mnist.png') });

    // A CSV on this computer: its table, its target column, then training on it.
    const dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
    try {
      const rows = Array.from({ length: 90 }, (_, i) => {
        const k = i % 3;
        return [k + (i % 5) * 0.1, 2 * k - (i % 7) * 0.1, (i % 4) * 0.2, 1 - k, ['low', 'mid', 'high'][k]].join(',');
      });
      const csv = join(dir, 'levels.csv');
      writeFileSync(csv, `a,b,c,d,level\n${rows.join('\n')}\n`);
      await page.getByTestId('data-source').selectOption('path');
      await page.getByTestId('data-path').fill(csv);
      await page.getByTestId('data-load').click();
      await expect.poll(() => page.getByTestId('data-table').locator('tbody tr').count(), { timeout: 15_000 }).toBe(8);
      expect(await page.getByTestId('data-target').inputValue()).toBe('level');
      await expect.poll(() => page.getByText('(None, 4)').count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(artefacts, 'studio-data-csv.png') });
      await setEpochs(30);
      await page.getByTestId('train-button').click();
      await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
      expect(await page.getByTestId('run-message').textContent()).toMatch(/Training completed: loss [0-9.]+, accuracy [0-9.]+%/);

      // A file Kiln cannot read: the reason, and Train waits for a dataset it can use.
      writeFileSync(join(dir, 'torn.csv'), 'a,b\n1,2\n3\n');
      await page.getByTestId('tab-data').click();
      await page.getByTestId('data-path').fill(join(dir, 'torn.csv'));
      await page.getByTestId('data-load').click();
      await expect.poll(() => page.getByTestId('data-error').textContent()).toMatch(/torn\.csv, line 3: 1 cells where the first row has 2/);
      expect(await page.getByTestId('train-button').isDisabled()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
