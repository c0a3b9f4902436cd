import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ARTEFACTS, openStudio, type Studio } from '../support/browser.js';

let studio: Studio;
let page: Page;

beforeAll(async () => {
  studio = await openStudio();
  page = studio.page;
});

afterAll(async () => {
  await studio?.close();
});

const status = () => page.getByTestId('engine-status');
/** The first chart of a loss tag (Kiln writes `batch_loss` and `epoch_loss`, as Keras does). */
const lossChart = () => page.locator('[data-testid="scalar-chart"][data-tag*="loss"]').first();

async function train(epochs: number, cpuThreads?: number): Promise<void> {
  await page.getByTestId('mode-model').click();
  await page.getByTestId('tab-training').click();
  await page.getByTestId('epochs-input').fill(String(epochs));
  if (cpuThreads !== undefined) {
    await page.getByTestId('cpu-threads-input').fill('0');
    await expect.poll(() => page.getByTestId('training-problems').textContent()).toContain('training.cpuThreads must be');
    await page.getByTestId('cpu-threads-input').fill(String(cpuThreads));
    await expect.poll(() => page.getByTestId('training-problems').count()).toBe(0);
  }
  await page.getByTestId('train-button').click();
}

async function chartPoints(): Promise<number> {
  return Number((await lossChart().getAttribute('data-points')) ?? '0');
}

describe('the Runs view in Chromium', () => {
  it('charts a running run live, overlays two runs, compares them in the table, shows gradient histograms, and stops a run', async () => {
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');

    // A finished run to compare with, then a long one to watch, on one CPU thread (a core left to the page).
    await train(20);
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('completed');
    await train(100_000, 1);
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('training');

    await page.getByTestId('mode-runs').click();
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const running = page.locator('[data-testid="run-row"]:has([data-status="running"])');
    await expect.poll(() => running.count()).toBe(1);
    // The running run is on the charts, and its loss chart grows while it trains.
    await expect.poll(chartPoints, { timeout: 15_000 }).toBeGreaterThan(0);
    const before = await chartPoints();
    await expect.poll(chartPoints, { timeout: 15_000 }).toBeGreaterThan(before);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'runs-live.png') });

    // Overlay the finished run: every chart then draws both runs, each in its colour.
    const finished = page.locator('[data-testid="run-row"]:has([data-status="completed"])').first();
    await finished.getByTestId('run-select').check();
    await expect.poll(() => lossChart().getAttribute('data-runs')).toBe('2');
    expect(await page.getByTestId('runs-legend').locator('.runs-legend-item').count()).toBe(2);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'runs-overlay.png') });

    // The hyperparameter table: one row per run, sortable.
    await page.getByTestId('runs-tab-hparams').click();
    await expect.poll(() => page.getByTestId('hparams-row').count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.getByTestId('parallel-coordinates').locator('path.parallel-line').count()).toBeGreaterThanOrEqual(2);
    await page.getByTestId('sort-name').click();
    await expect.poll(() => page.locator('th[aria-sort="descending"]').count()).toBe(1);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'runs-hparams.png') });

    // The finished run's histograms per layer: its weights, then their gradients.
    await finished.locator('.run-name').click();
    await page.getByTestId('runs-tab-distributions').click();
    const histograms = page.getByTestId('distributions-panel').getByTestId('histogram');
    await expect.poll(() => histograms.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect((await histograms.evaluateAll((els) => els.map((e) => e.getAttribute('data-tag') ?? ''))).some((t) => t.endsWith('_grad'))).toBe(false);
    await page.getByTestId('histograms-gradients').click();
    await expect.poll(() => histograms.evaluateAll((els) => els.map((e) => e.getAttribute('data-tag') ?? '').every((t) => t.endsWith('_grad')))).toBe(true);
    expect(await histograms.count()).toBeGreaterThanOrEqual(2);
    expect(Number(await histograms.first().getAttribute('data-steps'))).toBe(20);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'runs-gradients.png') });

    // Stop the running run from its details.
    await page.getByTestId('runs-tab-scalars').click();
    await running.locator('.run-name').click();
    await page.getByTestId('run-stop').click();
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 15_000 }).toBe('stopped');
    await expect.poll(() => page.locator('[data-testid="run-row"]:has([data-status="running"])').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('run-details').getByTestId('run-status').getAttribute('data-status')).toBe('stopped');
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'runs-stopped.png') });

    // Edit a copy: the stopped run's settings, its CPU threads included, back in the editor.
    await page.getByTestId('run-duplicate').click();
    await page.getByTestId('tab-training').click();
    await expect.poll(() => page.getByTestId('epochs-input').inputValue()).toBe('100000');
    expect(await page.getByTestId('cpu-threads-input').inputValue()).toBe('1');
  });
});
