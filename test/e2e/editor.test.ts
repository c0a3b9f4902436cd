// The graph editor in Chromium, as a person uses it: build a CNN from the palette by drag and
// drop, connect it, read the shapes on the edges, provoke a shape error and fix it, undo and
// redo, save, reload, open the saved project and train it. Screenshots go to test-results/e2e.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ARTEFACTS, openStudio, type Studio } from '../support/browser.js';

const artefacts = E2E_ARTEFACTS;
const projects = mkdtempSync(join(tmpdir(), 'kiln-e2e-projects-'));

let studio: Studio;
let page: Page;

beforeAll(async () => {
  studio = await openStudio();
  page = studio.page;
  await page.getByTestId('engine-status').and(page.locator('[data-status="ready"]')).waitFor({ timeout: 15_000 });
});

// A failing step leaves a picture of the page behind.
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await page.screenshot({ path: join(artefacts, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) });
});

afterAll(async () => {
  await studio?.close();
  rmSync(projects, { recursive: true, force: true });
});

const node = (id: string) => page.getByTestId(`layer-node-${id}`);
const edgeShape = (from: string, to: string) => page.getByTestId(`edge-shape-${from}->${to}`);
const issues = () => page.getByTestId('model-issues');

/** Drags a layer from the palette to a point on the canvas (fractions of its size). */
async function dropLayer(type: string, fx: number, fy: number): Promise<void> {
  const box = (await page.getByTestId('model-canvas').boundingBox())!;
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId('model-canvas'), { targetPosition: { x: box.width * fx, y: box.height * fy } });
}

/** Drags from one layer's output port to another's input port. */
async function connect(from: string, to: string): Promise<void> {
  await node(from).locator('.react-flow__handle.source').dragTo(node(to).locator('.react-flow__handle.target').first());
}

async function setParam(layer: string, param: string, value: string): Promise<void> {
  await node(layer).click();
  await page.getByTestId(`param-${param}`).fill(value);
  await page.getByTestId(`param-${param}`).press('Enter');
}

