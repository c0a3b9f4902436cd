import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startKilnServe, type ServeProcess } from './kilnServe.js';

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KILN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where end-to-end tests leave their screenshots. */
export const E2E_ARTEFACTS = fileURLToPath(new URL('../../test-results/e2e', import.meta.url));

export interface Studio {
  serve: ServeProcess;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** The studio as a user sees it: `kiln serve` and a Chromium page on its URL (confirm dialogs accepted). */
export async function openStudio(): Promise<Studio> {
  mkdirSync(E2E_ARTEFACTS, { recursive: true });
  const serve = await startKilnServe();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => console.error('page error:', err));
  page.on('dialog', (d) => void d.accept());
  await page.goto(serve.url);
  return {
    serve, browser, page,
    async close() {
      await browser.close();
      await serve.stop();
    },
  };
}
