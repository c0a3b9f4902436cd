// The profiler in Chromium: profile the starter model, read where the step's time goes, and see
// it as a heat map on the editor's layers, each with its figure; then profile 50 steps of a run
// while it trains, from the Runs view. Screenshots go to test-results/e2e.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ARTEFACTS, openStudio, type Studio } from '../support/browser.js';

let studio: Studio;
let page: Page;

beforeAll(async () => {
  studio = await openStudio();
  page = studio.page;
  await page.getByTestId('engine-status').and(page.locator('[data-status="ready"]')).waitFor({ timeout: 15_000 });
});

afterAll(async () => {
  await studio?.close();
});

describe('the profiler in Chromium', () => {
  it('profiles the model and shows the heat map on the editor', async () => {
    // The device the studio trains on is shown, with why the GPU is or is not used.
    expect(await page.getByTestId('device').getAttribute('title')).toMatch(/CPU: \d+ threads/);
    await page.getByTestId('mode-profile').click();
    await page.getByTestId('profile-steps').fill('20');
    await page.getByTestId('profile-run').click();
    await page.getByTestId('profile-summary').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('profile-summary').textContent()).toMatch(/step.*samples\/s.*parameters.*peak memory/);
    // The engine's record of one step, a lane per thread, and the memory it measured.
    expect(await page.getByTestId('profile-thread-timeline').locator('.profile-lane-track').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('profile-memory-peak').textContent()).toMatch(/^[\d.]+ (KiB|MiB)$/);
    await page.getByTestId('profile-heat-time').click();
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'profiler.png') });
    await page.getByTestId('mode-model').click();
    // Each layer carries its time and share of the step, shaded by it.
    await expect.poll(() => page.getByTestId('heat-dense_1').textContent()).toMatch(/^[\d.]+ (µs|ms) · \d+(\.\d)?%$/);
    expect(await page.locator('[data-testid="layer-node-dense_1"] .layer-heat').count()).toBe(1);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'profiler-heatmap.png') });
  }, 90_000);

  it('profiles 50 steps of a running run from the Runs view, while it trains', async () => {
    await page.getByTestId('mode-model').click();
    await page.getByTestId('tab-training').click();
    await page.getByTestId('epochs-input').fill('100000');
    await page.getByTestId('train-button').click();
    const status = () => page.getByTestId('engine-status').getAttribute('data-status');
    await expect.poll(status, { timeout: 15_000 }).toBe('training');
    await page.getByTestId('mode-runs').click();
    const running = page.locator('[data-testid="run-row"]:has([data-status="running"])');
    await expect.poll(() => running.count(), { timeout: 15_000 }).toBe(1);
    await running.locator('.run-name').click();
    await page.getByTestId('run-profile').click();
    // The Profile view opens and shows the run's steps once they are done.
    await expect.poll(() => page.getByTestId('profile-summary').textContent(), { timeout: 60_000 }).toMatch(/run.*steps \d+–\d+/);
    expect(await page.getByTestId('profile-summary').textContent()).toMatch(/step.*samples\/s/);
    expect(await page.getByTestId('profile-thread-timeline').count()).toBe(1);
    await page.screenshot({ path: join(E2E_ARTEFACTS, 'profiler-live-run.png') });
    expect(await status()).toBe('training');
    await page.getByTestId('mode-runs').click();
    await page.getByTestId('run-stop').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('stopped');
  }, 90_000);
});