describe('the graph editor in Chromium', () => {
  it('builds a CNN by drag and drop, with shapes on the edges and a shape error explained and fixed', async () => {
    // MNIST digits: the Input takes their shape, (28, 28).
    await page.getByTestId('tab-data').click();
    await page.getByTestId('data-source').selectOption('sample:mnist');
    await expect.poll(() => page.getByText('(None, 28, 28)').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // Clear the starter's Dense layers: click one, Ctrl+click the other, Delete.
    await node('dense_1').click();
    await node('dense_2').click({ modifiers: ['Control'] });
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('1');

    await dropLayer('Conv2D', 0.7, 0.25);
    await dropLayer('MaxPooling2D', 0.7, 0.45);
    await dropLayer('Flatten', 0.7, 0.62);
    await dropLayer('Dense', 0.7, 0.8);
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('5');
    await connect('input', 'conv2d');
    await connect('conv2d', 'max_pooling2d');
    await connect('max_pooling2d', 'flatten');
    await connect('flatten', 'dense');

    // Conv2D needs a channel axis that (28, 28) lacks: the layer is outlined and the problem named.
    await expect.poll(() => node('conv2d').getAttribute('data-invalid')).toBe('true');
    await expect.poll(() => issues().textContent()).toMatch(/Conv2D 'conv2d'/);
    expect(await edgeShape('input', 'conv2d').textContent()).toBe('(None, 28, 28)');
    await page.screenshot({ path: join(artefacts, 'editor-shape-error.png') });

    // Fixed by giving the Input a channel: (28, 28, 1).
    await setParam('input', 'shape', '28, 28, 1');
    await expect.poll(() => node('conv2d').getAttribute('data-invalid')).toBe('false');
    expect(await edgeShape('conv2d', 'max_pooling2d').textContent()).toBe('(None, 26, 26, 32)');
    expect(await edgeShape('max_pooling2d', 'flatten').textContent()).toBe('(None, 13, 13, 32)');
    expect(await edgeShape('flatten', 'dense').textContent()).toBe('(None, 5408)');
    await setParam('dense', 'units', '10');
    await page.getByTestId('param-activation').selectOption('softmax');
    await expect.poll(() => page.getByTestId('output-shape-dense').textContent()).toBe('(None, 10)');
    expect(await issues().getAttribute('data-count')).toBe('0');

    // A value the layer cannot take is refused with the reason, and the document keeps the old one.
    await setParam('conv2d', 'filters', '0');
    await expect.poll(() => page.getByTestId('param-filters-problem').textContent()).toMatch(/filters must be a whole number/);
    expect(await edgeShape('conv2d', 'max_pooling2d').textContent()).toBe('(None, 26, 26, 32)');

    // Undo and redo the activation.
    await page.getByTestId('undo').click();
    await expect.poll(() => node('dense').textContent()).not.toMatch(/softmax/);
    await page.getByTestId('redo').click();
    await expect.poll(() => node('dense').textContent()).toMatch(/softmax/);
    // Auto-layout, then zoom to fit.
    await page.keyboard.press('l');
    await page.keyboard.press('f');
    await page.getByTestId('tab-summary').click();
    expect(await page.getByTestId('summary-total-params').textContent()).toBe((320 + 54090).toLocaleString('en-US'));
    await page.screenshot({ path: join(artefacts, 'editor-cnn.png') });
    await page.getByTestId('tab-code').click();
    expect(await page.getByTestId('code-view').textContent()).toMatch(/layers\.Conv2D\(/);
  });

  it('saves the project, reloads, opens it again and trains it', async () => {
    const path = join(projects, 'digits.kiln.json');
    await page.getByTestId('project-menu').click();
    await page.getByTestId('menu-save-as').click();
    await page.getByTestId('save-path').fill(path);
    await page.getByTestId('save-confirm').click();
    await expect.poll(() => page.getByTestId('project-name').textContent()).toBe('digits');
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    expect(saved.model.layers.map((l: { type: string }) => l.type)).toEqual(['Input', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    expect(saved.data).toBe('sample:mnist');

    await page.reload();
    await expect.poll(() => page.getByTestId('engine-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');
    expect(await page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('3');  // a fresh starter model
    await page.getByTestId('project-menu').click();
    await page.getByText('Open digits').click();
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('5');
    expect(await page.getByTestId('project-name').textContent()).toBe('digits');
    await expect.poll(() => page.getByTestId('dataset').textContent(), { timeout: 15_000 }).toMatch(/sample:mnist/);

    await page.getByTestId('tab-training').click();
    await page.getByTestId('epochs-input').fill('1');
    await page.getByTestId('train-button').click();
    await expect.poll(() => page.getByTestId('engine-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await page.getByTestId('run-message').textContent()).toMatch(/Training completed: loss [0-9.]+, accuracy [0-9.]+%/);
    await page.screenshot({ path: join(artefacts, 'editor-trained.png') });
  }, 120_000);

  it('inserts a layer dropped on a connection, groups layers into a named block, reuses it, copies and pastes', async () => {
    await page.keyboard.press('f');  // zoom to fit: every connection in view
    await page.waitForTimeout(300);
    // A straight connection's path has no width, which Playwright counts as hidden: aim at it anyway.
    await page.getByTestId('palette-Dropout').dragTo(page.getByTestId('rf__edge-flatten->dense').locator('.edge-drop-zone'), { force: true });
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('6');
    expect(await edgeShape('flatten', 'dropout').textContent()).toBe('(None, 5408)');
    expect(await edgeShape('dropout', 'dense').textContent()).toBe('(None, 5408)');

    await node('conv2d').click();
    await node('max_pooling2d').click({ modifiers: ['Control'] });
    await page.keyboard.press('Control+g');
    const name = page.getByTestId('group-name-group');
    await name.fill('conv_block');
    await name.press('Enter');
    await page.getByTestId('arrange-menu').click();
    await page.getByTestId('menu-save-block').click();
    await expect.poll(() => page.getByTestId('palette-block-conv_block').count()).toBe(1);
    await page.screenshot({ path: join(artefacts, 'editor-group.png') });
    // Collapsed, the block stands for its layers and keeps their connections.
    await node('conv2d').click();
    await page.getByTestId('arrange-menu').click();
    await page.getByTestId('menu-collapse').click();
    await expect.poll(() => page.getByTestId('group-block-group').count()).toBe(1);
    expect(await node('conv2d').count()).toBe(0);
    expect(await edgeShape('max_pooling2d', 'flatten').count()).toBe(0);
    expect(await page.getByTestId('group-block-group').textContent()).toMatch(/conv_block.*2 layers.*\(None, 13, 13, 32\)/);
    // The saved block inserts fresh layers.
    await page.getByTestId('palette-block-conv_block').dblclick();
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('8');

    // Copy and paste the Dense layer; undo takes the paste back.
    await node('dense').click();
    // The inspector shows one layer only when exactly one is selected.
    await expect.poll(() => page.getByTestId('inspector-name').inputValue()).toBe('dense');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('9');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('model-canvas').getAttribute('data-layers')).toBe('8');
    await page.screenshot({ path: join(artefacts, 'editor-blocks.png') });
  });
});
